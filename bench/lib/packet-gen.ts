/**
 * The packet benchmark's load generator, run inside the client namespace:
 *   node --import tsx bench/lib/packet-gen.ts --if eth0 --src-mac M --dst-mac M --src-ip A
 *     --dst-ip A --dport P --flows N --secs S --max-packets N [--rate PPS]
 * It prebuilds one 64-byte UDP frame per flow. By default the benchmark addon's blast() sends them
 * round-robin from a PACKET_TX_RING filled once (native/bench/packet_blast.c: only slot states
 * change per packet, qdisc bypassed), the cheapest path a 2-vCPU machine has; `--method sendmmsg`
 * (or when that addon is not built: bench/packet.ts builds it first) pushes them through the
 * packet addon's batched sendmmsg send, 1024 frames per call. No
 * per-packet work happens in JS either way. Traffic is bounded by --secs and --max-packets.
 * --rate PPS (ring method only; 0 = unpaced) paces the ring by the clock, so a director can be
 * offered a known load below saturation.
 * --syn-sources CIDR,... [--syn-exclude A,...] sends spoofed-source TCP SYNs instead, one distinct
 * (address, port) per flow (bench/lib/syn-frames.ts): the SYN flood of bench/flood-packet.ts.
 * Prints one JSON line: {"sent":N,"refused":N,"secs":S,"method":M}.
 */
import { parseArgs } from 'node:util';
import {
  BIND_IGNORE_OUTGOING,
  BIND_QDISC_BYPASS,
  loadPacketAddon,
} from '../../src/io/packet-socket/addon.js';
import { type BenchBinding, loadBenchAddon } from './bench-addon.js';
import { buildUdpFlows, type FrameBlock } from './packet-frames.js';
import { buildSynFlood, expandSources } from './syn-frames.js';

const BATCH = 1024;

/** The TX-ring generator, or undefined when the benchmark addon is not built. */
function ringGenerator(): BenchBinding | undefined {
  try {
    return loadBenchAddon();
  } catch {
    return undefined;
  }
}

function main(): void {
  const { values: v } = parseArgs({
    options: {
      if: { type: 'string', default: 'eth0' },
      'src-mac': { type: 'string' },
      'dst-mac': { type: 'string' },
      'src-ip': { type: 'string' },
      'dst-ip': { type: 'string' },
      dport: { type: 'string', default: '9' },
      flows: { type: 'string', default: '4096' },
      secs: { type: 'string', default: '5' },
      'max-packets': { type: 'string', default: '100000000' },
      method: { type: 'string', default: 'ring' },
      rate: { type: 'string', default: '0' },
      'syn-sources': { type: 'string' },
      'syn-exclude': { type: 'string', default: '' },
    },
  });
  const rate = Number(v.rate);
  if (!(rate >= 0)) throw new Error(`--rate ${v.rate}: not a rate`);
  const flows = Number(v.flows);
  const syn = v['syn-sources'];
  const block: FrameBlock = syn
    ? buildSynFlood({
        srcMac: v['src-mac'] ?? '',
        dstMac: v['dst-mac'] ?? '',
        sources: expandSources(syn.split(','), (v['syn-exclude'] ?? '').split(',').filter(Boolean)),
        dstIp: v['dst-ip'] ?? '',
        dstPort: Number(v.dport),
        flows,
      })
    : buildUdpFlows({
        srcMac: v['src-mac'] ?? '',
        dstMac: v['dst-mac'] ?? '',
        srcIp: v['src-ip'] ?? '',
        dstIp: v['dst-ip'] ?? '',
        dstPort: Number(v.dport),
        firstSrcPort: 10000,
        flows,
      });
  // Cycle through the flows: views of the pair table starting at every BATCH-th frame, with
  // the table repeated once so a view never runs off the end.
  const pairs = new Uint32Array(block.pairs.length * 2);
  pairs.set(block.pairs, 0);
  pairs.set(block.pairs, block.pairs.length);
  const views: Uint32Array[] = [];
  for (let start = 0; start < flows; start += BATCH) views.push(pairs.subarray(start * 2));
  const n = Math.min(BATCH, flows);
  const secs = Number(v.secs);
  const max = Number(v['max-packets']);
  const gen = v.method === 'sendmmsg' ? undefined : ringGenerator();
  if (rate > 0 && !gen) throw new Error("--rate needs the ring method (the benchmark addon's blast)");
  if (gen) {
    const t0 = process.hrtime.bigint();
    const r = gen.blast(v.if ?? 'eth0', block.buffer, block.pairs, block.count, secs, max, rate);
    if (r < 0) throw new Error(`blast ${v.if}: errno ${-r}`);
    const took = Number(process.hrtime.bigint() - t0) / 1e9;
    process.stdout.write(`${JSON.stringify({ sent: r, refused: 0, secs: took, method: 'ring', rate })}\n`);
    return;
  }
  const b = loadPacketAddon();
  const h = b.createHandle();
  const r = b.bind(h, v.if ?? 'eth0', 4096, 4, 1, BIND_QDISC_BYPASS | BIND_IGNORE_OUTGOING, -1);
  if (r < 0) throw new Error(`bind ${v.if}: errno ${-r}`);
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(Math.round(secs * 1e9));
  let sent = 0;
  let refused = 0;
  let k = 0;
  const buf = block.buffer;
  while (sent < max) {
    // Check the clock once per 16 batches (16k frames): hrtime is cheap but not free.
    for (let i = 0; i < 16 && sent < max; i++) {
      const got = b.send(h, buf, views[k] as Uint32Array, Math.min(n, max - sent));
      if (got > 0) sent += got;
      if (got < n) refused += n - Math.max(got, 0);
      k = k + 1 === views.length ? 0 : k + 1;
    }
    if (process.hrtime.bigint() >= end) break;
  }
  const took = Number(process.hrtime.bigint() - t0) / 1e9;
  b.close(h);
  process.stdout.write(`${JSON.stringify({ sent, refused, secs: took, method: 'sendmmsg' })}\n`);
}

main();
