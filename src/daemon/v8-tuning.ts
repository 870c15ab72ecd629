/**
 * V8 settings lvsd runs with, applied once at start (bin/lvsd → main) before any hot code is
 * optimized. Benchmarks apply the same ones, so they measure what lvsd ships.
 *
 * Why: TurboFan inlines a callee only while the caller's cumulative inlined bytecode stays under
 * 920 bytes (and each callee under 460). The packet engine's per-packet path is a chain of small
 * typed-array helpers across layers (director → conn table → index; IP path → rewrite → output →
 * action list), and with the defaults the budget runs out part-way: the tunnel header writer
 * and the action append stay out-of-line calls with ten arguments each. Raised limits let the
 * whole fast path compile as a few functions. Measured with bench:engine (medians, same machine,
 * interleaved): 5-25 ns per packet less on DR, NAT, TUN and FULLNAT at 1 k and 64 k flows. The
 * cost is compile time and code size of optimized functions, which a long-running daemon pays
 * once. `LVS_V8_DEFAULTS=1` keeps V8's own values (for comparison).
 */
import { setFlagsFromString } from 'node:v8';

/** The flags {@link tuneV8} sets, in `node --v8-options` spelling. */
export const V8_FLAGS: readonly string[] = [
  '--max-inlined-bytecode-size=1500',
  '--max-inlined-bytecode-size-cumulative=10000',
  '--max-inlined-bytecode-size-absolute=20000',
];

/**
 * Applies {@link V8_FLAGS} unless `LVS_V8_DEFAULTS` is set; returns the flags applied. Inlining
 * limits are read at each optimization, so setting them at run time (before the hot functions
 * are optimized) is enough.
 */
export function tuneV8(env: NodeJS.ProcessEnv = process.env): readonly string[] {
  if (env.LVS_V8_DEFAULTS) return [];
  for (const f of V8_FLAGS) setFlagsFromString(f);
  return V8_FLAGS;
}
