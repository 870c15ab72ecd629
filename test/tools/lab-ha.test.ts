import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseKeepalived } from '../../src/config/keepalived/index.js';
import { HA_DOWN_MS, HA_PRIORITY, HA_VRID, haKeepalivedConf } from '../../src/tools/lab/ha-conf.js';
import { describeHaFrame, formatHaEvent, type HaNames } from '../../src/tools/lab/ha-frame.js';
import { formatHaTrace } from '../../src/tools/lab/ha-trace.js';
import { HA_MODE, labPlan } from '../../src/tools/lab/plan.js';
import { buildVrrpAdvert } from '../../src/vrrp/vrrp-packet.js';
import { memIo } from '../config/mem-io.js';

const D1_MAC = '02:00:00:00:00:01';
const D2_MAC = '02:00:00:00:00:02';
const names: HaNames = {
  byMac: new Map([
    [D1_MAC, 'director1'],
    [D2_MAC, 'director2'],
  ]),
  byIp: new Map([['192.0.2.10', 'client']]),
};
const mac = (s: string) => s.split(':').map((x) => Number.parseInt(x, 16));
const ip4 = (s: string) => s.split('.').map(Number);

/** An Ethernet + IPv4 (proto 112, TTL 255) frame carrying a v3 advert from `src`. */
function vrrpFrame(srcMac: string, src: string, prio: number, intervalCs = 100): Uint8Array {
  const adv = buildVrrpAdvert(
    {
      version: 3,
      type: 1,
      vrid: HA_VRID,
      priority: prio,
      interval: intervalCs,
      addrs: ['192.0.2.100'],
      authType: 0,
      authData: new Uint8Array(0),
    },
    { af: 4, src, dst: '224.0.0.18' },
  );
  const ip = [0x45, 0, 0, 20 + adv.length, 0, 0, 0, 0, 255, 112, 0, 0, ...ip4(src), 224, 0, 0, 18];
  return Uint8Array.from([0x01, 0, 0x5e, 0, 0, 0x12, ...mac(srcMac), 0x08, 0x00, ...ip, ...adv]);
}

/** An ARP frame (op 1 request, 2 reply) broadcast from `srcMac`. */
function arpFrame(srcMac: string, op: 1 | 2, sender: string, target: string): Uint8Array {
  return Uint8Array.from([
    ...[255, 255, 255, 255, 255, 255],
    ...mac(srcMac),
    0x08,
    0x06,
    ...[0, 1, 8, 0, 6, 4, 0, op],
    ...mac(srcMac),
    ...ip4(sender),
    ...[0, 0, 0, 0, 0, 0],
    ...ip4(target),
  ]);
}

test('a VRRPv3 advert decodes into who sent it, the VRID, the priority and the interval', () => {
  const e = describeHaFrame(vrrpFrame(D1_MAC, '192.0.2.2', 150));
  assert.ok(e);
  assert.equal(
    formatHaEvent(e, names),
    'director1 > 224.0.0.18 VRRPv3 vrid 51 prio 150 int 1s vip 192.0.2.100',
  );
  const stop = describeHaFrame(vrrpFrame(D2_MAC, '192.0.2.3', 0, 50));
  assert.ok(stop);
  assert.equal(
    formatHaEvent(stop, names),
    'director2 > 224.0.0.18 VRRPv3 vrid 51 prio 0 int 0.5s vip 192.0.2.100 (master stopping)',
  );
});

test('a gratuitous ARP is told apart from a question and an answer', () => {
  const garp = describeHaFrame(arpFrame(D2_MAC, 1, '192.0.2.100', '192.0.2.100'));
  assert.equal(garp?.kind === 'arp' && garp.gratuitous, true);
  assert.equal(
    formatHaEvent(garp!, names),
    `director2 > broadcast GARP request 192.0.2.100 is-at ${D2_MAC} (director2)`,
  );
  const ask = describeHaFrame(arpFrame('02:00:00:00:00:0a', 1, '192.0.2.10', '192.0.2.100'));
  assert.equal(formatHaEvent(ask!, names), 'client > broadcast ARP who-has 192.0.2.100 tell 192.0.2.10');
});

test('a truncated advert becomes a line with the codec error code, not an exception', () => {
  const f = vrrpFrame(D1_MAC, '192.0.2.2', 150).subarray(0, 14 + 20 + 6);
  const e = describeHaFrame(f);
  assert.equal(e?.kind, 'bad-vrrp');
  assert.match(formatHaEvent(e!, names), /undecodable: VRRP_TRUNCATED/);
});

test('describeHaFrame never throws on arbitrary bytes, with or without an ARP/VRRP prefix', () => {
  const prefix = fc.constantFrom(
    [],
    [...new Array(12).fill(0), 0x08, 0x06],
    [...new Array(12).fill(0), 0x08, 0x00, 0x45, 0, 0, 0, 0, 0, 0, 0, 255, 112],
  );
  fc.assert(
    fc.property(prefix, fc.uint8Array({ maxLength: 120 }), (p, rest) => {
      const e = describeHaFrame(Uint8Array.from([...p, ...rest]));
      if (e) assert.ok(formatHaEvent(e, names).length > 0);
    }),
  );
});

test('the trace puts the failure between the last advert of the old master and the new one', () => {
  const at = (ms: number, f: Uint8Array) => ({ at: ms, event: describeHaFrame(f)! });
  const text = formatHaTrace({
    names,
    startedAt: 0,
    failed: 'director1',
    failedAt: 1500,
    lines: [
      at(900, vrrpFrame(D1_MAC, '192.0.2.2', 150)),
      at(4600, vrrpFrame(D2_MAC, '192.0.2.3', 100)),
      at(4601, arpFrame(D2_MAC, 1, '192.0.2.100', '192.0.2.100')),
    ],
  });
  const lines = text.trim().split('\n');
  assert.match(lines[0]!, /^\+0\.900s director1 > 224\.0\.0\.18 VRRPv3 vrid 51 prio 150/);
  assert.match(lines[1]!, /^\+1\.500s \*\*\* director1 fails/);
  assert.match(lines[2]!, /^\+4\.600s director2 > .* prio 100/);
  assert.match(lines[3]!, /^\+4\.601s director2 > broadcast GARP/);
});

test('both directors get one vrrp_instance with the same VRID, priorities 150/100 and the DR service', () => {
  const plan = labPlan(HA_MODE);
  for (const [d, state] of [
    ['director1', 'MASTER'],
    ['director2', 'BACKUP'],
  ] as const) {
    const P = '/etc/keepalived/keepalived.conf';
    const r = parseKeepalived(P, memIo({ [P]: haKeepalivedConf(d, 'lvsd') }));
    assert.deepEqual(
      r.diagnostics.filter((x) => x.severity === 'error'),
      [],
    );
    const [vi] = r.model.vrrp.instances;
    assert.equal(r.model.vrrp.instances.length, 1);
    assert.equal(vi?.state, state);
    assert.equal(vi?.vrid, HA_VRID);
    assert.equal(vi?.priority, HA_PRIORITY[d]);
    assert.equal(vi?.version, 3);
    assert.equal(vi?.advertInt, 1000, 'advertInt is kept in ms');
    assert.equal(r.model.services.length, 1);
    assert.equal(r.model.services[0]?.reals.length, plan.rips.length);
  }
  // Master_Down_Interval of the priority-100 backup at 1 s (RFC 5798 §6.1).
  assert.equal(HA_DOWN_MS, 3609.375);
});

test('lvsadm lab ... ha rejects unknown directors, peers and durations with its usage and exit code 2', async () => {
  const { runLab } = await import('../../src/tools/lab/lab-command.js');
  for (const argv of [
    ['fail', 'ha', 'director3'],
    ['fail', 'ha'],
    ['up', 'ha', '--peer', 'bird'],
    ['trace', 'ha', '--seconds', '0'],
    ['trace', 'ha', '--seconds', '61'],
    ['trace', 'ha', '--fail', 'rs1'],
    ['down', 'ha', '--peer', 'lvsd'],
    ['restart', 'ha'],
  ]) {
    let err = '';
    const code = await runLab(
      argv,
      () => {},
      (s) => (err += s),
    );
    assert.equal(code, 2, argv.join(' '));
    assert.match(err, /lvsadm lab up ha \[--peer lvsd\|keepalived\]/, argv.join(' '));
  }
});
