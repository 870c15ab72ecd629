/**
 * The XDP flow-offload program (native/xdp_filter.c offload()) under BPF_PROG_TEST_RUN (root;
 * nothing is attached and no traffic flows): a frame of an installed conn comes out rewritten
 * byte for byte as the engine's own DR output of the same frame, with XDP_TX (egress = ingress)
 * or XDP_REDIRECT through the devmap; SYN, FIN, RST, fragments, TTL 1, frames above the path
 * MTU and flows not in the map pass unchanged; the counters fold into the stats the engine-only
 * director counts; the kernel's map refuses inserts past its bound; a FIN through the engine
 * takes the entry back. BPF_PROG_TEST_RUN's ingress interface is the namespace's loopback
 * (ifindex 1), which is also the engine lab's one interface.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { FLOW_V, FLOW_VALUE_BYTES } from '../../src/engine/flow-offload.js';
import { packetAddonUnavailableReason } from '../../src/io/packet-socket/addon.js';
import { loadXdpBinding, XDP_ACTION, type XdpBinding } from '../../src/io/packet-socket/xdp-binding.js';
import { offloadUnsupported, XdpFlowMap } from '../../src/io/packet-socket/xdp-flow-map.js';
import { XdpProgram } from '../../src/io/packet-socket/xdp-program.js';
import { SIM_IFINDEX, type Simulation } from '../../src/tools/simulate.js';
import { lab, run } from '../engine/lab.js';
import { establish, flowKey, offloadLab, seg, T0 } from '../engine/offload-lab.js';

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'BPF_PROG_TEST_RUN needs root (run as root; CI does)';
  const a = packetAddonUnavailableReason();
  if (a) return a;
  return offloadUnsupported(loadXdpBinding());
}
const skip = skipReason();
if (skip) console.log(`# skipping XDP offload test-run checks: ${skip}`);

const SPORT = 40000;

describe('XDP flow offload program under BPF_PROG_TEST_RUN', { skip }, () => {
  let b: XdpBinding;
  let flows: XdpFlowMap;
  let prog: XdpProgram;
  let sim: Simulation;
  let ref: Simulation;
  let off: ReturnType<typeof offloadLab>['off'];
  const out = new Uint8Array(4096);
  const meta = new Uint32Array(1);

  // The program's verdict and output frame for `f`.
  const xdp = (f: Uint8Array): { action: number; frame: string } => {
    const action = prog.testRunData(SIM_IFINDEX, f, out, meta);
    return { action, frame: Buffer.from(out.subarray(0, meta[0])).toString('hex') };
  };
  // What the engine-only director sends for `f` (one frame, or '' for none).
  const engine = (f: Uint8Array): string => {
    const r = run(ref, f);
    return r.tx.length === 1 ? r.tx[0]!.toString('hex') : `${r.tx.length} frames, drops ${r.drops}`;
  };

  before(() => {
    b = loadXdpBinding();
    flows = new XdpFlowMap(b, 64);
    prog = new XdpProgram({ binding: b, flows });
    prog.load(SIM_IFINDEX);
    ({ sim, off } = offloadLab(flows, 64));
    ref = lab();
    establish(sim, SPORT);
    establish(ref, SPORT);
    off.flush(T0);
  });
  after(() => {
    prog?.close();
    flows?.close();
  });

  it("forwards a segment of an installed conn with XDP_TX, byte for byte the engine's DR output", () => {
    assert.equal(off.size, 1);
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 255 }),
        fc.integer({ min: 0, max: 1400 }),
        fc.boolean(),
        fc.constantFrom('A', 'PA', 'AU', 'PAU'),
        (ttl, payload, df, flags) => {
          const f = seg(SPORT, flags, { ttl, payload, df });
          const got = xdp(f);
          assert.equal(got.action, XDP_ACTION.TX);
          assert.equal(got.frame, engine(f));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('passes SYN, FIN, RST, fragments, TTL 1 and flows not in the map unchanged', () => {
    const cases: Record<string, Uint8Array> = {
      syn: seg(SPORT, 'S'),
      fin: seg(SPORT, 'FA'),
      rst: seg(SPORT, 'R'),
      rstAck: seg(SPORT, 'RA'),
      synAck: seg(SPORT, 'SA'),
      noAck: seg(SPORT, 'P'),
      fragment: seg(SPORT, 'A', { mf: true, df: false, payload: 64 }),
      ttl1: seg(SPORT, 'A', { ttl: 1 }),
      otherFlow: seg(SPORT + 1, 'A'),
      otherPort: seg(SPORT, 'A', { dport: 80 }),
    };
    for (const [name, f] of Object.entries(cases)) {
      const got = xdp(f);
      assert.equal(got.action, XDP_ACTION.PASS, name);
      assert.equal(got.frame, Buffer.from(f).toString('hex'), `${name} unchanged`);
    }
  });

  it('leaves a frame above the path MTU to the engine (ICMP fragmentation needed)', () => {
    const key = flowKey(SPORT);
    const v = new Uint8Array(FLOW_VALUE_BYTES);
    assert.equal(flows.lookup(key, v), 0);
    const saved = Uint8Array.from(v);
    new DataView(v.buffer).setUint32(FLOW_V.MTU, 100, true);
    assert.equal(b.bpfMapUpdate(flows.fd, key, v), 0);
    assert.equal(xdp(seg(SPORT, 'A', { payload: 61 })).action, XDP_ACTION.PASS);
    assert.equal(xdp(seg(SPORT, 'A', { payload: 60 })).action, XDP_ACTION.TX);
    assert.equal(b.bpfMapUpdate(flows.fd, key, saved), 0);
  });

  it('redirects through the devmap when the egress is another interface', {
    skip: otherIf() === undefined,
  }, () => {
    const key = flowKey(SPORT);
    const v = new Uint8Array(FLOW_VALUE_BYTES);
    assert.equal(flows.lookup(key, v), 0);
    const saved = Uint8Array.from(v);
    const ifx = otherIf() as number;
    new DataView(v.buffer).setUint32(FLOW_V.IFINDEX, ifx, true);
    assert.equal(b.bpfMapUpdate(flows.fd, key, v), 0);
    // Not in the devmap yet: the program aborts rather than pass a rewritten frame.
    assert.equal(xdp(seg(SPORT, 'A')).action, XDP_ACTION.ABORTED);
    flows.addEgress(ifx);
    assert.equal(xdp(seg(SPORT, 'A')).action, XDP_ACTION.REDIRECT);
    assert.equal(b.bpfMapUpdate(flows.fd, key, saved), 0);
  });

  it("the program's counters fold into the same stats the engine-only director counts", () => {
    off.sweep(T0, 0);
    const before = sim.director.stats.inpkts;
    for (let i = 0; i < 7; i++) {
      const f = seg(SPORT, 'A', { payload: 10 * i });
      assert.equal(xdp(f).action, XDP_ACTION.TX);
      engine(f);
    }
    off.sweep(T0, Number(process.hrtime.bigint()));
    assert.ok(sim.director.stats.inpkts > before);
    const s = (x: Simulation) => {
      const svc = x.director.table.list().find((v) => v.port === 81)!;
      return [svc.stats.inpkts, svc.stats.inbytes, svc.dests[0]!.stats.inpkts, svc.dests[0]!.stats.inbytes];
    };
    assert.deepEqual(s(sim), s(ref));
    assert.equal(sim.director.stats.inbytes, ref.director.stats.inbytes);
  });

  it('a FIN through the engine takes the entry out of the kernel map', () => {
    run(sim, seg(SPORT, 'FA'));
    assert.equal(flows.lookup(flowKey(SPORT), new Uint8Array(FLOW_VALUE_BYTES)), -2);
    assert.equal(xdp(seg(SPORT, 'A')).action, XDP_ACTION.PASS);
  });

  it('a flood of new flows never grows the kernel map past its bound', () => {
    const small = new XdpFlowMap(b, 4);
    try {
      const l = offloadLab(small, 1000);
      for (let i = 0; i < 20; i++) {
        establish(l.sim, 30000 + i);
        l.off.flush(T0);
      }
      const v = new Uint8Array(FLOW_VALUE_BYTES);
      let present = 0;
      for (let i = 0; i < 20; i++) if (small.lookup(flowKey(30000 + i), v) === 0) present++;
      assert.equal(present, 4);
      // The kernel's own bound answered E2BIG, counted as refusals.
      assert.equal(l.off.counters.refused, 16);
    } finally {
      small.close();
    }
  });
});

// A non-loopback interface of this namespace for the devmap case, if there is one.
function otherIf(): number | undefined {
  for (const n of readdirSync('/sys/class/net')) {
    if (n === 'lo') continue;
    const i = Number(readFileSync(`/sys/class/net/${n}/ifindex`, 'utf8'));
    if (i !== SIM_IFINDEX) return i;
  }
  return undefined;
}
