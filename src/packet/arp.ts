/** ARP for Ethernet/IPv4 (RFC 826): the only hardware/protocol pair the director answers. */
import {
  checkBytes,
  checkField,
  copyBytes,
  fail,
  need,
  PACKET_ERR,
  rd16,
  rd32,
  room,
  wr16,
  wr32,
} from './bytes.js';
import type { Codec } from './codec.js';
import { ETHERTYPE } from './ethernet.js';

/** Length of an Ethernet/IPv4 ARP packet. */
export const ARP_LEN = 28;

/** ARP opcodes. */
export const ARP_OP = { REQUEST: 1, REPLY: 2 } as const;

/** An Ethernet/IPv4 ARP packet; IPv4 addresses are host-order u32 (as core/addr parseIPv4). */
export interface ArpPacket {
  readonly op: number;
  readonly senderMac: Uint8Array;
  readonly senderIp: number;
  readonly targetMac: Uint8Array;
  readonly targetIp: number;
}

/** Decodes an ARP packet; other hardware/protocol types are ERR_PACKET_UNSUPPORTED. */
export function decodeArp(buf: Uint8Array, off: number): ArpPacket {
  need(buf, off, 8, 'arp');
  if (
    rd16(buf, off) !== 1 ||
    rd16(buf, off + 2) !== ETHERTYPE.IPV4 ||
    buf[off + 4] !== 6 ||
    buf[off + 5] !== 4
  ) {
    fail(PACKET_ERR.UNSUPPORTED, 'arp: only Ethernet/IPv4 is supported');
  }
  need(buf, off, ARP_LEN, 'arp');
  return {
    op: rd16(buf, off + 6),
    senderMac: copyBytes(buf, off + 8, 6),
    senderIp: rd32(buf, off + 14),
    targetMac: copyBytes(buf, off + 18, 6),
    targetIp: rd32(buf, off + 24),
  };
}

/** Encodes an ARP packet at `off`; returns {@link ARP_LEN}. */
export function encodeArp(p: ArpPacket, buf: Uint8Array, off: number): number {
  checkField(p.op, 0xffff, 'arp op');
  checkField(p.senderIp, 0xffffffff, 'arp sender ip');
  checkField(p.targetIp, 0xffffffff, 'arp target ip');
  checkBytes(p.senderMac, 6, 'arp sender mac');
  checkBytes(p.targetMac, 6, 'arp target mac');
  room(buf, off, ARP_LEN, 'arp');
  return writeArp(buf, off, p.op, p.senderMac, 0, p.senderIp, p.targetMac, 0, p.targetIp);
}

/**
 * Writes an Ethernet/IPv4 ARP packet at `off` from loose fields, allocating nothing: the one ARP
 * writer, behind {@link encodeArp} and the engine's replies, requests and announcements. The MACs
 * are read at `shaOff` / `thaOff`; the IPv4 addresses are host-order u32. The caller has checked
 * the room. Returns {@link ARP_LEN}.
 */
export function writeArp(
  buf: Uint8Array,
  off: number,
  op: number,
  sha: Uint8Array,
  shaOff: number,
  spa: number,
  tha: Uint8Array,
  thaOff: number,
  tpa: number,
): number {
  wr16(buf, off, 1);
  wr16(buf, off + 2, ETHERTYPE.IPV4);
  buf[off + 4] = 6;
  buf[off + 5] = 4;
  wr16(buf, off + 6, op);
  for (let k = 0; k < 6; k++) {
    buf[off + 8 + k] = sha[shaOff + k] as number;
    buf[off + 18 + k] = tha[thaOff + k] as number;
  }
  wr32(buf, off + 14, spa);
  wr32(buf, off + 24, tpa);
  return ARP_LEN;
}

/** The Ethernet/IPv4 ARP packet as a {@link Codec}. */
export const arpCodec: Codec<ArpPacket> = {
  name: 'arp',
  extent: 'self',
  decode: decodeArp,
  encode: encodeArp,
  encodingLength: () => ARP_LEN,
};
