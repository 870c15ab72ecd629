/**
 * The timing keywords keepalived accepts at virtual-server, real-server and checker level alike
 * (connect_timeout, retry, delay_before_retry, warmup, delay_loop, alpha, log_all_failures).
 */
import type { Diagnostics } from '../diagnostics.js';
import type { RawTiming } from './raw.js';
import type { Node } from './tree.js';
import { bool, INT32_MAX, int, set, timer } from './values.js';

/** Handles a keyword settable at VS, RS and checker level; true when consumed. */
export function timingKeyword(d: Diagnostics, n: Node, t: RawTiming, minRetry: number): boolean {
  switch (n.kw) {
    case 'connect_timeout':
      set(t, 'connectTimeout', timer(d, n));
      return true;
    case 'retry':
      set(t, 'retry', int(d, n, 0, minRetry, INT32_MAX));
      return true;
    case 'delay_before_retry':
      set(t, 'delayBeforeRetry', timer(d, n, 0, 0));
      return true;
    case 'warmup':
      set(t, 'warmup', timer(d, n, 0, 0));
      return true;
    case 'delay_loop':
      set(t, 'delayLoop', timer(d, n));
      return true;
    case 'alpha':
      set(t, 'alpha', bool(d, n));
      return true;
    case 'log_all_failures':
      set(t, 'logAllFailures', bool(d, n));
      return true;
    default:
      return false;
  }
}
