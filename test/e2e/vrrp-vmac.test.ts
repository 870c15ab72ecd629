/**
 * `use_vmac` on the wire (root only): lvsd and keepalived 2.2.7 on one bridged segment with a
 * client, all in namespaces, tshark capturing in the client's namespace. lvsd makes the macvlan
 * keepalived makes (keepalived/vrrp/vrrp_vmac.c netlink_link_add_vmac(): `vrrp.51`, mode private,
 * 00:00:5e:00:01:33 per RFC 5798 §7.3), its adverts and gratuitous ARPs carry that MAC, the
 * client's neighbour entry for the VIP holds it, and it stays the same across takeovers between
 * lvsd and keepalived both ways — the point of use_vmac; SIGTERM removes the macvlan.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type KeepalivedProc, spawnKeepalived } from '../helpers/keepalived.js';
import { createNetns, type Netns } from '../helpers/netns.js';
import { hasTshark } from '../helpers/tshark.js';
import { lvsadm, until } from './config-helpers.js';
import { vrrpInteropSkipReason } from './vrrp-keepalived-helpers.js';

const skip = vrrpInteropSkipReason() ?? (hasTshark ? undefined : 'tshark is not installed');
if (skip) console.log(`# skipping use_vmac tests: ${skip}`);

const CLIENT = '192.0.2.10';
const LV = '192.0.2.1';
const KA = '192.0.2.2';
const VIP = '192.0.2.100';
/** RFC 5798 §7.3: 00-00-5E-00-01-{VRID}, VRID 51. */
const VMAC = '00:00:5e:00:01:33';
const VIP6 = '2001:db8::100';
/** RFC 5798 §7.3: 00-00-5E-00-02-{VRID} for IPv6, VRID 52. */
const VMAC6 = '00:00:5e:00:02:34';

/** A vrrp_instance with use_vmac (keepalived.conf syntax, read by both daemons). */
function conf(id: string, state: string, priority: number): string {
  return `global_defs {
  router_id ${id}
}
vrrp_instance VI_1 {
  state ${state}
  interface eth0
  virtual_router_id 51
  priority ${priority}
  advert_int 1
  use_vmac
  virtual_ipaddress {
    ${VIP}/32
  }
}
`;
}

/** Client, lvsd's and keepalived's namespaces on a bridge in `sw`. */
function segment(): Netns {
  const host = (label: string, addr: string, addr6: string) => ({
    a: label,
    b: 'sw',
    aIf: 'eth0',
    bIf: label,
    aAddrs: [`${addr}/24`, `${addr6}/64`],
  });
  const ns = createNetns({
    namespaces: ['sw', 'c', 'lv', 'ka'],
    links: [host('c', CLIENT, '2001:db8::10'), host('lv', LV, '2001:db8::1'), host('ka', KA, '2001:db8::2')],
  });
  try {
    ns.ip('sw', 'link', 'add', 'br0', 'type', 'bridge');
    for (const p of ['c', 'lv', 'ka']) ns.ip('sw', 'link', 'set', p, 'master', 'br0');
    ns.ip('sw', 'link', 'set', 'br0', 'up');
    // The director's own ARP requests (for the client, to send a reply from the VIP) leave by the
    // base interface; with arp_announce 0 they name the VIP as sender with the base's MAC and the
    // client would re-learn the VIP at that MAC (net/ipv4/arp.c arp_solicit()). keepalived sets
    // no arp_announce for use_vmac either: the operator's setting, made here on both directors.
    for (const d of ['lv', 'ka']) {
      const r = ns.exec(d, ['sysctl', '-q', '-w', 'net.ipv4.conf.eth0.arp_announce=2']);
      if (r.status !== 0) throw new Error(`sysctl in ${d}: ${r.stderr}`);
    }
    return ns;
  } catch (e) {
    ns.destroy();
    throw e;
  }
}

/** One captured frame: Ethernet source, and the VRRP or ARP fields tshark printed. */
interface Frame {
  ethSrc: string;
  ipSrc: string;
  prio: string;
  arpMac: string;
  arpIp: string;
  /** Target of a neighbour advert. */
  naTarget: string;
}

/** tshark on the client's eth0, VRRP and ARP only, bounded to 90 s; resolves once capturing. */
async function capture(ns: Netns): Promise<{ frames: Frame[]; proc: ChildProcess }> {
  const fields = [
    'eth.src',
    'ip.src',
    'vrrp.prio',
    'arp.src.hw_mac',
    'arp.src.proto_ipv4',
    'ipv6.src',
    'icmpv6.nd.na.target_address',
  ];
  const proc = ns.spawn('c', [
    'tshark',
    '-i',
    'eth0',
    '-l',
    '-n',
    '-a',
    'duration:90',
    '-f',
    'proto 112 or arp or icmp6',
    '-T',
    'fields',
    '-E',
    'separator=,',
    ...fields.flatMap((f) => ['-e', f]),
  ]);
  const frames: Frame[] = [];
  let buf = '';
  proc.stdout?.on('data', (d) => {
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const l of lines) {
      const [ethSrc = '', ipSrc = '', prio = '', arpMac = '', arpIp = '', ip6Src = '', naTarget = ''] =
        l.split(',');
      frames.push({ ethSrc, ipSrc: ipSrc || ip6Src, prio, arpMac, arpIp, naTarget });
    }
  });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`tshark did not start: ${err}`)), 30_000);
    proc.stderr?.on('data', (d) => {
      err += d;
      if (/Capturing on/.test(err)) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  return { frames, proc };
}

/** A running lvsd with use_vmac in `lv`. */
interface Lvsd {
  proc: ChildProcess;
  socket: string;
  log(): string;
  exited: Promise<unknown>;
}

function startLvsd(
  ns: Netns,
  dir: string,
  priority: number,
  text = conf('lvsts-lv', 'BACKUP', priority),
): Lvsd {
  const file = join(dir, `lvsd-${priority}.conf`);
  writeFileSync(file, text);
  const socket = join(dir, `lvsd-${priority}.sock`);
  const proc = ns.spawn(
    'lv',
    [
      process.execPath,
      'bin/lvsd',
      '--sysctl-files',
      'none',
      '--socket',
      socket,
      '--dataplane',
      'proxy',
      '--config',
      file,
    ],
    { cwd: process.cwd(), env: { ...process.env, LVSD_SOCKET: '' } },
  );
  let log = '';
  proc.stdout?.on('data', (d) => (log += d));
  proc.stderr?.on('data', (d) => (log += d));
  return { proc, socket, log: () => log, exited: new Promise((r) => proc.once('exit', r)) };
}

async function lvState(d: Lvsd, name = 'VI_1'): Promise<string | undefined> {
  const r = await lvsadm(d.socket, '--vrrp');
  return r.stdout
    .split('\n')
    .find((l) => l.startsWith(`${name} `))
    ?.split(/\s+/)[4];
}

async function kaSays(ka: KeepalivedProc, text: string, ms: number, from: number): Promise<void> {
  await until(async () => ka.log().indexOf(text, from) >= 0, ms, `keepalived: ${text}\n${ka.log()}`);
}

interface IpLink {
  address: string;
  link?: string;
  flags: string[];
  linkinfo?: { info_kind?: string; info_data?: { mode?: string } };
}

/** `ip -d -j link show dev IF` in a namespace, or undefined when there is no such link. */
function linkOf(ns: Netns, label: string, ifname: string): IpLink | undefined {
  const r = ns.exec(label, ['ip', '-d', '-j', 'link', 'show', 'dev', ifname]);
  return r.status === 0 ? (JSON.parse(r.stdout) as IpLink[])[0] : undefined;
}

/** Whether `vip` is on `dev` (default the VIP on `vrrp.51`) in a namespace. */
function vipOnVmac(ns: Netns, label: string, dev = 'vrrp.51', vip = VIP): boolean {
  const r = ns.exec(label, ['ip', '-j', 'addr', 'show', 'dev', dev]);
  if (r.status !== 0) return false;
  return (JSON.parse(r.stdout) as { addr_info: { local: string }[] }[]).some((a) =>
    a.addr_info.some((i) => i.local === vip),
  );
}

/**
 * The client pings the VIP until it answers (within 3 s) and returns the MAC its neighbour table maps the VIP to.
 * A retry, not one ping: at a preemption the old master's last advert (also from the virtual MAC) can cross the
 * new master's gratuitous ARP, so for up to one advert interval the bridge forwards the virtual MAC to the old port;
 * a client's retransmission rides over that with keepalived on both sides too.
 */
async function pingVip(ns: Netns, vip = VIP): Promise<string | undefined> {
  await until(
    async () => {
      return ns.exec('c', ['ping', '-c', '1', '-W', '1', vip], 3000).status === 0;
    },
    3000,
    `the client's ping of ${vip} to be answered`,
  );
  const rows = JSON.parse(ns.ip('c', '-j', 'neigh', 'show', 'dev', 'eth0')) as {
    dst: string;
    lladdr?: string;
  }[];
  return rows.find((r) => r.dst === vip)?.lladdr;
}

function sysctl(ns: Netns, label: string, key: string): string {
  return ns.exec(label, ['sysctl', '-n', key]).stdout.trim();
}

/** Two instances: a named macvlan with vmac_xmit_base (IPv4), and an IPv6 one on vrrp.52. */
const VARIANTS = `global_defs {
  router_id lvsts-lv
}
vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  use_vmac vmac51
  vmac_xmit_base
  virtual_ipaddress {
    ${VIP}/32
  }
}
vrrp_instance VI_6 {
  state MASTER
  interface eth0
  version 3
  virtual_router_id 52
  priority 150
  advert_int 1
  use_vmac
  virtual_ipaddress {
    ${VIP6}/128
  }
}
`;

describe('use_vmac: the macvlan, its MAC on the wire, and interop with keepalived 2.2.7', { skip }, () => {
  it('lvsd makes vrrp.51 (private macvlan, 00:00:5e:00:01:33), sends adverts and GARPs from it, the client learns it for the VIP, and SIGTERM removes it', async () => {
    const ns = segment();
    const dir = mkdtempSync(join(tmpdir(), 'lvs-vmac-'));
    let cap: ChildProcess | undefined;
    let d: Lvsd | undefined;
    try {
      // Strict reverse-path filtering host-wide: lvsd must clear it as keepalived does.
      const rpf = ns.exec('lv', ['sysctl', '-q', '-w', 'net.ipv4.conf.all.rp_filter=1']);
      assert.equal(rpf.status, 0, rpf.stderr);
      const c = await capture(ns);
      cap = c.proc;
      const lv = startLvsd(ns, dir, 150);
      d = lv;
      await until(async () => (await lvState(lv)) === 'MASTER', 15_000, `lvsd MASTER\n${lv.log()}`);
      const l = linkOf(ns, 'lv', 'vrrp.51');
      assert.ok(l, 'vrrp.51 exists');
      assert.deepEqual(
        [l.address, l.link, l.linkinfo?.info_kind, l.linkinfo?.info_data?.mode, l.flags.includes('UP')],
        [VMAC, 'eth0', 'macvlan', 'private', true],
      );
      assert.deepEqual(
        ['arp_ignore', 'accept_local', 'rp_filter'].map((k) =>
          sysctl(ns, 'lv', `net.ipv4.conf.vrrp/51.${k}`),
        ),
        ['1', '1', '0'],
      );
      assert.deepEqual(
        ['arp_ignore', 'arp_filter'].map((k) => sysctl(ns, 'lv', `net.ipv4.conf.eth0.${k}`)),
        ['1', '1'],
      );
      // keepalived's clear_rp_filter(): all → 0, every interface raised to all's old value.
      assert.deepEqual(
        ['all', 'eth0', 'vrrp/51'].map((i) => sysctl(ns, 'lv', `net.ipv4.conf.${i}.rp_filter`)),
        ['0', '1', '0'],
      );
      await until(async () => vipOnVmac(ns, 'lv'), 3000, 'the VIP on vrrp.51');
      const adverts = () => c.frames.filter((f) => f.prio !== '' && f.ipSrc === LV);
      await until(async () => adverts().length >= 3, 8000, `three adverts (${JSON.stringify(c.frames)})`);
      assert.deepEqual(
        [...new Set(adverts().map((f) => f.ethSrc))],
        [VMAC],
        'adverts leave from the virtual MAC',
      );
      const garps = c.frames.filter((f) => f.arpIp === VIP);
      assert.ok(garps.length >= 1, `a gratuitous ARP for the VIP (${JSON.stringify(c.frames)})`);
      for (const g of garps) assert.deepEqual([g.ethSrc, g.arpMac], [VMAC, VMAC]);
      assert.equal(await pingVip(ns), VMAC, "the client's neighbour entry for the VIP is the virtual MAC");

      lv.proc.kill('SIGTERM');
      await Promise.race([lv.exited, new Promise((r) => setTimeout(r, 10_000))]);
      assert.equal(linkOf(ns, 'lv', 'vrrp.51'), undefined, 'vrrp.51 removed on SIGTERM');
      assert.equal(sysctl(ns, 'lv', 'net.ipv4.conf.eth0.arp_ignore'), '0', "the base's arp_ignore restored");
      assert.deepEqual(
        ['all', 'eth0'].map((i) => sysctl(ns, 'lv', `net.ipv4.conf.${i}.rp_filter`)),
        ['1', '0'],
        'all.rp_filter and the raised interfaces restored',
      );
      await until(async () => adverts().some((f) => f.prio === '0'), 3000, 'the priority-0 advert');
      assert.equal(adverts().find((f) => f.prio === '0')?.ethSrc, VMAC);
    } finally {
      d?.proc.kill('SIGKILL');
      cap?.kill('SIGKILL');
      ns.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with keepalived 2.2.7 using use_vmac on the other director: takeover both ways, the VIP answering under the same virtual MAC throughout', async () => {
    const ns = segment();
    const dir = mkdtempSync(join(tmpdir(), 'lvs-vmac-ka-'));
    let cap: ChildProcess | undefined;
    let d: Lvsd | undefined;
    let ka: KeepalivedProc | undefined;
    try {
      const c = await capture(ns);
      cap = c.proc;
      const lv1 = startLvsd(ns, dir, 150);
      d = lv1;
      await until(async () => (await lvState(lv1)) === 'MASTER', 15_000, `lvsd MASTER\n${lv1.log()}`);
      const kaConf = join(dir, 'keepalived.conf');
      writeFileSync(kaConf, conf('lvsts-ka', 'BACKUP', 100));
      const k = spawnKeepalived(ns, 'ka', kaConf, join(dir, 'ka-'));
      ka = k;
      await kaSays(k, '(VI_1) Entering BACKUP STATE', 10_000, 0);
      assert.equal(await pingVip(ns), VMAC, 'lvsd MASTER: the VIP at the virtual MAC');
      // Longer than keepalived's down interval (3.6 s): it hears lvsd's adverts through its own vrrp.51.
      await new Promise((r) => setTimeout(r, 4500));
      assert.doesNotMatch(k.log(), /Entering MASTER STATE/, k.log());
      assert.equal(linkOf(ns, 'ka', 'vrrp.51')?.address, VMAC, 'keepalived made the same macvlan');
      assert.equal(vipOnVmac(ns, 'ka'), false);

      // lvsd → keepalived: a clean stop hands over at once (priority 0).
      let from = k.log().length;
      lv1.proc.kill('SIGTERM');
      await kaSays(k, '(VI_1) Entering MASTER STATE', 5000, from);
      await lv1.exited;
      await until(async () => vipOnVmac(ns, 'ka'), 3000, "the VIP on keepalived's vrrp.51");
      assert.equal(linkOf(ns, 'lv', 'vrrp.51'), undefined);
      assert.equal(await pingVip(ns), VMAC, 'keepalived MASTER: the same virtual MAC');
      await until(
        async () => c.frames.some((f) => f.prio !== '' && f.ipSrc === KA && f.ethSrc === VMAC),
        3000,
        "keepalived's adverts from the virtual MAC",
      );

      // keepalived → lvsd: a higher-priority lvsd preempts it.
      from = k.log().length;
      const lv2 = startLvsd(ns, dir, 200);
      d = lv2;
      await until(async () => (await lvState(lv2)) === 'MASTER', 15_000, `lvsd MASTER again\n${lv2.log()}`);
      await kaSays(k, '(VI_1) Entering BACKUP STATE', 5000, from);
      await until(async () => vipOnVmac(ns, 'lv') && !vipOnVmac(ns, 'ka'), 3000, 'the VIP back on lvsd only');
      assert.equal(await pingVip(ns), VMAC, 'lvsd MASTER again: still the same virtual MAC');
      assert.doesNotMatch(k.log(), /invalid|bogus|mismatch|checksum|wrong/i, k.log());
    } finally {
      d?.proc.kill('SIGKILL');
      await ka?.stop();
      cap?.kill('SIGKILL');
      ns.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('use_vmac NAME with vmac_xmit_base (adverts from the base MAC, the VIP and its GARP on the macvlan), and IPv6 on 00:00:5e:00:02:<VRID>', async () => {
    const ns = segment();
    const dir = mkdtempSync(join(tmpdir(), 'lvs-vmac-var-'));
    let cap: ChildProcess | undefined;
    let d: Lvsd | undefined;
    try {
      const c = await capture(ns);
      cap = c.proc;
      const lv = startLvsd(ns, dir, 150, VARIANTS);
      d = lv;
      await until(
        async () => (await lvState(lv, 'VI_1')) === 'MASTER' && (await lvState(lv, 'VI_6')) === 'MASTER',
        15_000,
        `both MASTER\n${lv.log()}`,
      );
      const baseMac = [...ns.mac('lv', 'eth0')].map((b) => b.toString(16).padStart(2, '0')).join(':');
      assert.deepEqual(
        [
          linkOf(ns, 'lv', 'vmac51')?.address,
          linkOf(ns, 'lv', 'vrrp.51'),
          linkOf(ns, 'lv', 'vrrp.52')?.address,
        ],
        [VMAC, undefined, VMAC6],
      );
      assert.equal(linkOf(ns, 'lv', 'vrrp.52')?.linkinfo?.info_data?.mode, 'private');
      await until(
        async () => vipOnVmac(ns, 'lv', 'vmac51') && vipOnVmac(ns, 'lv', 'vrrp.52', VIP6),
        3000,
        'VIPs on the macvlans',
      );
      const ll = /inet6 (fe80::[0-9a-f:]+)\//.exec(
        ns.ip('lv', '-6', 'addr', 'show', 'dev', 'eth0', 'scope', 'link'),
      )?.[1];
      assert.ok(ll, 'the base has a link-local address');
      const adverts = (src: string) => c.frames.filter((f) => f.prio !== '' && f.ipSrc === src);
      await until(
        async () => adverts(LV).length >= 2 && adverts(ll).length >= 2,
        8000,
        `adverts (${JSON.stringify(c.frames)})`,
      );
      assert.deepEqual(
        [...new Set(adverts(LV).map((f) => f.ethSrc))],
        [baseMac],
        'vmac_xmit_base: from the base MAC',
      );
      assert.deepEqual(
        [...new Set(adverts(ll).map((f) => f.ethSrc))],
        [VMAC6],
        'IPv6 adverts from the virtual MAC, with the base link-local source',
      );
      const garps = c.frames.filter((f) => f.arpIp === VIP);
      assert.ok(garps.length >= 1, JSON.stringify(c.frames));
      for (const g of garps) assert.deepEqual([g.ethSrc, g.arpMac], [VMAC, VMAC]);
      const nas = c.frames.filter((f) => f.naTarget === VIP6);
      assert.ok(nas.length >= 1, `an unsolicited NA for ${VIP6} (${JSON.stringify(c.frames)})`);
      for (const n of nas) assert.equal(n.ethSrc, VMAC6);
      // No IPv4 ping here: keepalived sets arp_ignore only on IPv4 macvlans (vrrp_vmac.c calls
      // set_interface_parameters() for AF_INET), so vrrp.52 answers ARP for the IPv4 VIP as well.
      assert.equal(await pingVip(ns, VIP6), VMAC6);
      lv.proc.kill('SIGTERM');
      await Promise.race([lv.exited, new Promise((r) => setTimeout(r, 10_000))]);
      assert.deepEqual([linkOf(ns, 'lv', 'vmac51'), linkOf(ns, 'lv', 'vrrp.52')], [undefined, undefined]);
    } finally {
      d?.proc.kill('SIGKILL');
      cap?.kill('SIGKILL');
      ns.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
