/**
 * `use_vmac`: the macvlan an instance runs on, named and addressed as keepalived 2.2.7 does it
 * (keepalived/vrrp/vrrp.c vrrp_complete_instance() and create_vmac_name(); vrrp_vmac.c
 * netlink_link_add_vmac(); RFC 5798 §7.3 for the virtual router MAC address). Pure: the names
 * already present on the host are not looked at, only those of the configuration.
 */
import type { VrrpInstance as VrrpInstanceModel, VrrpModel } from '../config/model.js';

/** The macvlan of one instance. */
export interface VrrpVmacBinding {
  /** Its name: `use_vmac NAME`, else `<vmac_prefix>.<VRID>` (prefix `vrrp`). */
  readonly ifname: string;
  /** Its MAC: 00:00:5e:00:01:VRID (IPv4) or 00:00:5e:00:02:VRID (IPv6), unless configured. */
  readonly mac: string;
  /** `vmac_xmit_base` (forced for unicast): adverts leave by the base interface, not the macvlan. */
  readonly xmitBase: boolean;
}

const IFNAMSIZ = 16;
const hex = (n: number) => n.toString(16).padStart(2, '0');

/** `<prefix><num>.<vrid>` cut to IFNAMSIZ - 1 characters by shortening the prefix (create_vmac_name()). */
function vmacName(prefix: string, num: string, vrid: number): string {
  const full = `${prefix}${num}.${vrid}`;
  if (full.length < IFNAMSIZ) return full;
  return `${prefix.slice(0, prefix.length - (full.length - IFNAMSIZ) - 1)}${num}.${vrid}`;
}

/** The RFC 5798 §7.3 virtual router MAC of `vrid` for family `af`. */
export function vrrpVirtualMac(vrid: number, af: 4 | 6): string {
  return `00:00:5e:00:0${af === 4 ? 1 : 2}:${hex(vrid)}`;
}

/**
 * The macvlan names of every use_vmac instance of `model`, in configuration order: a `use_vmac
 * NAME` already taken by an earlier instance is ignored (vrrp_vmac_handler()), and a default name
 * skips those in use, trying `vrrp1.`, `vrrp2.`, ... (IPv6: `vrrp6.` first) as create_vmac_name() does.
 */
export function vmacNames(model: VrrpModel, vmacPrefix: string | undefined): Map<string, string> {
  const prefix = vmacPrefix ?? 'vrrp';
  const out = new Map<string, string>();
  const explicit = new Set<string>();
  const named = new Map<string, string>();
  for (const vi of model.instances) {
    if (!vi.useVmac || vi.vmacName === undefined || explicit.has(vi.vmacName)) continue;
    explicit.add(vi.vmacName);
    named.set(vi.name, vi.vmacName);
  }
  const used = new Set(explicit);
  for (const vi of model.instances) {
    if (!vi.useVmac) continue;
    const given = named.get(vi.name);
    if (given !== undefined) {
      out.set(vi.name, given);
      continue;
    }
    const v6 = vi.vips[0]?.af === 6;
    let num = 0;
    let name = vmacName(prefix, '', vi.vrid);
    while (used.has(name)) {
      if (v6) num = num === 0 ? 6 : num === 6 ? 1 : num + 1 === 6 ? 7 : num + 1;
      else num++;
      name = vmacName(prefix, String(num), vi.vrid);
    }
    used.add(name);
    out.set(vi.name, name);
  }
  return out;
}

/**
 * The macvlan of instance `vi` (undefined without use_vmac). `strict` drops a configured MAC and
 * vmac_xmit_base as vrrp_complete_instance() does in strict mode.
 */
export function bindVmac(
  vi: VrrpInstanceModel,
  model: VrrpModel,
  vmacPrefix: string | undefined,
  af: 4 | 6,
  strict: boolean,
): VrrpVmacBinding | undefined {
  if (!vi.useVmac) return undefined;
  const ifname = vmacNames(model, vmacPrefix).get(vi.name) ?? vmacName(vmacPrefix ?? 'vrrp', '', vi.vrid);
  let mac = vrrpVirtualMac(vi.vrid, af);
  if (vi.vmacAddr !== undefined && !strict)
    mac = vi.vmacAddr.endsWith(':') ? `${vi.vmacAddr}${hex(vi.vrid)}` : vi.vmacAddr;
  const xmitBase = !strict && (vi.extra.vmac_xmit_base !== undefined || vi.unicastPeers.length > 0);
  return { ifname, mac, xmitBase };
}
