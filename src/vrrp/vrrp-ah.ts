/**
 * VRRPv2 IPsec AH authentication (RFC 2338 §5.3.6.2, auth type 2) as keepalived 2.2.7 does it,
 * byte for byte: the advert goes in an IPv4 packet of protocol 51 whose AH header (RFC 2402 §2)
 * carries SPI = the source address, a sequence number, and a 96-bit HMAC-MD5 ICV (RFC 2403) keyed
 * with the 8-byte zero-padded password. The ICV covers the IP header with its mutable fields
 * zeroed (RFC 2402 §3.3.3.1.1.1: TOS, flags/fragment offset, header checksum; TTL too when
 * unicast, since multicast VRRP's TTL is fixed at 255), the AH header with a zero ICV, and the
 * VRRP message (keepalived/vrrp/vrrp.c vrrp_build_ipsecah(), vrrp_update_pkt(),
 * vrrp_in_chk_ipsecah(); keepalived/vrrp/vrrp_ipsecah.c hmac_md5()). HMAC-MD5 comes from
 * node:crypto, which does no I/O.
 */
import { createHmac } from 'node:crypto';
import { ipBytes } from '../core/addr.js';
import { VRRP_ERR, VrrpError } from './vrrp-error.js';
import { IPPROTO_VRRP } from './vrrp-packet.js';

/** IP protocol number of AH (RFC 2402 §2). */
export const IPPROTO_AH = 51;
/** Bytes of keepalived's AH header: 12 fixed + a 12-byte ICV (vrrp_ipsecah.h ipsec_ah_t). */
export const AH_LEN = 24;
/** HMAC-MD5-96: the digest truncated to 12 bytes (RFC 2403 §2). */
export const AH_ICV_LEN = 12;
/** AH Payload Len: header length in 32-bit words minus 2 (RFC 2402 §2.2; keepalived IPSEC_AH_PLEN). */
export const AH_PAYLOAD_LEN = 4;
/** keepalived sets the advert's IPv4 TOS to internetwork control (vrrp.c vrrp_build_ip4()). */
export const VRRP_IP_TOS = 0xc0;
/** Highest sequence number before keepalived marks the counter as cycled (vrrp_update_pkt()). */
export const AH_SEQ_MAX = 0xfffffffd;

/** The HMAC key: the password's first 8 bytes, zero-padded (keepalived's 8-byte `auth_data`). */
export function ahKey(pass: string): Uint8Array {
  const k = new Uint8Array(8);
  k.set(new TextEncoder().encode(pass).subarray(0, 8));
  return k;
}

/** The decoded AH header. */
export interface AhHeader {
  readonly nextHeader: number;
  readonly payloadLen: number;
  /** Security Parameters Index as the 4 bytes carried (keepalived: the sender's IPv4 address). */
  readonly spi: number;
  readonly seq: number;
  readonly icv: Uint8Array;
}

const u32 = (b: Uint8Array, o: number): number =>
  ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** Decodes the AH header at `off`. */
export function decodeAh(buf: Uint8Array, off: number): AhHeader {
  if (off < 0 || buf.length - off < AH_LEN)
    throw new VrrpError(VRRP_ERR.TRUNCATED, `AH header needs ${AH_LEN} bytes`);
  return {
    nextHeader: buf[off]!,
    payloadLen: buf[off + 1]!,
    spi: u32(buf, off + 4),
    seq: u32(buf, off + 8),
    icv: Uint8Array.from(buf.subarray(off + 12, off + AH_LEN)),
  };
}

/**
 * The ICV of an IPv4+AH packet whose AH header starts at `ihl`: HMAC-MD5 over the IP header with
 * TOS, fragment field and checksum zeroed (and TTL when `unicast`), the AH header with a zero
 * ICV, and everything after it, truncated to 96 bits (vrrp.c vrrp_in_chk_ipsecah()).
 */
export function ahIcv(
  packet: Uint8Array,
  ihl: number,
  unicast: boolean,
  key: Uint8Array,
  end = packet.length,
): Uint8Array {
  if (ihl < 20 || end - ihl < AH_LEN || end > packet.length)
    throw new VrrpError(VRRP_ERR.TRUNCATED, 'IPv4 AH packet too short');
  // A copy even when `packet` is a Buffer, whose slice() would be a view of the caller's bytes.
  const head = Uint8Array.from(packet.subarray(0, ihl + AH_LEN));
  head[1] = 0; // TOS
  head[6] = 0; // flags + fragment offset
  head[7] = 0;
  head[10] = 0; // header checksum
  head[11] = 0;
  if (unicast) head[8] = 0; // TTL: mutable on a routed unicast path
  head.fill(0, ihl + 12, ihl + AH_LEN);
  const mac = createHmac('md5', key)
    .update(head)
    .update(packet.subarray(ihl + AH_LEN, end))
    .digest();
  return new Uint8Array(mac.buffer, mac.byteOffset, AH_ICV_LEN).slice();
}

/** The IP facts of one AH advert to send. */
export interface AhSend {
  readonly src: string;
  readonly dst: string;
  /** 255 (RFC 3768 §5.2.3), or keepalived's `unicast_ttl` for unicast. */
  readonly ttl: number;
  /** IP ID: keepalived counts it per instance from 1, skipping 0 (which the kernel would fill). */
  readonly id: number;
  readonly seq: number;
  readonly unicast: boolean;
}

/**
 * The whole IPv4 packet of one AH advert around the VRRP message `vrrp` (auth type 2, its checksum
 * already filled), as keepalived sends it with IP_HDRINCL. The IP header checksum is left 0: the
 * kernel always computes it for IP_HDRINCL sends (raw(7)), and the ICV counts it as 0.
 */
export function buildAhPacket(ip: AhSend, vrrp: Uint8Array, key: Uint8Array): Uint8Array {
  const src = ipBytes(ip.src);
  const dst = ipBytes(ip.dst);
  if (src?.length !== 4 || dst?.length !== 4)
    throw new VrrpError(VRRP_ERR.BAD_VALUE, `AH adverts are IPv4 only: ${ip.src} > ${ip.dst}`);
  if (ip.id >>> 16 !== 0 || ip.ttl >>> 8 !== 0 || ip.seq >>> 0 !== ip.seq)
    throw new VrrpError(VRRP_ERR.BAD_VALUE, 'IP ID, TTL or AH sequence number out of range');
  const total = 20 + AH_LEN + vrrp.length;
  const p = new Uint8Array(total);
  p[0] = 0x45;
  p[1] = VRRP_IP_TOS;
  p[2] = total >> 8;
  p[3] = total & 0xff;
  p[4] = ip.id >> 8;
  p[5] = ip.id & 0xff;
  p[8] = ip.ttl;
  p[9] = IPPROTO_AH;
  p.set(src, 12);
  p.set(dst, 16);
  p[20] = IPPROTO_VRRP;
  p[21] = AH_PAYLOAD_LEN;
  // SPI = the source address (vrrp_build_ipsecah(): unique per sender without key exchange).
  p.set(src, 24);
  put32(p, 28, ip.seq);
  p.set(vrrp, 20 + AH_LEN);
  p.set(ahIcv(p, 20, ip.unicast, key), 32);
  return p;
}

/** Why an AH advert was discarded, in keepalived's order. */
export const AH_RX = {
  /** The AH protects another protocol: keepalived ignores the packet (VRRP_PACKET_DROP). */
  NEXT_HEADER: 'VRRP_RX_AH_NEXT_HEADER',
  /** "IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !" */
  ICV: 'VRRP_RX_AH_ICV',
  /** "IPSEC AH : invalid IPSEC SPI value." (SPI is not the source address) */
  SPI: 'VRRP_RX_AH_SPI',
  /** "IPSEC-AH : sequence number %u already processed. Packet dropped." */
  REPLAY: 'VRRP_RX_AH_REPLAY',
} as const;

/** A code of {@link AH_RX}. */
export type AhRxReason = (typeof AH_RX)[keyof typeof AH_RX];

/**
 * keepalived's AH checks of one packet (IP header of `ihl` bytes, then AH, then VRRP up to `end`)
 * against the instance's sequence counter `seq` (the one counter it also sends from): on success
 * the counter moves to the packet's sequence number, as vrrp_in_chk_ipsecah() does.
 */
export function checkAh(
  packet: Uint8Array,
  ihl: number,
  end: number,
  unicast: boolean,
  key: Uint8Array,
  seq: number,
): { readonly ok: true; readonly seq: number } | { readonly ok: false; readonly reason: AhRxReason } {
  const ah = decodeAh(packet, ihl);
  if (ah.nextHeader !== IPPROTO_VRRP) return { ok: false, reason: AH_RX.NEXT_HEADER };
  const icv = ahIcv(packet, ihl, unicast, key, end);
  // Compared in constant time (keepalived memcmp_constant_time()).
  let diff = 0;
  for (let i = 0; i < AH_ICV_LEN; i++) diff |= icv[i]! ^ ah.icv[i]!;
  if (diff !== 0) return { ok: false, reason: AH_RX.ICV };
  if (ah.spi !== u32(packet, 12)) return { ok: false, reason: AH_RX.SPI };
  if (ah.seq <= seq) return { ok: false, reason: AH_RX.REPLAY };
  return { ok: true, seq: ah.seq };
}
