import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { birdInclude } from '../../src/config/bird/bird-include.js';
import {
  BirdReplyError,
  BirdReplyReader,
  birdReplyText,
  isBirdError,
  parseShowProtocols,
} from '../../src/config/bird/bird-reply.js';

// Bytes as BIRD 2.0.12 wrote them on its control socket (captured from `bird -s SOCK`).
const GREETING = '0001 BIRD 2.0.12 ready.\n';
const CONFIGURED = '0002-Reading configuration from d.conf\n0003 Reconfigured\n';
const REFUSED =
  '0002-Reading configuration from d.conf\n8002 /tmp/lvs-vips.conf:1:51 Invalid prefix length 33\n';
const PROTOCOLS =
  '2002-Name       Proto      Table      State  Since         Info\n' +
  '1002-device1    Device     ---        up     16:55:29.122  \n' +
  ' lvs_vips   Static     master4    up     16:55:29.122  \n' +
  ' lvs_vips6  Static     master6    up     16:55:29.122  \n' +
  ' router1    BGP        ---        up     16:55:33.464  Established   \n' +
  ' router2    BGP        ---        start  2026-12-06 10:00:00  Active        Socket: Connection refused\n' +
  '0000 \n';

describe('BIRD control-socket replies', () => {
  it('frames the greeting and a reply split at any byte', () => {
    const all = GREETING + CONFIGURED;
    for (let cut = 0; cut <= all.length; cut++) {
      const r = new BirdReplyReader();
      const got = [...r.push(all.slice(0, cut)), ...r.push(all.slice(cut))];
      assert.deepEqual(
        got.map((x) => x.code),
        [1, 3],
      );
      assert.equal(birdReplyText(got[1] as (typeof got)[number]), 'Reconfigured');
    }
  });

  it("reports a refused reload with BIRD's own message", () => {
    const [r] = new BirdReplyReader().push(REFUSED);
    assert.ok(r && isBirdError(r));
    assert.equal(birdReplyText(r), '/tmp/lvs-vips.conf:1:51 Invalid prefix length 33');
  });

  it('parses show protocols rows, continuations and a two-word since', () => {
    const [r] = new BirdReplyReader().push(PROTOCOLS);
    assert.ok(r);
    const rows = parseShowProtocols(r);
    assert.deepEqual(
      rows.map((x) => [x.name, x.proto, x.state, x.since, x.info]),
      [
        ['device1', 'Device', 'up', '16:55:29.122', ''],
        ['lvs_vips', 'Static', 'up', '16:55:29.122', ''],
        ['lvs_vips6', 'Static', 'up', '16:55:29.122', ''],
        ['router1', 'BGP', 'up', '16:55:33.464', 'Established'],
        ['router2', 'BGP', 'start', '2026-12-06 10:00:00', 'Active Socket: Connection refused'],
      ],
    );
  });

  it('skips asynchronous + lines and refuses a line of no known form', () => {
    const r = new BirdReplyReader();
    assert.deepEqual(
      r.push('+0016 Shutting down\n0000 \n').map((x) => x.code),
      [0],
    );
    assert.throws(
      () => r.push('hello\n'),
      (e: unknown) => e instanceof BirdReplyError && e.code === 'ERR_LVS_BIRD_REPLY',
    );
  });

  it('property: any bytes either frame into replies or fail with ERR_LVS_BIRD_REPLY, and rows never throw', () => {
    const line = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc
        .tuple(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(' ', '-'), fc.string({ maxLength: 40 }))
        .map(([c, s, t]) => `${String(c).padStart(4, '0')}${s}${t}`),
      fc.string({ maxLength: 40 }).map((t) => ` ${t}`),
      fc.constantFrom(...PROTOCOLS.split('\n')),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.integer({ min: 1, max: 50 }), (lines, chunk) => {
        const text = `${lines.join('\n')}\n`;
        const r = new BirdReplyReader();
        try {
          for (let i = 0; i < text.length; i += chunk)
            for (const reply of r.push(text.slice(i, i + chunk))) {
              assert.ok(Array.isArray(parseShowProtocols(reply)));
              assert.equal(typeof birdReplyText(reply), 'string');
            }
        } catch (e) {
          assert.ok(e instanceof BirdReplyError, String(e));
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('BIRD include file', () => {
  it('puts IPv4 and IPv6 host routes in their own static protocols', () => {
    const text = birdInclude('lvs_vips', ['192.0.2.10/32', '2001:db8::10/128']);
    assert.match(text, /protocol static lvs_vips \{\n {2}ipv4;\n {2}route 192\.0\.2\.10\/32 blackhole;\n\}/);
    assert.match(text, /protocol static lvs_vips6 \{\n {2}ipv6;\n {2}route 2001:db8::10\/128 blackhole;\n\}/);
  });

  it('keeps both protocols, empty, when nothing is announced', () => {
    const text = birdInclude('x', []);
    assert.match(text, /protocol static x \{\n {2}ipv4;\n\}/);
    assert.match(text, /protocol static x6 \{\n {2}ipv6;\n\}/);
    assert.doesNotMatch(text, /^\s*route /m);
  });
});
