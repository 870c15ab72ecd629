/**
 * sysctl names and values as text: the three spellings of a name, integers as the kernel's
 * proc_dointvec() reads them, per-sysctl ranges, the sync_threshold pair, and `sysctl -a` lines.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  dottedKey,
  formatSysctls,
  parseSysctlValue,
  sysctlCommands,
  sysctlName,
} from '../../src/control/sysctl-values.js';
import { LvsError } from '../../src/core/errors.js';
import { SYSCTL_DEFAULTS } from '../../src/core/settings.js';

const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof LvsError ? e.code : 'not-coded';
  }
  return 'ok';
};

describe('sysctl names', () => {
  it('accepts net.ipv4.vs.NAME, net/ipv4/vs/NAME and NAME', () => {
    assert.equal(sysctlName('net.ipv4.vs.sloppy_tcp'), 'sloppy_tcp');
    assert.equal(sysctlName('net/ipv4/vs/sloppy_tcp'), 'sloppy_tcp');
    assert.equal(sysctlName('sloppy_tcp'), 'sloppy_tcp');
    assert.equal(dottedKey('net/ipv4/conf/eth0.100/rp_filter'), 'net.ipv4.conf.eth0/100.rp_filter');
  });

  it('tells an unknown name from a kernel setting lvsd does not implement', () => {
    assert.equal(
      code(() => sysctlName('net.ipv4.vs.nonesuch')),
      'ERR_LVS_SYSCTL_UNKNOWN',
    );
    assert.equal(
      code(() => sysctlName('kernel.sloppy_tcp')),
      'ERR_LVS_SYSCTL_UNKNOWN',
    );
    assert.equal(
      code(() => sysctlName('est_nice')),
      'ERR_LVS_SYSCTL_UNSUPPORTED',
    );
  });
});

describe('sysctl values', () => {
  it('reads decimal, 0x hex and 0 octal as proc_dointvec does', () => {
    assert.deepEqual(parseSysctlValue('sync_qlen_max', ' 0x10 ').values, [16]);
    assert.deepEqual(parseSysctlValue('sync_qlen_max', '010').values, [8]);
    assert.deepEqual(parseSysctlValue('sync_qlen_max', '0').values, [0]);
    for (const bad of ['08', '1e3', '', 'one', '1 2', '2147483648', '-1', '+1'])
      assert.equal(
        code(() => parseSysctlValue('sync_qlen_max', bad)),
        'ERR_LVS_SYSCTL_VALUE',
        bad,
      );
  });

  it('enforces each sysctl range and sync_ports a power of two', () => {
    assert.equal(
      code(() => parseSysctlValue('conn_reuse_mode', '4')),
      'ERR_LVS_SYSCTL_VALUE',
    );
    assert.equal(
      code(() => parseSysctlValue('sync_retries', '4')),
      'ERR_LVS_SYSCTL_VALUE',
    );
    assert.equal(
      code(() => parseSysctlValue('sync_ports', '6')),
      'ERR_LVS_SYSCTL_VALUE',
    );
    assert.equal(
      code(() => parseSysctlValue('lblc_expiration', '0')),
      'ERR_LVS_SYSCTL_VALUE',
    );
    assert.equal(
      code(() => parseSysctlValue('sync_ports', '8')),
      'ok',
    );
  });

  it('takes one or two values for sync_threshold, the pair below the period unless it is 0', () => {
    assert.deepEqual(parseSysctlValue('sync_threshold', '3\t50').values, [3, 50]);
    assert.deepEqual(parseSysctlValue('sync_threshold', '7').values, [7]);
    assert.deepEqual(parseSysctlValue('sync_threshold', '9 0').values, [9, 0]);
    assert.equal(
      code(() => parseSysctlValue('sync_threshold', '50 50')),
      'ERR_LVS_SYSCTL_VALUE',
    );
    assert.equal(
      code(() => parseSysctlValue('sync_threshold', '1 2 3')),
      'ERR_LVS_SYSCTL_VALUE',
    );
  });

  it('orders a pair write so each step is valid from the current values', () => {
    const cur = { ...SYSCTL_DEFAULTS };
    const w = (t: string) =>
      sysctlCommands(parseSysctlValue('sync_threshold', t), cur).map((c) =>
        c.op === 'set-sysctl' ? c.name : c.op,
      );
    assert.deepEqual(w('10 100'), ['sync_threshold', 'sync_period']);
    assert.deepEqual(w('60 100'), ['sync_period', 'sync_threshold']);
  });

  it('property: parseSysctlValue either returns in-range integers or throws a coded error', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('sync_threshold', 'sync_ports', 'secure_tcp', 'lblc_expiration'),
        fc.string(),
        (n, t) => {
          try {
            const s = parseSysctlValue(n, t);
            assert.ok(s.values.every((v) => Number.isInteger(v) && v >= 0));
          } catch (e) {
            assert.ok(e instanceof LvsError && e.code === 'ERR_LVS_SYSCTL_VALUE');
          }
        },
      ),
    );
  });
});

describe('formatSysctls', () => {
  it('prints every name as sysctl -a does, sorted, with the threshold pair tab-separated', () => {
    const text = formatSysctls(SYSCTL_DEFAULTS);
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, Object.keys(SYSCTL_DEFAULTS).length - 1);
    assert.deepEqual([...lines].sort(), lines);
    assert.ok(lines.includes('net.ipv4.vs.sync_threshold = 3\t50'));
    assert.ok(lines.includes('net.ipv4.vs.conn_reuse_mode = 1'));
    assert.ok(!text.includes('sync_period'));
    assert.equal(formatSysctls(SYSCTL_DEFAULTS, 'sync_period'), 'net.ipv4.vs.sync_period = 50\n');
  });
});
