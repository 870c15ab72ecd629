/**
 * Lazy loader of the native AF_PACKET addon (native/packet_socket.c). Loading happens on first
 * use, never at import, so everything else runs where the addon could not be built; the failure
 * reason is kept so `lvsd --dataplane packet` can say why the plane is unavailable.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { PacketSocketError } from './errors.js';

/** The addon's JS contract version; must equal LVS_PACKET_ABI in packet_socket.c. */
export const PACKET_ADDON_ABI = 1;

/** Opaque native handle (an N-API external). */
export type PacketHandle = object;

/** What the native addon exports. Every method returns 0 / a count, or a negative errno. */
export interface PacketBinding {
  readonly abiVersion: number;
  readonly metaWords: number;
  /** Bytes free before every received frame of the AF_PACKET ring (PACKET_RESERVE). */
  readonly rxHeadroom?: number;
  createHandle(): PacketHandle;
  bind(
    h: PacketHandle,
    ifname: string,
    blockSize: number,
    blockCount: number,
    retireMs: number,
    flags: number,
    fanoutArg: number,
  ): number;
  ring(h: PacketHandle): ArrayBuffer | undefined;
  readStart(h: PacketHandle, meta: Uint32Array, onBatch: (count: number, err: number) => void): number;
  readStop(h: PacketHandle): number;
  drain(h: PacketHandle): number;
  send(h: PacketHandle, buf: Uint8Array, pairs: Uint32Array, count: number): number;
  sendv(h: PacketHandle, frames: readonly Uint8Array[]): number;
  stats(h: PacketHandle, out: Uint32Array): number;
  ifindex(h: PacketHandle): number;
  close(h: PacketHandle): number;
  /**
   * A TCP (`udp` 0) or UDP (`udp` 1) socket of family `af` (4 or 6) bound to `addr`:`port` with
   * IP_FREEBIND, so the address need not exist yet (native/freebind_socket.c): its fd, or -errno.
   * Absent from addons built before it.
   */
  freebindSocket?(af: number, udp: number, addr: string, port: number): number;
  /**
   * One RTM_NEWADDR (`add` 1) or RTM_DELADDR (`add` 0) acked by the kernel (native/netlink_addr.c):
   * 0 or -errno. Absent from addons built before it.
   */
  netlinkAddress?(
    add: number,
    af: number,
    ifname: string,
    addr: string,
    prefix: number,
    scope: number,
    label: string,
    flags: number,
    preferredLft: number,
  ): number;
  /** if_nametoindex(3): the interface's index, or 0 when there is none. Absent from older builds. */
  netlinkIfIndex?(ifname: string): number;
  /**
   * One RTM_GETADDR dump (native/netlink_addr.c): the RTM_NEWADDR messages written to `out`, their
   * byte count returned, or -errno (-EMSGSIZE when `out` is too small). Absent from older builds.
   */
  netlinkDumpAddrs?(out: Uint8Array): number;
  /** A send-only AF_PACKET socket (protocol 0, native/announce_socket.c): its fd, or -errno. */
  announceOpen?(): number;
  /** Sends `frames` on `ifname` through an announceOpen() socket: how many went, or -errno. */
  announceSend?(fd: number, ifname: string, frames: readonly Uint8Array[]): number;
  /**
   * One sd_notify(3) datagram to the AF_UNIX socket `path` ('@' for abstract; native/sd_notify.c):
   * bytes sent, or -errno. Absent from addons built before it.
   */
  sdNotify?(path: string, message: string): number;
}

/** bind() flag: join the interface's promiscuous membership. */
export const BIND_PROMISC = 1;
/** bind() flag: PACKET_IGNORE_OUTGOING, so our own transmits are not received back. */
export const BIND_IGNORE_OUTGOING = 2;
/** bind() flag: PACKET_QDISC_BYPASS, transmit straight to the driver queue. */
export const BIND_QDISC_BYPASS = 4;

/** Where node-gyp leaves the addon; src/ and dist/ sit at the same depth below the root. */
export const DEFAULT_ADDON_PATH = fileURLToPath(
  new URL('../../../native/build/Release/lvs_packet.node', import.meta.url),
);

const cache = new Map<string, PacketBinding | PacketSocketError>();

/**
 * Loads (once) the addon at `path` (default: LVS_PACKET_ADDON or the node-gyp output).
 * Throws ERR_PACKET_ADDON_UNAVAILABLE carrying the reason.
 */
export function loadPacketAddon(path = process.env.LVS_PACKET_ADDON || DEFAULT_ADDON_PATH): PacketBinding {
  let r = cache.get(path);
  if (r === undefined) {
    r = tryLoad(path);
    cache.set(path, r);
  }
  if (r instanceof PacketSocketError) throw r;
  return r;
}

/** Why the addon is unavailable, or undefined when it loads. */
export function packetAddonUnavailableReason(path?: string): string | undefined {
  try {
    loadPacketAddon(path);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function unavailable(reason: string): PacketSocketError {
  return new PacketSocketError('ERR_PACKET_ADDON_UNAVAILABLE', `AF_PACKET addon unavailable: ${reason}`);
}

function tryLoad(path: string): PacketBinding | PacketSocketError {
  if (process.platform !== 'linux') return unavailable(`AF_PACKET needs Linux, this is ${process.platform}`);
  if (!existsSync(path)) {
    return unavailable(
      `${path} is missing (the install-time build failed; run \`node scripts/build-native.mjs\`)`,
    );
  }
  let mod: PacketBinding;
  try {
    mod = createRequire(import.meta.url)(path) as PacketBinding;
  } catch (e) {
    return unavailable(`cannot load ${path}: ${(e as Error).message}`);
  }
  if (mod.abiVersion !== PACKET_ADDON_ABI) {
    return unavailable(`${path} has ABI ${String(mod.abiVersion)}, expected ${PACKET_ADDON_ABI}; rebuild it`);
  }
  return mod;
}
