/**
 * Properties of the HTTP API's small parsers: any path segment gives a service or real-server key
 * or a coded 400 (never another throw), ids round-trip through their text, and any `--http`
 * text gives an address or a message.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { destId, parseDestId, parseServiceId, serviceId } from '../../src/daemon/http/api-ids.js';
import { HttpError } from '../../src/daemon/http/http-errors.js';
import { parseHttpListen } from '../../src/daemon/http/http-listen.js';

const text = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc
    .tuple(
      fc.constantFrom('tcp', 'udp', 'sctp', 'fwm', 'fwm6', 'TCP', 'x', ''),
      fc.oneof(
        fc.ipV4(),
        fc.ipV6().map((a) => `[${a}]`),
        fc.string({ maxLength: 10 }),
      ),
      fc.oneof(fc.integer({ min: -5, max: 70000 }).map(String), fc.string({ maxLength: 5 })),
    )
    .map(([k, a, p]) => `${k}:${a}:${p}`),
);

function codedOrKey(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof HttpError, String(e));
    assert.equal(e.status, 400);
    assert.equal(e.code, 'ERR_LVS_HTTP_BAD_PATH');
  }
}

it('any segment parses to a key or a coded 400', () => {
  fc.assert(
    fc.property(text, (s) => {
      codedOrKey(() => parseServiceId(s));
      codedOrKey(() => parseDestId(s));
    }),
    { numRuns: 2000 },
  );
});

it('service and real-server ids round-trip', () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.ipV4(), fc.ipV6()),
      fc.integer({ min: 0, max: 65535 }),
      fc.constantFrom(6, 17, 132),
      (addr, port, protocol) => {
        const key = parseServiceId(
          `${protocol === 6 ? 'tcp' : protocol === 17 ? 'udp' : 'sctp'}:${addr.includes(':') ? `[${addr}]` : addr}:${port}`,
        );
        assert.equal(parseServiceId(encodeURIComponent(serviceId(key))).kind, 'addr');
        assert.deepEqual(parseServiceId(serviceId(key)), key);
        const d = parseDestId(destId({ addr: key.kind === 'addr' ? key.addr : '', port }));
        assert.equal(destId(d), destId({ addr: key.kind === 'addr' ? key.addr : '', port }));
      },
    ),
  );
  assert.deepEqual(parseServiceId('fwm6:7'), { kind: 'fwmark', af: 6, fwmark: 7 });
  assert.equal(serviceId({ kind: 'fwmark', af: 4, fwmark: 1 }), 'fwm:1');
});

it('any --http text gives an address or a message, never a throw', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.ipV6().map((a) => `[${a}]:80`),
      ),
      (s) => {
        const r = parseHttpListen(s);
        if (r.ok) assert.ok(r.port >= 0 && r.port <= 65535);
        else assert.match(r.message, /^--http expects ADDR:PORT/);
      },
    ),
    { numRuns: 1000 },
  );
});
