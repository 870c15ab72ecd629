/**
 * The VRRP half of the native addon (native/vrrp_socket.c). It is compiled into the same module
 * as the AF_PACKET socket, so it shares that loader, its LVS_PACKET_ADDON override and its
 * "why unavailable" reason; a build older than the VRRP code is refused by ABI number.
 */
import { loadPacketAddon } from '../packet-socket/addon.js';
import { VrrpSocketError } from './vrrp-socket-error.js';

/** The addon's VRRP contract version; must equal LVS_VRRP_ABI in vrrp_socket.c. */
export const VRRP_ADDON_ABI = 2;
/** Bytes per received record (REC_BYTES in vrrp_socket.c): 64 bytes of facts, then the datagram. */
export const VRRP_RECORD_BYTES = 4160;
/** Offset of the datagram inside a record (REC_HEAD in vrrp_socket.c). */
export const VRRP_RECORD_HEAD = 64;
/** vrrpOpen flag: join the family's VRRP group and bind to it (no unicast peers). */
export const VRRP_OPEN_MULTICAST = 1;
/** vrrpOpen flag (IPv4): IP protocol 51 with IP_HDRINCL for an AH instance; sends are whole IP packets. */
export const VRRP_OPEN_AH = 2;

/** vrrpFailedStep values (STEP_* in vrrp_socket.c) as the syscall or option that failed. */
export const VRRP_OPEN_STEPS: readonly string[] = [
  'open',
  'socket',
  'if_nametoindex',
  'SO_BINDTODEVICE',
  'TTL',
  'MULTICAST_IF',
  'MULTICAST_LOOP',
  'ADD_MEMBERSHIP',
  'IPV6_CHECKSUM',
  'PKTINFO',
  'bind',
  'IP_HDRINCL',
];

/** Opaque native handle (an N-API external). */
export type VrrpHandle = object;

/** What the addon exports for VRRP. Every method returns 0 / a value, or a negative errno. */
export interface VrrpBinding {
  readonly vrrpAbiVersion: number;
  readonly vrrpRecordBytes: number;
  vrrpCreateHandle(): VrrpHandle;
  /** Opens a protocol-112 socket of `family` on `ifname`; `src` is empty or the source address bytes. */
  vrrpOpen(h: VrrpHandle, family: 4 | 6, ifname: string, src: Uint8Array, flags: number): number;
  /** The step of the last failed vrrpOpen, an index into {@link VRRP_OPEN_STEPS}. */
  vrrpFailedStep(h: VrrpHandle): number;
  /** The interface's index. */
  vrrpIfindex(h: VrrpHandle): number;
  /** Sends one VRRP message (no IP header) to the 4- or 16-byte address. */
  vrrpSend(h: VrrpHandle, vrrp: Uint8Array, dst: Uint8Array): number;
  /** Starts delivering received datagrams as records into `out`; `cb` gets their count. */
  vrrpReadStart(h: VrrpHandle, out: Uint8Array, cb: (count: number, err: number) => void): number;
  vrrpClose(h: VrrpHandle): number;
}

/**
 * Loads the VRRP binding from the addon at `path` (default: LVS_PACKET_ADDON or the node-gyp
 * output). Throws ERR_VRRP_ADDON_UNAVAILABLE carrying the reason.
 */
export function loadVrrpBinding(path?: string): VrrpBinding {
  let mod: Partial<VrrpBinding>;
  try {
    mod = loadPacketAddon(path) as unknown as Partial<VrrpBinding>;
  } catch (e) {
    throw new VrrpSocketError(
      'ERR_VRRP_ADDON_UNAVAILABLE',
      (e as Error).message.replace('AF_PACKET', 'native'),
    );
  }
  if (mod.vrrpAbiVersion !== VRRP_ADDON_ABI || mod.vrrpRecordBytes !== VRRP_RECORD_BYTES) {
    throw new VrrpSocketError(
      'ERR_VRRP_ADDON_UNAVAILABLE',
      `native addon has VRRP ABI ${String(mod.vrrpAbiVersion)}, expected ${VRRP_ADDON_ABI}; rebuild it (node scripts/build-native.mjs)`,
    );
  }
  return mod as VrrpBinding;
}
