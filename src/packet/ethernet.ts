/** Ethernet II frames with an optional IEEE 802.1Q VLAN tag. MACs are 6-byte Uint8Arrays. */
import { checkBytes, checkField, copyBytes, fail, need, PACKET_ERR, rd16, room, wr16 } from './bytes.js';
import type { Codec } from './codec.js';

/** EtherType values the engine dispatches on. */
export const ETHERTYPE = { IPV4: 0x0800, ARP: 0x0806, VLAN: 0x8100, QINQ: 0x88a8, IPV6: 0x86dd } as const;

/** Length of an untagged Ethernet header. */
export const ETHERNET_LEN = 14;
/** Length of an 802.1Q tag (TPID + TCI). */
export const VLAN_TAG_LEN = 4;

/** An 802.1Q tag control field (the TPID is always 0x8100 here). */
export interface VlanTag {
  /** Priority code point, 0..7. */
  readonly pcp: number;
  /** Drop eligible indicator. */
  readonly dei: boolean;
  /** VLAN id, 0..4095. */
  readonly vid: number;
}

/** An Ethernet II header; `etherType` is the inner type (after the tag when tagged). */
export interface EthernetHeader {
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly vlan?: VlanTag | undefined;
  readonly etherType: number;
}

/** Bytes the header takes on the wire: 14, or 18 with a VLAN tag. */
export function encodingLengthEthernet(h: EthernetHeader): number {
  return h.vlan ? ETHERNET_LEN + VLAN_TAG_LEN : ETHERNET_LEN;
}

/** Decodes an Ethernet header (one 802.1Q tag at most; a second tag's TPID shows as etherType). */
export function decodeEthernet(buf: Uint8Array, off: number): EthernetHeader {
  need(buf, off, ETHERNET_LEN, 'ethernet');
  const type = rd16(buf, off + 12);
  const dst = copyBytes(buf, off, 6);
  const src = copyBytes(buf, off + 6, 6);
  if (type !== ETHERTYPE.VLAN) return { dst, src, vlan: undefined, etherType: type };
  need(buf, off, ETHERNET_LEN + VLAN_TAG_LEN, 'ethernet vlan tag');
  const tci = rd16(buf, off + 14);
  const etherType = rd16(buf, off + 16);
  const vlan: VlanTag = { pcp: tci >>> 13, dei: (tci & 0x1000) !== 0, vid: tci & 0x0fff };
  return { dst, src, vlan, etherType };
}

/** Encodes an Ethernet header at `off`; returns the bytes written. */
export function encodeEthernet(h: EthernetHeader, buf: Uint8Array, off: number): number {
  checkBytes(h.dst, 6, 'ethernet dst');
  checkBytes(h.src, 6, 'ethernet src');
  checkField(h.etherType, 0xffff, 'ethernet type');
  const len = encodingLengthEthernet(h);
  room(buf, off, len, 'ethernet');
  buf.set(h.dst, off);
  buf.set(h.src, off + 6);
  if (h.vlan) {
    checkField(h.vlan.pcp, 7, 'vlan pcp');
    checkField(h.vlan.vid, 0x0fff, 'vlan vid');
    wr16(buf, off + 12, ETHERTYPE.VLAN);
    wr16(buf, off + 14, (h.vlan.pcp << 13) | (h.vlan.dei ? 0x1000 : 0) | h.vlan.vid);
    wr16(buf, off + 16, h.etherType);
  } else {
    wr16(buf, off + 12, h.etherType);
  }
  return len;
}

/** Parses `aa:bb:cc:dd:ee:ff` (or `-` separated) into 6 bytes; throws ERR_PACKET_BAD_FIELD if invalid. */
export function parseMac(s: string): Uint8Array {
  const parts = s.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) {
    fail(PACKET_ERR.BAD_FIELD, `not a MAC address: ${s}`);
  }
  return Uint8Array.from(parts, (p) => Number.parseInt(p, 16));
}

/** Formats 6 bytes (at `off` of `b`) as lowercase `aa:bb:cc:dd:ee:ff`. */
export function formatMac(b: Uint8Array, off = 0): string {
  const out: string[] = [];
  for (let i = 0; i < 6; i++) out.push((b[off + i] ?? 0).toString(16).padStart(2, '0'));
  return out.join(':');
}

/** The Ethernet header as a {@link Codec}. */
export const ethernetCodec: Codec<EthernetHeader> = {
  name: 'ethernet',
  extent: 'self',
  decode: decodeEthernet,
  encode: encodeEthernet,
  encodingLength: encodingLengthEthernet,
};
