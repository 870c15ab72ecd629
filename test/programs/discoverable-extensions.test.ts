/**
 * The extensions can be found from the tools themselves (issue 20, point 3): `lvsadm
 * --help-extensions`, `-h`/`-v` byte-exact through a pipe but pointing at the extensions on a
 * terminal, `lvsd --version`, and `lvsd --help` listing every subcommand, each of which answers
 * `--help` with exit 0. Everything runs the real bin/ scripts (built dist/) as a user would.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { IMITATED, LVS_TS_VERSION } from '../../src/core/version.js';
import { LVSD_SUBCOMMANDS } from '../../src/daemon/options.js';
import { COMMAND_OPTS, OPTION_OPTS } from '../../src/ipvsadm/parse-tables.js';
import { EXTENSIONS_TEXT, TERMINAL_NOTE, usageText, VERSION_LINE } from '../../src/ipvsadm/usage.js';
import { run } from '../../src/programs/lvsadm/main.js';

function bin(name: 'lvsd' | 'lvsadm', args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [`bin/${name}`, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, LVSD_SOCKET: '/nonexistent/lvsd.sock' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Runs a bin/ script with stdout on a pseudo-terminal (util-linux script(1)). */
function onTerminal(cmd: string): string | undefined {
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 ? r.stdout.replaceAll('\r\n', '\n') : undefined;
}
const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

describe('lvsadm --help-extensions', () => {
  it('prints the extensions, naming LVS.ts and its version, and exits 0', () => {
    const r = bin('lvsadm', ['--help-extensions']);
    assert.equal(r.code, 0);
    assert.equal(r.err, '');
    assert.equal(r.out, EXTENSIONS_TEXT);
    assert.match(r.out.split('\n')[0] ?? '', new RegExp(`^lvsadm \\(LVS\\.ts ${LVS_TS_VERSION}\\)`));
    for (const w of [
      'lab up',
      '--health',
      '--availability',
      '--status',
      '--vrrp',
      '--start-daemon',
      '--sync-origin',
      '--sysctl',
      '--fullnat',
      ' -P ',
      ' -Q ',
      ' -G ',
      '--socket',
      'lvsd --help',
      'lvsd --version',
    ]) {
      assert.ok(r.out.includes(w), `mentions ${w}`);
    }
  });

  it('documents every option lvsadm accepts that ipvsadm 1.31 -h does not list', () => {
    const ipvsadmHelp = usageText('lvsadm');
    const missing = [...COMMAND_OPTS, ...OPTION_OPTS]
      .map((o) => (o.long !== undefined ? `--${o.long}` : undefined))
      .filter((l): l is string => l !== undefined)
      .filter((l) => !new RegExp(`${l}\\b`).test(ipvsadmHelp))
      .filter((l) => !EXTENSIONS_TEXT.includes(l));
    assert.deepEqual(missing, []);
  });

  it('is taken after --socket too, and needs no daemon', () => {
    const r = bin('lvsadm', ['--socket', '/nonexistent/x.sock', '--help-extensions']);
    assert.deepEqual([r.code, r.out], [0, EXTENSIONS_TEXT]);
  });
});

describe('lvsadm -h and -v', () => {
  it('stay ipvsadm 1.31 byte for byte when stdout is not a terminal', () => {
    assert.deepEqual(bin('lvsadm', ['-h']), { code: 0, out: usageText('lvsadm'), err: '' });
    assert.deepEqual(bin('lvsadm', ['-v']), { code: 0, out: `${VERSION_LINE}\n`, err: '' });
    assert.deepEqual(bin('lvsadm', ['--version']), { code: 0, out: `${VERSION_LINE}\n`, err: '' });
  });

  it('add one line naming LVS.ts and --help-extensions when stdout is a terminal (runner)', async () => {
    for (const arg of ['-h', '-v', '--version', '--help']) {
      let out = '';
      const code = await run([arg], {
        stdout: (t) => {
          out += t;
        },
        stderr: () => {},
        readStdin: async () => '',
        connect: () => Promise.reject(new Error('no connection expected')),
        socketEnv: { uid: 0, env: {} },
        stdoutIsTTY: true,
      });
      assert.equal(code, 0);
      assert.ok(out.endsWith(TERMINAL_NOTE), `${arg} ends with the note`);
      assert.match(TERMINAL_NOTE, new RegExp(`LVS\\.ts ${LVS_TS_VERSION}.*lvsadm --help-extensions`));
    }
  });

  it('add that line on a real terminal', { skip: hasScript ? false : 'script(1) not installed' }, () => {
    const out = onTerminal(`${process.execPath} bin/lvsadm -v`);
    assert.equal(out, `${VERSION_LINE}\n${TERMINAL_NOTE}`);
  });
});

describe('lvsd --version', () => {
  it('names LVS.ts, its version and the versions it imitates, and exits 0', () => {
    for (const arg of ['--version', '-v']) {
      const r = bin('lvsd', [arg]);
      assert.equal(r.code, 0, r.err);
      const first = r.out.split('\n')[0];
      assert.equal(first, `lvsd (LVS.ts) ${LVS_TS_VERSION}`);
      for (const v of [
        `ipvsadm ${IMITATED.ipvsadm}`,
        `keepalived ${IMITATED.keepalived}`,
        `IPVS ${IMITATED.ipvs}`,
      ]) {
        assert.ok(r.out.includes(v), `mentions ${v}`);
      }
    }
  });

  it('reports the version package.json declares', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    assert.equal(LVS_TS_VERSION, pkg.version);
  });
});

describe('lvsd subcommands', () => {
  const help = bin('lvsd', ['--help']);
  const listed = [...help.out.matchAll(/^ {2}([a-z][\w-]*) {2,}/gm)]
    .map((m) => m[1] as string)
    .filter((n) => !n.startsWith('-'));

  it('lvsd --help lists every subcommand', () => {
    assert.equal(help.code, 0);
    assert.deepEqual(listed.sort(), Object.keys(LVSD_SUBCOMMANDS).sort());
  });

  for (const name of Object.keys(LVSD_SUBCOMMANDS)) {
    it(`lvsd ${name} --help prints its usage and exits 0`, () => {
      for (const arg of ['--help', '-h']) {
        const r = bin('lvsd', [name, arg]);
        assert.equal(r.code, 0, `${name} ${arg}: ${r.err}`);
        assert.match(r.out, new RegExp(`^Usage: lvsd ${name} `));
      }
    });
  }

  it('lvsadm lab --help prints the lab usage and exits 0', () => {
    const r = bin('lvsadm', ['lab', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.out, /^Usage: lvsadm lab /);
  });
});
