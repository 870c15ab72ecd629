/**
 * `virtual_ipaddress` lines as a data plane needs them: `<addr>[/<prefix>] [dev DEV] [label L]
 * [scope S] ...` (keepalived.conf(5) "virtual_ipaddress"), the device defaulting to the
 * instance's interface as keepalived does (vrrp_ipaddress.c alloc_ipaddress()).
 */
import type { VipSpec, VrrpInstance as VrrpInstanceModel } from '../../config/model.js';
import type { VrrpVip } from '../../control/ports.js';

function wordAfter(raw: readonly string[], kw: string): string | undefined {
  const i = raw.indexOf(kw);
  return i >= 0 ? raw[i + 1] : undefined;
}

/** Maps one parsed VIP line to a {@link VrrpVip} on `ifname` unless the line names its own `dev`. */
export function vrrpVipOf(v: VipSpec, ifname: string): VrrpVip {
  const label = wordAfter(v.raw, 'label');
  const scope = wordAfter(v.raw, 'scope');
  return {
    af: v.af,
    addr: v.addr,
    prefix: v.prefix,
    dev: v.dev ?? ifname,
    ...(label !== undefined ? { label } : {}),
    ...(scope !== undefined ? { scope } : {}),
  };
}

/** The entries of `a` whose address and device are not in `b`. */
export function vipsMissingFrom(a: readonly VrrpVip[], b: readonly VrrpVip[]): VrrpVip[] {
  return a.filter((x) => !b.some((y) => y.addr === x.addr && y.dev === x.dev && y.prefix === x.prefix));
}

/**
 * Every instance's addresses, for a data plane starting before the instances have a state: it
 * treats them all as held by a peer until the runner says MASTER, so a director coming up as
 * BACKUP never answers or announces its peer's addresses.
 */
export function vrrpInstanceVips(model: {
  readonly vrrp: { readonly instances: readonly VrrpInstanceModel[] };
}): { name: string; vips: VrrpVip[] }[] {
  return model.vrrp.instances
    .filter((i) => i.interface !== undefined)
    .map((i) => ({ name: i.name, vips: i.vips.map((v) => vrrpVipOf(v, i.interface as string)) }));
}
