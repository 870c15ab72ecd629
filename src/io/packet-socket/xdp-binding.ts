/**
 * The AF_XDP half of the native addon (native/xdp_socket.c): raw bpf(2) calls and the XSK
 * socket. Same conventions as {@link PacketBinding}: every call returns a count, an fd or 0,
 * or a negative errno; nothing throws for a failed syscall.
 */
import { loadPacketAddon, type PacketBinding, type PacketHandle } from './addon.js';
import { XdpError } from './errors.js';

/** The addon's AF_XDP contract version; must equal xdpAbiVersion in xdp_socket.c. */
export const XDP_ADDON_ABI = 2;

/** BPF_MAP_TYPE_HASH. */
export const BPF_MAP_TYPE_HASH = 1;
/** BPF_MAP_TYPE_DEVMAP_HASH: egress interfaces keyed by ifindex, for bpf_redirect_map. */
export const BPF_MAP_TYPE_DEVMAP_HASH = 25;
/** BPF_MAP_UPDATE_ELEM flag: create only (include/uapi/linux/bpf.h BPF_NOEXIST). */
export const BPF_NOEXIST = 1;
/** BPF_MAP_TYPE_XSKMAP. */
export const BPF_MAP_TYPE_XSKMAP = 17;
/** XDP actions a program returns (linux/bpf.h enum xdp_action). */
export const XDP_ACTION = { ABORTED: 0, DROP: 1, PASS: 2, TX: 3, REDIRECT: 4 } as const;
/** XDP_FLAGS_SKB_MODE: generic XDP, after the skb is built (any driver). */
export const XDP_FLAGS_SKB_MODE = 1 << 1;
/** XDP_FLAGS_DRV_MODE: the driver's native XDP hook (veth has one). */
export const XDP_FLAGS_DRV_MODE = 1 << 2;
/** xskBind flag: classify L4 checksums of received frames (veth's CHECKSUM_PARTIAL, see xdp_socket.c). */
export const XSK_BIND_CSUM_CHECK = 1;
/**
 * xskBind flag: preferred busy polling (SO_PREFER_BUSY_POLL, SO_BUSY_POLL, SO_BUSY_POLL_BUDGET):
 * the queue's receive work runs in the socket owner's own calls (xdp_socket.c busy_poll_setup).
 */
export const XSK_BIND_BUSY_POLL = 2;
/** Words xskStats fills: 6 of XDP_STATISTICS, 6 counters of ours, free chunks, TX budget, busy polling. */
export const XSK_STATS_WORDS = 15;

/** What xdp_socket.c adds to the addon's exports. */
export interface XdpBinding {
  readonly xdpAbiVersion: number;
  bpfMapCreate(type: number, keySize: number, valueSize: number, maxEntries: number, name: string): number;
  bpfMapUpdate(fd: number, key: Uint8Array, value: Uint8Array): number;
  bpfMapDelete(fd: number, key: Uint8Array): number;
  /** Loads the filter program using the three maps; on failure `log` holds the verifier's log. */
  bpfXdpFilterLoad(xskMapFd: number, filterMapFd: number, localMapFd: number, log: Uint8Array): number;
  bpfXdpFilterInsns(): number;
  /**
   * The filter with the flow-offload section (native/xdp_filter.c offload()); absent from an
   * addon built before it, which leaves offload off.
   */
  bpfXdpOffloadLoad?(
    xskMapFd: number,
    filterMapFd: number,
    localMapFd: number,
    flowMapFd: number,
    devMapFd: number,
    log: Uint8Array,
  ): number;
  /** BPF_MAP_UPDATE_ELEM with `flags` (BPF_NOEXIST: -EEXIST when present; a full hash: -E2BIG). */
  bpfMapUpdateFlags?(fd: number, key: Uint8Array, value: Uint8Array, flags: number): number;
  /** BPF_MAP_LOOKUP_ELEM into `value`; -ENOENT (-2) when the key is absent. */
  bpfMapLookup?(fd: number, key: Uint8Array, value: Uint8Array): number;
  /** BPF_PROG_TEST_RUN returning the frame the program left in `out`, its length in meta[0]. */
  bpfTestRunData?(progFd: number, frame: Uint8Array, out: Uint8Array, meta: Uint32Array): number;
  /** BPF_LINK_CREATE of an XDP program on `ifindex`; the program detaches when the fd closes. */
  bpfLinkXdp(progFd: number, ifindex: number, flags: number): number;
  /** BPF_PROG_TEST_RUN of `frame` through the program; its XDP action. */
  bpfTestRun(progFd: number, frame: Uint8Array): number;
  bpfClose(fd: number): number;
  xskCreate(): PacketHandle;
  xskBind(
    h: PacketHandle,
    ifname: string,
    queue: number,
    chunks: number,
    chunkSize: number,
    ringSize: number,
    flags: number,
  ): number;
  xskUmem(h: PacketHandle): ArrayBuffer | undefined;
  xskFd(h: PacketHandle): number;
  xskReadStart(h: PacketHandle, meta: Uint32Array, onBatch: (count: number, err: number) => void): number;
  xskReadStop(h: PacketHandle): number;
  xskDrain(h: PacketHandle): number;
  xskSend(h: PacketHandle, buf: Uint8Array, pairs: Uint32Array, count: number): number;
  xskStats(h: PacketHandle, out: Float64Array): number;
  xskClose(h: PacketHandle): number;
}

/** Loads the addon and returns its AF_XDP part; throws ERR_XDP_UNAVAILABLE with the reason. */
export function loadXdpBinding(path?: string): XdpBinding {
  let mod: PacketBinding & Partial<XdpBinding>;
  try {
    mod = loadPacketAddon(path) as PacketBinding & Partial<XdpBinding>;
  } catch (e) {
    throw new XdpError('ERR_XDP_UNAVAILABLE', (e as Error).message);
  }
  if (mod.xdpAbiVersion !== XDP_ADDON_ABI) {
    throw new XdpError(
      'ERR_XDP_UNAVAILABLE',
      `the addon's AF_XDP part has ABI ${String(mod.xdpAbiVersion)}, expected ${XDP_ADDON_ABI}; rebuild it`,
    );
  }
  return mod as XdpBinding;
}
