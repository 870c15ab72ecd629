/**
 * Decoder of rtnetlink RTM_NEWADDR messages (an RTM_GETADDR dump): struct nlmsghdr, struct
 * ifaddrmsg and its rtattrs, as linux/netlink.h, linux/if_addr.h and linux/rtnetlink.h lay them
 * out. Netlink is in host byte order, so the caller says which. Pure, bounds checked before
 * every read: a short or malformed message ends the walk, never throws.
 */
import { formatIpBytes } from '../../core/addr.js';

/** nlmsghdr: len u32, type u16, flags u16, seq u32, pid u32. */
const NLMSG_HDRLEN = 16;
/** ifaddrmsg: family u8, prefixlen u8, flags u8, scope u8, index u32. */
const IFADDRMSG_LEN = 8;
/** rtattr: len u16, type u16. */
const RTA_HDRLEN = 4;
const RTM_NEWADDR = 20;
const AF_INET = 2;
const AF_INET6 = 10;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_FLAGS = 8;
/** IFA_F_SECONDARY (linux/if_addr.h; IFA_F_TEMPORARY for IPv6 shares the bit). */
const IFA_F_SECONDARY = 0x01;
/** IFA_F_TENTATIVE: an IPv6 address still in duplicate address detection. */
const IFA_F_TENTATIVE = 0x40;

/** One interface address from the dump. */
export interface IfAddrRecord {
  /** Interface index (ifa_index). */
  readonly index: number;
  readonly family: 'IPv4' | 'IPv6';
  /** The address, IPv4 dotted quad or IPv6 in canonical lower-case form. */
  readonly address: string;
  readonly prefixlen: number;
  /** IPv4 secondary (or IPv6 temporary) address: not the one the kernel picks as source. */
  readonly secondary: boolean;
  /** IPv6 address still tentative (DAD). */
  readonly tentative: boolean;
  /** rtnetlink scope: 0 global, 200 site, 253 link, 254 host. */
  readonly scope: number;
}

const align4 = (n: number): number => (n + 3) & ~3;

/**
 * Decodes the RTM_NEWADDR messages in `buf[0, len)`; other message types and families are
 * skipped. The address is IFA_LOCAL when present (the interface's own address on a
 * point-to-point link, where IFA_ADDRESS is the peer's), else IFA_ADDRESS.
 */
export function decodeIfAddrs(buf: Uint8Array, len: number, littleEndian: boolean): IfAddrRecord[] {
  const out: IfAddrRecord[] = [];
  const end = Math.min(len, buf.length);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let o = 0;
  while (o + NLMSG_HDRLEN <= end) {
    const mlen = dv.getUint32(o, littleEndian);
    if (mlen < NLMSG_HDRLEN || o + mlen > end) break;
    const type = dv.getUint16(o + 4, littleEndian);
    if (type === RTM_NEWADDR && mlen >= NLMSG_HDRLEN + IFADDRMSG_LEN) {
      const r = decodeOne(buf, dv, o + NLMSG_HDRLEN, o + mlen, littleEndian);
      if (r) out.push(r);
    }
    o += align4(mlen);
  }
  return out;
}

function decodeOne(
  buf: Uint8Array,
  dv: DataView,
  at: number,
  end: number,
  le: boolean,
): IfAddrRecord | undefined {
  const fam = buf[at] as number;
  if (fam !== AF_INET && fam !== AF_INET6) return undefined;
  const alen = fam === AF_INET ? 4 : 16;
  const prefixlen = buf[at + 1] as number;
  let flags = buf[at + 2] as number;
  const scope = buf[at + 3] as number;
  const index = dv.getUint32(at + 4, le);
  let local = -1;
  let address = -1;
  let o = at + IFADDRMSG_LEN;
  while (o + RTA_HDRLEN <= end) {
    const rlen = dv.getUint16(o, le);
    const rtype = dv.getUint16(o + 2, le);
    if (rlen < RTA_HDRLEN || o + rlen > end) break;
    const dlen = rlen - RTA_HDRLEN;
    if (rtype === IFA_LOCAL && dlen >= alen) local = o + RTA_HDRLEN;
    else if (rtype === IFA_ADDRESS && dlen >= alen) address = o + RTA_HDRLEN;
    // IFA_FLAGS (u32) carries the flags that no longer fit ifa_flags; it supersedes them.
    else if (rtype === IFA_FLAGS && dlen >= 4) flags = dv.getUint32(o + RTA_HDRLEN, le);
    o += align4(rlen);
  }
  const a = local >= 0 ? local : address;
  if (a < 0) return undefined;
  return {
    index,
    family: fam === AF_INET ? 'IPv4' : 'IPv6',
    address: formatIpBytes(buf.subarray(a, a + alen)),
    prefixlen,
    secondary: (flags & IFA_F_SECONDARY) !== 0,
    tentative: (flags & IFA_F_TENTATIVE) !== 0,
    scope,
  };
}
