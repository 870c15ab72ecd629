/**
 * The layout of the XDP flow-offload map's keys and values (native/xdp_filter.h LVS_FLOW_*),
 * shared by the installer (flow-offload.ts), its NAT part (flow-nat-value.ts) and the map
 * (io/packet-socket/xdp-flow-map.ts). Pure constants.
 */

/** Bytes of a flow key (xdp_filter.h LVS_FLOW_KEY_BYTES). */
export const FLOW_KEY_BYTES = 16;
/** Bytes of a flow value (xdp_filter.h LVS_FLOW_VALUE_BYTES). */
export const FLOW_VALUE_BYTES = 64;
/** Offsets in a flow value (xdp_filter.h LVS_FLOW_V_*). */
export const FLOW_V = {
  IFINDEX: 12,
  MTU: 16,
  ADDR: 20,
  PACKETS: 24,
  BYTES: 32,
  SEEN: 40,
  IPADD: 48,
  L4ADD: 52,
  PORT: 56,
  KIND: 58,
} as const;
/** A flow value's kind (xdp_filter.h LVS_FLOW_V_KIND): what the program rewrites besides TTL and MACs. */
export const FLOW_KIND = { DR: 0, NAT_DST: 1, NAT_SRC: 2 } as const;
/**
 * The IP header checksum sum of a TTL decrement (RFC 1624 eqn. 3 with m' = m - 0x100): ~m + m'
 * = 0xfeff for any TTL above 1. Every value carries it; NAT adds its address change.
 */
export const TTL_SUM = 0xfeff;
