import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { meminfoAvailableKiB, procMemorySource } from '../../src/io/host/memory-source.js';

const SAMPLE = [
  'MemTotal:        8026720 kB',
  'MemFree:          301544 kB',
  'MemAvailable:    5123456 kB',
  'Buffers:           12288 kB',
  'Cached:          4700000 kB',
  '',
].join('\n');

describe('available memory as update_defense_level() counts it', () => {
  it('is MemFree + Buffers (freeram + bufferram), not MemAvailable', () => {
    assert.equal(meminfoAvailableKiB(SAMPLE), 301544 + 12288);
  });

  it('is undefined when either line is missing or malformed', () => {
    assert.equal(meminfoAvailableKiB('MemFree: 5 kB\n'), undefined);
    assert.equal(meminfoAvailableKiB('Buffers: 5 kB\nMemFree: x kB\n'), undefined);
    assert.equal(meminfoAvailableKiB(''), undefined);
  });

  it('never throws on any text, and answers a non-negative integer or undefined', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.nat(), fc.nat(), (junk, a, b) => {
        for (const t of [junk, `${junk}\nMemFree: ${a} kB\nBuffers: ${b} kB\n`]) {
          const v = meminfoAvailableKiB(t);
          assert.ok(v === undefined || (Number.isInteger(v) && v >= 0));
        }
        assert.equal(
          meminfoAvailableKiB(`MemFree: ${a} kB\n${junk.replace(/\n/g, ' ')}\nBuffers: ${b} kB`),
          a + b,
        );
      }),
    );
  });

  it('reads a meminfo file, and an unreadable one as undefined', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvs-meminfo-'));
    try {
      const f = join(dir, 'meminfo');
      writeFileSync(f, SAMPLE);
      assert.equal(procMemorySource(f).availableKiB(), 313832);
      assert.equal(procMemorySource(join(dir, 'none')).availableKiB(), undefined);
      const live = procMemorySource().availableKiB();
      assert.ok(live === undefined || live > 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
