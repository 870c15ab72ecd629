/**
 * lvsd warns at load for each rule its data plane will not serve, whichever source loaded it:
 * an ipvsadm rules file (`--restore`), an ldirectord.cf and a keepalived.conf, each with a DR
 * real server on the default proxy plane; a rule added later with lvsadm, and a health change, are
 * reported the same way. The real servers are at 198.51.100.2, not a host address: one at a host
 * address (127.0.0.2 is one) is served by a local connect.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../proxy/helpers.js';
import { spawnLvsd, tempDir, waitReady } from './lvsd-process.js';

const DR = 'direct routing (-g) needs the packet data plane';

async function warnings(args: (dir: string, port: number) => string[], port: number): Promise<string[]> {
  const dir = tempDir();
  const d = spawnLvsd(args(dir, port), { dir });
  try {
    await waitReady(d, 20_000);
    const want = `real server [198.51.100.2]:tcp:${port} of [127.0.0.1]:tcp:${port} not served: ${DR}`;
    const end = Date.now() + 5000;
    while (!d.stderr().includes(want) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    return d
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('{') && l.includes('not served'))
      .map((l) => (JSON.parse(l) as { msg: string }).msg);
  } finally {
    await d.stop();
  }
}

function expectDrWarnings(got: readonly string[], port: number): void {
  assert.ok(
    got.includes(`real server [198.51.100.2]:tcp:${port} of [127.0.0.1]:tcp:${port} not served: ${DR}`),
    got.join('\n'),
  );
  assert.ok(
    got.includes(`virtual service [127.0.0.1]:tcp:${port} not served: no real server can be reached: ${DR}`),
    got.join('\n'),
  );
}

test('--restore: a DR rule on the proxy plane is a "not served" warning at load', async () => {
  const port = await freePort();
  const got = await warnings((dir, p) => {
    const f = join(dir, 'rules');
    writeFileSync(f, `-A -t 127.0.0.1:${p} -s rr\n-a -t 127.0.0.1:${p} -r 198.51.100.2:${p} -g\n`);
    return ['--restore', f];
  }, port);
  expectDrWarnings(got, port);
});

test('ldirectord.cf: a gate real server on the proxy plane is a "not served" warning at load', async () => {
  const port = await freePort();
  const got = await warnings((dir, p) => {
    const f = join(dir, 'ldirectord.cf');
    writeFileSync(
      f,
      `virtual=127.0.0.1:${p}\n\treal=198.51.100.2:${p} gate\n\tchecktype=on\n\tscheduler=rr\n`,
    );
    return ['--config', f];
  }, port);
  expectDrWarnings(got, port);
});

test('keepalived.conf: a lb_kind DR real server on the proxy plane is a "not served" warning at load', async () => {
  const port = await freePort();
  const got = await warnings((dir, p) => {
    const f = join(dir, 'keepalived.conf');
    writeFileSync(
      f,
      `virtual_server 127.0.0.1 ${p} {\n lb_algo rr\n lb_kind DR\n protocol TCP\n real_server 198.51.100.2 ${p} {\n }\n}\n`,
    );
    return ['--config', f];
  }, port);
  expectDrWarnings(got, port);
});

test('lvsadm: a service added later with no real server is reported, and served once one is added', async () => {
  const port = await freePort();
  const dir = tempDir();
  const d = spawnLvsd([], { dir });
  const lvsadm = (args: string) =>
    spawnSync(process.execPath, ['bin/lvsadm', '--socket', d.socket, ...args.split(' ')], {
      encoding: 'utf8',
    });
  try {
    await waitReady(d, 20_000);
    assert.equal(lvsadm(`-A -t 127.0.0.1:${port} -s rr`).status, 0);
    const not = `virtual service [127.0.0.1]:tcp:${port} not served: no real server in the table`;
    const end = Date.now() + 5000;
    while (!d.stderr().includes(not) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    assert.ok(d.stderr().includes(not), d.stderr());
    assert.equal(lvsadm(`-a -t 127.0.0.1:${port} -r 198.51.100.2:${port} -m`).status, 0);
    const back = `virtual service [127.0.0.1]:tcp:${port} served`;
    const end2 = Date.now() + 5000;
    while (!d.stderr().includes(back) && Date.now() < end2) await new Promise((r) => setTimeout(r, 100));
    assert.ok(d.stderr().includes(back), d.stderr());
  } finally {
    await d.stop();
  }
});

test('health change: a real server failing its TCP_CHECK makes the service "not served" in --status and the log, and served again once it passes', async () => {
  const port = await freePort();
  const rsPort = await freePort();
  const dir = tempDir();
  const f = join(dir, 'keepalived.conf');
  writeFileSync(
    f,
    `virtual_server 127.0.0.1 ${port} {
 lb_algo rr
 lb_kind NAT
 protocol TCP
 delay_loop 1
 real_server 127.0.0.1 ${rsPort} {
  TCP_CHECK {
   connect_timeout 1
   retry 0
  }
 }
}
`,
  );
  const d = spawnLvsd(['--config', f], { dir });
  const status = () =>
    spawnSync(process.execPath, ['bin/lvsadm', '--socket', d.socket, '-L', '--status'], { encoding: 'utf8' })
      .stdout;
  const waitFor = async (ok: () => boolean, what: string) => {
    const end = Date.now() + 15_000;
    while (!ok()) {
      if (Date.now() > end) assert.fail(`timed out waiting for ${what}:\n${status()}\n${d.stderr()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const server = net.createServer((s) => s.end());
  try {
    await waitReady(d, 20_000);
    const svc = `TCP 127.0.0.1:${port}`;
    await waitFor(
      () => status().includes(`${svc}  not served: no real server in the table`),
      'the failed check to show in --status',
    );
    await waitFor(
      () => d.stderr().includes(`virtual service [127.0.0.1]:tcp:${port} not served: no real server`),
      'the log line',
    );
    await new Promise<void>((r) => server.listen(rsPort, '127.0.0.1', r));
    await waitFor(
      () => /served\n {2}-> 127\.0\.0\.1:\d+ +served\n/.test(status()),
      'the passing check in --status',
    );
    await waitFor(
      () => d.stderr().includes(`virtual service [127.0.0.1]:tcp:${port} served`),
      'the log line of the recovery',
    );
  } finally {
    server.close();
    await d.stop();
  }
});
