/**
 * The macvlans of `use_vmac`, made as keepalived 2.2.7 makes them (keepalived/vrrp/vrrp_vmac.c
 * netlink_link_add_vmac(), vrrp_if_config.c set_interface_parameters()): mode private on the base
 * interface with the virtual MAC; for IPv4 the sysctls arp_ignore=1, accept_local=1, rp_filter=0
 * and promote_secondaries=1 on the macvlan and arp_ignore=1, arp_filter=1 on the base (restored
 * when its last macvlan goes, as reset_interface_parameters() does), IPv6 off unless the instance
 * is IPv6; no address generated from the MAC (addrgenmode none, RFC 5798 §7.4), then up; an IPv6
 * instance that sends from it gets the base's link-local address (set_link_local_address()).
 * A macvlan with rp_filter 0 still filters while net.ipv4.conf.all.rp_filter is not 0 (the kernel
 * uses the larger), so, as vrrp_if_config.c clear_rp_filter() does, the first IPv4 macvlan raises
 * `default` and every interface to `all`'s value and sets `all` to 0, and the last one restores them.
 * Made with iproute2's `ip` and /proc/sys: this runs at start, reload and stop, never on a takeover.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/** One macvlan to bring up. */
export interface VmacSpec {
  readonly ifname: string;
  /** The interface it sits on. */
  readonly base: string;
  /** `xx:xx:xx:xx:xx:xx`. */
  readonly mac: string;
  readonly af: 4 | 6;
  /** IPv6 adverts sent from the macvlan: the base's link-local address to put on it. */
  readonly linkLocal?: string;
}

/** Creates and removes the macvlans; the runner's seam (fake: fake-vmac-links.ts). */
export interface VmacLinks {
  /** Creates `spec` (or keeps a matching one already there) and brings it up; throws VmacError. */
  up(spec: VmacSpec): void;
  /** Deletes the macvlan made for `ifname`; never throws (a link already gone is fine). */
  down(ifname: string): void;
}

/** A macvlan could not be made. */
export class VmacError extends Error {
  readonly code = 'ERR_VRRP_VMAC';
  constructor(message: string) {
    super(message);
    this.name = 'VmacError';
  }
}

interface IpLink {
  address?: string;
  linkinfo?: { info_kind?: string; info_data?: { mode?: string } };
}

function ip(args: readonly string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync('ip', [...args], { encoding: 'utf8', timeout: 10_000 });
  return { ok: r.status === 0, out: r.stdout ?? '', err: (r.stderr || r.error?.message || '').trim() };
}

function must(args: readonly string[]): void {
  const r = ip(args);
  if (!r.ok) throw new VmacError(`ip ${args.join(' ')}: ${r.err}`);
}

function link(ifname: string): IpLink | undefined {
  const r = ip(['-d', '-j', 'link', 'show', 'dev', ifname]);
  if (!r.ok) return undefined;
  try {
    return (JSON.parse(r.out) as IpLink[])[0];
  } catch {
    return undefined;
  }
}

const sysctlPath = (af: 4 | 6, dev: string, key: string) => `/proc/sys/net/ipv${af}/conf/${dev}/${key}`;

function readSysctl(af: 4 | 6, dev: string, key: string): string | undefined {
  try {
    return readFileSync(sysctlPath(af, dev, key), 'utf8').trim();
  } catch {
    return undefined;
  }
}

function writeSysctl(af: 4 | 6, dev: string, key: string, value: string): boolean {
  try {
    writeFileSync(sysctlPath(af, dev, key), value);
    return true;
  } catch {
    return false;
  }
}

/** What clearRpFilter() changed, for restoreRpFilter(). */
interface RpSaved {
  all: string;
  default: string | undefined;
  ifaces: Map<string, string>;
}

/** vrrp_if_config.c clear_rp_filter(): undefined when all.rp_filter was 0 already. */
function clearRpFilter(): RpSaved | undefined {
  const all = readSysctl(4, 'all', 'rp_filter');
  if (all === undefined || all === '0') return undefined;
  const saved: RpSaved = { all, default: undefined, ifaces: new Map() };
  const def = readSysctl(4, 'default', 'rp_filter');
  if (def !== undefined && Number(def) < Number(all)) {
    saved.default = def;
    writeSysctl(4, 'default', 'rp_filter', all);
  }
  let names: string[] = [];
  try {
    names = readdirSync('/proc/sys/net/ipv4/conf').filter((n) => n !== 'all' && n !== 'default');
  } catch {}
  for (const n of names) {
    const v = readSysctl(4, n, 'rp_filter');
    if (v !== undefined && Number(v) < Number(all) && writeSysctl(4, n, 'rp_filter', all))
      saved.ifaces.set(n, v);
  }
  writeSysctl(4, 'all', 'rp_filter', '0');
  return saved;
}

/** vrrp_if_config.c restore_rp_filter(): puts back what is still as we left it. */
function restoreRpFilter(s: RpSaved): void {
  if (readSysctl(4, 'all', 'rp_filter') === '0') writeSysctl(4, 'all', 'rp_filter', s.all);
  if (s.default !== undefined && readSysctl(4, 'default', 'rp_filter') === s.all)
    writeSysctl(4, 'default', 'rp_filter', s.default);
  for (const [n, v] of s.ifaces)
    if (readSysctl(4, n, 'rp_filter') === s.all) writeSysctl(4, n, 'rp_filter', v);
}

/** The real macvlans, through `ip` and /proc/sys. */
export function ipVmacLinks(): VmacLinks {
  // Per base interface: its arp_ignore/arp_filter before we set them, and our macvlans on it.
  const bases = new Map<string, { saved: Record<string, string | undefined>; vmacs: Set<string> }>();
  const ours = new Map<string, string>();
  const v4 = new Set<string>();
  let rp: RpSaved | undefined;
  return {
    up(spec) {
      if (spec.af === 4 && v4.size === 0 && rp === undefined) rp = clearRpFilter();
      if (spec.af === 4) v4.add(spec.ifname);
      const cur = link(spec.ifname);
      if (cur) {
        const kind = cur.linkinfo?.info_kind;
        if (kind !== 'macvlan') throw new VmacError(`${spec.ifname} already exists and is not a macvlan`);
        // keepalived reuses a private macvlan with the right MAC and recreates any other.
        if (cur.address !== spec.mac || cur.linkinfo?.info_data?.mode !== 'private')
          must(['link', 'del', 'dev', spec.ifname]);
      }
      if (!cur || cur.address !== spec.mac || cur.linkinfo?.info_data?.mode !== 'private')
        must([
          'link',
          'add',
          'link',
          spec.base,
          'name',
          spec.ifname,
          'address',
          spec.mac,
          'type',
          'macvlan',
          'mode',
          'private',
        ]);
      ours.set(spec.ifname, spec.base);
      if (spec.af === 4) {
        for (const [k, v] of [
          ['arp_ignore', '1'],
          ['accept_local', '1'],
          ['rp_filter', '0'],
          ['promote_secondaries', '1'],
        ])
          writeSysctl(4, spec.ifname, k as string, v as string);
        let b = bases.get(spec.base);
        if (!b) {
          const saved = {
            arp_ignore: readSysctl(4, spec.base, 'arp_ignore'),
            arp_filter: readSysctl(4, spec.base, 'arp_filter'),
          };
          b = { saved, vmacs: new Set() };
          bases.set(spec.base, b);
          writeSysctl(4, spec.base, 'arp_ignore', '1');
          writeSysctl(4, spec.base, 'arp_filter', '1');
        }
        b.vmacs.add(spec.ifname);
      }
      // Best effort: a kernel without IPv6 has neither knob.
      writeSysctl(6, spec.ifname, 'disable_ipv6', spec.af === 6 ? '0' : '1');
      ip(['link', 'set', 'dev', spec.ifname, 'addrgenmode', 'none']);
      must(['link', 'set', 'dev', spec.ifname, 'up']);
      if (spec.af === 6 && spec.linkLocal !== undefined) {
        const r = ip(['-6', 'addr', 'add', `${spec.linkLocal}/64`, 'dev', spec.ifname, 'nodad']);
        if (!r.ok && !/File exists/i.test(r.err))
          throw new VmacError(`ip -6 addr add on ${spec.ifname}: ${r.err}`);
      }
    },
    down(ifname) {
      const base = ours.get(ifname);
      ours.delete(ifname);
      if (link(ifname)?.linkinfo?.info_kind === 'macvlan') ip(['link', 'del', 'dev', ifname]);
      if (v4.delete(ifname) && v4.size === 0 && rp !== undefined) {
        restoreRpFilter(rp);
        rp = undefined;
      }
      const b = base === undefined ? undefined : bases.get(base);
      if (!b || base === undefined) return;
      b.vmacs.delete(ifname);
      if (b.vmacs.size > 0) return;
      bases.delete(base);
      for (const [k, v] of Object.entries(b.saved)) if (v !== undefined) writeSysctl(4, base, k, v);
    },
  };
}
