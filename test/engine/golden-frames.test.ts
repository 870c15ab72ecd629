/**
 * Golden frames from an independent tool: every input frame and every frame the director must send
 * for it was built by scapy (test/fixtures/golden/make-golden.py), not by src/packet, so a mistake
 * shared by our encoders and the engine cannot pass here. Each case runs on a fresh lab engine
 * (test/engine/lab.ts or lab6.ts, which the script mirrors) and must match byte for byte. Only the
 * pcap container is read with our decoder; the frames inside are compared as raw bytes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { decodePcap } from '../../src/packet/pcap.js';
import { hex, lab, run } from './lab.js';
import { lab6 } from './lab6.js';

interface GoldenStep {
  readonly desc: string;
  /** Index of the input frame among the case's pcap records. */
  readonly in: number;
  /** Indices of the frames that must come out, in order. */
  readonly out: readonly number[];
  /** Drop reasons the input must also count. */
  readonly drops: readonly string[];
}

interface GoldenCase {
  readonly name: string;
  readonly lab: 'ipv4' | 'ipv6';
  readonly desc: string;
  readonly pcap: string;
  readonly steps: readonly GoldenStep[];
}

const DIR = new URL('../fixtures/golden/', import.meta.url);

// cases.tsv: `case <name> <lab> <pcap> <desc>` lines, each followed by its
// `step <in> <outs or -> <drops or -> <desc>` lines (see make-golden.py).
function loadCases(): GoldenCase[] {
  const cases: { name: string; lab: GoldenCase['lab']; desc: string; pcap: string; steps: GoldenStep[] }[] =
    [];
  const list = (s: string): string[] => (s === '-' ? [] : s.split(','));
  for (const line of readFileSync(new URL('cases.tsv', DIR), 'utf8').split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const [kind = '', a = '', b = '', c = '', ...rest] = line.split('\t');
    const desc = rest.join('\t');
    if (kind === 'case') {
      assert.ok(b === 'ipv4' || b === 'ipv6', `cases.tsv: lab ${b}`);
      cases.push({ name: a, lab: b, pcap: c, desc, steps: [] });
    } else {
      const last = cases.at(-1);
      assert.ok(kind === 'step' && last, `cases.tsv: bad line ${line}`);
      last.steps.push({ desc, in: Number(a), out: list(b).map(Number), drops: list(c) });
    }
  }
  return cases;
}

const CASES = loadCases();
const LABS: Record<GoldenCase['lab'], () => ReturnType<typeof lab>> = {
  ipv4: () => lab(),
  ipv6: () => lab6(),
};

describe('golden frames built by scapy', () => {
  it('cover every forwarding method in both families', () => {
    const names = new Set(CASES.map((c) => c.name));
    for (const af of ['ipv4', 'ipv6'])
      for (const m of ['nat-tcp', 'nat-udp', 'dr', 'fullnat', 'director-icmp'])
        assert.ok(names.has(`${af}-${m}`), `${af}-${m}`);
    for (const t of [
      'ipv4-tun-ipip',
      'ipv4-tun-gue',
      'ipv4-tun-gre',
      'ipv6-tun-ip6ip6',
      'ipv6-tun-gue',
      'ipv6-tun-gre',
    ])
      assert.ok(names.has(t), t);
  });

  for (const c of CASES) {
    it(`${c.name}: ${c.desc}`, () => {
      const frames = decodePcap(readFileSync(new URL(c.pcap, DIR))).records.map((r) => r.data);
      const frame = (i: number): Uint8Array => {
        const f = frames[i];
        assert.ok(f, `${c.pcap} has no record ${i}`);
        return f;
      };
      const sim = LABS[c.lab]();
      for (const st of c.steps) {
        const r = run(sim, frame(st.in));
        assert.deepEqual(r.drops, st.drops, `${st.desc}: drops`);
        assert.deepEqual(
          r.tx.map(hex),
          st.out.map((i) => hex(frame(i))),
          `${st.desc}: frames out`,
        );
      }
    });
  }
});
