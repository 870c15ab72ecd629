/**
 * `lvsd --check-config FILE` as a process: keepalived -t exit codes (0 clean, 5 non-fatal
 * findings, 4 fatal), ldirectord's 2, every finding printed as FILE:LINE, `--config-id` choosing
 * `@ID` lines; and `lvsd --config` refusing to start on a file that cannot be used.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { spawnLvsd, tempDir, waitReady } from '../daemon/lvsd-process.js';
import { runBin } from './config-helpers.js';

let dir: string;
before(() => {
  dir = tempDir();
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const check = (...args: string[]) => runBin('lvsd', ['--check-config', ...args]);

const SERVICE = `virtual_server 127.0.0.1 18080 {
    lvs_sched rr
    lvs_method NAT
    protocol TCP
    real_server 127.0.0.1 18081 {
        TCP_CHECK {
        }
    }
}
`;

test('a clean keepalived.conf (the e2e fixture with its include) exits 0 with no findings', async () => {
  copyFileSync('test/fixtures/keepalived/e2e-web.conf', join(dir, 'e2e.conf'));
  file('ports.conf', '$VPORT=18080\n$RS_A=18081\n$RS_B=18082\n$SORRY=18083\n');
  const r = await check(join(dir, 'e2e.conf'));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /keepalived configuration OK: 1 virtual services/);
});

test('a silently fixed value exits 5 and names the file and line', async () => {
  const p = file('noproto.conf', SERVICE.replace('    protocol TCP\n', ''));
  const r = await check(p);
  assert.equal(r.code, 5);
  // keepalived defaults a missing protocol to UDP with a warning, reported at the virtual_server.
  assert.match(r.stderr, new RegExp(`^${p}:1: warning: .*\\(ERR_CONFIG_\\w+\\)$`, 'm'));
});

test('an unknown keyword and a missing brace are errors at their own lines (exit 5)', async () => {
  const p = file(
    'broken.conf',
    SERVICE.replace('    lvs_sched rr\n', '    lvs_sched rr\n    no_such_thing 1\n').replace(/}\n$/, ''),
  );
  const r = await check(p);
  assert.equal(r.code, 5);
  assert.match(
    r.stderr,
    new RegExp(`^${p}:3: error: unknown keyword 'no_such_thing' \\(ERR_CONFIG_UNKNOWN_KEYWORD\\)$`, 'm'),
  );
  assert.match(r.stderr, new RegExp(`^${p}:\\d+: error: .*missing '\\}'.*\\(ERR_CONFIG_SYNTAX\\)$`, 'm'));
});

test('a missing file is fatal: exit 4', async () => {
  const r = await check(join(dir, 'nope.conf'));
  assert.equal(r.code, 4);
  assert.match(r.stderr, /nope\.conf:0: fatal: .*\(ERR_CONFIG_FILE_NOT_FOUND\)/);
});

test('--config-id selects @ID lines', async () => {
  const p = file('cond.conf', `@high global_defs {\n@high }\n@low bogus_keyword 1\n${SERVICE}`);
  assert.equal((await check(p, '--config-id', 'high')).code, 0);
  const low = await check(p, '--config-id', 'low');
  assert.equal(low.code, 5);
  assert.match(low.stderr, new RegExp(`^${p}:3: error: unknown keyword 'bogus_keyword'`, 'm'));
});

test('ldirectord.cf: clean exits 0, an unknown directive exits 2 with file:line', async () => {
  const good = 'checkinterval=1\n\nvirtual=127.0.0.1:18080\n\treal=127.0.0.1:18081 masq 1\n\tservice=http\n';
  const ok = await check(file('good.cf', good), '--config-format', 'ldirectord');
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /ldirectord configuration OK/);
  const p = file('ldirectord-bad.cf', `bogus=1\n${good}`);
  const bad = await check(p);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, new RegExp(`^${p}:1: error: .*\\(ERR_CONFIG_UNKNOWN_KEYWORD\\)$`, 'm'));
});

test('lvsd --config refuses to start on a fatal file: exit 1, findings printed, no socket', async () => {
  const socket = join(dir, 'refused.sock');
  const r = await runBin('lvsd', ['--socket', socket, '--config', join(dir, 'missing.conf')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /missing\.conf:0: fatal: /);
  assert.equal(existsSync(socket), false);
});

test('lvsd --config with an ldirectord file that has an error refuses to start (ldirectord exits on it)', async () => {
  const socket = join(dir, 'refused2.sock');
  const p = file('ld-start.cf', 'bogus=1\n\nvirtual=127.0.0.1:18080\n\treal=127.0.0.1:18081 masq\n');
  const r = await runBin('lvsd', ['--socket', socket, '--config', p]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`${p}:1: error: `));
  assert.equal(existsSync(socket), false);
});

test('lvsadm --health against an lvsd without --config says so and exits 255', async () => {
  const d = spawnLvsd([]);
  try {
    await waitReady(d);
    // `spawnLvsd([])` passes only --socket, so this lvsd runs no demo and no configuration.
    const r = await runBin('lvsadm', ['--socket', d.socket, '--health']);
    assert.equal(r.code, 255);
    assert.match(r.stderr, /^lvsadm: --health: lvsd runs no health checks \(start it with --config FILE\)$/m);
    const listed = await runBin('lvsadm', ['--socket', d.socket, '-L', '--availability']);
    assert.equal(listed.code, 255);
  } finally {
    await d.stop();
  }
});
