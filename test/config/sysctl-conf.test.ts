/**
 * sysctl.conf / sysctl.d parsing and the start-up plan: net.ipv4.vs.* lines become settings with
 * their file:line, everything else is skipped silently, malformed and refused lines become
 * located findings, and (property) no file content ever makes either throw.
 */
import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import fc from 'fast-check';
import { parseSysctlConf } from '../../src/config/sysctl-conf.js';
import { planSysctls } from '../../src/config/sysctl-plan.js';
import { Settings } from '../../src/core/settings.js';
import { parseSysctlArg } from '../../src/daemon/options.js';

describe('parseSysctlConf', () => {
  it('keeps net.ipv4.vs lines with file:line, in either separator, and skips comments and other keys', () => {
    const r = parseSysctlConf(
      [
        '# comment',
        '; comment',
        '',
        'kernel.domainname = example.com',
        '  net.ipv4.vs.expire_nodest_conn = 1  ',
        'net/ipv4/vs/sloppy_tcp=1',
        '-net.ipv4.vs.amemthresh = 10',
        'net.ipv4.ip_forward=1\r',
        // systemd's exclusion of a key from glob patterns (sysctl.d(5)): not an assignment, not an error.
        '-net.ipv4.conf.all.rp_filter',
      ].join('\n'),
      '/etc/sysctl.d/50.conf',
    );
    assert.deepEqual(r.findings, []);
    assert.deepEqual(
      r.assignments.map((a) => [a.key, a.value, 'file' in a.origin && a.origin.line, a.ignoreFailure]),
      [
        ['net.ipv4.vs.expire_nodest_conn', '1', 5, false],
        ['net/ipv4/vs/sloppy_tcp', '1', 6, false],
        ['net.ipv4.vs.amemthresh', '10', 7, true],
      ],
    );
  });

  it('warns with file:line about a line that is not an assignment', () => {
    const r = parseSysctlConf('net.ipv4.vs.sloppy_tcp\n = 3\n', 'f.conf');
    assert.deepEqual(
      r.findings.map((f) => [f.code, f.origin]),
      [
        ['ERR_LVS_SYSCTL_SYNTAX', { file: 'f.conf', line: 1 }],
        ['ERR_LVS_SYSCTL_SYNTAX', { file: 'f.conf', line: 2 }],
      ],
    );
  });
});

describe('planSysctls', () => {
  const file = (text: string, name = 'a.conf') => parseSysctlConf(text, name).assignments;

  it('applies file lines in order, later ones winning, and the command line last', () => {
    const p = planSysctls(
      [
        ...file('net.ipv4.vs.conn_reuse_mode=0\nnet.ipv4.vs.sloppy_tcp=1\n'),
        ...file('net.ipv4.vs.conn_reuse_mode=2\n', 'b.conf'),
      ],
      [parseSysctlArg('conn_reuse_mode=3')],
    );
    const s = new Settings();
    for (const c of p.commands) if (c.op === 'set-sysctl') s.set(c.name, c.value);
    assert.equal(s.get('conn_reuse_mode'), 3);
    assert.equal(s.get('sloppy_tcp'), 1);
    assert.deepEqual(
      p.sources.map((x) => [x.name, x.value, x.from]),
      [
        ['sloppy_tcp', '1', 'a.conf:2'],
        ['conn_reuse_mode', '3', '--sysctl conn_reuse_mode=3'],
      ],
    );
    assert.deepEqual(p.findings, []);
  });

  it('warns about values the kernel would refuse, with file:line, and leaves them out', () => {
    const p = planSysctls(
      file(
        [
          'net.ipv4.vs.sync_ports = 3',
          'net.ipv4.vs.secure_tcp = 4',
          'net.ipv4.vs.sloppy_tcp = yes',
          'net.ipv4.vs.sync_threshold = 50 50',
          'net.ipv4.vs.sync_period = 2',
          'net.ipv4.vs.no_such = 1',
          'net.ipv4.vs.conntrack = 1',
          '-net.ipv4.vs.snat_reroute = 0',
        ].join('\n'),
      ),
      [],
    );
    assert.deepEqual(p.commands, []);
    assert.deepEqual(
      p.findings.map((f) => [f.code, 'file' in f.origin && f.origin.line, f.level]),
      [
        ['ERR_LVS_SYSCTL_VALUE', 1, 'warn'],
        ['ERR_LVS_SYSCTL_VALUE', 2, 'warn'],
        ['ERR_LVS_SYSCTL_VALUE', 3, 'warn'],
        ['ERR_LVS_SYSCTL_VALUE', 4, 'warn'],
        // The default threshold 3 is not below 2: the kernel's proc_do_sync_threshold refuses.
        ['ERR_LVS_INVALID', 5, 'warn'],
        ['ERR_LVS_SYSCTL_UNKNOWN', 6, 'warn'],
        ['ERR_LVS_SYSCTL_UNSUPPORTED', 7, 'warn'],
        // A `-` line's failure is ignored, as procps sysctl does: logged at debug only.
        ['ERR_LVS_SYSCTL_UNSUPPORTED', 8, 'debug'],
      ],
    );
  });

  it('writes a sync_threshold pair in the order that keeps every step valid', () => {
    const p = planSysctls(
      file('net.ipv4.vs.sync_threshold = 60 200\nnet.ipv4.vs.sync_threshold = 1 2\n'),
      [],
    );
    assert.deepEqual(p.findings, []);
    assert.deepEqual(
      p.commands.map((c) => (c.op === 'set-sysctl' ? `${c.name}=${c.value}` : c.op)),
      ['sync_period=200', 'sync_threshold=60', 'sync_threshold=1', 'sync_period=2'],
    );
  });

  it('refuses a --sysctl the settings refuse in context, separately from file findings', () => {
    const p = planSysctls(file('net.ipv4.vs.sync_threshold = 3 10\n'), [parseSysctlArg('sync_threshold=20')]);
    assert.deepEqual(
      p.refusedArgs.map((f) => [f.code, f.origin]),
      [['ERR_LVS_INVALID', { arg: 'sync_threshold=20' }]],
    );
  });

  it('names no stored setting as not acted on: the four the packet plane once ignored are honoured now', () => {
    const p = planSysctls(
      file(
        'net.ipv4.vs.cache_bypass=1\nnet.ipv4.vs.nat_icmp_send=1\nnet.ipv4.vs.pmtu_disc=0\nnet.ipv4.vs.schedule_icmp=1\n',
      ),
      [],
    );
    assert.deepEqual(p.notHonoured, []);
  });
});

const FRAGMENTS = [
  'net.ipv4.vs.',
  'net/ipv4/vs/',
  'net.ipv4.vs.sync_threshold',
  'net.ipv4.vs.sync_ports',
  'net.ipv4.vs.conn_reuse_mode',
  'net.ipv4.vs.sync_period',
  'net.ipv4.vs.amemthresh',
  'kernel.x',
  '=',
  ' ',
  '\t',
  '\n',
  '\r\n',
  '#',
  ';',
  '-',
  '0x1f',
  '010',
  '08',
  '-1',
  '2147483648',
  '99999999999999999999',
  '4',
  '64',
  '3 50',
  '1e3',
  '\u0000',
  'é',
];

test('property: any file content yields located findings or valid settings, never a throw', () => {
  const content = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 60 }).map((a) => a.join('')),
  );
  fc.assert(
    fc.property(content, content, (a, b) => {
      const ra = parseSysctlConf(a, 'a.conf');
      const rb = parseSysctlConf(b, 'b.conf');
      const plan = planSysctls([...ra.assignments, ...rb.assignments], []);
      const lines = { 'a.conf': a.split('\n').length, 'b.conf': b.split('\n').length };
      for (const f of [...ra.findings, ...rb.findings, ...plan.findings]) {
        assert.ok('file' in f.origin);
        const n = lines[f.origin.file as keyof typeof lines];
        assert.ok(f.origin.line >= 1 && f.origin.line <= n, `${f.origin.file}:${f.origin.line}`);
        assert.match(f.code, /^ERR_LVS_/);
      }
      // Every planned command is one a director at its defaults accepts, in order.
      const s = new Settings();
      for (const c of plan.commands) if (c.op === 'set-sysctl') s.set(c.name, c.value);
      for (const src of plan.sources) assert.match(src.from, /^[ab]\.conf:\d+$/);
    }),
    { numRuns: 500 },
  );
});
