/**
 * The NAT part of an XDP flow-offload value (xdp_filter.h LVS_FLOW_V_*): which address and port
 * the program rewrites, and the two checksum sums it adds, computed once per flow exactly as
 * packet/rewrite.ts translate4 sums them per packet (RFC 1624 eqn. 3: ~m + m' per changed 16-bit
 * word; an unchanged field adds nothing, since adding ~m + m = 0xffff could turn a 0x0000
 * checksum into 0xffff). The IP header sum also carries the TTL decrement's 0xfeff. Pure.
 */
import { type FLOW_KIND, FLOW_V, TTL_SUM } from './flow-value.js';

/** What a NAT flow value rewrites: the destination (requests) or the source (replies). */
export type NatRewriteKind = typeof FLOW_KIND.NAT_DST | typeof FLOW_KIND.NAT_SRC;

/** ~old + new over the two 16-bit words of an IPv4 address; 0 when unchanged (translate4). */
export function addrSum(oldAddr: number, newAddr: number): number {
  const o = oldAddr >>> 0;
  const n = newAddr >>> 0;
  if (o === n) return 0;
  return (~o >>> 16) + (~o & 0xffff) + (n >>> 16) + (n & 0xffff);
}

/** ~old + new of a port; 0 when unchanged (translate4). */
export function portSum(oldPort: number, newPort: number): number {
  return oldPort === newPort ? 0 : (~oldPort & 0xffff) + newPort;
}

/**
 * Writes kind, address, port and both sums into `value` (a flow value's DataView); the address
 * and port old -> new are the destination's for NAT_DST, the source's for NAT_SRC.
 */
export function writeNatRewrite(
  value: DataView,
  kind: NatRewriteKind,
  oldAddr: number,
  newAddr: number,
  oldPort: number,
  newPort: number,
): void {
  const a = addrSum(oldAddr, newAddr);
  value.setUint8(FLOW_V.KIND, kind);
  value.setUint32(FLOW_V.ADDR, newAddr >>> 0);
  value.setUint16(FLOW_V.PORT, newPort);
  value.setUint32(FLOW_V.IPADD, TTL_SUM + a, true);
  value.setUint32(FLOW_V.L4ADD, a + portSum(oldPort, newPort), true);
}
