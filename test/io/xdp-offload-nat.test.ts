/**
 * The XDP flow-offload program's NAT rewrite (native/xdp_filter.c offload(), value kinds 1 and 2)
 * under BPF_PROG_TEST_RUN (root; nothing attached, no traffic): for random TCP segments, random
 * NAT addresses and ports, either direction, and random starting checksums (so the 0x0000/0xffff
 * edges come up), the frame comes out byte for byte as the engine's own rewrite of it
 * (packet/rewrite.ts translate4, which the NAT fast path runs, plus the cached MACs), with the
 * sums the installer writes (engine/flow-nat-value.ts). And a NAT conn the engine itself
 * installed (engine/flow-offload.ts, the lab's masquerading service VIP:80 -> RS1:8080) has its
 * client's segments rewritten byte for byte as the engine-only director sends them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { writeNatRewrite } from '../../src/engine/flow-nat-value.js';
import { FLOW_KEY_BYTES, FLOW_KIND, FLOW_V, FLOW_VALUE_BYTES } from '../../src/engine/flow-offload.js';
import { packetAddonUnavailableReason } from '../../src/io/packet-socket/addon.js';
import { loadXdpBinding, XDP_ACTION, type XdpBinding } from '../../src/io/packet-socket/xdp-binding.js';
import { offloadUnsupported, XdpFlowMap } from '../../src/io/packet-socket/xdp-flow-map.js';
import { XdpProgram } from '../../src/io/packet-socket/xdp-program.js';
import { Flow, PARSE, parseFlow } from '../../src/packet/flow.js';
import { translate4 } from '../../src/packet/rewrite.js';
import { SIM_IFINDEX } from '../../src/tools/simulate.js';
import { lab, run } from '../engine/lab.js';
import { establish, flowKey, offloadLab, seg, T0 } from '../engine/offload-lab.js';
import { fromClient } from '../forward/fixtures.js';

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'BPF_PROG_TEST_RUN needs root (run as root; CI does)';
  const a = packetAddonUnavailableReason();
  if (a) return a;
  return offloadUnsupported(loadXdpBinding());
}
const skip = skipReason();
if (skip) console.log(`# skipping XDP offload NAT test-run checks: ${skip}`);

const MACS = [2, 0, 0, 0, 0, 0x11, 2, 0, 0, 0, 0, 0x22];
const ip4 = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

describe('XDP flow offload NAT rewrite under BPF_PROG_TEST_RUN', { skip }, () => {
  let b: XdpBinding;
  let flows: XdpFlowMap;
  let prog: XdpProgram;
  const out = new Uint8Array(4096);
  const meta = new Uint32Array(1);

  before(() => {
    b = loadXdpBinding();
    flows = new XdpFlowMap(b, 64);
    prog = new XdpProgram({ binding: b, flows });
    prog.load(SIM_IFINDEX);
  });
  after(() => {
    prog?.close();
    flows?.close();
  });

  it("rewrites address, port, TTL, both checksums and the MACs byte for byte as the engine's translate4", () => {
    const u32 = fc.integer({ min: 1, max: 0xfffffffe });
    const port = fc.integer({ min: 1, max: 65535 });
    fc.assert(
      fc.property(
        fc.record({
          src: u32,
          dst: u32,
          sport: port,
          dport: port,
          newAddr: u32,
          newPort: port,
          dnat: fc.boolean(),
          ttl: fc.integer({ min: 2, max: 255 }),
          payload: fc.integer({ min: 0, max: 1400 }),
          df: fc.boolean(),
          flags: fc.constantFrom('A', 'PA'),
          ipSum: fc.oneof(fc.constantFrom(0, 0xffff, 0xfeff, 0x0100), fc.integer({ min: 0, max: 0xffff })),
          tcpSum: fc.oneof(fc.constantFrom(0, 0xffff, 1, 0xfffe), fc.integer({ min: 0, max: 0xffff })),
        }),
        (c) => {
          const f = fromClient()
            .ipv4({ src: ip4(c.src), dst: ip4(c.dst), ttl: c.ttl, df: c.df })
            .tcp({ sport: c.sport, dport: c.dport, flags: c.flags, seq: 1001, ack: 5001 })
            .payload(c.payload)
            .build();
          // The engine's output: translate4 (TTL, address, port, both checksums), then the MACs.
          // parseFlow checks the IP header checksum, so the random starting sums go in after it.
          const want = Uint8Array.from(f);
          const flow = new Flow();
          assert.equal(parseFlow(want, want.length, flow), PARSE.OK);
          const v = new DataView(f.buffer, f.byteOffset, f.byteLength);
          v.setUint16(24, c.ipSum);
          v.setUint16(14 + 20 + 16, c.tcpSum);
          want.set(f.subarray(24, 26), 24);
          want.set(f.subarray(50, 52), 50);
          if (c.dnat) translate4(want, flow, c.src, c.sport, c.newAddr, c.newPort);
          else translate4(want, flow, c.newAddr, c.newPort, c.dst, c.dport);
          want.set(MACS, 0);

          const key = new Uint8Array(FLOW_KEY_BYTES);
          const k = new DataView(key.buffer);
          k.setUint32(0, c.src);
          k.setUint32(4, c.dst);
          k.setUint16(8, c.sport);
          k.setUint16(10, c.dport);
          key[12] = 6;
          const value = new Uint8Array(FLOW_VALUE_BYTES);
          const w = new DataView(value.buffer);
          value.set(MACS, 0);
          w.setUint32(FLOW_V.IFINDEX, SIM_IFINDEX, true);
          w.setUint32(FLOW_V.MTU, 1500, true);
          if (c.dnat) writeNatRewrite(w, FLOW_KIND.NAT_DST, c.dst, c.newAddr, c.dport, c.newPort);
          else writeNatRewrite(w, FLOW_KIND.NAT_SRC, c.src, c.newAddr, c.sport, c.newPort);
          assert.equal(flows.insert(key, value), 0);
          try {
            const action = prog.testRunData(SIM_IFINDEX, f, out, meta);
            assert.equal(action, XDP_ACTION.TX);
            assert.equal(
              Buffer.from(out.subarray(0, meta[0])).toString('hex'),
              Buffer.from(want).toString('hex'),
            );
            assert.equal(flows.lookup(key, value), 0);
            assert.equal(Number(w.getBigUint64(FLOW_V.PACKETS, true)), 1);
            assert.equal(Number(w.getBigUint64(FLOW_V.BYTES, true)), v.getUint16(16));
          } finally {
            assert.equal(flows.remove(key), 0);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it("forwards the client's segments of a NAT conn the engine installed byte for byte as the engine-only director", () => {
    const SPORT = 41000;
    const { sim, off } = offloadLab(flows, 64);
    const ref = lab();
    establish(sim, SPORT, T0, 80);
    establish(ref, SPORT, T0, 80);
    off.flush(T0);
    assert.equal(off.size, 1);
    const v = new Uint8Array(FLOW_VALUE_BYTES);
    assert.equal(flows.lookup(flowKey(SPORT, 80), v), 0);
    assert.equal(v[FLOW_V.KIND], FLOW_KIND.NAT_DST);
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 255 }),
        fc.integer({ min: 0, max: 1400 }),
        fc.boolean(),
        fc.constantFrom('A', 'PA'),
        (ttl, payload, df, flags) => {
          const f = seg(SPORT, flags, { ttl, payload, df, dport: 80 });
          const action = prog.testRunData(SIM_IFINDEX, f, out, meta);
          assert.equal(action, XDP_ACTION.TX);
          const r = run(ref, f);
          assert.equal(r.tx.length, 1);
          assert.equal(Buffer.from(out.subarray(0, meta[0])).toString('hex'), r.tx[0]!.toString('hex'));
        },
      ),
      { numRuns: 200 },
    );
    // A FIN goes to the engine, which takes the entry back.
    assert.equal(prog.testRunData(SIM_IFINDEX, seg(SPORT, 'FA', { dport: 80 }), out, meta), XDP_ACTION.PASS);
    run(sim, seg(SPORT, 'FA', { dport: 80 }), 0, T0);
    off.flush(T0);
    assert.equal(flows.lookup(flowKey(SPORT, 80), v), -2);
  });
});
