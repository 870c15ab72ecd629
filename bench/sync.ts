/**
 * `npm run bench:sync [-- --conns N --runs N]`: the cost of connection synchronisation (issue 14),
 * in process, no network.
 * - Master: N new TCP conns (DR service, 4 real servers), each driven SYN, ACK, ACK so it reaches
 *   ESTABLISHED at sync_threshold (3) packets and the SyncMaster sends it into a
 *   SyncMessageBuilder (default maxLen 1472). The same drive runs without the master; the CPU time
 *   difference per conn is the sync step's cost. Also: datagrams per 1,000 new conns.
 * - Backup: every datagram parsed (parseSyncDatagram) and every entry applied (applySyncEntry) on
 *   a fresh director with the same service: conns applied per second on one core.
 * Each figure is the median of --runs runs (default 5), CPU time (user + system), because the
 * machine is shared. Prints a table and writes bench/results/sync.json.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Director, PacketInfo } from '../src/core/director.js';
import { findScheduler } from '../src/core/schedulers/index.js';
import { FWD, PROTO, type ServiceKey } from '../src/core/types.js';
import { applySyncEntry } from '../src/sync/sync-backup.js';
import { SYNC_DEFAULT_MAXLEN, SyncMessageBuilder } from '../src/sync/sync-builder.js';
import { parseSyncDatagram } from '../src/sync/sync-datagram.js';
import { SyncMaster } from '../src/sync/sync-master.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} wants a positive integer`);
  return v;
}
const CONNS = arg('--conns', 100_000);
const RUNS = arg('--runs', 5);
/** Issue 14's target for the backup. */
const TARGET = { backupAppliedPerSec: 100_000 };

const VIP = 0xcb00710a; // 203.0.113.10
const KEY: ServiceKey = { kind: 'addr', af: 4, protocol: PROTO.TCP, addr: '203.0.113.10', port: 80 };
const SYNC_ID = 1;
const SYN = 0x02;
const ACK = 0x10;

/** A director with one TCP DR service and four real servers (the same on master and backup). */
function director(n: number): Director {
  const d = new Director({ schedulers: findScheduler, initialCapacity: n });
  d.table.addService(KEY, { scheduler: 'rr', flags: 0, timeout: 0, netmask: '255.255.255.255', pe: '' });
  for (let r = 1; r <= 4; r++)
    d.table.addDest(KEY, {
      addr: `198.51.100.${r}`,
      port: 80,
      af: 4,
      fwd: FWD.DROUTE,
      weight: 1,
      uThreshold: 0,
      lThreshold: 0,
      tunType: 0,
      tunPort: 0,
      tunFlags: 0,
    });
  return d;
}

// Conn i's client: 192.0.2.1..254, 254 conns per source port from 1024 up (distinct tuples).
const clientOf = (i: number): number => (0xc0000201 + (i % 254)) >>> 0;
const cportOf = (i: number): number => 1024 + Math.floor(i / 254);

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const gc = (): void => {
  const g = (globalThis as { gc?: () => void }).gc;
  for (let k = 0; k < 3; k++) g?.();
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

interface MasterRun {
  ms: number;
  /** CPU ms of the sync step alone, replayed on the driven table (0 without sync). */
  replayMs: number;
  datagrams: Uint8Array[];
  sent: number;
}

/**
 * Drives CONNS new conns through SYN, ACK, ACK on a fresh director; with `sync`, a SyncMaster
 * after every packet (as src/engine/ip-path.ts calls it) feeding a SyncMessageBuilder.
 */
function masterRun(sync: boolean, n = CONNS): MasterRun {
  const d = director(n);
  const datagrams: Uint8Array[] = [];
  const builder = new SyncMessageBuilder({ syncId: SYNC_ID, maxLen: SYNC_DEFAULT_MAXLEN });
  const sm = sync
    ? new SyncMaster(d, {
        add(e) {
          const done = builder.add(e);
          if (done) datagrams.push(done);
        },
      })
    : null;
  const p = new PacketInfo();
  p.protocol = PROTO.TCP;
  p.af = 4;
  p.srcAddr = Uint8Array.of(192, 0, 2, 0);
  p.dstAddr = Uint8Array.of(203, 0, 113, 10);
  p.dstPort = 80;
  p.tcpFlags = SYN;
  p.length = 60;
  const now = 1000;
  gc();
  const t0 = cpuMs();
  for (let i = 0; i < n; i++) {
    const c = clientOf(i);
    const cport = cportOf(i);
    p.srcAddr[3] = c & 0xff;
    p.srcPort = cport;
    let idx = d.inPacket(p, now);
    if (sm !== null) sm.onPacket(idx, now);
    idx = d.inPacket4(PROTO.TCP, c | 0, cport, VIP | 0, 80, ACK, 52, now);
    if (sm !== null) sm.onPacket(idx, now);
    idx = d.inPacket4(PROTO.TCP, c | 0, cport, VIP | 0, 80, ACK, 52, now);
    if (sm !== null) sm.onPacket(idx, now);
  }
  if (sm !== null) {
    // The 2-second flush of the last, partly filled message.
    const last = builder.flush();
    if (last) datagrams.push(last);
  }
  const ms = cpuMs() - t0;
  assert.equal(d.conns.count, n, 'master table holds every conn');
  const sent = sm?.counters.sent ?? 0;
  return { ms, replayMs: sync ? replay(d, n) : 0, datagrams, sent };
}

/**
 * The sync step alone: a fresh SyncMaster and builder over the driven table, one onPacket per conn
 * (each ESTABLISHED at in_pkts 3, so each is decided, turned into an entry and written).
 */
function replay(d: Director, n: number): number {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = d.conns.findIn4(PROTO.TCP, clientOf(i) | 0, cportOf(i), VIP | 0, 80);
  const builder = new SyncMessageBuilder({ syncId: SYNC_ID, maxLen: SYNC_DEFAULT_MAXLEN });
  let dgs = 0;
  const sm = new SyncMaster(d, {
    add(e) {
      if (builder.add(e)) dgs++;
    },
  });
  const now = 1000;
  gc();
  const t0 = cpuMs();
  for (let i = 0; i < n; i++) sm.onPacket(idx[i] as number, now);
  if (builder.flush()) dgs++;
  const ms = cpuMs() - t0;
  assert.equal(sm.counters.sent, n, 'replay sent every conn');
  assert.ok(dgs > 0);
  return ms;
}

/** Parses and applies every datagram on a fresh backup director; CPU ms. */
function backupRun(datagrams: Uint8Array[], n = CONNS): number {
  const b = director(n);
  let applied = 0;
  const now = 1000;
  gc();
  const t0 = cpuMs();
  for (const dg of datagrams) {
    const r = parseSyncDatagram(dg, SYNC_ID);
    if (r.dropped !== undefined || r.skippedEntries.length > 0)
      throw new Error(`datagram dropped: ${r.dropped}`);
    for (const e of r.entries) {
      const a = applySyncEntry(b, e, now);
      if (a.kind !== 'created') throw new Error(`entry not created: ${JSON.stringify(a)}`);
      applied++;
    }
  }
  const ms = cpuMs() - t0;
  assert.equal(applied, n, 'backup applied every conn');
  assert.equal(b.conns.count, n, 'backup table holds every conn');
  return ms;
}

const fmt = (x: number) => Math.round(x).toLocaleString('en');

function main(): void {
  console.log(
    `bench:sync — ${fmt(CONNS)} conns, ${RUNS} runs per figure, medians of CPU time; ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
  );
  // One untimed round first, so every run measures JIT-compiled code.
  const warm = Math.min(CONNS, 20_000);
  masterRun(false, warm);
  backupRun(masterRun(true, warm).datagrams, warm);
  const plain: number[] = [];
  const synced: number[] = [];
  const replayed: number[] = [];
  const backup: number[] = [];
  let datagrams: Uint8Array[] = [];
  let sent = 0;
  for (let r = 0; r < RUNS; r++) {
    // Alternate the order so JIT warm-up and heap growth do not favour one side.
    let m: MasterRun;
    if (r % 2 === 0) {
      plain.push(masterRun(false).ms);
      m = masterRun(true);
    } else {
      m = masterRun(true);
      plain.push(masterRun(false).ms);
    }
    synced.push(m.ms);
    replayed.push(m.replayMs);
    datagrams = m.datagrams;
    sent = m.sent;
    assert.equal(sent, CONNS, 'master sent every conn once');
    backup.push(backupRun(datagrams));
  }
  const plainMs = median(plain);
  const syncedMs = median(synced);
  const backupMs = median(backup);
  const perConnNs = (ms: number) => (ms * 1e6) / CONNS;
  const syncNs = median(synced.map((s, i) => perConnNs(s - (plain[i] as number))));
  const bytes = datagrams.reduce((a, d) => a + d.length, 0);
  const result = {
    conns: CONNS,
    masterNsPerConnWithoutSync: perConnNs(plainMs),
    masterNsPerConnWithSync: perConnNs(syncedMs),
    syncNsPerConn: syncNs,
    syncStepNsPerConn: perConnNs(median(replayed)),
    datagrams: datagrams.length,
    datagramsPer1000Conns: (datagrams.length * 1000) / CONNS,
    bytesPerConn: bytes / CONNS,
    backupAppliedPerSec: CONNS / (backupMs / 1000),
    backupNsPerConn: perConnNs(backupMs),
  };
  console.table({
    master: {
      'ns/conn no sync': result.masterNsPerConnWithoutSync.toFixed(0),
      'ns/conn with sync': result.masterNsPerConnWithSync.toFixed(0),
      'sync ns/conn (difference)': result.syncNsPerConn.toFixed(0),
      'sync step alone ns/conn': result.syncStepNsPerConn.toFixed(0),
      'datagrams/1k conns': result.datagramsPer1000Conns.toFixed(1),
      'payload B/conn': result.bytesPerConn.toFixed(1),
    },
  });
  console.table({
    backup: {
      'conns applied/s': fmt(result.backupAppliedPerSec),
      'ns/conn': result.backupNsPerConn.toFixed(0),
      [`≥${fmt(TARGET.backupAppliedPerSec)}/s`]:
        result.backupAppliedPerSec >= TARGET.backupAppliedPerSec ? 'met' : 'MISSED',
    },
  });
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const out = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model,
    runs: RUNS,
    maxLen: SYNC_DEFAULT_MAXLEN,
    targets: TARGET,
    result,
    raw: { plainMs: plain, syncedMs: synced, syncStepMs: replayed, backupMs: backup },
  };
  writeFileSync(new URL('./results/sync.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
  console.log('\nwrote bench/results/sync.json');
}

main();
