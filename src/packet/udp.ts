/** UDP headers (RFC 768). */
import { checkField, need, rd16, room, wr16 } from './bytes.js';
import type { Codec } from './codec.js';

/** Length of a UDP header. */
export const UDP_LEN = 8;

/** A UDP header; checksum 0 means "none" over IPv4. */
export interface UdpHeader {
  readonly sport: number;
  readonly dport: number;
  /** Header plus payload length, as on the wire. */
  readonly length: number;
  readonly checksum: number;
}

/** Decodes a UDP header (the length field is reported, not checked against the buffer). */
export function decodeUdp(buf: Uint8Array, off: number): UdpHeader {
  need(buf, off, UDP_LEN, 'udp');
  return {
    sport: rd16(buf, off),
    dport: rd16(buf, off + 2),
    length: rd16(buf, off + 4),
    checksum: rd16(buf, off + 6),
  };
}

/** Encodes a UDP header; returns {@link UDP_LEN}. */
export function encodeUdp(h: UdpHeader, buf: Uint8Array, off: number): number {
  checkField(h.sport, 0xffff, 'udp sport');
  checkField(h.dport, 0xffff, 'udp dport');
  checkField(h.length, 0xffff, 'udp length');
  checkField(h.checksum, 0xffff, 'udp checksum');
  room(buf, off, UDP_LEN, 'udp');
  wr16(buf, off, h.sport);
  wr16(buf, off + 2, h.dport);
  wr16(buf, off + 4, h.length);
  wr16(buf, off + 6, h.checksum);
  return UDP_LEN;
}

/** The UDP header as a {@link Codec}. */
export const udpCodec: Codec<UdpHeader> = {
  name: 'udp',
  extent: 'self',
  decode: decodeUdp,
  encode: encodeUdp,
  encodingLength: () => UDP_LEN,
};
