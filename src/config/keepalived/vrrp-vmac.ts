/**
 * `use_vmac [NAME] [MAC]` of a vrrp_instance, checked as keepalived 2.2.7 checks it
 * (keepalived/vrrp/vrrp_parser.c vrrp_vmac_handler(), dev_name_valid()): up to two arguments, a
 * word with ':' being the MAC address and any other the macvlan's name; a bad one is reported and
 * ignored, `use_vmac` itself still applies.
 */
import type { Diagnostics } from '../diagnostics.js';
import type { Node } from './tree.js';

/** What `use_vmac` set: the name and the address, when given and valid. */
export interface UseVmac {
  name?: string;
  /** Six octets `xx:xx:xx:xx:xx:xx`, or five ending in ':' (the VRID is the sixth). */
  addr?: string;
}

/** The kernel's rule for an interface name (net/core/dev.c dev_valid_name(), IFNAMSIZ 16). */
export function vmacNameValid(name: string): boolean {
  if (name === '' || name.length >= 16 || name === '.' || name === '..') return false;
  return !/[/:\s]/.test(name);
}

/**
 * Parses a MAC written for `use_vmac` as vrrp_vmac_handler() reads it (strtoul per octet, one or
 * two hex digits): six octets, or five then the end (or a trailing ':') to take the VRID.
 * Returns the octets and whether the VRID completes them, or undefined when it is invalid.
 */
export function parseVmacAddr(text: string): { octets: number[]; useVrid: boolean } | undefined {
  if (!/^[0-9A-Fa-f:]+$/.test(text)) return undefined;
  const parts = text.split(':');
  if (parts.length === 6 && parts[5] === '' && parts.slice(0, 5).every((p) => p !== '')) parts.pop();
  if (parts.length !== 5 && parts.length !== 6) return undefined;
  if (!parts.every((p) => p.length >= 1 && p.length <= 2)) return undefined;
  return { octets: parts.map((p) => Number.parseInt(p, 16)), useVrid: parts.length === 5 };
}

const hex = (n: number) => n.toString(16).padStart(2, '0');

/**
 * Parses the arguments of one `use_vmac` line of instance `iname`, reporting what keepalived
 * reports; `usedBy` names an earlier instance whose use_vmac already took a name.
 */
export function parseUseVmac(
  d: Diagnostics,
  c: Node,
  into: UseVmac,
  iname: string,
  usedBy: (name: string) => string | undefined = () => undefined,
): void {
  for (const a of c.args.slice(0, 2)) {
    if (a.includes(':')) {
      if (into.addr !== undefined) {
        d.error('ERR_CONFIG_BAD_VALUE', 'VMAC interface address already specified', c);
        continue;
      }
      const m = parseVmacAddr(a);
      // A character outside [0-9A-Fa-f:] and a bad layout are two messages in vrrp_vmac_handler().
      if (!/^[0-9A-Fa-f:]+$/.test(a)) d.error('ERR_CONFIG_BAD_VALUE', `VMAC invalid MAC address ${a}`, c);
      else if (!m) d.error('ERR_CONFIG_BAD_VALUE', `VMAC invalid MAC address ${a} - ignored`, c);
      else if ((m.octets[0] ?? 0) & 1)
        d.error('ERR_CONFIG_BAD_VALUE', `VMAC MAC address is multicast ${a} - ignoring`, c);
      else if (m.octets.slice(0, 4).join() === '0,0,94,0' && (m.octets[4] === 1 || m.octets[4] === 2))
        d.error(
          'ERR_CONFIG_BAD_VALUE',
          `VMAC MAC address not allowed to be RFC5798 address (${a}) - ignoring`,
          c,
        );
      else into.addr = m.octets.map(hex).join(':') + (m.useVrid ? ':' : '');
    } else if (into.name !== undefined) {
      d.error('ERR_CONFIG_BAD_VALUE', 'VMAC interface name already specified', c);
    } else if (!vmacNameValid(a)) {
      d.error(
        'ERR_CONFIG_BAD_VALUE',
        `VMAC interface name '${a}' too long or invalid characters - ignoring`,
        c,
      );
    } else {
      const other = usedBy(a);
      if (other !== undefined)
        d.error(
          'ERR_CONFIG_CONFLICT',
          `(${iname}) VRRP instance ${other} is already using ${a} - ignoring name`,
          c,
        );
      else into.name = a;
    }
  }
}
