import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  type DeferralRecord,
  type DeferralRecords,
  fileRecords,
  NAPI_DEFERRAL_DEFAULTS,
  NapiDeferral as RealNapiDeferral,
  type SysfsFiles,
} from '../../src/io/packet-socket/napi-deferral.js';

/** In-memory records; `dead` lists the pids that are gone. */
function fakeRecords(dead: number[] = []): DeferralRecords & { map: Map<string, DeferralRecord> } {
  const map = new Map<string, DeferralRecord>();
  return {
    map,
    load: (i) => map.get(i),
    save: (i, r) => {
      map.set(i, r);
    },
    remove: (i) => {
      map.delete(i);
    },
    alive: (pid) => !dead.includes(pid),
  };
}

// The tests below never touch /run: every instance gets fake records unless it passes its own.
class NapiDeferral extends RealNapiDeferral {
  constructor(fs: SysfsFiles, records: DeferralRecords = fakeRecords(), pid = 100) {
    super(fs, '/sys/class/net', records, pid);
  }
}

/** An in-memory /sys/class/net. */
function fakeSysfs(
  init: Record<string, string>,
  refuse: string[] = [],
): SysfsFiles & { files: Map<string, string> } {
  const files = new Map(Object.entries(init));
  return {
    files,
    read(path) {
      const v = files.get(path);
      if (v === undefined) throw new Error('ENOENT');
      return `${v}\n`;
    },
    write(path, value) {
      if (refuse.includes(path)) throw new Error('EPERM');
      files.set(path, value);
    },
  };
}

describe('NAPI deferral for preferred busy polling', () => {
  it('sets napi_defer_hard_irqs and gro_flush_timeout, and restores the old values', () => {
    const fs = fakeSysfs({
      '/sys/class/net/eth0/napi_defer_hard_irqs': '0',
      '/sys/class/net/eth0/gro_flush_timeout': '0',
    });
    const d = new NapiDeferral(fs);
    assert.equal(d.apply('eth0'), undefined);
    assert.equal(
      fs.files.get('/sys/class/net/eth0/napi_defer_hard_irqs'),
      String(NAPI_DEFERRAL_DEFAULTS.deferHardIrqs),
    );
    assert.equal(
      fs.files.get('/sys/class/net/eth0/gro_flush_timeout'),
      String(NAPI_DEFERRAL_DEFAULTS.groFlushTimeoutNs),
    );
    d.restore();
    assert.equal(fs.files.get('/sys/class/net/eth0/napi_defer_hard_irqs'), '0');
    assert.equal(fs.files.get('/sys/class/net/eth0/gro_flush_timeout'), '0');
  });

  it('leaves values an operator already set to the same thing untouched on restore', () => {
    const fs = fakeSysfs({
      '/sys/class/net/eth1/napi_defer_hard_irqs': '2',
      '/sys/class/net/eth1/gro_flush_timeout': '50000',
    });
    const d = new NapiDeferral(fs);
    d.apply('eth1');
    fs.files.set('/sys/class/net/eth1/napi_defer_hard_irqs', '7'); // changed by someone since
    d.restore();
    assert.equal(fs.files.get('/sys/class/net/eth1/napi_defer_hard_irqs'), '7');
    assert.equal(fs.files.get('/sys/class/net/eth1/gro_flush_timeout'), '50000');
  });

  it('reports a refused write with the path and keeps what it changed restorable', () => {
    const fs = fakeSysfs(
      { '/sys/class/net/eth0/napi_defer_hard_irqs': '0', '/sys/class/net/eth0/gro_flush_timeout': '0' },
      ['/sys/class/net/eth0/gro_flush_timeout'],
    );
    const d = new NapiDeferral(fs);
    assert.match(d.apply('eth0') ?? '', /gro_flush_timeout: EPERM/);
    d.restore();
    assert.equal(fs.files.get('/sys/class/net/eth0/napi_defer_hard_irqs'), '0');
    assert.match(new NapiDeferral(fs).apply('nope') ?? '', /nope\/napi_defer_hard_irqs: ENOENT/);
  });

  it('records the originals before writing, and drops the record on restore', () => {
    const fs = fakeSysfs({
      '/sys/class/net/eth0/napi_defer_hard_irqs': '0',
      '/sys/class/net/eth0/gro_flush_timeout': '7',
    });
    const rec = fakeRecords();
    const d = new NapiDeferral(fs, rec, 100);
    d.apply('eth0');
    assert.deepEqual(rec.map.get('eth0'), {
      pid: 100,
      values: { napi_defer_hard_irqs: '0', gro_flush_timeout: '7' },
    });
    d.restore();
    assert.equal(rec.map.size, 0);
  });

  it("after a SIGKILL: the next process adopts the dead one's originals and restores those, not its values", () => {
    const fs = fakeSysfs({
      '/sys/class/net/eth0/napi_defer_hard_irqs': '0',
      '/sys/class/net/eth0/gro_flush_timeout': '0',
    });
    const rec = fakeRecords([100]);
    new NapiDeferral(fs, rec, 100).apply('eth0'); // killed: no restore
    assert.equal(fs.files.get('/sys/class/net/eth0/napi_defer_hard_irqs'), '2');
    const next = new NapiDeferral(fs, rec, 200);
    next.apply('eth0');
    assert.equal(rec.map.get('eth0')?.pid, 200);
    next.restore();
    assert.equal(fs.files.get('/sys/class/net/eth0/napi_defer_hard_irqs'), '0');
    assert.equal(fs.files.get('/sys/class/net/eth0/gro_flush_timeout'), '0');
    assert.equal(rec.map.size, 0);
  });

  it('after a SIGKILL: a process that does not defer writes the originals back (recoverStale)', () => {
    const fs = fakeSysfs({
      '/sys/class/net/eth0/napi_defer_hard_irqs': '1',
      '/sys/class/net/eth0/gro_flush_timeout': '0',
    });
    const rec = fakeRecords([100]);
    new NapiDeferral(fs, rec, 100).apply('eth0');
    assert.deepEqual(new NapiDeferral(fs, rec, 200).recoverStale('eth0'), [
      'napi_defer_hard_irqs',
      'gro_flush_timeout',
    ]);
    assert.equal(fs.files.get('/sys/class/net/eth0/napi_defer_hard_irqs'), '1');
    assert.equal(fs.files.get('/sys/class/net/eth0/gro_flush_timeout'), '0');
    assert.equal(rec.map.size, 0);
    assert.deepEqual(new NapiDeferral(fs, rec, 200).recoverStale('eth0'), [], 'nothing left to recover');
  });

  it("a live process's record is not stale: nothing is recovered from it", () => {
    const fs = fakeSysfs({
      '/sys/class/net/eth0/napi_defer_hard_irqs': '0',
      '/sys/class/net/eth0/gro_flush_timeout': '0',
    });
    const rec = fakeRecords();
    new NapiDeferral(fs, rec, 100).apply('eth0');
    assert.deepEqual(new NapiDeferral(fs, rec, 200).recoverStale('eth0'), []);
    assert.equal(fs.files.get('/sys/class/net/eth0/napi_defer_hard_irqs'), '2');
  });

  it('file records round-trip in a directory of their own', () => {
    const dir = mkdtempSync(join(tmpdir(), 'napi-rec-'));
    try {
      const r = fileRecords(dir);
      assert.equal(r.load('eth9'), undefined);
      r.save('eth9', { pid: 5, values: { gro_flush_timeout: '0' } });
      assert.deepEqual(r.load('eth9'), { pid: 5, values: { gro_flush_timeout: '0' } });
      assert.equal(r.alive(process.pid), true);
      r.remove('eth9');
      assert.equal(r.load('eth9'), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
