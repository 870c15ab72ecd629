/**
 * `lvsd --bgp` when BIRD is not there yet or refuses the reload, against a real BIRD 2 in a
 * namespace (no BGP session needed: BIRD's own table shows the static route). lvsd logs each
 * failure once with its code, keeps serving, and catches up once BIRD starts or its file is fixed.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { tempDir } from '../daemon/lvsd-process.js';
import { type Netns, netnsSkipReason, withNetns } from '../helpers/netns.js';

const run = promisify(execFile);
const skip =
  netnsSkipReason() ??
  (spawnSync('bird', ['--version']).status === 0
    ? undefined
    : 'bird2 is not installed (scripts/test-peers.mjs)');

async function until(what: string, ms: number, cond: () => boolean | Promise<boolean>): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function lvsadm(socket: string, ...args: string[]) {
  return run(process.execPath, ['bin/lvsadm', '--socket', socket, ...args]).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
}

test('lvsd --bgp waits for BIRD, reports a refused reload with BIRD’s words, and recovers', {
  skip,
  timeout: 120_000,
}, async () => {
  const dir = tempDir();
  const include = join(dir, 'lvs-vips.conf');
  const conf = join(dir, 'bird.conf');
  const ctl = join(dir, 'bird.ctl');
  const socket = join(dir, 'lvsd.sock');
  const good = `router id 192.0.2.1;\ninclude "${include}";\n`;
  writeFileSync(conf, good);
  writeFileSync(include, '');
  await withNetns({ namespaces: ['dir'] }, async (ns: Netns) => {
    ns.ip('dir', 'addr', 'add', '192.0.2.10/32', 'dev', 'lo');
    ns.ip('dir', 'addr', 'add', '2001:db8::10/128', 'dev', 'lo', 'nodad');
    const lvsd = ns.spawn('dir', [
      process.execPath,
      'bin/lvsd',
      '--socket',
      socket,
      '--sysctl-files',
      'none',
      '--log-format',
      'json',
      '--bgp',
      '--bgp-include',
      include,
      '--bgp-socket',
      ctl,
    ]);
    let log = '';
    lvsd.stderr?.on('data', (b: Buffer) => {
      log += b.toString();
    });
    const count = (code: string) => log.split('\n').filter((l) => l.includes(`"code":"${code}"`)).length;
    const birdRoute = () =>
      ns.exec('dir', ['birdc', '-s', ctl, 'show', 'route', '192.0.2.10/32']).stdout.includes('lvs_vips');
    try {
      await until('lvsd ready', 15_000, async () => (await lvsadm(socket, '-Ln')).code === 0);
      assert.equal((await lvsadm(socket, '-A', '-t', '192.0.2.10:80', '-s', 'rr')).code, 0);
      assert.equal(
        (await lvsadm(socket, '-a', '-t', '192.0.2.10:80', '-r', '203.0.113.2:8080', '-m')).code,
        0,
      );
      assert.equal((await lvsadm(socket, '-A', '-t', '[2001:db8::10]:80', '-s', 'rr')).code, 0);
      const rs6 = await lvsadm(socket, '-a', '-t', '[2001:db8::10]:80', '-r', '[2001:db8::2]:8080', '-m');
      assert.equal(rs6.code, 0, rs6.stderr);
      // No BIRD yet: one line with the code however many retries pass; the VIP is served meanwhile.
      await until('the unreachable error', 10_000, () => count('ERR_LVS_BIRD_UNREACHABLE') > 0);
      await new Promise((r) => setTimeout(r, 4500));
      assert.equal(count('ERR_LVS_BIRD_UNREACHABLE'), 1, log);
      assert.match((await lvsadm(socket, '-L', '--status')).stdout, /TCP 192\.0\.2\.10:80\s+served/);

      // BIRD starts: lvsd notices on its next read and reloads it with the VIP.
      ns.spawn('dir', ['bird', '-f', '-c', conf, '-s', ctl, '-P', join(dir, 'bird.pid')]);
      // (BIRD reads the include lvsd already wrote at its own start, so the route comes first.)
      await until('the VIP in BIRD', 15_000, birdRoute);
      await until('lvsd back in step with BIRD', 10_000, () => /BIRD reachable again/.test(log));
      // The IPv6 VIP is in the second static protocol.
      const route6 = ns.exec('dir', ['birdc', '-s', ctl, 'show', 'route', '2001:db8::10/128']).stdout;
      assert.match(route6, /2001:db8::10\/128\s+blackhole \[lvs_vips6 /);

      // The operator's file breaks: the next reload is refused, BIRD keeps the VIP it had.
      writeFileSync(conf, `${good}protocol static lvs_vips { ipv4; }\n`);
      assert.equal((await lvsadm(socket, '--bgp-drain')).code, 0);
      await until('the refused reload', 10_000, () => count('ERR_LVS_BIRD_CONFIGURE') > 0);
      const show = (await lvsadm(socket, '--bgp')).stdout;
      assert.match(show, /Error: BIRD refused the reload: .*bird\.conf:\d+:\d+ .*\(ERR_LVS_BIRD_CONFIGURE\)/);
      assert.match(show, /192\.0\.2\.10\/32\s+withdrawing\s+drained/);
      assert.ok(birdRoute(), 'BIRD keeps its configuration when it refuses a file');
      await new Promise((r) => setTimeout(r, 4500));
      assert.equal(count('ERR_LVS_BIRD_CONFIGURE'), 1, log);

      // Fixed: the retry goes through and the drain takes effect.
      writeFileSync(conf, good);
      await until('the drain in BIRD', 10_000, () => !birdRoute());
      assert.doesNotMatch((await lvsadm(socket, '--bgp')).stdout, /Error:/);
    } finally {
      lvsd.kill('SIGKILL');
    }
  });
});
