/**
 * The runner's side of `use_vmac` (keepalived/vrrp/vrrp_vmac.c): the instance's macvlan is made
 * before its socket opens, the socket opens on it unless `vmac_xmit_base` (vrrp.c
 * vrrp_build_ip6(): adverts leave by the base interface then), and it is deleted when the
 * instance stops (vrrp.c vrrp_restore_interface() → netlink_link_del_vmac()).
 */
import type { VmacLinks } from '../../io/vrrp/vmac-links.js';
import type { InstanceRt } from './vrrp-state.js';

/** A use_vmac instance on a runner given no way to make macvlans (the packet data plane). */
export class VmacUnavailableError extends Error {
  readonly code = 'ERR_VRRP_VMAC_UNAVAILABLE';
  constructor(instance: string) {
    super(`(${instance}) use_vmac needs the proxy data plane (lvsd --dataplane proxy)`);
    this.name = 'VmacUnavailableError';
  }
}

/**
 * Makes `rt`'s macvlan when it has one, and returns where its socket opens: the macvlan, sending
 * from the base's address (keepalived writes vrrp->saddr, never an address of the macvlan, whose
 * only addresses are the VIPs), or the base interface. Throws when the macvlan cannot be made.
 */
export function vmacEndpoint(
  links: VmacLinks | undefined,
  rt: InstanceRt,
): { ifname: string; srcAddr?: string } {
  const v = rt.b.vmac;
  const plain = { ifname: rt.ifname, ...(rt.srcAddr !== undefined ? { srcAddr: rt.srcAddr } : {}) };
  if (!v) return plain;
  if (!links) throw new VmacUnavailableError(rt.name);
  const src = rt.srcAddr ?? rt.b.instance.primaryAddr;
  const af = rt.b.instance.af;
  links.up({
    ifname: v.ifname,
    base: rt.ifname,
    mac: v.mac,
    af,
    ...(af === 6 && !v.xmitBase ? { linkLocal: src } : {}),
  });
  return v.xmitBase ? plain : { ifname: v.ifname, srcAddr: src };
}

/** Deletes `rt`'s macvlan, if it has one (its VIPs go with it). */
export function vmacDown(links: VmacLinks | undefined, rt: InstanceRt): void {
  if (rt.b.vmac) links?.down(rt.b.vmac.ifname);
}

/** On reload: deletes `prev`'s macvlan when its successor `rt` does not use the same one. */
export function vmacRetire(links: VmacLinks | undefined, prev: InstanceRt, rt: InstanceRt): void {
  if (prev.b.vmac && prev.b.vmac.ifname !== rt.b.vmac?.ifname) vmacDown(links, prev);
}
