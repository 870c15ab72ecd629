/**
 * lvsd's V8 settings for in-process benchmarks: bench:core and the scheduler bench run the core
 * inside the bench process, so they apply the flags lvsd applies at start (daemon/v8-tuning.ts)
 * before any hot code is optimized, and print them. `LVS_V8_DEFAULTS=1` measures V8's defaults.
 * Benchmarks that spawn a real lvsd (proxy, packet, failover) get them from lvsd itself.
 */
import { tuneV8 } from '../src/daemon/v8-tuning.js';

/** Applies lvsd's V8 flags (unless LVS_V8_DEFAULTS is set) and returns a one-line description. */
export function applyLvsdV8Flags(): string {
  const flags = tuneV8();
  return `V8 flags: ${flags.join(' ') || 'defaults (LVS_V8_DEFAULTS)'}`;
}
