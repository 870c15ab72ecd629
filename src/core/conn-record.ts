/**
 * The layout of a connection-table entry: its flags (the kernel's IP_VS_CONN_F_*, from
 * include/uapi/linux/ip_vs.h and include/net/ip_vs.h), its kind and family bits, and the 32-byte
 * hot record holding every field the per-packet path reads or writes.
 */

/** Conn flags (IP_VS_CONN_F_*), kernel values. */
export const CONN_F = {
  FWD_MASK: 0x0007,
  SYNC: 0x0020,
  HASHED: 0x0040,
  NOOUTPUT: 0x0080,
  INACTIVE: 0x0100,
  OUT_SEQ: 0x0200,
  IN_SEQ: 0x0400,
  NO_CPORT: 0x0800,
  TEMPLATE: 0x1000,
  ONE_PACKET: 0x2000,
  NFCT: 0x10000,
  /**
   * lvsd-internal: an application helper (ip_vs_ftp) is bound, the kernel's cp->app != NULL. From
   * bit 16 on, flags are not sent to a backup (a backup binds its own helper by vport).
   */
  APP: 0x40000,
} as const;

/** Template states (IP_VS_CTPL_S_*): NONE until a controlled conn is confirmed, then ASSURED. */
export const CTPL_S = { NONE: 0, ASSURED: 1 } as const;

/** Entry kinds kept in the low bits of `meta`. */
export const KIND = { FREE: 0, LIVE: 1, OPS: 3 } as const;
/** Bits of `meta` holding the KIND. */
export const KIND_MASK = 3;
/** meta bit: client/virtual addresses are IPv6 (af = 6). */
export const META_AF6 = 4;
/** meta bit: the destination address is IPv6 (daf = 6; differs from af only for tunnels). */
export const META_DAF6 = 8;
/** meta bit: the entry has a FULLNAT local address (conn-local.ts). */
export const META_LOCAL = 16;

/**
 * Bytes of an entry's hot record: flags (int32 word 0), dest (word 1), daddr (word 2, u32),
 * timeout in seconds (word 3), inPkts (word 4), dport (u16 at byte 20), meta (byte 22), state
 * (byte 23), expires in ms (float64 at byte 24). Exactly the nine arrays it replaces (32 B), so
 * the bytes per entry do not change.
 */
export const REC_BYTES = 32;
/** Int32 words per record. */
export const RW = REC_BYTES >> 2;
/** Index of dport within a record, in u16 units. */
export const R16_DPORT = 10;
/** Byte of meta within a record. */
export const R8_META = 22;
/** Byte of state within a record. */
export const R8_STATE = 23;
/** Index of expires within a record, in float64 units. */
export const RF_EXPIRES = 3;

/** A 4-word address buffer: IPv4 uses word 0 (host order), IPv6 all four (network word order). */
export type AddrWords = Uint32Array;
