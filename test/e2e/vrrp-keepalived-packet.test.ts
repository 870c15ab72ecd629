/**
 * lvsd on the packet plane (DR) paired with keepalived 2.2.7 (root only): the existing interop
 * tests run lvsd's proxy plane; here lvsd answers ARP for the VIP and forwards its traffic to a
 * real server only while MASTER (src/dataplane/packet-plane/vrrp-ownership.ts), and keepalived is
 * a plain VRRP peer that adds the VIP to its own interface when MASTER (no virtual_server). One
 * bridged segment in namespaces: client, lvsd, keepalived, real server (VIP on lo, the LVS
 * tutorials' arp_ignore/arp_announce). lvsd MASTER forwards; SIGKILL lvsd and keepalived takes
 * the VIP (the client's ARP entry moves to keepalived's MAC through its gratuitous ARP); start
 * lvsd again at its higher priority and it preempts keepalived (RFC 5798 §6.4.2), the entry moves
 * back and the client is served through lvsd again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RS_ARP_SYSCTLS } from '../../src/tools/lab/plan.js';
import { spawnKeepalived } from '../helpers/keepalived.js';
import { type Lvsd, startLvsd as spawnLvsd } from '../helpers/lvsd-in-netns.js';
import { createNetns, type Netns } from '../helpers/netns.js';
import { lvsadm, until } from './config-helpers.js';
import { kaSays, vrrpInteropSkipReason } from './vrrp-keepalived-helpers.js';

const skip = vrrpInteropSkipReason();
if (skip) console.log(`# skipping lvsd packet plane + keepalived interop test: ${skip}`);

const CLIENT = '192.0.2.10';
const LV = '192.0.2.1';
const KA = '192.0.2.2';
const RS = '192.0.2.20';
const VIP = '192.0.2.100';
/** keepalived's Master_Down_Interval at priority 100, advert_int 1, VRRPv3. */
const DOWN_MS = 3000 + ((256 - 100) * 1000) / 256;
/** Process start-up, polls and lvsadm's run time on a loaded host. */
const SLACK_MS = 2000;

const RS_JS = `require('node:http').createServer((q, s) => s.end('rs')).listen(80, () => process.stderr.write('listening\\n'));`;
/** One GET to the VIP from the client: prints the body, or ERR. */
const GET_JS = `require('node:http').get({ host: '${VIP}', port: 80, agent: false, timeout: 800 }, (r) => { let b = ''; r.on('data', (c) => (b += c)); r.on('end', () => process.stdout.write(b)); }).on('timeout', function () { this.destroy(new Error('timeout')); }).on('error', () => process.stdout.write('ERR'));`;

function vrrpConf(id: string, state: 'MASTER' | 'BACKUP', priority: number, lvs: boolean): string {
  return `global_defs {
  router_id ${id}
}
vrrp_instance VI_1 {
  state ${state}
  interface eth0
  version 3
  virtual_router_id 51
  priority ${priority}
  advert_int 1
  virtual_ipaddress {
    ${VIP}/32
  }
}
${lvs ? `virtual_server ${VIP} 80 {\n  lvs_sched rr\n  lvs_method DR\n  protocol TCP\n  real_server ${RS} 80 {\n  }\n}\n` : ''}`;
}

function startLvsd(ns: Netns, dir: string, tag: string): Lvsd {
  const args = ['--dataplane', 'packet', '--interface', 'eth0'];
  return spawnLvsd(ns, 'lv', dir, tag, vrrpConf('lv', 'BACKUP', 150, true), args);
}

async function state(d: Lvsd): Promise<string | undefined> {
  const r = await lvsadm(d.socket, '--vrrp');
  return r.code === 0
    ? r.stdout
        .split('\n')
        .find((l) => l.startsWith('VI_1 '))
        ?.split(/\s+/)[4]
    : undefined;
}

const get = (ns: Netns): string => ns.exec('c', [process.execPath, '-e', GET_JS], 5000).stdout;
const macText = (b: Buffer): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
function vipMac(ns: Netns): string | undefined {
  const rows = JSON.parse(ns.ip('c', '-j', 'neigh', 'show', 'dev', 'eth0')) as {
    dst: string;
    lladdr?: string;
  }[];
  return rows.find((r) => r.dst === VIP)?.lladdr;
}

function segment(): Netns {
  const host = (label: string, addr: string) => ({
    a: label,
    b: 'sw',
    aIf: 'eth0',
    bIf: label,
    aAddrs: [`${addr}/24`],
  });
  const ns = createNetns({
    namespaces: ['sw', 'c', 'lv', 'ka', 'rs'],
    links: [host('c', CLIENT), host('lv', LV), host('ka', KA), host('rs', RS)],
  });
  try {
    ns.ip('sw', 'link', 'add', 'br0', 'type', 'bridge');
    for (const p of ['c', 'lv', 'ka', 'rs']) ns.ip('sw', 'link', 'set', p, 'master', 'br0');
    ns.ip('sw', 'link', 'set', 'br0', 'up');
    ns.ip('rs', 'addr', 'add', `${VIP}/32`, 'dev', 'lo');
    const sysctl = (label: string, s: readonly string[]) => {
      const r = ns.exec(label, ['sysctl', '-q', '-w', ...s]);
      if (r.status !== 0) throw new Error(`sysctl in ${label}: ${r.stderr.trim()}`);
    };
    sysctl('rs', RS_ARP_SYSCTLS);
    sysctl('lv', ['net.ipv4.ip_forward=0', 'net.ipv4.conf.all.rp_filter=0']);
    return ns;
  } catch (e) {
    ns.destroy();
    throw e;
  }
}

describe('lvsd packet plane (DR) with keepalived 2.2.7 as its VRRP peer', { skip }, () => {
  it('lvsd MASTER forwards; SIGKILLed, keepalived takes the VIP; restarted at priority 150, lvsd preempts and forwards again', async () => {
    const ns = segment();
    const dir = mkdtempSync(join(tmpdir(), 'lvs-vrrp-ka-pkt-'));
    let lv: Lvsd | undefined;
    let lv2: Lvsd | undefined;
    let ka: ReturnType<typeof spawnKeepalived> | undefined;
    try {
      const rs = ns.spawn('rs', [process.execPath, '-e', RS_JS]);
      await new Promise<void>((resolve, reject) => {
        rs.stderr?.once('data', () => resolve());
        rs.once('exit', (c) => reject(new Error(`real server exited ${c}`)));
      });
      const lvMac = macText(ns.mac('lv', 'eth0'));
      const kaMac = macText(ns.mac('ka', 'eth0'));

      // lvsd first (it becomes MASTER alone), then keepalived joins as BACKUP.
      const d = (lv = startLvsd(ns, dir, 'lv1'));
      await until(async () => (await state(d)) === 'MASTER', 15_000, `lvsd MASTER (${d.log()})`);
      writeFileSync(join(dir, 'ka.conf'), vrrpConf('ka', 'BACKUP', 100, false));
      const k = (ka = spawnKeepalived(ns, 'ka', join(dir, 'ka.conf'), join(dir, 'ka-')));
      await kaSays(k, '(VI_1) Entering BACKUP STATE', 10_000);
      await until(async () => get(ns) === 'rs', 5000, 'the client served through lvsd');
      assert.equal(vipMac(ns), lvMac, 'the client reaches the VIP at lvsd');

      // SIGKILL: no priority-0 advert; keepalived waits out its Master_Down_Interval.
      const from = k.log().length;
      d.proc.kill('SIGKILL');
      await d.exited;
      const took = await kaSays(k, '(VI_1) Entering MASTER STATE', DOWN_MS + SLACK_MS, from);
      await until(
        async () => vipMac(ns) === kaMac,
        3000,
        `the client's ARP entry on keepalived (${vipMac(ns)})`,
      );
      console.log(`# keepalived MASTER ${took} ms after the SIGKILL`);

      // lvsd back at 150 > 100: it preempts keepalived, which drops the VIP.
      const from2 = k.log().length;
      const d2 = (lv2 = startLvsd(ns, dir, 'lv2'));
      await until(
        async () => (await state(d2)) === 'MASTER',
        DOWN_MS + 15_000,
        `lvsd MASTER again (${d2.log()})`,
      );
      await kaSays(k, '(VI_1) Entering BACKUP STATE', 5000, from2);
      await until(
        async () => vipMac(ns) === lvMac,
        3000,
        `the client's ARP entry back on lvsd (${vipMac(ns)})`,
      );
      await until(async () => get(ns) === 'rs', 5000, 'the client served through lvsd again');
      // keepalived holds no VIP any more: nothing but lvsd answers for it.
      const kaAddrs = ns.ip('ka', '-j', 'addr', 'show', 'dev', 'eth0');
      assert.ok(!kaAddrs.includes(VIP), kaAddrs);
    } finally {
      for (const l of [lv, lv2]) l?.proc.kill('SIGKILL');
      await Promise.race([Promise.all([lv?.exited, lv2?.exited]), new Promise((r) => setTimeout(r, 3000))]);
      await ka?.stop();
      ns.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
