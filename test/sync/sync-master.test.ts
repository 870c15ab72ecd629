import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONN_F } from '../../src/core/conn-table.js';
import type { Director } from '../../src/core/director.js';
import { SCTP_S } from '../../src/core/proto/sctp.js';
import { TCP_S } from '../../src/core/proto/tcp.js';
import { FWD, PROTO } from '../../src/core/types.js';
import type { SyncConnEntry } from '../../src/sync/sync-entry.js';
import {
  connToSyncEntry,
  masterThreadOf,
  SyncBook,
  SyncMaster,
  syncNeeded,
} from '../../src/sync/sync-master.js';
import { F, pkt, testDirector } from '../core/director/helpers.js';
import { destConfig, svcConfig, tcp } from '../helpers/table.js';

const VIP = '203.0.113.10';
const RS = '198.51.100.1';
const w4 = (a: number) => Uint32Array.of(a, 0, 0, 0);
const C = w4(0xc0000201); // 192.0.2.1
const V = w4(0xcb00710a); // 203.0.113.10
const D = w4(0xc6336401); // 198.51.100.1

/** A collecting sink: the fake of the message builder. */
class Sink {
  readonly entries: SyncConnEntry[] = [];
  add(e: SyncConnEntry): void {
    this.entries.push(e);
  }
}

// A bare conn in `state` with `flags`, made directly in the table (no dest) for decision tables.
function conn(d: Director, proto: number, state: number, flags = 0, af: 4 | 6 = 4): number {
  const six = Uint32Array.of(0x20010db8, 0, 0, 1);
  const i = d.conns.create(
    af,
    proto,
    af === 6 ? six : C,
    1000,
    af === 6 ? six : V,
    80,
    af,
    af === 6 ? six : D,
    80,
    flags,
    0,
    -1,
    -1,
    0,
  );
  d.conns.setState(i, state);
  d.conns.setTimeoutSecs(i, 900);
  return i;
}

function decide(d: Director, i: number, pkts: number, now = 0, book = new SyncBook()): boolean {
  return syncNeeded(d.conns, d.settings, book, i, pkts, now);
}

test('sync-needed: each rule of ip_vs_sync_conn_needed, one case each', () => {
  const cases: { name: string; proto: number; state: number; flags?: number; pkts: number; want: boolean }[] =
    [
      {
        name: 'TCP ESTABLISHED at the threshold packet',
        proto: PROTO.TCP,
        state: TCP_S.ESTABLISHED,
        pkts: 3,
        want: true,
      },
      {
        name: 'TCP ESTABLISHED off the threshold',
        proto: PROTO.TCP,
        state: TCP_S.ESTABLISHED,
        pkts: 4,
        want: false,
      },
      { name: 'TCP threshold + period', proto: PROTO.TCP, state: TCP_S.ESTABLISHED, pkts: 53, want: true },
      { name: 'TCP SYN_RECV is never synced', proto: PROTO.TCP, state: TCP_S.SYN_RECV, pkts: 3, want: false },
      {
        name: 'TCP FIN_WAIT (a change from 0) is forced',
        proto: PROTO.TCP,
        state: TCP_S.FIN_WAIT,
        pkts: 7,
        want: true,
      },
      { name: 'TCP TIME_WAIT forced', proto: PROTO.TCP, state: TCP_S.TIME_WAIT, pkts: 8, want: true },
      { name: 'TCP CLOSE_WAIT forced', proto: PROTO.TCP, state: TCP_S.CLOSE_WAIT, pkts: 9, want: true },
      { name: 'TCP CLOSE forced', proto: PROTO.TCP, state: TCP_S.CLOSE, pkts: 10, want: true },
      { name: 'TCP LAST_ACK is never synced', proto: PROTO.TCP, state: TCP_S.LAST_ACK, pkts: 3, want: false },
      {
        name: 'SCTP ESTABLISHED at the threshold',
        proto: PROTO.SCTP,
        state: SCTP_S.ESTABLISHED,
        pkts: 3,
        want: true,
      },
      {
        name: 'SCTP COOKIE_ECHOED is never synced',
        proto: PROTO.SCTP,
        state: SCTP_S.COOKIE_ECHOED,
        pkts: 3,
        want: false,
      },
      {
        name: 'SCTP SHUTDOWN_SENT forced',
        proto: PROTO.SCTP,
        state: SCTP_S.SHUTDOWN_SENT,
        pkts: 11,
        want: true,
      },
      { name: 'UDP at the threshold', proto: PROTO.UDP, state: 0, pkts: 3, want: true },
      { name: 'UDP off the threshold', proto: PROTO.UDP, state: 0, pkts: 5, want: false },
      {
        name: 'template skips the packet test',
        proto: PROTO.TCP,
        state: 0,
        flags: CONN_F.TEMPLATE,
        pkts: 7,
        want: true,
      },
    ];
  for (const c of cases) {
    const d = testDirector();
    const i = conn(d, c.proto, c.state, c.flags ?? 0);
    assert.equal(decide(d, i, c.pkts), c.want, c.name);
  }
});

test('sync-needed: a state change into ESTABLISHED still obeys the packet test', () => {
  const d = testDirector();
  const i = conn(d, PROTO.TCP, TCP_S.ESTABLISHED);
  assert.equal(decide(d, i, 2), false);
});

test('sync-needed: with sync_period 0 and no refresh period only the threshold packet is sent', () => {
  const d = testDirector();
  d.setSysctl('sync_period', 0);
  const i = conn(d, PROTO.TCP, TCP_S.ESTABLISHED);
  const book = new SyncBook();
  assert.equal(decide(d, i, 3, 0, book), true);
  assert.equal(decide(d, i, 53, 0, book), false);
  // Templates too: only pkts == threshold.
  const t = conn(d, PROTO.TCP, 0, CONN_F.TEMPLATE);
  assert.equal(decide(d, t, 4), false);
  assert.equal(decide(d, t, 3), true);
});

test('sync-needed: sync_persist_mode 1 skips conns a template controls, not the template', () => {
  const d = testDirector();
  d.setSysctl('sync_persist_mode', 1);
  const t = conn(d, PROTO.TCP, 0, CONN_F.TEMPLATE);
  const i = d.conns.create(4, PROTO.TCP, w4(0xc0000202), 5, V, 80, 4, D, 80, 0, 0, -1, -1, 0);
  d.conns.setState(i, TCP_S.ESTABLISHED);
  d.conns.setControl(i, t);
  assert.equal(decide(d, i, 3), false);
  assert.equal(decide(d, t, 3), true);
  d.setSysctl('sync_persist_mode', 0);
  assert.equal(decide(d, i, 3), true);
});

test('the master never sends one-packet conns, nor IPv6 conns with sync_version 0', () => {
  const d = testDirector();
  const sink = new Sink();
  const m = new SyncMaster(d, sink);
  const ops = conn(d, PROTO.UDP, 0, CONN_F.ONE_PACKET);
  m.onPacket(ops, 0);
  assert.equal(sink.entries.length, 0, 'OPS');
  const v6 = conn(d, PROTO.UDP, 0, 0, 6);
  d.conns.setInPkts(v6, 3);
  d.setSysctl('sync_version', 0);
  m.onPacket(v6, 0);
  assert.equal(sink.entries.length, 0, 'IPv6 under version 0');
  d.setSysctl('sync_version', 1);
  m.onPacket(v6, 0);
  assert.equal(sink.entries.length, 1, 'IPv6 under version 1');
  assert.equal(sink.entries[0]?.af, 6);
});

test('a conn whose dest family differs from its own is never sent, only counted (a sync entry has one family)', () => {
  // Such conns can only outlive their dest: sync refuses to start while a mixed-family dest
  // exists, and refuses the dest while sync runs (ip_vs_ctl.c; test/daemon/sync-mixed-family).
  const d = testDirector();
  const sink = new Sink();
  const m = new SyncMaster(d, sink);
  const i = d.conns.create(
    4,
    PROTO.TCP,
    C,
    1000,
    V,
    80,
    6,
    Uint32Array.of(0x20010db8, 0, 0, 0x20),
    80,
    0,
    0,
    -1,
    -1,
    0,
  );
  d.conns.setState(i, TCP_S.ESTABLISHED);
  d.conns.setTimeoutSecs(i, 900);
  d.conns.setInPkts(i, 3);
  assert.equal(connToSyncEntry(d, i), undefined);
  m.onPacket(i, 0);
  assert.deepEqual(sink.entries, []);
  assert.deepEqual(m.counters, { sent: 0, unrepresentable: 1 });
});

function natDirector() {
  const d = testDirector();
  d.table.addService(tcp(VIP, 80), svcConfig());
  const dest = d.table.addDest(tcp(VIP, 80), destConfig(RS, 8080, { fwd: FWD.MASQ }));
  return { d, dest };
}

test('the master sends a TCP conn at packets 3, 53, 103 and on its change out of ESTABLISHED', () => {
  const { d } = natDirector();
  const sink = new Sink();
  const m = new SyncMaster(d, sink);
  const sentAt: number[] = [];
  let idx = -1;
  for (let k = 1; k <= 110; k++) {
    const flags = k === 1 ? F.SYN : k === 60 ? F.FIN | F.ACK : F.ACK;
    if (k === 2) d.outPacket(pkt('tcp', RS, 8080, '192.0.2.1', 4000, { flags: F.SYN | F.ACK }), k);
    idx = d.inPacket(pkt('tcp', '192.0.2.1', 4000, VIP, 80, { flags }), k);
    const before = sink.entries.length;
    m.onPacket(idx, k);
    if (sink.entries.length > before) sentAt.push(k);
  }
  assert.deepEqual(sentAt, [3, 53, 60, 103]);
  const e = sink.entries[3] as SyncConnEntry;
  assert.equal(e.state, d.conns.stateOf(idx));
});

test('the master sends the conn entry with flags minus HASHED, the timeout in seconds and the dest', () => {
  const { d } = natDirector();
  const sink = new Sink();
  const m = new SyncMaster(d, sink);
  let idx = d.inPacket(pkt('tcp', '192.0.2.1', 4000, VIP, 80, { flags: F.SYN }), 0);
  d.outPacket(pkt('tcp', RS, 8080, '192.0.2.1', 4000, { flags: F.SYN | F.ACK }), 0);
  m.onPacket(idx, 0);
  idx = d.inPacket(pkt('tcp', '192.0.2.1', 4000, VIP, 80, { flags: F.ACK }), 1);
  m.onPacket(idx, 1);
  idx = d.inPacket(pkt('tcp', '192.0.2.1', 4000, VIP, 80, { flags: F.ACK }), 2);
  m.onPacket(idx, 2);
  assert.equal(sink.entries.length, 1);
  const e = sink.entries[0] as SyncConnEntry;
  assert.equal(e.flags & CONN_F.HASHED, 0);
  assert.equal(e.flags & CONN_F.FWD_MASK, FWD.MASQ);
  assert.equal(e.state, TCP_S.ESTABLISHED);
  assert.equal(e.timeoutS, 900);
  assert.deepEqual(
    [e.caddr[0], e.cport, e.vaddr[0], e.vport, e.daddr[0], e.dport],
    [0xc0000201, 4000, 0xcb00710a, 80, 0xc6336401, 8080],
  );
  assert.equal(e.fwmark, 0);
  assert.equal(e.local, undefined);
});

test('a conn entry carries the fwmark of its service and a FULLNAT local address', () => {
  const d = testDirector();
  const key = { kind: 'fwmark', af: 4, fwmark: 7 } as const;
  d.table.addService(key, svcConfig());
  const dest = d.table.addDest(key, destConfig(RS, 0, { fwd: FWD.FULLNAT }));
  const i = d.conns.create(4, PROTO.TCP, C, 1000, V, 80, 4, D, 80, 0, 0, dest.id, -1, 0);
  d.conns.setLocal(i, w4(0xc0000264), 40001);
  const e = connToSyncEntry(d, i) as SyncConnEntry;
  assert.equal(e.fwmark, 7);
  assert.equal(e.local?.lport, 40001);
  assert.equal(e.local?.laddr[0], 0xc0000264);
});

test('each conn packet also considers its template, which counts the packet in its own in_pkts', () => {
  const d = testDirector();
  d.table.addService(tcp(VIP, 443), svcConfig({ flags: 1, timeout: 360 }));
  d.table.addDest(tcp(VIP, 443), destConfig(RS, 443, { fwd: FWD.DROUTE }));
  const sink = new Sink();
  const m = new SyncMaster(d, sink);
  const idx = d.inPacket(pkt('tcp', '192.0.2.1', 4000, VIP, 443, { flags: F.SYN }), 0);
  const t = d.conns.ctl[idx] as number;
  assert.ok(t >= 0);
  m.onPacket(idx, 0);
  // SYN_RECV conns are not sent; the template (no packet test) is, with its in_pkts counted.
  assert.equal(sink.entries.length, 1);
  assert.ok((sink.entries[0]?.flags ?? 0) & CONN_F.TEMPLATE);
  assert.equal(sink.entries[0]?.timeoutS, 360);
  assert.equal(d.conns.inPktsOf(t), 1);
  m.onPacket(d.inPacket(pkt('tcp', '192.0.2.1', 4000, VIP, 443, { flags: F.ACK }), 1), 1);
  assert.equal(d.conns.inPktsOf(t), 2);
});

test('the master hands the sink each entry with its conn index, the template with its own', () => {
  const d = testDirector();
  d.table.addService(tcp(VIP, 443), svcConfig({ flags: 1, timeout: 360 }));
  d.table.addDest(tcp(VIP, 443), destConfig(RS, 443, { fwd: FWD.DROUTE }));
  const got: { cport: number; conn: number | undefined }[] = [];
  const m = new SyncMaster(d, { add: (e, _now, c) => got.push({ cport: e.cport, conn: c }) });
  const idx = d.inPacket(pkt('tcp', '192.0.2.1', 4000, VIP, 443, { flags: F.SYN }), 0);
  const t = d.conns.ctl[idx] as number;
  d.conns.setState(idx, TCP_S.FIN_WAIT);
  m.onPacket(idx, 0);
  assert.deepEqual(got, [
    { cport: 4000, conn: idx },
    { cport: 0, conn: t },
  ]);
});

test('masterThreadOf (select_master_thread_id): the conn index masked by the thread count, thread 0 without threads or a conn', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 1027].map((c) => masterThreadOf(c, 4)),
    [0, 1, 2, 3, 0, 1, 3],
  );
  assert.deepEqual(
    [0, 1, 63, 64, 100].map((c) => masterThreadOf(c, 64)),
    [0, 1, 63, 0, 36],
  );
  assert.equal(masterThreadOf(5, 1), 0);
  assert.equal(masterThreadOf(undefined, 8), 0);
  assert.equal(masterThreadOf(-1, 8), 0);
  // A conn keeps its thread; 1000 consecutive conns fill 8 threads evenly.
  const per = new Array<number>(8).fill(0);
  for (let c = 0; c < 1000; c++) per[masterThreadOf(c, 8)]!++;
  assert.deepEqual(per, new Array<number>(8).fill(125));
});

test('sync_refresh_period holds re-sends back until the expiry moved that far, sync_retries re-sends in between', () => {
  const d = testDirector();
  d.setSysctl('sync_period', 0);
  d.setSysctl('sync_refresh_period', 10);
  const i = conn(d, PROTO.UDP, 0);
  d.conns.setTimeoutSecs(i, 900);
  const book = new SyncBook();
  book.reset(i, 0);
  const at = (now: number) => decide(d, i, 100, now, book);
  assert.equal(at(0), true, 'first: the expiry moved 900 s since creation');
  assert.equal(at(5_000), false, 'moved 5 s < 10 s and no retries allowed');
  assert.equal(at(10_000), true, 'moved 10 s');
  d.setSysctl('sync_retries', 2);
  assert.equal(at(10_500), false, 'a retry waits refresh/8 = 1.25 s');
  assert.equal(at(11_300), true, 'retry 1');
  assert.equal(book.retries[i], 1);
  assert.equal(at(12_000), false, 'retry 2 waits 1.25 s after retry 1');
  assert.equal(at(12_600), true, 'retry 2');
  assert.equal(at(15_000), false, 'retries used up');
  assert.equal(at(22_600), true, 'moved 10 s since the last send');
  assert.equal(book.retries[i], 0);
});

test('with sync_version 0 the template goes only with a conn that was sent (ip_vs_sync_conn_v0)', () => {
  const d = testDirector();
  d.setSysctl('sync_version', 0);
  d.table.addService(tcp(VIP, 443), svcConfig({ flags: 1, timeout: 360 }));
  d.table.addDest(tcp(VIP, 443), destConfig(RS, 443, { fwd: FWD.DROUTE }));
  const sink = new Sink();
  const m = new SyncMaster(d, sink);
  let idx = -1;
  for (let k = 1; k <= 3; k++) {
    idx = d.inPacket(pkt('tcp', '192.0.2.1', 4000, VIP, 443, { flags: k === 1 ? F.SYN : F.ACK }), k);
    m.onPacket(idx, k);
  }
  const tpl = (e: SyncConnEntry) => (e.flags & CONN_F.TEMPLATE) !== 0;
  assert.deepEqual(
    sink.entries.map(tpl),
    [false, true],
    'nothing for packets 1 and 2; the conn at 3, then its template',
  );
});

test('a template re-armed at expiry is considered again with pkts = sync_threshold', () => {
  const d = testDirector();
  d.setSysctl('sync_period', 0);
  const sink = new Sink();
  const m = new SyncMaster(d, sink);
  const t = conn(d, PROTO.TCP, 0, CONN_F.TEMPLATE);
  m.onRearm(t, 60_000);
  assert.equal(sink.entries.length, 1);
});
