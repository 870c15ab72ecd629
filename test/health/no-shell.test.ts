/**
 * No operator-supplied string reaches a shell: keepalived execve()s its scripts (lib/notify.c
 * system_call_script(), SC_EXECABLE), and lvsd spawns argv directly, so `;`, `$(...)`, backticks
 * and `|` in a MISC_CHECK path or argument, an ldirectord checkcommand, or a notify argument are
 * ordinary characters. Each case would create a marker file if a shell ever saw it.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseKeepalived } from '../../src/config/keepalived/index.js';
import { parseLdirectord } from '../../src/config/ldirectord/parser.js';
import type { CheckerConfig, LvsModel } from '../../src/config/model.js';
import { createChecker } from '../../src/health/probes/index.js';
import { runCommand } from '../../src/health/probes/misc.js';
import { memIo } from '../config/mem-io.js';

const dir = mkdtempSync(join(tmpdir(), 'lvs-noshell-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const marker = (n: string) => join(dir, n);

/** Shell injections that would create `marker(n)`. */
const injections = (n: string) => [
  `; touch ${marker(n)}`,
  `$(touch ${marker(n)})`,
  `\`touch ${marker(n)}\``,
  `| touch ${marker(n)}`,
  `&& touch ${marker(n)}`,
];

function miscOf(m: LvsModel): CheckerConfig {
  const ck = m.services[0]?.reals[0]?.checkers[0];
  assert.ok(ck?.type === 'misc', 'a misc checker');
  return ck;
}

const keepalived = (misc: string) => `virtual_server 192.0.2.1 80 {
  protocol TCP
  real_server 198.51.100.2 80 {
    MISC_CHECK {
      misc_path "${misc}"
    }
  }
}
`;

describe('scripts never run through a shell', () => {
  it('keeps `; touch`, `$(...)`, backticks, `|` and `&&` in a MISC_CHECK line as plain arguments', async () => {
    for (const [i, inj] of injections('k').entries()) {
      const m = parseKeepalived('/k.conf', memIo({ '/k.conf': keepalived(`/bin/echo x ${inj}`) })).model;
      const ck = miscOf(m);
      const r = await createChecker(ck, m.services[0]!).check({ timeoutMs: 5000, part: 0 });
      assert.equal(r.ok, true, `echo ran (case ${i}): ${r.message}`);
      assert.equal(existsSync(marker('k')), false, `case ${i} ran a shell: ${inj}`);
    }
  });

  it('treats a script path containing `; touch` as one file name that does not exist', async () => {
    const m = parseKeepalived(
      '/k.conf',
      memIo({ '/k.conf': keepalived(`'/bin/true; touch ${marker('p')}'`) }),
    ).model;
    const ck = miscOf(m);
    assert.equal(ck.type === 'misc' && ck.script.argv.length, 1);
    const r = await createChecker(ck, m.services[0]!).check({ timeoutMs: 5000, part: 0 });
    assert.equal(r.ok, false);
    assert.match(r.message, /ENOENT/);
    assert.equal(existsSync(marker('p')), false);
  });

  it('passes an ldirectord checkcommand as one program name, never to sh -c', async () => {
    const text = `virtual=192.0.2.1:80\n\treal=198.51.100.2:80 gate\n\tchecktype=external\n\tcheckcommand="/bin/true; touch ${marker('l')}"\n`;
    const m = parseLdirectord('/l.cf', text).model;
    const ck = miscOf(m);
    const r = await createChecker(ck, m.services[0]!).check({ timeoutMs: 5000, part: 0 });
    assert.match(r.message, /ENOENT/);
    assert.equal(existsSync(marker('l')), false);
  });

  it('hands notify arguments to the program unexpanded', async () => {
    for (const inj of injections('n')) {
      const r = await runCommand(['/bin/echo', 'INSTANCE', inj, 'MASTER', '100'], 5000);
      assert.equal(r.code, 0);
      assert.equal(existsSync(marker('n')), false, inj);
    }
  });

  it('has no shell: true, exec() or execSync() anywhere in src', () => {
    const found: string[] = [];
    const walk = (d: string) => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts')) {
          const t = readFileSync(p, 'utf8');
          if (/\bshell\s*:\s*(true|['"`])/.test(t)) found.push(`${p}: shell option`);
          if (/import\s*\{[^}]*\b(exec|execSync)\b[^}]*\}\s*from\s*'node:child_process'/.test(t))
            found.push(`${p}: exec/execSync`);
          if (/spawn(Sync)?\(\s*['"](\/bin\/)?(ba)?sh['"]/.test(t)) found.push(`${p}: spawns a shell`);
        }
      }
    };
    walk('src');
    assert.deepEqual(found, []);
  });
});
