import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipBytes } from '../../src/core/addr.js';
import { CONN_COUNT } from '../../src/core/dest.js';
import { findScheduler } from '../../src/core/schedulers/index.js';
import { DEST_TRASH_IDLE_MS, ServiceTable } from '../../src/core/service-table.js';
import { destConfig, svcConfig, tcp, testTable, udp } from '../helpers/table.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'no error';
};

test('a new destination goes to the head of the list', () => {
  const t = testTable();
  t.addService(tcp('192.0.2.1', 80), svcConfig());
  for (const a of ['198.51.100.1', '198.51.100.2', '198.51.100.3'])
    t.addDest(tcp('192.0.2.1', 80), destConfig(a, 80));
  assert.deepEqual(
    t.find(tcp('192.0.2.1', 80))?.dests.map((d) => d.addr),
    ['198.51.100.3', '198.51.100.2', '198.51.100.1'],
  );
});

test('editing a destination keeps its list position', () => {
  const t = testTable();
  const k = tcp('192.0.2.1', 80);
  t.addService(k, svcConfig());
  t.addDest(k, destConfig('198.51.100.1', 80));
  t.addDest(k, destConfig('198.51.100.2', 80));
  t.editDest(k, destConfig('198.51.100.1', 80, { weight: 5 }));
  const svc = t.find(k);
  assert.deepEqual(
    svc?.dests.map((d) => [d.addr, d.weight]),
    [
      ['198.51.100.2', 1],
      ['198.51.100.1', 5],
    ],
  );
});

test('table errors carry the kernel errno meanings', () => {
  const t = testTable();
  const k = tcp('192.0.2.1', 80);
  assert.equal(
    code(() => t.addService(k, svcConfig({ scheduler: 'nosuch' }))),
    'ERR_LVS_NO_SCHEDULER',
  );
  t.addService(k, svcConfig());
  assert.equal(
    code(() => t.addService(k, svcConfig())),
    'ERR_LVS_SERVICE_EXISTS',
  );
  assert.equal(
    code(() => t.editService(tcp('192.0.2.9', 80), svcConfig())),
    'ERR_LVS_NO_SERVICE',
  );
  assert.equal(
    code(() => t.addDest(k, destConfig('198.51.100.1', 80, { weight: -1 }))),
    'ERR_LVS_RANGE',
  );
  assert.equal(
    code(() => t.addDest(k, destConfig('198.51.100.1', 80, { uThreshold: 1, lThreshold: 2 }))),
    'ERR_LVS_RANGE',
  );
  assert.equal(
    code(() => t.addDest(k, destConfig('224.0.0.1', 80))),
    'ERR_LVS_INVALID',
  );
  t.addDest(k, destConfig('198.51.100.1', 80));
  assert.equal(
    code(() => t.addDest(k, destConfig('198.51.100.1', 80))),
    'ERR_LVS_DEST_EXISTS',
  );
  assert.equal(
    code(() => t.delDest(k, { addr: '198.51.100.9', port: 80 }, 0)),
    'ERR_LVS_NO_DEST',
  );
  assert.equal(
    code(() => t.addService(tcp('2001:db8::1', 80), svcConfig({ netmask: '129' }))),
    'ERR_LVS_INVALID',
  );
  assert.equal(
    code(() => t.addService(k, svcConfig({ pe: 'nope' }))),
    'ERR_LVS_NO_PE',
  );
});

test('a failed command leaves the table unchanged', () => {
  const t = testTable();
  const k = tcp('192.0.2.1', 80);
  t.addService(k, svcConfig());
  t.addDest(k, destConfig('198.51.100.1', 80));
  const before = t.generation;
  assert.throws(() => t.addDest(k, destConfig('198.51.100.1', 80)));
  assert.throws(() => t.editService(k, svcConfig({ scheduler: 'nosuch' })));
  assert.equal(t.generation, before);
  assert.equal(t.find(k)?.config.scheduler, 'wlc');
  assert.equal(t.find(k)?.dests.length, 1);
});

test('a deleted destination waits in the trash and is revived with its counters', () => {
  const t = testTable();
  const k = tcp('192.0.2.1', 80);
  t.addService(k, svcConfig());
  const d = t.addDest(k, destConfig('198.51.100.1', 80));
  d.bind(CONN_COUNT.ACTIVE);
  d.stats.conns = 7;
  t.delDest(k, d, 1000);
  assert.equal(t.find(k)?.dests.length, 0);
  assert.equal(t.trashed().length, 1);
  assert.equal(d.available, false);
  const again = t.addDest(k, destConfig('198.51.100.1', 80, { weight: 3 }));
  assert.equal(again, d);
  assert.equal(again.stats.conns, 7);
  assert.equal(again.activeConns, 1);
  assert.equal(again.available, true);
  assert.equal(t.trashed().length, 0);
});

test('a trash destination is freed by the 60 s trash timer once unreferenced for 120 s', () => {
  const t = testTable();
  const k = tcp('192.0.2.1', 80);
  t.addService(k, svcConfig());
  const d = t.addDest(k, destConfig('198.51.100.1', 80));
  d.bind(CONN_COUNT.INACTIVE);
  // Deleted at 0 into an empty trash: the timer runs at 60 s, then every 60 s (ip_vs_dest_trash_expire).
  t.delDest(k, d, 0);
  assert.equal(t.expireTrash(DEST_TRASH_IDLE_MS * 10), 0, 'still referenced');
  d.unbind(CONN_COUNT.INACTIVE);
  // Runs fall at 60 s steps: 1260 s stamps idle_start, 1320 s keeps it, 1380 s frees it.
  assert.equal(t.expireTrash(1_260_000), 0);
  assert.equal(t.expireTrash(1_379_999), 0);
  assert.equal(t.destById(d.id), d);
  assert.equal(t.expireTrash(1_380_000), 1);
  assert.equal(t.destById(d.id), undefined);
});

test('packet lookup tries fwmark, then the exact service, then the port-0 service', () => {
  const t = testTable();
  t.addService(tcp('192.0.2.1', 80), svcConfig());
  t.addService(tcp('192.0.2.1', 0), svcConfig({ flags: 1, timeout: 360 }));
  t.addService({ kind: 'fwmark', af: 4, fwmark: 7 }, svcConfig());
  const vip = ipBytes('192.0.2.1') as Uint8Array;
  assert.equal(t.lookup(4, 6, vip, 80, 7)?.fwmark, 7);
  assert.equal(t.lookup(4, 6, vip, 80, 0)?.port, 80);
  assert.equal(t.lookup(4, 6, vip, 443, 0)?.port, 0);
  assert.equal(t.lookup(4, 17, vip, 80, 0), undefined);
  assert.equal(t.lookup(4, 6, ipBytes('192.0.2.2') as Uint8Array, 80, 0), undefined);
});

test('IPv6 services are found by their canonical address whatever the spelling', () => {
  const t = testTable();
  t.addService(udp('2001:db8::1', 53), svcConfig({ netmask: '128' }));
  assert.ok(t.find(udp('2001:0db8:0:0::0001', 53)));
});

test('OVERLOAD is set at the upper threshold and cleared below three quarters of it', () => {
  const t = testTable();
  const k = tcp('192.0.2.1', 80);
  t.addService(k, svcConfig());
  const d = t.addDest(k, destConfig('198.51.100.1', 80, { uThreshold: 4 }));
  for (let i = 0; i < 4; i++) d.bind(CONN_COUNT.INACTIVE);
  assert.equal(d.overloaded, true);
  d.unbind(CONN_COUNT.INACTIVE); // 3 left: 3*4 < 4*3 is false
  assert.equal(d.overloaded, true);
  d.unbind(CONN_COUNT.INACTIVE); // 2 left: 8 < 12
  assert.equal(d.overloaded, false);
});

test('the lower threshold, when set, decides when OVERLOAD clears', () => {
  const t = testTable();
  const k = tcp('192.0.2.1', 80);
  t.addService(k, svcConfig());
  const d = t.addDest(k, destConfig('198.51.100.1', 80, { uThreshold: 4, lThreshold: 1 }));
  for (let i = 0; i < 4; i++) d.bind(CONN_COUNT.ACTIVE);
  for (let i = 0; i < 3; i++) d.unbind(CONN_COUNT.ACTIVE);
  assert.equal(d.overloaded, true, '1 left is not below 1');
  d.unbind(CONN_COUNT.ACTIVE);
  assert.equal(d.overloaded, false);
});

test('editing the upper threshold upwards clears OVERLOAD at once', () => {
  const t = testTable();
  const k = tcp('192.0.2.1', 80);
  t.addService(k, svcConfig());
  const d = t.addDest(k, destConfig('198.51.100.1', 80, { uThreshold: 1 }));
  d.bind(CONN_COUNT.ACTIVE);
  assert.equal(d.overloaded, true);
  t.editDest(k, destConfig('198.51.100.1', 80, { uThreshold: 2 }));
  assert.equal(d.overloaded, false);
});

test('last_weight keeps the latest non-zero weight', () => {
  const t = testTable();
  const k = tcp('192.0.2.1', 80);
  t.addService(k, svcConfig());
  t.addDest(k, destConfig('198.51.100.1', 80, { weight: 5 }));
  const d = t.editDest(k, destConfig('198.51.100.1', 80, { weight: 0 }));
  assert.equal(d.lastWeight, 5);
});

test('nosort enumeration is stable and lists fwmark services after address services', () => {
  const t = testTable();
  t.addService({ kind: 'fwmark', af: 4, fwmark: 1 }, svcConfig());
  t.addService(tcp('192.0.2.1', 80), svcConfig());
  t.addService(tcp('192.0.2.2', 80), svcConfig());
  const order = t.enumerate().map((s) => (s.key.kind === 'fwmark' ? 'fwm' : s.key.addr));
  assert.equal(order.at(-1), 'fwm');
  assert.deepEqual(
    t.enumerate().map((s) => s.id),
    t.enumerate().map((s) => s.id),
  );
});

test('an edit to a scheduler that refuses its settings leaves the service unchanged', () => {
  const t = new ServiceTable({ schedulers: findScheduler });
  const k = tcp('192.0.2.1', 80);
  t.addService(k, svcConfig({ scheduler: 'rr', flags: 1, timeout: 300 }));
  t.addDest(k, destConfig('198.51.100.1', 80));
  const before = t.find(k)?.sched;
  assert.equal(
    code(() => t.editService(k, svcConfig({ scheduler: 'mh', mhTableSize: 1000 }))),
    'ERR_LVS_INVALID',
  );
  const svc = t.find(k);
  assert.equal(svc?.config.scheduler, 'rr');
  assert.equal(svc?.config.timeout, 300);
  assert.equal(svc?.sched, before);
  assert.equal(svc?.sched?.name, 'rr');
});
