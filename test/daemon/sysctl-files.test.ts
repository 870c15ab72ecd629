/**
 * Which sysctl files lvsd reads and in what order: sysctl.d(5) / procps `sysctl --system` rules
 * (files sorted by name across the directories, an earlier directory's file masking a same-named
 * later one, /etc/sysctl.conf last), on an in-memory file system and on real temp directories.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { orderSysctlFiles } from '../../src/config/sysctl-d-order.js';
import { startupSysctls } from '../../src/daemon/startup-sysctls.js';
import { readSysctlFiles, type SysctlFs } from '../../src/daemon/sysctl-files.js';

function memFs(files: Record<string, string>): SysctlFs {
  const dirs = new Set<string>();
  for (const f of Object.keys(files)) dirs.add(f.slice(0, f.lastIndexOf('/')));
  return {
    kind: (p) => (dirs.has(p) ? 'dir' : p in files ? 'file' : undefined),
    readdir: (d) =>
      Object.keys(files)
        .filter((f) => f.startsWith(`${d}/`) && !f.slice(d.length + 1).includes('/'))
        .map((f) => f.slice(d.length + 1)),
    readFile: (p) => {
      const t = files[p];
      if (t === undefined) throw Object.assign(new Error('no'), { code: 'ENOENT' });
      return t;
    },
  };
}

describe('sysctl.d order', () => {
  it('sorts by file name across directories, masks later same names, reads plain files last', () => {
    assert.deepEqual(
      orderSysctlFiles(
        [
          { dir: '/etc/sysctl.d', names: ['90-lvs.conf', '10-a.conf', 'README', '.hidden.conf'] },
          { dir: '/run/sysctl.d', names: ['50-b.conf', '90-lvs.conf'] },
          { dir: '/usr/lib/sysctl.d/', names: ['10-a.conf', '05-z.conf', '99-Z.conf', '99-a.conf'] },
        ],
        ['/etc/sysctl.conf'],
      ),
      [
        '/usr/lib/sysctl.d/05-z.conf',
        '/etc/sysctl.d/10-a.conf',
        '/run/sysctl.d/50-b.conf',
        '/etc/sysctl.d/90-lvs.conf',
        // Byte order, as strcmp: 'Z' (0x5a) sorts before 'a' (0x61).
        '/usr/lib/sysctl.d/99-Z.conf',
        '/usr/lib/sysctl.d/99-a.conf',
        '/etc/sysctl.conf',
      ],
    );
  });

  it('reads the system paths by default: a masked file is never read and sysctl.conf has the last word', () => {
    const fs = memFs({
      '/etc/sysctl.d/50-lvs.conf': 'net.ipv4.vs.sloppy_tcp = 1\n',
      '/usr/lib/sysctl.d/50-lvs.conf': 'net.ipv4.vs.sloppy_tcp = 0\nnet.ipv4.vs.sloppy_sctp = 1\n',
      '/usr/lib/sysctl.d/10-early.conf': 'net.ipv4.vs.conn_reuse_mode = 0\n',
      '/usr/local/lib/sysctl.d/60-late.conf': 'net.ipv4.vs.conn_reuse_mode = 2\n',
      '/etc/sysctl.conf': 'net.ipv4.vs.expire_nodest_conn = 1\nnet.ipv4.vs.conn_reuse_mode = 3\n',
    });
    const r = readSysctlFiles(undefined, fs);
    assert.deepEqual(r.files, [
      '/usr/lib/sysctl.d/10-early.conf',
      '/etc/sysctl.d/50-lvs.conf',
      '/usr/local/lib/sysctl.d/60-late.conf',
      '/etc/sysctl.conf',
    ]);
    assert.deepEqual(r.findings, []);
    const s = startupSysctls({}, fs);
    assert.deepEqual(
      s.plan.sources.map((x) => `${x.name}=${x.value} ${x.from}`),
      [
        'sloppy_tcp=1 /etc/sysctl.d/50-lvs.conf:1',
        'expire_nodest_conn=1 /etc/sysctl.conf:1',
        'conn_reuse_mode=3 /etc/sysctl.conf:2',
      ],
    );
  });

  it('skips missing default paths silently but warns about a given path it cannot read', () => {
    assert.deepEqual(readSysctlFiles(undefined, memFs({})).findings, []);
    const r = readSysctlFiles(['/nope', '/etc/x.conf'], memFs({ '/etc/x.conf': 'net.ipv4.vs.sloppy_tcp=1' }));
    assert.deepEqual(
      r.findings.map((f) => [f.code, f.origin]),
      [['ERR_LVS_SYSCTL_READ', { file: '/nope', line: 0 }]],
    );
    assert.equal(r.assignments.length, 1);
  });

  it('reads nothing with --sysctl-files none, and --sysctl still applies', () => {
    const s = startupSysctls(
      { sysctlFiles: 'none', sysctls: [] },
      memFs({ '/etc/sysctl.conf': 'net.ipv4.vs.sloppy_tcp=1' }),
    );
    assert.equal(s.skipped, true);
    assert.deepEqual(s.files, []);
    assert.deepEqual(s.plan.commands, []);
  });

  it('reads real directories and files given with --sysctl-files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvs-sysctl-'));
    try {
      mkdirSync(join(dir, 'a'));
      mkdirSync(join(dir, 'b'));
      writeFileSync(join(dir, 'a', '20-x.conf'), 'net.ipv4.vs.sloppy_tcp = 1\n');
      writeFileSync(join(dir, 'b', '20-x.conf'), 'net.ipv4.vs.sloppy_tcp = 0\n');
      writeFileSync(join(dir, 'b', '10-y.conf'), 'net.ipv4.vs.sync_ports = 4\n');
      writeFileSync(join(dir, 'main.conf'), 'net.ipv4.vs.expire_nodest_conn=1\n');
      const r = readSysctlFiles([join(dir, 'a'), join(dir, 'b'), join(dir, 'main.conf')]);
      assert.deepEqual(r.files, [
        join(dir, 'b', '10-y.conf'),
        join(dir, 'a', '20-x.conf'),
        join(dir, 'main.conf'),
      ]);
      assert.deepEqual(
        r.assignments.map((a) => `${a.key}=${a.value}`),
        ['net.ipv4.vs.sync_ports=4', 'net.ipv4.vs.sloppy_tcp=1', 'net.ipv4.vs.expire_nodest_conn=1'],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
