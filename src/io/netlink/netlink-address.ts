/**
 * Interface addresses through rtnetlink (native/netlink_addr.c): one RTM_NEWADDR or RTM_DELADDR
 * per call, returned when the kernel has acked it, so the address exists (or is gone) when the
 * call returns, and a refusal comes back as its errno name ('EEXIST', 'EADDRNOTAVAIL', 'ENODEV',
 * 'EPERM', ...) instead of iproute2's stderr text. The request is the one `ip addr add|del`
 * sends (iproute2 ip/ipaddress.c ipaddr_modify()); keepalived adds its VIPs the same way
 * (keepalived/vrrp/vrrp_ipaddress.c netlink_ipaddress()). Synchronous: a request is a few
 * microseconds of kernel work under the RTNL lock, far less than spawning `ip`.
 */

import { errnoName } from '../packet-socket/errors.js';
import { loadPacketAddon } from '../packet-socket/index.js';

/** One address change, in the terms of `ip addr add|del ADDR/PREFIX dev DEV ...`. */
export interface NetlinkAddressRequest {
  readonly op: 'add' | 'del';
  readonly af: 4 | 6;
  readonly dev: string;
  /** The address as text (inet_pton form). */
  readonly addr: string;
  readonly prefix: number;
  /** ifa_scope (0 global, 200 site, 253 link, 254 host, 255 nowhere); undefined: the kernel's default. */
  readonly scope?: number;
  /** IFA_LABEL (IPv4 only, as iproute2 sends it); ignored by delete. */
  readonly label?: string;
  /** IFA_F_NODAD: no duplicate address detection (IPv6). */
  readonly nodad?: boolean;
  /** IFA_CACHEINFO preferred lifetime (0: deprecated at once), valid lifetime infinite. */
  readonly preferredLft?: number;
}

/** What the kernel said: `ok`, or the errno's name and negative number. */
export type NetlinkAddressResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: string; readonly errnum: number };

type NetlinkAddressFn = NonNullable<ReturnType<typeof loadPacketAddon>['netlinkAddress']>;

/** IFA_F_NODAD of linux/if_addr.h. */
const IFA_F_NODAD = 0x02;

// The addon's function, or null once known to be unavailable.
let fn: NetlinkAddressFn | null | undefined;

function binding(): NetlinkAddressFn | null {
  if (fn === undefined) {
    try {
      const f = loadPacketAddon().netlinkAddress;
      fn = typeof f === 'function' ? f : null;
    } catch {
      fn = null;
    }
  }
  return fn;
}

/** Whether this build has the addon's rtnetlink address call (else callers use `ip`). */
export function netlinkAddressAvailable(): boolean {
  return binding() !== null;
}

/**
 * Adds or deletes one address and waits for the kernel's ack. Throws only when the addon is
 * unavailable (check {@link netlinkAddressAvailable}); every kernel refusal is a result.
 */
export function netlinkAddress(r: NetlinkAddressRequest): NetlinkAddressResult {
  const f = binding();
  if (f === null) throw new Error('netlinkAddress: the native addon (native/netlink_addr.c) is not built');
  const rc = f(
    r.op === 'add' ? 1 : 0,
    r.af,
    r.dev,
    r.addr,
    r.prefix,
    r.scope ?? -1,
    r.af === 4 ? (r.label ?? '') : '',
    r.nodad ? IFA_F_NODAD : 0,
    r.preferredLft ?? -1,
  );
  return rc === 0 ? { ok: true } : { ok: false, code: errnoName(rc), errnum: rc };
}
