/**
 * Preloaded into lvsd by `npm run soak -- --mem-probe` (node --import): every 2 s it appends
 * one JSON line of process.memoryUsage() (rss, heapTotal, heapUsed, external, arrayBuffers, in
 * bytes, with `t` in ms since start) to $LVS_MEM_PROBE, so the soak can tell V8's heap from
 * external buffers and from native memory (RSS minus both) when RSS grows. With
 * $LVS_MEM_SNAPSHOTS (seconds since start, comma-separated) it also writes a heap snapshot at
 * each of those times into $LVS_MEM_SNAPSHOT_DIR (v8.writeHeapSnapshot blocks lvsd while it
 * writes, a second or more: diagnosis only). Plain JS so lvsd's dist runs it without tsx.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';

const out = process.env.LVS_MEM_PROBE;
const t0 = Date.now();
if (out) {
  const tick = setInterval(() => {
    const m = process.memoryUsage();
    appendFileSync(out, `${JSON.stringify({ t: Date.now() - t0, ...m })}\n`);
  }, 2000);
  tick.unref();
}
const dir = process.env.LVS_MEM_SNAPSHOT_DIR ?? '.';
for (const s of (process.env.LVS_MEM_SNAPSHOTS ?? '').split(',').filter(Boolean)) {
  const t = setTimeout(() => writeHeapSnapshot(join(dir, `lvsd-${s}s.heapsnapshot`)), Number(s) * 1000);
  t.unref();
}
