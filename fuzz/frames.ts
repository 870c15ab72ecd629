/**
 * Frames through the engine: mutated Ethernet frames, both families, every forwarding method (the
 * test labs have one service per method: NAT TCP and UDP, DR, IPIP, GUE, GRE, FULLNAT, no dests).
 * Seeds are the golden frames scapy made (test/fixtures/golden) and the forwarding fixtures; an
 * input whose outcome signature (lab, actions, first and last kind and drop reason, emitted
 * lengths bucketed) is new joins the corpus, a cheap stand-in for coverage feedback that steers
 * mutation toward frames that reach further. Rules checked for every frame: nothing throws, the
 * engine counts it, it ends in at least one action or waits in the neighbour queue, and every
 * emitted frame parses.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { ACT } from '../src/engine/actions.js';
import { DROP_NAME } from '../src/engine/drops.js';
import { FRAME_F } from '../src/engine/engine.js';
import { Flow, PARSE, parseFlow } from '../src/packet/index.js';
import { decodePcap, encodePcap, LINKTYPE_ETHERNET } from '../src/packet/pcap.js';
import { SIM_IFINDEX, type Simulation } from '../src/tools/simulate.js';
import { lab } from '../test/engine/lab.js';
import { lab6 } from '../test/engine/lab6.js';
import { ALL } from '../test/forward/fixtures.js';
import { Rng } from './rng.js';
import { bump, describeThrown, Findings, type FuzzTarget, type TargetResult } from './target.js';

const GOLDEN = new URL('../test/fixtures/golden/', import.meta.url);
/**
 * Frames kept by feedback, committed so the next run starts where this one got to: one capture per
 * lab (`frames-v4.pcap`, `frames-v6.pcap`), readable with tshark.
 */
export const FRAME_CORPUS = new URL('../test/fixtures/fuzz/', import.meta.url);

/** A corpus entry: which lab (0 IPv4, 1 IPv6) and the frame. */
interface Entry {
  readonly lab: number;
  readonly frame: Uint8Array;
}

/** The seed corpus: golden pcaps, forwarding fixtures, and the committed corpus files. */
export function frameSeeds(): Entry[] {
  const out: Entry[] = [];
  for (const f of readdirSync(GOLDEN)) {
    if (!f.endsWith('.pcap')) continue;
    const labIdx = f.startsWith('ipv6') ? 1 : 0;
    for (const r of decodePcap(readFileSync(new URL(f, GOLDEN))).records)
      out.push({ lab: labIdx, frame: r.data });
  }
  for (const s of ALL) for (const st of s.steps) out.push({ lab: 0, frame: st.in });
  for (const labIdx of [0, 1]) {
    try {
      const pcap = decodePcap(readFileSync(new URL(corpusFile(labIdx), FRAME_CORPUS)));
      for (const r of pcap.records) out.push({ lab: labIdx, frame: r.data });
    } catch {
      // No committed corpus for this lab yet.
    }
  }
  return out;
}

const INTERESTING8 = [0, 1, 0x7f, 0x80, 0xff, 0x40, 0x45, 0x60, 0x06, 0x11, 0x2f, 0x3a, 0x29, 0x04, 0x01];
const INTERESTING16 = [0, 1, 0xffff, 0x8000, 0x7fff, 0x0800, 0x86dd, 0x0806, 0x8100, 0x05dc, 0x0014, 0x0028];
const FLAGS = [0, 0, 0, FRAME_F.PARTIAL_CSUM, FRAME_F.GSO];
const SCRATCH = 4096;

/** Applies 1-4 mutations of `src` into `dst`; returns the new length. */
function mutate(rng: Rng, src: Uint8Array, dst: Uint8Array, other: Uint8Array): number {
  let len = Math.min(src.length, SCRATCH);
  dst.set(src.subarray(0, len));
  const n = 1 + rng.int(4);
  for (let k = 0; k < n; k++) {
    // Half the mutations hit the first 80 bytes: the headers the parsers and rewrites read.
    const span = len === 0 ? 1 : rng.oneIn(2) ? Math.min(len, 80) : len;
    const at = rng.int(span);
    switch (rng.int(8)) {
      case 0:
        if (len > 0) dst[at] = rng.next() & 0xff;
        break;
      case 1:
        if (len > 0) dst[at] = (dst[at] ?? 0) ^ (1 << rng.int(8));
        break;
      case 2:
        if (len > 0) dst[at] = rng.pick(INTERESTING8);
        break;
      case 3:
        if (at + 1 < len) {
          const v = rng.pick(INTERESTING16);
          dst[at] = v >>> 8;
          dst[at + 1] = v & 0xff;
        }
        break;
      case 4:
        len = Math.max(0, len - 1 - rng.int(rng.oneIn(4) ? len + 1 : 16));
        break;
      case 5: {
        const add = Math.min(SCRATCH - len, 1 + rng.int(rng.oneIn(8) ? 1600 : 32));
        for (let i = 0; i < add; i++) dst[len + i] = rng.next() & 0xff;
        len += add;
        break;
      }
      case 6: {
        // Splice: a run of another corpus frame at the same offset (a header from one, payload from another).
        const from = Math.min(at, other.length);
        const run = Math.min(other.length - from, 1 + rng.int(40), SCRATCH - from);
        if (run > 0) dst.set(other.subarray(from, from + run), from);
        if (from + run > len) len = from + run;
        break;
      }
      default:
        if (len > 0) dst[at] = (dst[at] ?? 0) + (rng.oneIn(2) ? 1 : -1);
    }
  }
  return len;
}

function labs(): Simulation[] {
  return [lab(), lab6()];
}

/** The frames target. */
export const framesTarget: FuzzTarget = {
  name: 'frames',
  run(o, progress): TargetResult {
    const rng = new Rng(o.seed);
    const corpus = frameSeeds();
    const seeds = corpus.length;
    const findings = new Findings(o.maxFindings);
    const counts: Record<string, number> = {};
    const seen = new Set<number>();
    const flow = new Flow();
    const scratch = new Uint8Array(SCRATCH);
    let sims = labs();
    let now = 1_000_000;
    for (let i = 0; i < o.count; i++) {
      const e = rng.pick(corpus);
      const len = mutate(rng, e.frame, scratch, rng.pick(corpus).frame);
      const flags = rng.pick(FLAGS);
      const sim = sims[e.lab] as Simulation;
      progress.begin(i, scratch.subarray(0, len));
      now += 1;
      try {
        const before = sim.engine.rxFrames;
        const queuedBefore = sim.engine.queuedFrames;
        sim.engine.handleFrame(scratch, 0, len, SIM_IFINDEX, flags, now);
        const a = sim.engine.actions;
        if (sim.engine.rxFrames !== before + 1) findings.add(i, 'frame not counted', hexOf(scratch, len));
        // A frame waiting for its next hop's ARP/NDP answer is held, as the kernel's neighbour
        // queue holds it: no action yet, and that is right.
        if (a.count === 0 && sim.engine.queuedFrames <= queuedBefore)
          findings.add(i, 'frame ended in no action and was not queued', hexOf(scratch, len));
        let sig = (e.lab << 30) ^ (a.count << 24);
        for (let k = 0; k < a.count; k++) {
          if (a.kind[k] === ACT.TX) {
            const out = a.frame(k);
            const v = parseFlow(out, out.length, flow);
            if (v !== PARSE.OK && v !== PARSE.UNSUPPORTED_PROTOCOL)
              findings.add(i, `emitted frame ${k} does not parse (verdict ${v})`, hexOf(scratch, len));
            sig = Math.imul(sig ^ (0x100 | (out.length >> 6)), 0x9e3779b1);
            bump(counts, 'tx');
          } else {
            const r = a.reason[k] ?? 0;
            sig = Math.imul(sig ^ (0x200 | r), 0x9e3779b1);
            bump(counts, `drop ${DROP_NAME[r] ?? r}`);
          }
        }
        sim.engine.flush();
        if (!seen.has(sig)) {
          seen.add(sig);
          if (corpus.length < 20_000) corpus.push({ lab: e.lab, frame: scratch.slice(0, len) });
        }
      } catch (err) {
        findings.add(i, `threw ${describeThrown(err)}`, hexOf(scratch, len));
        sims = labs();
      }
      // Time moves: a tick each 4,096 frames, and now and then past every timeout so
      // conns expire and the tables stay bounded whatever the mutations created.
      if ((i & 0xfff) === 0xfff) {
        if (rng.oneIn(16)) now += 20 * 60_000;
        for (const s of sims) s.engine.tick(now);
      }
      if (i % 2_000_000 === 1_999_999) sims = labs();
    }
    if (o.saveCorpus) saveCorpus(corpus.slice(seeds), o.saveCorpus);
    counts['corpus seeds'] = seeds;
    counts['corpus kept'] = corpus.length - seeds;
    counts.signatures = seen.size;
    return { inputs: o.count, findings: findings.list, counts: { ...counts, findings: findings.total } };
  },
};

function hexOf(b: Uint8Array, len: number): string {
  return Buffer.from(b.subarray(0, len)).toString('hex');
}

function corpusFile(labIdx: number): string {
  return labIdx === 1 ? 'frames-v6.pcap' : 'frames-v4.pcap';
}

/** Writes up to `n` kept entries, spread over the run, as the committed corpus. */
function saveCorpus(kept: readonly Entry[], n: number): void {
  mkdirSync(FRAME_CORPUS, { recursive: true });
  const step = Math.max(1, Math.floor(kept.length / n));
  const picked: Entry[] = [];
  for (let i = 0; i < kept.length && picked.length < n; i += step) picked.push(kept[i] as Entry);
  for (const labIdx of [0, 1]) {
    const records = picked
      .filter((e) => e.lab === labIdx)
      .map((e) => ({ tsSec: 0, tsFrac: 0, data: e.frame, origLen: e.frame.length }));
    const pcap = encodePcap({ linktype: LINKTYPE_ETHERNET, snaplen: 65535, nanos: false, records });
    writeFileSync(new URL(corpusFile(labIdx), FRAME_CORPUS), pcap);
  }
}
