import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LvsModel } from '../../src/config/model.js';
import type { HealthView } from '../../src/control/health-views.js';
import { quorumByService } from '../../src/daemon/bgp/bgp-quorum.js';
import { parseLvsdArgs } from '../../src/daemon/options.js';
import { formatBgp } from '../../src/ipvsadm/format-bgp.js';
import { parse } from '../../src/ipvsadm/parse.js';
import { bgpView } from '../daemon/http-fixtures.js';

const se = { uid: 0, env: {} } as unknown as Parameters<typeof parseLvsdArgs>[1];
const run = (...a: string[]) => parseLvsdArgs(a, se, () => false);

describe('lvsd --bgp options', () => {
  it('takes the defaults with --bgp alone', () => {
    const r = run('--bgp');
    assert.equal(r.kind, 'run');
    if (r.kind !== 'run') return;
    assert.deepEqual(r.options.bgp, {
      include: '/etc/bird/lvs-vips.conf',
      socket: '/run/bird/bird.ctl',
      protocol: 'lvs_vips',
    });
  });

  it('takes the include, socket and protocol name', () => {
    const r = run(
      '--bgp',
      '--bgp-include',
      '/x/v.conf',
      '--bgp-socket',
      '/x/b.ctl',
      '--bgp-protocol',
      'vips',
    );
    assert.ok(r.kind === 'run');
    assert.deepEqual(r.options.bgp, { include: '/x/v.conf', socket: '/x/b.ctl', protocol: 'vips' });
  });

  it('refuses the sub-options without --bgp, and a protocol name BIRD would not take', () => {
    for (const args of [
      ['--bgp-include', '/x'],
      ['--bgp', '--bgp-protocol', '1abc'],
      ['--bgp', '--bgp-protocol', 'a-b'],
      ['--bgp', '--bgp-socket', ''],
    ]) {
      const r = run(...args);
      assert.equal(r.kind, 'error', args.join(' '));
      if (r.kind === 'error') assert.equal(r.exitCode, 2);
    }
  });
});

describe('lvsadm --bgp words', () => {
  it('parses --bgp, --bgp-drain [VIP] and --bgp-undrain [VIP], canonicalising the address', () => {
    assert.equal(parse(['--bgp']).kind, 'bgp');
    assert.deepEqual(parse(['--bgp-drain']), { kind: 'command', command: { op: 'bgp-drain' } });
    assert.deepEqual(parse(['--bgp-undrain', '[2001:DB8::0010]']), {
      kind: 'command',
      command: { op: 'bgp-undrain', vip: '2001:db8::10' },
    });
    assert.equal(parse(['--bgp', 'x']).kind, 'error');
    assert.equal(parse(['--bgp-drain', '192.0.2.1', '192.0.2.2']).kind, 'error');
    assert.equal(parse(['--bgp-drain', 'example.org']).kind, 'error');
  });

  it('prints each VIP with its state and BIRD sessions', () => {
    const t = formatBgp(bgpView());
    assert.match(t, /^192\.0\.2\.10\/32 +announced +TCP 192\.0\.2\.10:80$/m);
    assert.match(t, /^192\.0\.2\.11\/32 +withheld +drained \(lvsadm --bgp-drain 192\.0\.2\.11\)$/m);
    assert.match(t, /^Drained: 192\.0\.2\.11$/m);
    assert.match(t, /^Error: no such socket \(ERR_LVS_BIRD_UNREACHABLE\)/m);
    assert.match(t, /BIRD protocols: not read yet/);
    const pending = formatBgp({ ...bgpView(), announced: [], birdAt: 1_700_000_009_000 });
    assert.match(pending, /^192\.0\.2\.10\/32 +pending /m);
    assert.match(pending, /^router1 +BGP +--- +up +10:00:00 +Established$/m);
  });
});

describe('health quorum for the BGP decision', () => {
  it('maps each key of a configured service to its quorum from the health view', () => {
    const model = {
      services: [
        {
          id: 'group VSG TCP',
          keys: [
            { kind: 'addr', af: 4, protocol: 6, addr: '192.0.2.10', port: 80 },
            { kind: 'addr', af: 4, protocol: 6, addr: '192.0.2.11', port: 80 },
          ],
        },
        {
          id: 'TCP 192.0.2.12:80',
          keys: [{ kind: 'addr', af: 4, protocol: 6, addr: '192.0.2.12', port: 80 }],
        },
      ],
    } as unknown as LvsModel;
    const health = {
      now: 0,
      services: [
        { id: 'group VSG TCP', quorumUp: false, since: 0, weightSum: 0, quorum: 1, hysteresis: 0, reals: [] },
        {
          id: 'TCP 192.0.2.12:80',
          quorumUp: true,
          since: 0,
          weightSum: 2,
          quorum: 1,
          hysteresis: 0,
          reals: [],
        },
      ],
    } as HealthView;
    const q = quorumByService(model, health);
    assert.deepEqual(q.get('TCP 192.0.2.10:80'), { up: false, reason: 'alive weight 0, quorum 1' });
    assert.deepEqual(q.get('TCP 192.0.2.11:80'), { up: false, reason: 'alive weight 0, quorum 1' });
    assert.deepEqual(q.get('TCP 192.0.2.12:80'), { up: true });
    assert.equal(quorumByService(undefined, health).size, 0);
  });
});
