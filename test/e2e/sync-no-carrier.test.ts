/**
 * lvsd started before its sync interface is ready (root only, namespaces):
 * - `lvs_sync_daemon eth0 inst VI_1` on a director whose eth0 has its address but no carrier
 *   (the far end of the veth is down): the backup role joins 224.0.0.81 at once, since the
 *   kernel's sync daemon needs the device and its address, not a running link; when the peer
 *   comes up as VRRP master the roles are master there and backup here.
 * - `lvs_sync_daemon eth0` (both roles, no inst) on an eth0 with no IPv4 address and no carrier:
 *   both roles fail to start, are tried again every second (one log line), and start once the
 *   address is added, the carrier still down.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Lvsd, startLvsd } from '../helpers/lvsd-in-netns.js';
import { createNetns, type Netns } from '../helpers/netns.js';
import { vrrpNetnsSkipReason } from '../helpers/vrrp-netns-skip.js';
import { lvsadm, until } from './config-helpers.js';

const skip = vrrpNetnsSkipReason();
if (skip) console.log(`# skipping sync no-carrier e2e: ${skip}`);

const conf = (prio: number) => `global_defs {
  router_id lvsts-nc-${prio}
  lvs_sync_daemon eth0 inst VI_1
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

const line = (role: string, syncId: number) =>
  `${role} sync daemon (mcast=eth0, syncid=${syncId}, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n`;

let dir: string;
const nets: Netns[] = [];
const running: Lvsd[] = [];

before(() => {
  if (!skip) dir = mkdtempSync(join(tmpdir(), 'lvs-sync-nc-'));
});

after(() => {
  for (const d of running) d.proc.kill('SIGKILL');
  for (const n of nets) n.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// Two namespaces on one veth; a's end is taken down, so b's eth0 is up without carrier.
function pair(bAddrs: string[]): Netns {
  const ns = createNetns({
    namespaces: ['a', 'b'],
    links: [{ a: 'a', b: 'b', aIf: 'eth0', bIf: 'eth0', aAddrs: ['198.51.100.1/24'], bAddrs }],
  });
  nets.push(ns);
  ns.ip('a', 'link', 'set', 'eth0', 'down');
  const link = JSON.parse(ns.ip('b', '-j', 'link', 'show', 'eth0')) as { flags: string[] }[];
  assert.ok(link[0]?.flags.includes('NO-CARRIER'), JSON.stringify(link));
  return ns;
}

function start(ns: Netns, label: string, tag: string, text: string): Lvsd {
  const d = startLvsd(ns, label, dir, tag, text, ['--dataplane', 'none']);
  running.push(d);
  return d;
}

async function daemons(d: Lvsd): Promise<string | undefined> {
  const r = await lvsadm(d.socket, '-L', '--daemon');
  return r.code === 0 ? r.stdout : undefined;
}

async function expectDaemons(d: Lvsd, want: string, what: string, ms = 15_000): Promise<void> {
  let last: string | undefined;
  try {
    await until(async () => (last = await daemons(d)) === want, ms, what);
  } catch (e) {
    throw new Error(`${(e as Error).message} (last ${JSON.stringify(last)}):\n${d.log()}`);
  }
}

test('a sync backup whose interface has its address but no carrier runs at once', { skip }, async () => {
  const ns = pair(['198.51.100.2/24']);
  const b = start(ns, 'b', 'b1', conf(100));
  await expectDaemons(b, line('backup', 51), 'b runs the backup daemon without carrier');
  assert.doesNotMatch(b.log(), /not started/);

  // The peer comes up and wins VI_1: master there, backup here.
  ns.ip('a', 'link', 'set', 'eth0', 'up');
  const a = start(ns, 'a', 'a1', conf(150));
  await expectDaemons(a, line('master', 51), 'a runs the master daemon');
  await expectDaemons(b, line('backup', 51), 'b still runs the backup daemon');
});

test('sync roles that cannot start for want of an address start once it is added, carrier or not', {
  skip,
}, async () => {
  const ns = pair([]);
  const b = start(ns, 'b', 'b2', 'global_defs {\n  router_id lvsts-nc-both\n  lvs_sync_daemon eth0\n}\n');
  await until(async () => /not started/.test(b.log()), 15_000, 'the failed start');
  assert.equal(await daemons(b), '');

  ns.ip('b', 'addr', 'add', '198.51.100.2/24', 'dev', 'eth0');
  await expectDaemons(b, line('master', 0) + line('backup', 0), 'b runs both roles', 5_000);
  assert.match(b.log(), /master started after \d+ attempts/);
  assert.match(b.log(), /backup started after \d+ attempts/);
  // One line per role for all the failed attempts.
  assert.equal((b.log().match(/not started/g) ?? []).length, 2, b.log());
});

test('VI_1 on an interface with no address waits in FAULT, and it and its sync backup come up with the address', {
  skip,
}, async () => {
  const ns = pair([]);
  const b = start(ns, 'b', 'b3', conf(100));
  await until(
    async () => /entering FAULT state \(no IPv4 address for interface\)/.test(b.log()),
    15_000,
    'the FAULT line',
  );
  await until(async () => /backup not started/.test(b.log()), 15_000, 'the failed backup start');
  const vrrp = async () => (await lvsadm(b.socket, '--vrrp')).stdout;
  assert.match(await vrrp(), /FAULT/);

  ns.ip('b', 'addr', 'add', '198.51.100.2/24', 'dev', 'eth0');
  await expectDaemons(b, line('backup', 51), 'b runs the backup daemon once addressed', 5_000);
  // Still no carrier: the instance leaves FAULT only when its link has carrier (keepalived
  // tracks its own interface), so bring the peer end up and look for BACKUP, then MASTER alone.
  ns.ip('a', 'link', 'set', 'eth0', 'up');
  await until(
    async () => /Entering MASTER STATE/.test(b.log()),
    15_000,
    'VI_1 MASTER after the address and carrier',
  );
  await expectDaemons(b, line('master', 51), 'b runs the master daemon');
});
