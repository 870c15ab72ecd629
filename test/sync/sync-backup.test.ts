import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONN_F, KIND } from '../../src/core/conn-table.js';
import { connViews } from '../../src/core/conn-views.js';
import { TCP_S } from '../../src/core/proto/tcp.js';
import { FWD, PROTO } from '../../src/core/types.js';
import { applySyncEntry, type SyncApplyResult } from '../../src/sync/sync-backup.js';
import type { SyncConnEntry } from '../../src/sync/sync-entry.js';
import { connToSyncEntry } from '../../src/sync/sync-master.js';
import { testDirector } from '../core/director/helpers.js';
import { destConfig, svcConfig, tcp } from '../helpers/table.js';

const VIP = '203.0.113.10';
const RS1 = '198.51.100.1';
const RS2 = '198.51.100.2';
const w4 = (a: number) => Uint32Array.of(a, 0, 0, 0);
const C1 = 0xc0000201; // 192.0.2.1
const V = 0xcb00710a; // 203.0.113.10
const D1 = 0xc6336401; // 198.51.100.1
const D2 = 0xc6336402; // 198.51.100.2

function entry(over: Partial<SyncConnEntry> = {}): SyncConnEntry {
  return {
    af: 4,
    protocol: PROTO.TCP,
    flags: FWD.DROUTE | CONN_F.NOOUTPUT,
    state: TCP_S.ESTABLISHED,
    cport: 40000,
    vport: 80,
    dport: 80,
    fwmark: 0,
    timeoutS: 900,
    caddr: w4(C1),
    vaddr: w4(V),
    daddr: w4(D1),
    ...over,
  };
}

function backup(fwd: number = FWD.MASQ) {
  const d = testDirector();
  d.table.addService(tcp(VIP, 80), svcConfig());
  const a = d.table.addDest(tcp(VIP, 80), destConfig(RS1, 80, { fwd: fwd as 0 }));
  const b = d.table.addDest(tcp(VIP, 80), destConfig(RS2, 80, { fwd: fwd as 0 }));
  return { d, a, b };
}

const idxOf = (r: SyncApplyResult): number => {
  assert.ok(r.kind !== 'ignored', `ignored: ${r.kind === 'ignored' ? r.reason : ''}`);
  return r.idx;
};

test('a new entry becomes a SYNC conn bound to the local dest, forwarding as that dest says', () => {
  const { d, a } = backup(FWD.MASQ);
  const r = applySyncEntry(
    d,
    entry({ flags: FWD.DROUTE | CONN_F.NOOUTPUT | CONN_F.HASHED | CONN_F.ONE_PACKET | CONN_F.NFCT }),
    1000,
  );
  assert.equal(r.kind, 'created');
  const i = idxOf(r);
  const f = d.conns.flagsOf(i);
  assert.ok(f & CONN_F.SYNC);
  assert.equal(f & CONN_F.FWD_MASK, FWD.MASQ, 'method from the local dest');
  assert.equal(f & (CONN_F.NOOUTPUT | CONN_F.ONE_PACKET | CONN_F.NFCT | CONN_F.INACTIVE), 0);
  assert.equal(d.conns.destOf(i), a.id);
  assert.equal(d.conns.inPktsOf(i), 3, 'in_pkts = sync_threshold');
  assert.equal(d.conns.stateOf(i), TCP_S.ESTABLISHED);
  assert.equal(d.conns.timeoutOf(i), 900);
  assert.equal(d.conns.expiresOf(i), 1000 + 900_000);
  assert.deepEqual([a.activeConns, a.inactConns, a.stats.conns], [1, 0, 0]);
  const v = connViews(d, 1000)[0];
  assert.equal(v?.daddr, RS1);
  assert.equal(v?.state, 'ESTABLISHED');
});

test('a version-0 entry (no timeout) gets the state timeout, a template 180 s', () => {
  const { d } = backup();
  const i = idxOf(
    applySyncEntry(d, entry({ timeoutS: 0, state: TCP_S.FIN_WAIT, flags: CONN_F.INACTIVE }), 0),
  );
  assert.equal(d.conns.timeoutOf(i), 120);
  const t = idxOf(applySyncEntry(d, entry({ timeoutS: 0, flags: CONN_F.TEMPLATE, cport: 0, state: 0 }), 0));
  assert.equal(d.conns.timeoutOf(t), 180);
});

test('an update takes INACTIVE from the entry and moves the dest between active and inactive', () => {
  const { d, a } = backup();
  const i = idxOf(applySyncEntry(d, entry(), 0));
  const r = applySyncEntry(d, entry({ state: TCP_S.FIN_WAIT, flags: CONN_F.INACTIVE, timeoutS: 120 }), 5000);
  assert.equal(r.kind, 'updated');
  assert.equal(idxOf(r), i);
  assert.ok(d.conns.flagsOf(i) & CONN_F.INACTIVE);
  assert.equal(d.conns.flagsOf(i) & CONN_F.FWD_MASK, FWD.MASQ, 'other flags stay');
  assert.deepEqual([a.activeConns, a.inactConns], [0, 1]);
  assert.equal(d.conns.stateOf(i), TCP_S.FIN_WAIT);
  assert.equal(d.conns.expiresOf(i), 5000 + 120_000);
});

test('an active entry to another dest replaces the conn; an inactive one is a stale notice and ignored', () => {
  const { d, a, b } = backup();
  const first = idxOf(applySyncEntry(d, entry(), 0));
  const stale = applySyncEntry(
    d,
    entry({ daddr: w4(D2), flags: CONN_F.INACTIVE, state: TCP_S.TIME_WAIT }),
    1,
  );
  assert.deepEqual(stale, { kind: 'ignored', reason: 'stale' });
  assert.equal(d.conns.destOf(first), a.id);
  const r = applySyncEntry(d, entry({ daddr: w4(D2) }), 2);
  assert.equal(r.kind, 'created');
  assert.equal(d.conns.destOf(idxOf(r)), b.id);
  assert.equal(d.conns.count, 1, 'the old conn is gone');
  assert.deepEqual([a.activeConns, b.activeConns], [0, 1]);
});

test('an entry with no local service stays unbound, and binds when a later entry finds the dest', () => {
  const d = testDirector();
  const r = applySyncEntry(d, entry({ flags: FWD.DROUTE | CONN_F.NOOUTPUT }), 0);
  assert.deepEqual(r, { kind: 'created', idx: idxOf(r), bound: false });
  const i = idxOf(r);
  assert.equal(d.conns.destOf(i), -1);
  assert.equal(d.conns.flagsOf(i) & CONN_F.FWD_MASK, FWD.DROUTE, 'unbound: the master flags');
  assert.equal(connViews(d, 0).length, 1, 'listed like any conn');
  d.table.addService(tcp(VIP, 80), svcConfig());
  const dest = d.table.addDest(tcp(VIP, 80), destConfig(RS1, 80, { fwd: FWD.TUNNEL }));
  const u = applySyncEntry(d, entry({ flags: FWD.DROUTE | CONN_F.NOOUTPUT }), 1000);
  assert.deepEqual(u, { kind: 'updated', idx: i, bound: true });
  assert.equal(d.conns.destOf(i), dest.id);
  assert.equal(d.conns.flagsOf(i) & CONN_F.FWD_MASK, FWD.TUNNEL);
  assert.equal(dest.activeConns, 1);
  d.conns.kill(i);
  assert.equal(dest.activeConns, 0, 'unbinding on free undoes the count');
});

test('a fwmark service binds a non-NAT conn to a port-0 dest', () => {
  const d = testDirector();
  const key = { kind: 'fwmark', af: 4, fwmark: 9 } as const;
  d.table.addService(key, svcConfig());
  const dest = d.table.addDest(key, destConfig(RS1, 0, { fwd: FWD.DROUTE }));
  const r = applySyncEntry(d, entry({ fwmark: 9, dport: 443, vport: 443 }), 0);
  assert.equal(d.conns.destOf(idxOf(r)), dest.id);
  assert.equal(d.conns.fwmark[idxOf(r)], 9);
});

test('a template and its conn are applied as a template and a conn, each counted on the dest', () => {
  const d = testDirector();
  d.table.addService(tcp(VIP, 443), svcConfig({ flags: 1, timeout: 360 }));
  const a = d.table.addDest(tcp(VIP, 443), destConfig(RS1, 443, { fwd: FWD.DROUTE }));
  const tpl = entry({
    flags: CONN_F.TEMPLATE | FWD.DROUTE,
    cport: 0,
    vport: 443,
    dport: 443,
    state: 1,
    timeoutS: 360,
  });
  const t = idxOf(applySyncEntry(d, tpl, 0));
  const c = idxOf(applySyncEntry(d, entry({ vport: 443, dport: 443 }), 0));
  assert.notEqual(t, c);
  assert.ok(d.conns.flagsOf(t) & CONN_F.TEMPLATE);
  assert.equal(d.conns.findTemplate(4, PROTO.TCP, w4(C1), w4(V), 443), t);
  assert.deepEqual([a.persistConns, a.activeConns], [1, 1]);
  // The template entry again is an update of the same template, not a second one.
  assert.equal(applySyncEntry(d, tpl, 1000).kind, 'updated');
  assert.equal(a.persistConns, 1);
  const rows = connViews(d, 0);
  assert.equal(rows.filter((v) => v.template).length, 1);
  assert.equal(rows.find((v) => v.template)?.state, 'ASSURED');
});

test('FULLNAT: the backup reserves the local address and port the master chose', () => {
  const { d } = backup(FWD.FULLNAT);
  const laddr = w4(0xc0000264);
  const i = idxOf(applySyncEntry(d, entry({ local: { laddr, lport: 40001 } }), 0));
  const out = new Uint32Array(4);
  assert.equal(d.conns.readLocal(i, out), 40001);
  assert.equal(out[0], 0xc0000264);
  assert.equal(d.conns.findOutLocal(PROTO.TCP, w4(D1), 80, laddr, 40001), i, 'replies find it');
  // Another client given the same reply tuple by the master: the older holder is stale and goes.
  const j = idxOf(applySyncEntry(d, entry({ caddr: w4(C1 + 1), local: { laddr, lport: 40001 } }), 1));
  assert.equal(d.conns.kind(i), KIND.FREE);
  assert.equal(d.conns.findOutLocal(PROTO.TCP, w4(D1), 80, laddr, 40001), j);
});

test('what a master sends, a backup applies to the same conn', () => {
  const { d: m } = backup(FWD.DROUTE);
  const i = m.conns.create(4, PROTO.TCP, w4(C1), 40000, w4(V), 80, 4, w4(D2), 80, FWD.DROUTE, 0, -1, -1, 0);
  m.conns.setState(i, TCP_S.ESTABLISHED);
  m.conns.setTimeoutSecs(i, 900);
  const e = connToSyncEntry(m, i) as SyncConnEntry;
  const { d: b, b: rs2 } = backup(FWD.DROUTE);
  const j = idxOf(applySyncEntry(b, e, 0));
  const [mv] = connViews(m, 0);
  const [bv] = connViews(b, 0);
  assert.deepEqual(
    [bv?.caddr, bv?.cport, bv?.vaddr, bv?.vport, bv?.daddr, bv?.dport, bv?.state],
    [mv?.caddr, mv?.cport, mv?.vaddr, mv?.vport, mv?.daddr, mv?.dport, mv?.state],
  );
  assert.equal(b.conns.destOf(j), rs2.id);
});

test('entries the kernel skips are ignored with a reason and change nothing', () => {
  const cases: [Partial<SyncConnEntry>, string][] = [
    [{ protocol: 1 }, 'protocol'],
    [{ state: 11 }, 'state'],
    [{ peData: Uint8Array.of(1), peName: 'sip' }, 'pe'],
    [{ flags: CONN_F.TEMPLATE, cport: 5 }, 'template-cport'],
  ];
  for (const [over, reason] of cases) {
    const { d } = backup();
    assert.deepEqual(applySyncEntry(d, entry(over), 0), { kind: 'ignored', reason });
    assert.equal(d.conns.count, 0);
  }
});

test('conn_max bounds synced entries too: a new one past it is ignored as table-full, updates still apply', () => {
  const { d } = backup(FWD.DROUTE);
  d.setSysctl('conn_max', 2);
  assert.equal(applySyncEntry(d, entry({ cport: 1 }), 1000).kind, 'created');
  assert.equal(applySyncEntry(d, entry({ cport: 2 }), 1000).kind, 'created');
  const r = applySyncEntry(d, entry({ cport: 3 }), 1000);
  assert.deepEqual(r.kind === 'ignored' ? r.reason : r.kind, 'table-full');
  assert.equal(d.conns.count, 2);
  assert.equal(applySyncEntry(d, entry({ cport: 1, state: TCP_S.FIN_WAIT }), 1000).kind, 'updated');
});
