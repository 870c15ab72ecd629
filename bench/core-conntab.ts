/**
 * Connection-table benchmark: bytes per entry (V8 heap and typed arrays) at 1 M and 10 M live
 * IPv4 entries, and inserts/s, lookups/s and expiries/s on one core. bench/core.ts imports
 * `benchConnTable`; running this file directly prints the numbers
 * (`node --expose-gc --max-old-space-size=8192 --import tsx bench/core-conntab.ts [entries...]`).
 * Running the table through tsx or from tsc's dist/ output measured the same (within noise), so
 * the bench imports the source. Expiry frees all n entries in one expire() call (mass expiry).
 */
import { ConnTable } from '../src/core/conn-table.js';

/** Results for one table size. */
export interface ConnTabResult {
  entries: number;
  /** (heapUsed + arrayBuffers growth) / entries, measured with process.memoryUsage. */
  bytesPerEntry: number;
  /** Typed-array bytes the table holds / entries (includes spare capacity). */
  arrayBytesPerEntry: number;
  /** V8 heap growth only / entries (object overhead; near 0 by design). */
  heapBytesPerEntry: number;
  insertsPerSec: number;
  lookupsPerSec: number;
  expiriesPerSec: number;
}

/**
 * The process's CPU time in ms (user + system). On a shared machine wall time mostly measures the
 * neighbours; CPU time charges only what this table did, as the scheduler bench does.
 */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const mem = () => {
  const m = process.memoryUsage();
  return { heap: m.heapUsed, ab: m.arrayBuffers };
};

// Several full collections: V8 sweeps dead ArrayBuffers concurrently, so one gc() can leave the
// previous run's tables counted in arrayBuffers and make the next row look smaller than it is.
const gc = (): void => {
  const g = (globalThis as { gc?: () => void }).gc;
  for (let k = 0; k < 3; k++) g?.();
};

/** Client address of key `i`: walks 10.0.0.0/8 with 16 ports each, like many clients behind NAT. */
const caddrOf = (i: number): number => (0x0a000000 + (i >>> 4)) >>> 0;

/**
 * Builds a table of `n` live IPv4 TCP conns and measures it. Deterministic keys (client i, port i).
 * Lookup keys are drawn (xorshift) and stored in typed arrays before the clock starts, so the
 * timed loop is the table's cost, not the random number generator's.
 */
export function benchConnTable(n: number, lookups = 5_000_000): ConnTabResult {
  gc();
  const m0 = mem();
  const t = new ConnTable({ initialCapacity: n });
  const c = new Uint32Array(4);
  const v = Uint32Array.of(0xcb00710a, 0, 0, 0);
  const d = Uint32Array.of(0xc6336402, 0, 0, 0);
  const t0 = cpuMs();
  for (let i = 0; i < n; i++) {
    c[0] = caddrOf(i);
    const idx = t.create(4, 6, c, 1024 + (i & 15), v, 80, 4, d, 80, 0x180, 0, 1, 1, 0);
    t.setTimeoutSecs(idx, 900);
    t.touch(idx, 0);
  }
  const t1 = cpuMs();
  gc();
  const m1 = mem();
  const pa = new Uint32Array(lookups);
  const pp = new Uint16Array(lookups);
  let x = 0x9e3779b9;
  for (let k = 0; k < lookups; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const i = (x >>> 0) % n;
    pa[k] = caddrOf(i);
    pp[k] = 1024 + (i & 15);
  }
  let found = 0;
  const t2 = cpuMs();
  for (let k = 0; k < lookups; k++) {
    c[0] = pa[k] as number;
    if (t.findIn(4, 6, c, pp[k] as number, v, 80) >= 0) found++;
  }
  const t3 = cpuMs();
  if (found !== lookups) throw new Error(`lookup miss: ${lookups - found}`);
  const t4 = cpuMs();
  const freed = t.expire(901_000);
  const t5 = cpuMs();
  if (freed !== n) throw new Error(`expired ${freed} of ${n}`);
  const heap = m1.heap - m0.heap;
  const ab = m1.ab - m0.ab;
  return {
    entries: n,
    bytesPerEntry: (heap + ab) / n,
    arrayBytesPerEntry: t.arrayBytes() / n,
    heapBytesPerEntry: heap / n,
    insertsPerSec: n / ((t1 - t0) / 1000),
    lookupsPerSec: lookups / ((t3 - t2) / 1000),
    expiriesPerSec: n / ((t5 - t4) / 1000),
  };
}

/** Runs the 1 M and 10 M measurements in order (10 M needs ~1 GiB of heap headroom). */
export function benchConnTableAll(sizes: readonly number[] = [1_000_000, 10_000_000]): ConnTabResult[] {
  return sizes.map((n) => benchConnTable(n));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((x) => x > 0);
  const rows = benchConnTableAll(sizes.length ? sizes : undefined);
  console.table(
    rows.map((r) => ({
      entries: r.entries,
      'B/entry': r.bytesPerEntry.toFixed(1),
      'array B/entry': r.arrayBytesPerEntry.toFixed(1),
      'heap B/entry': r.heapBytesPerEntry.toFixed(2),
      'inserts/s': Math.round(r.insertsPerSec).toLocaleString('en'),
      'lookups/s': Math.round(r.lookupsPerSec).toLocaleString('en'),
      'expiries/s': Math.round(r.expiriesPerSec).toLocaleString('en'),
    })),
  );
}
