/**
 * The XDP filter's hash-map contents, computed from the same {@link BypassSpec} that
 * `--ingress-bypass` turns into nftables rules (bypass-rules.ts), plus a model of the program's
 * decision. Pure: the model is what tests compare BPF_PROG_TEST_RUN against.
 *
 * Key layout (8 bytes, as the program builds it on its stack): IPv4 address (network order),
 * protocol, kind (0 = destination: VIP:port or LIP; 1 = source: a NAT reply's RIP:rport), port
 * (network order, 0 = every port of the protocol). The local map holds the host's own IPv4
 * addresses: a NAT-reply match addressed to one of them is the director's own connection.
 */
import { parseIPv4 } from '../../core/addr.js';
import type { BypassEndpoint, BypassSpec } from '../host/bypass-rules.js';

/** Key kind of a destination entry (VIP:port, LIP). */
export const KEY_DST = 0;
/** Key kind of a source entry (NAT reply from RIP:rport). */
export const KEY_SRC = 1;
/** Bytes of a filter key. */
export const FILTER_KEY_BYTES = 8;

/** The maps' contents: hex texts of the keys, so sets compare by value. */
export interface FilterEntries {
  readonly filter: ReadonlySet<string>;
  readonly local: ReadonlySet<string>;
}

function ipv4Bytes(a: string): number[] | undefined {
  const n = parseIPv4(a);
  return n === undefined ? undefined : [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}

/** The 8-byte key of one endpoint, or undefined when it is not IPv4. */
export function filterKey(e: BypassEndpoint, kind: number): Uint8Array | undefined {
  const b = e.af === 4 ? ipv4Bytes(e.addr) : undefined;
  if (!b) return undefined;
  return Uint8Array.of(...b, e.protocol & 255, kind, (e.port >>> 8) & 255, e.port & 255);
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The filter and local map contents of `spec` (IPv4 only; the program passes everything else). */
export function filterEntries(spec: BypassSpec): FilterEntries {
  const filter = new Set<string>();
  const add = (list: readonly BypassEndpoint[], kind: number): void => {
    for (const e of list) {
      const k = filterKey(e, kind);
      if (k) filter.add(hex(k));
    }
  };
  add(spec.vips, KEY_DST);
  add(spec.lips, KEY_DST);
  add(spec.natReplies, KEY_SRC);
  const local = new Set<string>();
  for (const a of spec.localAddrs) {
    const b = ipv4Bytes(a);
    if (b) local.add(hex(Uint8Array.from(b)));
  }
  return { filter, local };
}

/** Bytes of a hex key text. */
export function keyBytes(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'hex'));
}

/**
 * What the XDP program decides for `frame`: true = redirect to lvsd's AF_XDP socket, false =
 * pass to the kernel. Mirrors the instructions in xdp_socket.c's assemble().
 */
export function filterRedirects(frame: Uint8Array, e: FilterEntries): boolean {
  if (frame.length < 34 || frame[12] !== 8 || frame[13] !== 0) return false;
  const vhl = frame[14]!;
  if ((vhl & 0xf0) !== 0x40 || (vhl & 15) < 5) return false;
  // Any fragment (MF or an offset) stays with the kernel and AF_PACKET, so every piece of a
  // datagram reaches the engine through one socket, in order (engine/frag-table.ts).
  if ((frame[20]! & 0x3f) !== 0 || frame[21] !== 0) return false;
  const proto = frame[23]!;
  if (proto !== 6 && proto !== 17 && proto !== 132) return false;
  const l4 = 14 + (vhl & 15) * 4;
  if (l4 + 4 > frame.length) return false;
  const h = (a: number, b: number): string => Buffer.from(frame.subarray(a, b)).toString('hex');
  const p = proto.toString(16).padStart(2, '0');
  const daddr = h(30, 34);
  const saddr = h(26, 30);
  if (e.filter.has(`${daddr}${p}00${h(l4 + 2, l4 + 4)}`) || e.filter.has(`${daddr}${p}000000`)) return true;
  if (e.local.has(daddr)) return false;
  return e.filter.has(`${saddr}${p}01${h(l4, l4 + 2)}`) || e.filter.has(`${saddr}${p}010000`);
}
