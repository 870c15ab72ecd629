/**
 * `lvsd rs-setup --vip VIP --mode dr|tun [--apply]`: the real-server half of DR and TUN, as the
 * classic lvs_rs.sh script does it. The VIP goes on lo as a /32 so the server accepts packets for
 * it, arp_ignore=1 / arp_announce=2 keep it from answering or announcing the VIP (only the
 * director may), and reverse-path filtering is checked because strict rp_filter silently drops
 * decapsulated TUN packets. `planRsSetup` is pure; `runRsSetup` reads the host and applies.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ipFamily } from '../core/addr.js';

/** What the plan needs to know about the host. */
export interface RsHostState {
  /** Addresses (without prefix) per interface name. */
  readonly addrs: Readonly<Record<string, readonly string[]>>;
  /** Current sysctl values by dotted key (missing keys are unknown). */
  readonly sysctls: Readonly<Record<string, string>>;
  /** True when the kernel can decapsulate IPIP itself (ipip module or built in). */
  readonly kernelIpip: boolean;
  /** True when the kernel can decapsulate IPv6-in-IPv6 itself (ip6_tunnel: the ip6tnl0 device). */
  readonly kernelIp6Tunnel?: boolean;
}

/** The changes and warnings for one real server. */
export interface RsSetupPlan {
  /** argv lists to run, in order (`ip ...`), already filtered to what is missing. */
  readonly commands: readonly (readonly string[])[];
  /** sysctl key=value pairs that differ from the wanted value. */
  readonly sysctls: readonly string[];
  /** Problems that would make packets vanish, for the operator. */
  readonly warnings: readonly string[];
}

/** Computes the real-server setup for a VIP and mode; never touches the host. */
export function planRsSetup(vip: string, mode: 'dr' | 'tun', host: RsHostState): RsSetupPlan {
  const v6 = ipFamily(vip) === 6;
  const commands: string[][] = [];
  const warnings: string[] = [];
  const plen = v6 ? 128 : 32;
  // The kernel's catch-all tunnel devices receive every tunnelled packet (ipip: tunl0,
  // ip6_tunnel: ip6tnl0); without the module rs-agent re-injects inner packets on lo.
  const kernelTun = v6 ? host.kernelIp6Tunnel === true : host.kernelIpip;
  const tunDev = mode === 'tun' && kernelTun ? (v6 ? 'ip6tnl0' : 'tunl0') : 'lo';
  const holders = Object.entries(host.addrs)
    .filter(([, list]) => list.includes(vip))
    .map(([ifname]) => ifname);
  for (const ifname of holders) {
    if (ifname !== 'lo' && ifname !== tunDev) {
      warnings.push(
        `${vip} is also on ${ifname}: the kernel will answer ARP for it there and steal the VIP from the director; remove it (ip addr del ${vip}/${plen} dev ${ifname})`,
      );
    }
  }
  if (tunDev !== 'lo') commands.push(['ip', 'link', 'set', tunDev, 'up']);
  if (!holders.includes(tunDev)) {
    commands.push(['ip', ...(v6 ? ['-6'] : []), 'addr', 'add', `${vip}/${plen}`, 'dev', tunDev]);
  }

  const want: [string, string][] = [];
  if (!v6) {
    // lvs_rs.sh: reply to ARP only for addresses on the asking interface, and announce with the
    // best local source, so the VIP on lo is never advertised.
    for (const dev of ['all', 'lo']) {
      want.push([`net.ipv4.conf.${dev}.arp_ignore`, '1'], [`net.ipv4.conf.${dev}.arp_announce`, '2']);
    }
  }
  if (mode === 'tun') {
    // Decapsulated packets arrive on tunl0 (or the agent's inject link) while the route back to
    // the client leaves by eth0: strict rp_filter (1) drops them, the kernel uses max(all, dev).
    // IPv6 has no rp_filter sysctl.
    if (!v6) want.push(['net.ipv4.conf.all.rp_filter', '0'], [`net.ipv4.conf.${tunDev}.rp_filter`, '0']);
    if (!kernelTun) {
      warnings.push(
        v6
          ? `this kernel cannot decapsulate IPv6-in-IPv6 (no ip6_tunnel module): run \`lvsd rs-agent --decap --vip ${vip}\` on this server, or load ip6_tunnel (modprobe ip6_tunnel) and use ip6tnl0`
          : `this kernel cannot decapsulate IPIP (no ipip module): run \`lvsd rs-agent --decap --vip ${vip}\` on this server, or load the ipip module (modprobe ipip) and use tunl0`,
      );
    }
  } else if (!v6) {
    for (const [k, v] of Object.entries(host.sysctls)) {
      if (k.endsWith('.rp_filter') && v === '1' && !k.includes('.lo.')) {
        // DR packets keep the client's source and arrive on the interface that routes back to
        // it, so strict mode passes them; asymmetric routing would not.
        warnings.push(
          `${k}=1 (strict): fine while the client's route leaves by the interface DR packets arrive on; set 0 or 2 for asymmetric routes`,
        );
      }
    }
  }
  const sysctls = want.filter(([k, v]) => host.sysctls[k] !== v).map(([k, v]) => `${k}=${v}`);
  return { commands, sysctls, warnings };
}

/** Reads a sysctl through /proc/sys (this network namespace's view). */
export function readSysctl(key: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/${key.replaceAll('.', '/')}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Writes a sysctl through /proc/sys. */
export function writeSysctl(pair: string): void {
  const eq = pair.indexOf('=');
  writeFileSync(`/proc/sys/${pair.slice(0, eq).replaceAll('.', '/')}`, pair.slice(eq + 1));
}

/** Addresses per interface from `ip -j addr` (the host's own config; nothing is cached). */
export function readHostAddrs(): Record<string, string[]> {
  const r = spawnSync('ip', ['-j', 'addr', 'show'], { encoding: 'utf8' });
  const out: Record<string, string[]> = {};
  const list = JSON.parse(r.stdout || '[]') as { ifname: string; addr_info?: { local: string }[] }[];
  for (const l of list) out[l.ifname] = (l.addr_info ?? []).map((a) => a.local);
  return out;
}

function readHostState(): RsHostState {
  const addrs = readHostAddrs();
  const sysctls: Record<string, string> = {};
  for (const dev of ['all', 'default', 'lo', 'tunl0', ...Object.keys(addrs)]) {
    for (const k of ['arp_ignore', 'arp_announce', 'rp_filter']) {
      const key = `net.ipv4.conf.${dev}.${k}`;
      const v = readSysctl(key);
      if (v !== undefined) sysctls[key] = v;
    }
  }
  const kernelIpip = existsSync('/sys/module/ipip') || 'tunl0' in addrs;
  const kernelIp6Tunnel = existsSync('/sys/module/ip6_tunnel') || 'ip6tnl0' in addrs;
  return { addrs, sysctls, kernelIpip, kernelIp6Tunnel };
}

/** `lvsd rs-setup --help`. */
export const RS_SETUP_USAGE = `Usage: lvsd rs-setup --vip VIP --mode dr|tun [--apply]
  Prints the commands that make this host a real server for VIP under DR or TUN: the VIP on lo
  (or tunl0), arp_ignore/arp_announce, rp_filter. --apply runs them (root).
`;

/** Runs `lvsd rs-setup`; returns the exit code. */
export function runRsSetup(argv: readonly string[], out = process.stdout, err = process.stderr): number {
  let values: { vip?: string; mode?: string; apply?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        vip: { type: 'string' },
        mode: { type: 'string' },
        apply: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    err.write(`lvsd rs-setup: ${(e as Error).message}\n${RS_SETUP_USAGE}`);
    return 2;
  }
  if (values.help) {
    out.write(RS_SETUP_USAGE);
    return 0;
  }
  const { vip, mode } = values;
  if (!vip || ipFamily(vip) === 0 || (mode !== 'dr' && mode !== 'tun')) {
    err.write(RS_SETUP_USAGE);
    return 2;
  }
  const plan = planRsSetup(vip, mode, readHostState());
  for (const w of plan.warnings) err.write(`warning: ${w}\n`);
  if (!values.apply) {
    for (const c of plan.commands) out.write(`${c.join(' ')}\n`);
    for (const s of plan.sysctls) out.write(`sysctl -w ${s}\n`);
    if (plan.commands.length + plan.sysctls.length === 0) out.write('# nothing to change\n');
    return 0;
  }
  for (const c of plan.commands) {
    const r = spawnSync(c[0]!, c.slice(1), { encoding: 'utf8' });
    if (r.status !== 0) {
      err.write(`lvsd rs-setup: ${c.join(' ')} failed: ${(r.stderr ?? '').trim()}\n`);
      return 1;
    }
    out.write(`applied: ${c.join(' ')}\n`);
  }
  for (const s of plan.sysctls) {
    writeSysctl(s);
    out.write(`applied: sysctl -w ${s}\n`);
  }
  return 0;
}
