/**
 * What `lab trace ha` shows of a frame (no I/O): VRRP advertisements decoded with src/vrrp's codec
 * (who sends, version, VRID, priority, interval, addresses) and ARP, with gratuitous ARP told
 * apart (sender address = target address, RFC 5227 §3 / RFC 5798 §6.4.2 "broadcast a gratuitous
 * ARP request"). Anything else is ignored; a malformed advert becomes a line naming its error code.
 */
import { formatIPv4 } from '../../core/addr.js';
import { formatMac } from '../../packet/ethernet.js';
import { VRRP_ERR, VrrpError } from '../../vrrp/vrrp-error.js';
import { decodeVrrp, IPPROTO_VRRP } from '../../vrrp/vrrp-packet.js';

/** A decoded VRRP advert as seen on the wire. */
export interface HaVrrpEvent {
  readonly kind: 'vrrp';
  readonly srcMac: string;
  readonly src: string;
  readonly dst: string;
  readonly version: 2 | 3;
  readonly vrid: number;
  readonly priority: number;
  /** Advertisement interval in ms (v2 carries seconds, v3 centiseconds). */
  readonly intervalMs: number;
  readonly addrs: readonly string[];
}

/** An ARP frame. */
export interface HaArpEvent {
  readonly kind: 'arp';
  readonly srcMac: string;
  readonly dstMac: string;
  readonly op: 'request' | 'reply';
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetIp: string;
  /** Sender and target address are the same: an announcement, not a question. */
  readonly gratuitous: boolean;
}

/** An IPv4 protocol-112 packet the codec rejected. */
export interface HaBadEvent {
  readonly kind: 'bad-vrrp';
  readonly srcMac: string;
  readonly src: string;
  readonly code: string;
}

/** One frame of interest. */
export type HaEvent = HaVrrpEvent | HaArpEvent | HaBadEvent;

const u16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
const u32 = (b: Uint8Array, o: number): number =>
  ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

/** True when a frame is ARP or IPv4 VRRP (the capture's cheap filter). */
export function isHaFrame(f: Uint8Array): boolean {
  if (f.length < 14) return false;
  const type = u16(f, 12);
  return type === 0x0806 || (type === 0x0800 && f.length >= 34 && f[23] === IPPROTO_VRRP);
}

/** Decodes one untagged Ethernet frame; undefined when it is neither ARP nor IPv4 VRRP. */
export function describeHaFrame(f: Uint8Array): HaEvent | undefined {
  if (!isHaFrame(f)) return undefined;
  const srcMac = formatMac(f, 6);
  if (u16(f, 12) === 0x0806) {
    // Ethernet/IPv4 ARP only (RFC 826): hardware type 1, protocol 0x0800, lengths 6 and 4.
    if (f.length < 42 || u16(f, 14) !== 1 || u16(f, 16) !== 0x0800 || f[18] !== 6 || f[19] !== 4)
      return undefined;
    const op = u16(f, 20);
    if (op !== 1 && op !== 2) return undefined;
    const senderIp = formatIPv4(u32(f, 28));
    const targetIp = formatIPv4(u32(f, 38));
    return {
      kind: 'arp',
      srcMac,
      dstMac: formatMac(f, 0),
      op: op === 1 ? 'request' : 'reply',
      senderMac: formatMac(f, 22),
      senderIp,
      targetIp,
      gratuitous: senderIp === targetIp,
    };
  }
  const ihl = (f[14]! & 15) * 4;
  const src = formatIPv4(u32(f, 26));
  const dst = formatIPv4(u32(f, 30));
  try {
    if (f[14]! >> 4 !== 4 || ihl < 20)
      throw new VrrpError(VRRP_ERR.TRUNCATED, 'not an IPv4 header VRRP can follow');
    const v = decodeVrrp(f, 14 + ihl, 4);
    return {
      kind: 'vrrp',
      srcMac,
      src,
      dst,
      version: v.version,
      vrid: v.vrid,
      priority: v.priority,
      intervalMs: v.version === 2 ? v.interval * 1000 : v.interval * 10,
      addrs: v.addrs,
    };
  } catch (e) {
    return { kind: 'bad-vrrp', srcMac, src, code: e instanceof VrrpError ? e.code : 'ERROR' };
  }
}

/** Names hosts in trace lines: by MAC first, then by IPv4 address. */
export interface HaNames {
  readonly byMac: ReadonlyMap<string, string>;
  readonly byIp: ReadonlyMap<string, string>;
}

const who = (n: HaNames, mac: string, ip?: string): string =>
  n.byMac.get(mac) ?? (ip !== undefined ? n.byIp.get(ip) : undefined) ?? mac;

const secs = (ms: number): string => `${ms / 1000}s`;

/**
 * One readable line, e.g. `director1 > 224.0.0.18 VRRPv3 vrid 51 prio 150 int 1s vip 192.0.2.100`
 * or `director2 > broadcast GARP 192.0.2.100 is-at 02:..:01 (director2)`.
 */
export function formatHaEvent(e: HaEvent, n: HaNames): string {
  if (e.kind === 'vrrp') {
    const stop = e.priority === 0 ? ' (master stopping)' : '';
    return `${who(n, e.srcMac, e.src)} > ${e.dst} VRRPv${e.version} vrid ${e.vrid} prio ${e.priority} int ${secs(e.intervalMs)} vip ${e.addrs.join(',')}${stop}`;
  }
  if (e.kind === 'bad-vrrp') return `${who(n, e.srcMac, e.src)} > VRRP (undecodable: ${e.code})`;
  const from = who(n, e.srcMac, e.senderIp);
  const to = e.dstMac === 'ff:ff:ff:ff:ff:ff' ? 'broadcast' : who(n, e.dstMac);
  if (e.gratuitous)
    return `${from} > ${to} GARP ${e.op} ${e.senderIp} is-at ${e.senderMac} (${who(n, e.senderMac)})`;
  if (e.op === 'request') return `${from} > ${to} ARP who-has ${e.targetIp} tell ${e.senderIp}`;
  return `${from} > ${to} ARP ${e.senderIp} is-at ${e.senderMac}`;
}
