/**
 * The ICMP half of the native addon (native/icmp_socket.c). It is compiled into the same module
 * as the AF_PACKET socket, so it shares that loader, its LVS_PACKET_ADDON override and its
 * "why unavailable" reason; a build older than the ICMP code is refused by ABI number.
 */
import { loadPacketAddon } from '../packet-socket/addon.js';
import { IcmpSocketError } from './errors.js';

/** The addon's ICMP contract version; must equal LVS_ICMP_ABI in icmp_socket.c. */
export const ICMP_ADDON_ABI = 1;
/** Bytes per received record (REC_BYTES in icmp_socket.c). */
export const ICMP_RECORD_BYTES = 56;
/** icmpOpen kind: an unprivileged ping socket (SOCK_DGRAM, IPPROTO_ICMP[V6]). */
export const ICMP_KIND_DGRAM = 1;
/** icmpOpen kind: a raw ICMP socket (needs CAP_NET_RAW). */
export const ICMP_KIND_RAW = 2;
/** Record kind: an echo reply. */
export const ICMP_REC_REPLY = 1;
/** Record kind: an ICMP error about one of our echo requests. */
export const ICMP_REC_ERROR = 2;

/** Opaque native handle (an N-API external). */
export type IcmpHandle = object;

/** What the addon exports for ICMP. Every method returns 0 / a value, or a negative errno. */
export interface IcmpBinding {
  readonly icmpAbiVersion: number;
  readonly icmpRecordBytes: number;
  icmpCreateHandle(): IcmpHandle;
  /** Opens a socket of `family` and `kind`; `ident` is the echo id for raw sockets. */
  icmpOpen(h: IcmpHandle, family: 4 | 6, kind: number, ident: number): number;
  /** The echo identifier replies carry (kernel-chosen for ping sockets). */
  icmpIdent(h: IcmpHandle): number;
  /** Sends one echo request with sequence `seq` to the 4- or 16-byte address. */
  icmpSend(h: IcmpHandle, addr: Uint8Array, seq: number, payload: Uint8Array): number;
  /** Starts delivering received records into `out`; `cb` gets their count. */
  icmpReadStart(h: IcmpHandle, out: Uint8Array, cb: (count: number, err: number) => void): number;
  icmpClose(h: IcmpHandle): number;
}

/**
 * Loads the ICMP binding from the addon at `path` (default: LVS_PACKET_ADDON or the node-gyp
 * output). Throws ERR_ICMP_ADDON_UNAVAILABLE carrying the reason.
 */
export function loadIcmpBinding(path?: string): IcmpBinding {
  let mod: Partial<IcmpBinding>;
  try {
    mod = loadPacketAddon(path) as unknown as Partial<IcmpBinding>;
  } catch (e) {
    throw new IcmpSocketError(
      'ERR_ICMP_ADDON_UNAVAILABLE',
      (e as Error).message.replace('AF_PACKET', 'native'),
    );
  }
  if (mod.icmpAbiVersion !== ICMP_ADDON_ABI || mod.icmpRecordBytes !== ICMP_RECORD_BYTES) {
    throw new IcmpSocketError(
      'ERR_ICMP_ADDON_UNAVAILABLE',
      `native addon has ICMP ABI ${String(mod.icmpAbiVersion)}, expected ${ICMP_ADDON_ABI}; rebuild it (node scripts/build-native.mjs)`,
    );
  }
  return mod as IcmpBinding;
}
