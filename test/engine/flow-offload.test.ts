/**
 * The engine's half of the XDP flow offload (engine/flow-offload.ts) on an in-memory map: which
 * conns are installed, that every path that ends or changes a conn takes its entry back, that
 * the program's counters fold into the same stats the engine would have counted, that timers
 * follow the program's last-seen time, and that a flood never grows the map past its bound.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KIND } from '../../src/core/conn-table.js';
import { FakeFlowMap } from '../../src/engine/fake-flow-map.js';
import { FLOW_KIND, FLOW_V, FLOW_VALUE_BYTES } from '../../src/engine/flow-value.js';
import { SyncMaster, type SyncSink } from '../../src/sync/sync-master.js';
import { lab, RS1, run, VIP } from './lab.js';
import { establish, flowKey, offloadLab, rules, seg, T0 } from './offload-lab.js';

const ip4 = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const SPORT = 40000;

function installedLab(maxEntries = 1024) {
  const map = new FakeFlowMap(maxEntries);
  const l = offloadLab(map, maxEntries);
  establish(l.sim, SPORT);
  l.off.flush(T0);
  return { ...l, map };
}

describe('XDP flow offload: installs', () => {
  it('installs an ESTABLISHED DR conn after the batch, keyed by its 5-tuple, with the cached MACs', () => {
    const { map, off } = installedLab();
    assert.deepEqual([...map.entries.keys()], [hex(flowKey(SPORT))]);
    const v = [...map.entries.values()][0]!;
    // RS1's MAC, then the director's, as the engine's DR output writes them.
    assert.equal(hex(v.subarray(0, 12)), '02000000000a020000000001');
    assert.equal(new DataView(v.buffer).getUint32(12, true), 1, 'egress ifindex');
    assert.equal(new DataView(v.buffer).getUint32(16, true), 1500, 'path MTU');
    assert.equal(off.counters.installs, 1);
  });

  it('does not install before the batch is flushed, nor a conn that only sent a SYN', () => {
    const map = new FakeFlowMap(16);
    const { sim, off } = offloadLab(map);
    run(sim, seg(SPORT, 'S'));
    off.flush(T0);
    assert.equal(map.entries.size, 0);
    run(sim, seg(SPORT, 'A'));
    assert.equal(map.entries.size, 0, 'queued only');
    // The plane loop's end-of-batch call.
    sim.engine.afterBatch(T0);
    assert.equal(map.entries.size, 1);
  });

  it('leaves tunnel and FULLNAT conns to the engine', () => {
    const map = new FakeFlowMap(16);
    const { sim, off } = offloadLab(map);
    for (const port of [82, 84, 85]) establish(sim, SPORT, T0, port);
    off.flush(T0);
    assert.equal(map.entries.size, 0);
  });

  it("installs a NAT conn's requests with its destination rewrite (VIP:80 -> RS1:8080)", () => {
    const map = new FakeFlowMap(16);
    const { sim, off } = offloadLab(map);
    establish(sim, SPORT, T0, 80);
    off.flush(T0);
    assert.equal(map.entries.size, 1);
    const v = new Uint8Array(FLOW_VALUE_BYTES);
    assert.equal(map.lookup(flowKey(SPORT, 80), v), 0);
    const w = new DataView(v.buffer);
    assert.equal(v[FLOW_V.KIND], FLOW_KIND.NAT_DST);
    assert.equal(ip4(w.getUint32(FLOW_V.ADDR)), RS1);
    assert.equal(w.getUint16(FLOW_V.PORT), 8080);
  });

  it('leaves a NAT conn bound to the FTP helper to the engine (its segments need seq adjustment)', () => {
    const map = new FakeFlowMap(16);
    const { sim, off } = offloadLab(map);
    // As `--ftp-ports 80`: port-80 conns get the helper (CONN_F.APP), which XDP cannot run.
    sim.director.conns.app.setPorts([80]);
    establish(sim, SPORT, T0, 80);
    off.flush(T0);
    assert.equal(map.entries.size, 0);
  });

  it('pauses while a sync master runs (offloaded segments could not be resynced), and resumes after', () => {
    const { map, sim, off } = installedLab();
    assert.equal(map.entries.size, 1);
    const sink: SyncSink = { add: () => {} };
    const master = new SyncMaster(sim.director, sink);
    sim.engine.setSyncMaster(master);
    assert.equal(map.entries.size, 0, 'the installed conn is handed back to the engine');
    establish(sim, SPORT + 1);
    run(sim, seg(SPORT + 1, 'A'));
    off.flush(T0);
    assert.equal(map.entries.size, 0, 'nothing new is installed while the master runs');
    sim.engine.setSyncMaster(null);
    run(sim, seg(SPORT + 1, 'A'));
    off.flush(T0);
    assert.equal(map.entries.size, 1);
  });

  it('a flood of new flows never grows the map past its bound, and refusals are counted', () => {
    const map = new FakeFlowMap(8);
    const { sim, off } = offloadLab(map, 8);
    for (let i = 0; i < 100; i++) {
      establish(sim, 20000 + i);
      off.flush(T0);
      assert.ok(map.entries.size <= 8);
    }
    assert.equal(map.entries.size, 8);
    assert.equal(off.counters.refused, 92);
    // A refused conn is not offered again on every segment.
    run(sim, seg(20099, 'A'));
    off.flush(T0);
    assert.equal(off.counters.refused, 92);
  });
});

describe('XDP flow offload: every path that ends a conn empties the map', () => {
  it('FIN seen by the slow path', () => {
    const { sim, map } = installedLab();
    run(sim, seg(SPORT, 'FA'));
    assert.equal(map.entries.size, 0);
  });

  it('RST seen by the slow path', () => {
    const { sim, map } = installedLab();
    run(sim, seg(SPORT, 'R'));
    assert.equal(map.entries.size, 0);
  });

  it('expiry of an idle conn', () => {
    const { sim, map, off } = installedLab();
    sim.director.tick(T0 + 901_000);
    assert.equal(map.entries.size, 0);
    assert.equal(off.size, 0);
  });

  it('real-server deletion (the sweep hands the conn back to the slow path)', () => {
    const { sim, map, off } = installedLab();
    rules(sim, `-d -t ${VIP}:81 -r ${RS1}:81`);
    off.sweep(T0 + 1000, 0);
    assert.equal(map.entries.size, 0);
  });

  it('real-server deletion with expire_nodest_conn: the next segment expires the conn', () => {
    const { sim, map, off } = installedLab();
    sim.director.setSysctl('expire_nodest_conn', 1);
    rules(sim, `-d -t ${VIP}:81 -r ${RS1}:81`);
    off.sweep(T0 + 1000, 0);
    assert.equal(map.entries.size, 0);
    const r = run(sim, seg(SPORT, 'A', { payload: 10 }), 0, T0 + 1000);
    assert.equal(r.tx.length, 0);
  });

  it("weight 0 keeps the entry: the kernel keeps forwarding a quiescent dest's conns", () => {
    const { sim, map, off } = installedLab();
    rules(sim, `-e -t ${VIP}:81 -r ${RS1}:81 -g -w 0`);
    off.sweep(T0 + 1000, 0);
    assert.equal(map.entries.size, 1);
  });

  it('a conn killed by the table (drop_entry, flush) and clear()', () => {
    const { sim, map, off } = installedLab();
    const conns = sim.director.conns;
    let idx = -1;
    for (let i = 0; i < conns.capacity; i++)
      if (conns.kind(i) === KIND.LIVE && conns.vport[i] === 81) idx = i;
    conns.kill(idx);
    assert.equal(map.entries.size, 0);
    establish(sim, SPORT + 1);
    off.flush(T0);
    assert.equal(map.entries.size, 1);
    sim.engine.setOffload(null);
    assert.equal(map.entries.size, 0);
  });
});

describe('XDP flow offload: counters and timers', () => {
  it("folds the program's packets and bytes into the same stats the engine counts", () => {
    const { sim, map, off } = installedLab();
    const ref = lab();
    establish(ref, SPORT);
    const frame = seg(SPORT, 'A', { payload: 100 });
    const ipLen = frame.length - 14;
    for (let i = 0; i < 5; i++) {
      assert.ok(map.hit(flowKey(SPORT), ipLen, 1e9));
      run(ref, frame);
    }
    // Two more through the slow path of the offloaded lab (e.g. while the entry was being set up).
    run(sim, frame);
    run(ref, frame);
    off.sweep(T0, 1e9);
    const a = sim.director.table.list().find((s) => s.port === 81)!;
    const b = ref.director.table.list().find((s) => s.port === 81)!;
    assert.deepEqual(
      [a.stats.inpkts, a.stats.inbytes, a.dests[0]!.stats.inpkts, a.dests[0]!.stats.inbytes],
      [b.stats.inpkts, b.stats.inbytes, b.dests[0]!.stats.inpkts, b.dests[0]!.stats.inbytes],
    );
    assert.equal(sim.director.stats.inpkts, ref.director.stats.inpkts);
    assert.equal(sim.director.stats.inbytes, ref.director.stats.inbytes);
    // A second sweep adds nothing; a removal folds what came since.
    off.sweep(T0, 1e9);
    assert.equal(a.stats.inpkts, b.stats.inpkts);
    map.hit(flowKey(SPORT), ipLen, 2e9);
    run(sim, seg(SPORT, 'FA'));
    assert.equal(a.stats.inpkts, b.stats.inpkts + 2);
  });

  it("re-arms the conn timer from the program's last-seen time", () => {
    const { sim, map, off } = installedLab();
    const mono0 = 5e12;
    // Seen by the program 800 s after the install, swept 2 s later (engine ms = T0 + 802 s).
    map.hit(flowKey(SPORT), 60, mono0 + 800e9);
    off.sweep(T0 + 802_000, mono0 + 802e9);
    sim.director.tick(T0 + 901_000);
    assert.equal(sim.director.conns.count, 1, 'still alive after the original 900 s');
    sim.director.tick(T0 + 800_000 + 901_000);
    assert.equal(sim.director.conns.count, 0);
    assert.equal(map.entries.size, 0);
  });
});
