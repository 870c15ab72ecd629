import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FRAME_F } from '../../src/engine/engine.js';
import { Flow, PARSE, parseFlow } from '../../src/packet/index.js';
import { ALL } from '../forward/fixtures.js';
import { lab, run } from './lab.js';

const seeds: Buffer[] = ALL.flatMap((s) => s.steps.map((st) => st.in));

// Every frame must end in at least one action, and whatever leaves must parse (tunnels parse as an
// unsupported L4 protocol, which is fine: their outer header is what the check covers).
function checkRun(sim: ReturnType<typeof lab>, frame: Uint8Array, flags: number): void {
  const before = sim.engine.rxFrames;
  const r = run(sim, frame, flags);
  assert.equal(sim.engine.rxFrames, before + 1);
  assert.ok(r.tx.length + r.drops.length >= 1, 'every frame ends in an action');
  const f = new Flow();
  for (const t of r.tx) {
    const v = parseFlow(t, t.length, f);
    assert.ok(v === PARSE.OK || v === PARSE.UNSUPPORTED_PROTOCOL, `emitted frame parses (verdict ${v})`);
  }
}

describe('engine fuzzing', () => {
  it('random frames never throw; each becomes actions (mostly counted drops)', () => {
    const sim = lab();
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 200 }),
        fc.integer({ min: 0, max: 3 }),
        (b, flags) => {
          checkRun(sim, b, flags);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('mutated fixture frames never throw and only produce well-formed output', () => {
    const sim = lab();
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: -8, max: 8 }),
        fc.constantFrom(0, FRAME_F.PARTIAL_CSUM, FRAME_F.GSO),
        (seed, muts, cut, flags) => {
          const b = Buffer.from(seed);
          for (const [at, v] of muts) b[at % b.length] = v;
          const len = Math.max(0, Math.min(b.length, b.length + cut));
          checkRun(sim, b.subarray(0, len), flags);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('a frame lying at an offset inside a larger buffer is handled where it lies', () => {
    const sim = lab();
    const seed = seeds[0]!;
    const ring = Buffer.alloc(seed.length + 100, 0xee);
    seed.copy(ring, 37);
    sim.engine.handleFrame(ring, 37, seed.length, 1, 0, 1_000_000);
    const a = sim.engine.actions;
    assert.equal(a.count, 1);
    assert.equal(a.bufs[0], ring, 'sent from the input buffer, not a copy');
    assert.equal(a.off[0], 37);
    sim.engine.flush();
  });
});
