import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  NAPI_DEFERRAL_DEFAULTS,
  NapiDeferral,
  type SysfsFiles,
} from '../../src/io/packet-socket/napi-deferral.js';

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
});
