/**
 * Two `lvsd --config` directors in namespaces (root only) with `lvs_sync_daemon eth0 inst VI_1`:
 * the sync daemon's role follows VRRP across two failovers, as `lvsadm -L --daemon` shows it on
 * each side: A MASTER runs the master daemon and B the backup; A killed, B runs the master; A
 * back with the higher priority, the roles return.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createNetns, type Netns } from '../helpers/netns.js';
import { vrrpNetnsSkipReason } from '../helpers/vrrp-netns-skip.js';
import { lvsadm, until } from './config-helpers.js';

const skip = vrrpNetnsSkipReason();
if (skip) console.log(`# skipping sync role e2e: ${skip}`);

const conf = (
  prio: number,
  sync = 'lvs_sync_daemon eth0 inst VI_1',
  routerId = `lvsts-${prio}`,
) => `global_defs {
  router_id ${routerId}
  ${sync}
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority ${prio}
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/32
  }
}
`;

const MASTER =
  'master sync daemon (mcast=eth0, syncid=51, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n';
const BACKUP =
  'backup sync daemon (mcast=eth0, syncid=51, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n';

let ns: Netns;
let dir: string;
const procs: ChildProcess[] = [];

before(() => {
  if (skip) return;
  ns = createNetns({
    namespaces: ['a', 'b'],
    links: [
      { a: 'a', b: 'b', aIf: 'eth0', bIf: 'eth0', aAddrs: ['198.51.100.1/24'], bAddrs: ['198.51.100.2/24'] },
    ],
  });
  dir = mkdtempSync(join(tmpdir(), 'lvs-sync-e2e-'));
});

after(() => {
  for (const p of procs) p.kill('SIGKILL');
  ns?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function startLvsd(label: string, prio: number) {
  const file = join(dir, `${label}.conf`);
  writeFileSync(file, conf(prio));
  const socket = join(dir, `${label}.sock`);
  const proc = ns.spawn(
    label,
    [
      process.execPath,
      'bin/lvsd',
      '--sysctl-files',
      'none',
      '--socket',
      socket,
      '--dataplane',
      'none',
      '--config',
      file,
    ],
    {
      cwd: process.cwd(),
      env: { ...process.env, LVSD_SOCKET: '' },
    },
  );
  procs.push(proc);
  let log = '';
  proc.stderr?.on('data', (d) => (log += d));
  proc.stdout?.on('data', (d) => (log += d));
  const exited = new Promise((r) => proc.once('exit', r));
  return { proc, socket, exited, log: () => log };
}

async function daemons(socket: string): Promise<string | undefined> {
  const r = await lvsadm(socket, '-L', '--daemon');
  return r.code === 0 ? r.stdout : undefined;
}

async function expectDaemons(d: { socket: string; log: () => string }, want: string, what: string) {
  let last: string | undefined;
  await until(
    async () => (last = await daemons(d.socket)) === want,
    15_000,
    `${what} (last ${JSON.stringify(last)}):\n${d.log()}`,
  );
}

type Director = ReturnType<typeof startLvsd>;
/** The pair the failover test leaves running (a MASTER, b BACKUP) for the reload test. */
let pair: { a: Director; b: Director } | undefined;

test('lvs_sync_daemon inst VI_1: the sync roles follow VRRP across two failovers', { skip }, async () => {
  let a = startLvsd('a', 150);
  const b = startLvsd('b', 100);
  await expectDaemons(a, MASTER, 'a runs the master daemon');
  await expectDaemons(b, BACKUP, 'b runs the backup daemon');

  // Failover 1: a dies without a word; b takes over VI_1 and its daemon turns master.
  a.proc.kill('SIGKILL');
  await a.exited;
  await expectDaemons(b, MASTER, 'b runs the master daemon after a died');

  // Failover 2: a comes back with the higher priority and preempts; the roles return.
  a = startLvsd('a', 150);
  await expectDaemons(a, MASTER, 'a runs the master daemon again');
  await expectDaemons(b, BACKUP, 'b is back to the backup daemon');
  assert.doesNotMatch(b.log(), /lvs_sync_daemon: .* failed/);
  pair = { a, b };
});

test('SIGHUP: a changed lvs_sync_daemon restarts with the new settings, an unchanged one keeps running, a removed one stops', {
  skip,
}, async () => {
  assert.ok(pair, 'the failover test left no pair running');
  const { a, b } = pair;
  // b: a new syncid and port restart its backup daemon with them.
  writeFileSync(join(dir, 'b.conf'), conf(100, 'lvs_sync_daemon eth0 inst VI_1 id 9 port 9000'));
  b.proc.kill('SIGHUP');
  await expectDaemons(
    b,
    'backup sync daemon (mcast=eth0, syncid=9, maxlen=1472, group=224.0.0.81, port=9000, ttl=1)\n',
    'b restarted its backup daemon with syncid 9 and port 9000',
  );
  // a: only the router_id changed; the master daemon is left running.
  writeFileSync(join(dir, 'a.conf'), conf(150, 'lvs_sync_daemon eth0 inst VI_1', 'lvsts-a2'));
  a.proc.kill('SIGHUP');
  await until(
    async () => /lvs_sync_daemon on reload: kept master, stopped none, started none/.test(a.log()),
    15_000,
    `a's reload (${a.log()})`,
  );
  assert.equal(await daemons(a.socket), MASTER);
  // a: lvs_sync_daemon removed; its daemon stops.
  writeFileSync(join(dir, 'a.conf'), conf(150, '', 'lvsts-a2'));
  a.proc.kill('SIGHUP');
  await expectDaemons(a, '', 'a stopped its master daemon');
  assert.doesNotMatch(a.log() + b.log(), /lvs_sync_daemon: .* failed/);
});
