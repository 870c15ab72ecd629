/**
 * How the proxy plane's VRRP addresses reach the host (the seam of vrrp-addresses.ts): through
 * rtnetlink when the addon is built (io/netlink: synchronous, acked, so a new MASTER's address
 * is on the interface before its first gratuitous ARP, as keepalived's vrrp_state_become_master()
 * adds its VIPs before vrrp_send_link_update()), else by spawning iproute2's `ip`, which
 * sends the same request (ip/ipaddress.c ipaddr_modify()) but takes tens of milliseconds.
 * Either way the outcome is reduced to what VrrpAddresses needs: done, already there (EEXIST:
 * someone else's address), already gone (on delete), or a failure to report.
 */
import { execFile } from 'node:child_process';
import type { VrrpVip } from '../../control/ports.js';
import { netlinkAddress, netlinkAddressAvailable } from '../../io/netlink/netlink-address.js';

/** Runs `ip` with `args`; resolves with its exit status and stderr (a test seam). */
export type IpRunner = (args: readonly string[]) => Promise<{ status: number; stderr: string }>;

/** The real `ip` on PATH. */
export const runIp: IpRunner = (args) =>
  new Promise((resolve) => {
    execFile('ip', [...args], { timeout: 10_000 }, (err, _stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ status: code, stderr: String(stderr || (err && code !== 0 ? err.message : '')) });
    });
  });

/** What one add or delete did: `exists` only from add, `gone` only from delete. */
export type AddressOutcome = 'done' | 'exists' | 'gone' | { readonly failed: string };

/** Adds and deletes single addresses; a result may come at once (netlink) or later (`ip`). */
export interface AddressLink {
  add(v: VrrpVip): AddressOutcome | Promise<AddressOutcome>;
  del(v: VrrpVip): AddressOutcome | Promise<AddressOutcome>;
}

/** The `ip addr add` arguments for `v` (keepalived's defaults; see vrrp-addresses.ts). */
export function addArgs(v: VrrpVip): string[] {
  const args = ['addr', 'add', `${v.addr}/${v.prefix}`, 'dev', v.dev];
  // IFA_LABEL only names IPv4 addresses (iproute2 refuses it for IPv6).
  if (v.af === 4 && v.label !== undefined) args.push('label', v.label);
  if (v.scope !== undefined) args.push('scope', v.scope);
  if (v.af === 6) args.push('nodad', 'preferred_lft', '0');
  return args;
}

/** The `ip addr del` arguments for `v`. */
export function delArgs(v: VrrpVip): string[] {
  return ['addr', 'del', `${v.addr}/${v.prefix}`, 'dev', v.dev];
}

/** Addresses changed by running `ip` through `run`. */
export function ipAddressLink(run: IpRunner = runIp): AddressLink {
  return {
    async add(v) {
      const args = addArgs(v);
      const r = await run(args);
      if (r.status === 0) return 'done';
      // EEXIST: "File exists", or the kernel's "Address already assigned".
      if (/File exists|already assigned/i.test(r.stderr)) return 'exists';
      return { failed: `ip ${args.join(' ')}: ${r.stderr.trim()}` };
    },
    async del(v) {
      const args = delArgs(v);
      const r = await run(args);
      if (r.status === 0) return 'done';
      if (/Cannot assign requested address|Address not found|Cannot find device/i.test(r.stderr))
        return 'gone';
      return { failed: `ip ${args.join(' ')}: ${r.stderr.trim()}` };
    },
  };
}

/** iproute2's scope names (/etc/iproute2/rt_scopes as shipped); numbers 0-255 pass as they are. */
const SCOPES: ReadonlyMap<string, number> = new Map([
  ['global', 0],
  ['site', 200],
  ['link', 253],
  ['host', 254],
  ['nowhere', 255],
]);

/** The ifa_scope for `ip ... scope S` (iproute2 rtnl_rtscope_a2n()), or undefined when unknown. */
export function scopeNumber(s: string): number | undefined {
  const named = SCOPES.get(s);
  if (named !== undefined) return named;
  if (!/^(?:\d+|0x[0-9a-f]+)$/i.test(s)) return undefined;
  const n = Number(s);
  return n <= 255 ? n : undefined;
}

// The `ip` command line equivalent, for failure messages.
const shown = (op: 'add' | 'del', v: VrrpVip): string =>
  `netlink ${(op === 'add' ? addArgs(v) : delArgs(v)).join(' ')}`;

/** Addresses changed through rtnetlink (the addon); check {@link netlinkAddressAvailable} first. */
export const netlinkAddressLink: AddressLink = {
  add(v) {
    // iproute2 refuses an unknown scope name before sending anything ("invalid scope value"); so
    // do we. Any label goes, as with iproute2 6.1 and keepalived (the kernel takes it as it is).
    const scope = v.scope !== undefined ? scopeNumber(v.scope) : undefined;
    if (v.scope !== undefined && scope === undefined)
      return { failed: `${shown('add', v)}: unknown scope "${v.scope}"` };
    // iproute2 default_scope(): an IPv4 address in 127/8 gets scope host unless one is given.
    const loopback = v.af === 4 && v.addr.startsWith('127.');
    const r = netlinkAddress({
      op: 'add',
      af: v.af,
      dev: v.dev,
      addr: v.addr,
      prefix: v.prefix,
      ...(scope !== undefined ? { scope } : loopback ? { scope: 254 } : {}),
      ...(v.af === 4 && v.label !== undefined ? { label: v.label } : {}),
      ...(v.af === 6 ? { nodad: true, preferredLft: 0 } : {}),
    });
    if (r.ok) return 'done';
    if (r.code === 'EEXIST') return 'exists';
    return { failed: `${shown('add', v)}: ${r.code}` };
  },
  del(v) {
    const r = netlinkAddress({ op: 'del', af: v.af, dev: v.dev, addr: v.addr, prefix: v.prefix });
    if (r.ok) return 'done';
    // Gone already (removed by hand, or the interface went away): nothing left to undo.
    if (r.code === 'EADDRNOTAVAIL' || r.code === 'ENODEV') return 'gone';
    return { failed: `${shown('del', v)}: ${r.code}` };
  },
};

/** rtnetlink when the addon has it, else `ip`. */
export function defaultAddressLink(): AddressLink {
  return netlinkAddressAvailable() ? netlinkAddressLink : ipAddressLink(runIp);
}
