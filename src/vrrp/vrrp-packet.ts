/**
 * The VRRP advertisement on the wire: VRRPv2 (RFC 3768 §5.3) and VRRPv3 (RFC 5798 §5.2), with each
 * version's checksum. Pure functions over bytes at explicit offsets; every read is bounds-checked
 * first and failures throw {@link VrrpError} with a stable code. IPsec AH authentication (RFC 2338
 * auth type 2, which keepalived still offers for v2) wraps these bytes: see vrrp-ah.ts.
 */
import { type Af, formatIpBytes, ipBytes } from '../core/addr.js';
import { fold, sum16 } from '../packet/checksum.js';
import type { Codec } from '../packet/codec.js';
import { VRRP_ERR, VrrpError } from './vrrp-error.js';

/** IP protocol number of VRRP (RFC 3768 §5.2.4, RFC 5798 §5.1.1.3). */
export const IPPROTO_VRRP = 112;
/** The only packet type defined: ADVERTISEMENT (RFC 3768 §5.3.2, RFC 5798 §5.2.2). */
export const VRRP_TYPE_ADVERT = 1;
/** Length of the fixed header common to both versions. */
export const VRRP_HEADER_LEN = 8;
/** Length of the v2 Authentication Data field (RFC 3768 §5.3.10). */
export const VRRP_AUTH_LEN = 8;
/** v2 Auth Type values keepalived knows (RFC 2338 §5.3.6; RFC 3768 keeps them reserved). */
export const VRRP_AUTH = { NONE: 0, PASS: 1, AH: 2 } as const;
/** IPv4 and IPv6 multicast groups of VRRP (RFC 5798 §5.1.1.2 and §5.1.2.2). */
export const VRRP_MCAST = { 4: '224.0.0.18', 6: 'ff02::12' } as const;

/** One decoded VRRP advertisement (both versions; v3 has no authentication fields). */
export interface VrrpAdvert {
  readonly version: 2 | 3;
  /** Packet type, 1 = ADVERTISEMENT; other values decode so the receive checks can count them. */
  readonly type: number;
  readonly vrid: number;
  /** 255 = address owner, 1..254 backups, 0 = the master is stopping (RFC 3768 §5.3.4). */
  readonly priority: number;
  /** v2: Adver Int in seconds (8 bits); v3: Max Adver Int in centiseconds (12 bits). */
  readonly interval: number;
  /** The checksum field as carried (see {@link fillVrrpChecksum}). */
  readonly checksum: number;
  /** Virtual addresses in canonical text, all of the codec's family. */
  readonly addrs: readonly string[];
  /** v2 Auth Type (0 for v3). */
  readonly authType: number;
  /** v2 Authentication Data, 8 bytes (empty for v3). */
  readonly authData: Uint8Array;
}

/** The IP facts a v3 checksum covers through its pseudo-header (RFC 5798 §5.2.8). */
export interface VrrpChecksumContext {
  readonly af: Af;
  /** Source address of the IP packet. */
  readonly src: string;
  /** Destination: the multicast group, or the peer's own address for unicast (keepalived ≥ 1.3.7). */
  readonly dst: string;
  /** keepalived's `v3_checksum_as_v2`: v3 over IPv4 summed without pseudo-header (RFC 9568 §5.2.8). */
  readonly asV2?: boolean;
}

/** Bytes of an advert of `version` with `count` addresses of family `af`. */
export function vrrpLength(version: number, af: Af, count: number): number {
  return VRRP_HEADER_LEN + count * (af === 4 ? 4 : 16) + (version === 2 ? VRRP_AUTH_LEN : 0);
}

/** Decodes the advert at `off` as family `af`; trailing bytes (Ethernet padding) are left alone. */
export function decodeVrrp(buf: Uint8Array, off: number, af: Af): VrrpAdvert {
  if (off < 0 || buf.length - off < VRRP_HEADER_LEN)
    throw new VrrpError(VRRP_ERR.TRUNCATED, `VRRP header needs ${VRRP_HEADER_LEN} bytes`);
  const version = buf[off]! >> 4;
  if (version !== 2 && version !== 3) throw new VrrpError(VRRP_ERR.BAD_VERSION, `VRRP version ${version}`);
  if (version === 2 && af === 6) throw new VrrpError(VRRP_ERR.BAD_FAMILY, 'VRRPv2 is IPv4 only (RFC 3768)');
  const count = buf[off + 3]!;
  const len = vrrpLength(version, af, count);
  if (buf.length - off < len) throw new VrrpError(VRRP_ERR.TRUNCATED, `VRRP advert needs ${len} bytes`);
  const alen = af === 4 ? 4 : 16;
  const addrs: string[] = [];
  for (let i = 0, p = off + VRRP_HEADER_LEN; i < count; i++, p += alen)
    addrs.push(formatIpBytes(buf.subarray(p, p + alen)));
  const authOff = off + VRRP_HEADER_LEN + count * alen;
  return {
    version,
    type: buf[off]! & 0x0f,
    vrid: buf[off + 1]!,
    priority: buf[off + 2]!,
    // v3 keeps 4 reserved bits above the 12-bit interval, ignored on receive (RFC 5798 §5.2.5).
    interval: version === 2 ? buf[off + 5]! : ((buf[off + 4]! & 0x0f) << 8) | buf[off + 5]!,
    checksum: (buf[off + 6]! << 8) | buf[off + 7]!,
    addrs,
    authType: version === 2 ? buf[off + 4]! : 0,
    authData: version === 2 ? buf.slice(authOff, authOff + VRRP_AUTH_LEN) : new Uint8Array(0),
  };
}

/** Bytes {@link encodeVrrp} writes for `v` as family `af`. */
export function encodingLengthVrrp(v: VrrpAdvert, af: Af): number {
  return vrrpLength(v.version, af, v.addrs.length);
}

function badValue(what: string): never {
  throw new VrrpError(VRRP_ERR.BAD_VALUE, what);
}

/** Writes `v` at `off` as family `af` with its checksum field as given; returns the bytes written. */
export function encodeVrrp(v: VrrpAdvert, buf: Uint8Array, off: number, af: Af): number {
  const len = encodingLengthVrrp(v, af);
  if (v.version === 2 && af === 6) throw new VrrpError(VRRP_ERR.BAD_FAMILY, 'VRRPv2 is IPv4 only (RFC 3768)');
  if (v.addrs.length > 255) badValue('more than 255 addresses');
  if (v.type >>> 4 !== 0 || v.vrid >>> 8 !== 0 || v.priority >>> 8 !== 0 || v.checksum >>> 16 !== 0)
    badValue('type, VRID, priority or checksum out of range');
  if (v.interval >>> (v.version === 2 ? 8 : 12) !== 0) badValue(`interval ${v.interval} out of range`);
  if (v.version === 2 && (v.authType >>> 8 !== 0 || v.authData.length > VRRP_AUTH_LEN))
    badValue('auth type or data out of range');
  if (off < 0 || buf.length - off < len)
    throw new VrrpError(VRRP_ERR.NO_SPACE, `VRRP advert needs ${len} bytes`);
  const alen = af === 4 ? 4 : 16;
  const addrBytes = v.addrs.map((a) => {
    const b = ipBytes(a);
    if (!b || b.length !== alen) badValue(`${a} is not an IPv${af} address`);
    return b;
  });
  buf[off] = (v.version << 4) | v.type;
  buf[off + 1] = v.vrid;
  buf[off + 2] = v.priority;
  buf[off + 3] = v.addrs.length;
  buf[off + 4] = v.version === 2 ? v.authType : v.interval >> 8;
  buf[off + 5] = v.interval & 0xff;
  buf[off + 6] = v.checksum >> 8;
  buf[off + 7] = v.checksum & 0xff;
  let p = off + VRRP_HEADER_LEN;
  for (const b of addrBytes) {
    buf.set(b, p);
    p += alen;
  }
  if (v.version === 2) {
    // The password is zero-padded to 8 bytes (keepalived vrrp.c vrrp_build_vrrp_v2()).
    buf.fill(0, p, p + VRRP_AUTH_LEN);
    buf.set(v.authData, p);
  }
  return len;
}

/** Unfolded pseudo-header sum of a v3 advert of `len` bytes (RFC 5798 §5.2.8, RFC 8200 §8.1). */
function pseudoSum(ctx: VrrpChecksumContext, len: number): number {
  if (ctx.af === 4 && ctx.asV2) return 0;
  const src = ipBytes(ctx.src);
  const dst = ipBytes(ctx.dst);
  const alen = ctx.af === 4 ? 4 : 16;
  if (!src || !dst || src.length !== alen || dst.length !== alen)
    badValue(`checksum addresses ${ctx.src} > ${ctx.dst} are not IPv${ctx.af}`);
  return sum16(dst, 0, alen, sum16(src, 0, alen)) + IPPROTO_VRRP + len;
}

/**
 * The unfolded one's complement sum a receiver computes over `len` advert bytes at `off`: the
 * message alone for v2 (RFC 3768 §5.3.8), message plus pseudo-header for v3.
 */
function vrrpSum(buf: Uint8Array, off: number, len: number, ctx: VrrpChecksumContext | undefined): number {
  if (buf.length - off < len || len < VRRP_HEADER_LEN)
    throw new VrrpError(VRRP_ERR.TRUNCATED, `VRRP checksum over ${len} bytes`);
  const v3 = buf[off]! >> 4 === 3;
  if (v3 && !ctx) badValue('a VRRPv3 checksum needs the IP source and destination');
  return sum16(buf, off, len, v3 && ctx ? pseudoSum(ctx, len) : 0);
}

/** Computes and writes the checksum of the `len`-byte advert at `off`; returns it. */
export function fillVrrpChecksum(
  buf: Uint8Array,
  off: number,
  len: number,
  ctx?: VrrpChecksumContext,
): number {
  if (buf.length - off < len || len < VRRP_HEADER_LEN)
    throw new VrrpError(VRRP_ERR.NO_SPACE, `VRRP checksum over ${len} bytes`);
  buf[off + 6] = 0;
  buf[off + 7] = 0;
  const c = ~fold(vrrpSum(buf, off, len, ctx)) & 0xffff;
  buf[off + 6] = c >> 8;
  buf[off + 7] = c & 0xff;
  return c;
}

/** True when the checksum of the `len`-byte advert at `off` verifies (the full sum folds to 0xffff). */
export function verifyVrrpChecksum(
  buf: Uint8Array,
  off: number,
  len: number,
  ctx?: VrrpChecksumContext,
): boolean {
  return fold(vrrpSum(buf, off, len, ctx)) === 0xffff;
}

/** Encodes `v` into a fresh buffer and fills in its checksum for the given IP source and destination. */
export function buildVrrpAdvert(v: Omit<VrrpAdvert, 'checksum'>, ctx: VrrpChecksumContext): Uint8Array {
  const full: VrrpAdvert = { ...v, checksum: 0 };
  const out = new Uint8Array(encodingLengthVrrp(full, ctx.af));
  encodeVrrp(full, out, 0, ctx.af);
  fillVrrpChecksum(out, 0, out.length, ctx);
  return out;
}

/**
 * The codec of one family in src/packet's `Codec<T>` contract. A VRRPv3 advert does not say
 * whether its addresses are IPv4 or IPv6 (RFC 5798 §5.2.5: the IP header does), hence one codec
 * per family. Its errors are {@link VrrpError}s with VRRP_ERR codes, not PacketErrors: VRRP is
 * decoded by the VRRP layer, and its receive counters are keyed by those codes.
 */
export function vrrpCodec(af: Af): Codec<VrrpAdvert> {
  return {
    name: `vrrp${af}`,
    // The address count (and, in v2, the fixed 8-byte authentication data) fixes the length.
    extent: 'self',
    decode: (buf: Uint8Array, off: number): VrrpAdvert => decodeVrrp(buf, off, af),
    encode: (v: VrrpAdvert, buf: Uint8Array, off: number): number => encodeVrrp(v, buf, off, af),
    encodingLength: (v: VrrpAdvert): number => encodingLengthVrrp(v, af),
  };
}
