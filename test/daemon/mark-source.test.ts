import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hasMarkSource, loadMarks, loadMarksOffLoop } from '../../src/daemon/mark-source.js';
import { parseLvsdArgs } from '../../src/daemon/options.js';
import type { SocketEnv } from '../../src/daemon/socket-path.js';

const se: SocketEnv = { env: {}, uid: 0 };
const never = () => false;

describe('lvsd --mark / --mark-file / --mark-format', () => {
  it('collects repeated --mark, the file and its format', () => {
    const a = parseLvsdArgs(
      [
        '--dataplane',
        'packet',
        '--interface',
        'eth0',
        '--mark',
        'tcp dport 80 mark 1',
        '--mark',
        'udp mark 2',
      ].concat(['--mark-file', '/etc/lvs/marks', '--mark-format', 'nft']),
      se,
      never,
    );
    assert.equal(a.kind, 'run');
    if (a.kind !== 'run') return;
    assert.deepEqual(a.options.marks, ['tcp dport 80 mark 1', 'udp mark 2']);
    assert.equal(a.options.markFile, '/etc/lvs/marks');
    assert.equal(a.options.markFormat, 'nft');
    assert.equal(hasMarkSource(a.options), true);
  });

  for (const [argv, want] of [
    [['--mark-format', 'pf', '--mark-file', 'x'], /unknown mark format 'pf'/],
    [['--mark-format', 'nft'], /--mark-format needs --mark-file/],
    [['--mark-file', ''], /--mark-file needs a file/],
  ] as const) {
    it(`refuses ${argv.join(' ')} as a usage error (exit 2)`, () => {
      const a = parseLvsdArgs(argv, se, never);
      assert.equal(a.kind, 'error');
      if (a.kind === 'error') {
        assert.equal(a.exitCode, 2);
        assert.match(a.text, want);
      }
    });
  }

  it('loads --mark rules first, then the file, in first-match order', () => {
    const m = loadMarks(
      { marks: ['tcp dport 80 mark 1'], markFile: 'm.txt' },
      () => 'udp dport 53 mark 2\n# comment\nmark 3\n',
    );
    assert.ok(m.ok);
    if (m.ok)
      assert.deepEqual(
        m.rules.map((r) => [r.mark, r.origin]),
        [
          [1, '--mark #1'],
          [2, 'm.txt:1'],
          [3, 'm.txt:3'],
        ],
      );
  });

  it('refuses the whole load with file:line:column lines and stable codes', () => {
    const m = loadMarks(
      { marks: ['tcp mark 0'], markFile: 'm.txt' },
      () => 'tcp dport 80 mark 1\ntcp dst 192.0.2.999 mark 1\n',
    );
    assert.equal(m.ok, false);
    if (!m.ok)
      assert.deepEqual(m.lines, [
        "--mark:1:10: mark '0' is not 1..4294967295 (ERR_MARK_VALUE)",
        "m.txt:2:9: '192.0.2.999' is not an IPv4 or IPv6 address or prefix (ERR_MARK_ADDR)",
      ]);
  });

  it('says why an unreadable file cannot be loaded (ERR_MARK_FILE)', () => {
    const m = loadMarks({ markFile: '/nonexistent/marks' });
    assert.equal(m.ok, false);
    if (!m.ok)
      assert.match(
        m.lines[0] ?? '',
        /^\/nonexistent\/marks: cannot read the mark file \(ENOENT\) \(ERR_MARK_FILE\)$/,
      );
  });
});

describe('lvsd with bad mark rules', () => {
  it('refuses to start (exit 1) with one file:line:column line per finding and no stack', () => {
    const r = spawnSync(
      process.execPath,
      [
        'bin/lvsd',
        '--sysctl-files',
        'none',
        '--dataplane',
        'none',
        '--socket',
        '/nonexistent/x.sock',
        '--mark',
        'tcp dport 80 mark 1',
        '--mark',
        'tcp dst 192.0.2.1/40 mark 2',
      ],
      { encoding: 'utf8', timeout: 20_000, env: { ...process.env, LVSD_SOCKET: '' } },
    );
    assert.equal(r.status, 1, r.stderr);
    assert.equal(
      r.stderr,
      "lvsd: --mark:2:9: prefix length '40' is not 0..32 (ERR_MARK_ADDR)\nlvsd: mark rules refused, not starting\n",
    );
  });
});

describe('--mark-file re-read on SIGHUP, off the event loop', () => {
  it('reads the rules a regular file holds, as loadMarks does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvs-marks-'));
    try {
      const f = join(dir, 'marks');
      writeFileSync(f, 'udp dport 53 mark 2\nmark 3\n');
      const m = await loadMarksOffLoop({ marks: ['tcp dport 80 mark 1'], markFile: f });
      assert.deepEqual(m, loadMarks({ marks: ['tcp dport 80 mark 1'], markFile: f }));
      assert.ok(m.ok && m.rules.length === 3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a FIFO, a device and a missing file at once, with ERR_MARK_FILE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvs-marks-'));
    try {
      const fifo = join(dir, 'fifo');
      assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
      const t0 = Date.now();
      for (const [file, why] of [
        [fifo, 'not a regular file'],
        ['/dev/zero', 'not a regular file'],
        [join(dir, 'none'), 'ENOENT'],
      ] as const) {
        const m = await loadMarksOffLoop({ markFile: file });
        assert.deepEqual(m, {
          ok: false,
          lines: [`${file}: cannot read the mark file (${why}) (ERR_MARK_FILE)`],
        });
      }
      assert.ok(Date.now() - t0 < 2000, 'a FIFO held the read');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
