/**
 * The XDP flow-offload maps on bpf(2): the flow hash the program looks established conns up in
 * (key and value layouts: native/xdp_filter.h, engine/flow-offload.ts) and the devmap of egress
 * interfaces its bpf_redirect_map uses. Implements the engine's {@link FlowMapPort}: one
 * syscall per call, never per packet (installs are flushed per batch, reads once a sweep).
 */
import { FLOW_KEY_BYTES, FLOW_VALUE_BYTES, type FlowMapPort } from '../../engine/flow-offload.js';
import { XdpError, xdpSyscallError } from './errors.js';
import { BPF_MAP_TYPE_DEVMAP_HASH, BPF_MAP_TYPE_HASH, BPF_NOEXIST, type XdpBinding } from './xdp-binding.js';

/** Default bound of the flow map (BPF max_entries). */
export const FLOW_MAP_DEFAULT_ENTRIES = 65536;
/** Egress interfaces the devmap holds at most. */
const DEVMAP_ENTRIES = 64;

/** The offload half of an addon binding, once checked present. */
type OffloadBinding = Required<Pick<XdpBinding, 'bpfXdpOffloadLoad' | 'bpfMapUpdateFlags' | 'bpfMapLookup'>> &
  XdpBinding;

/** Why `b` cannot offload (an addon built before the offload section), or undefined when it can. */
export function offloadUnsupported(b: XdpBinding): string | undefined {
  if (
    typeof b.bpfXdpOffloadLoad !== 'function' ||
    typeof b.bpfMapUpdateFlags !== 'function' ||
    typeof b.bpfMapLookup !== 'function'
  )
    return 'the native addon has no XDP flow offload (rebuild it: npm run build:native or npm install)';
  return undefined;
}

/** The flow hash and the devmap. */
export class XdpFlowMap implements FlowMapPort {
  /** Fd of the flow hash. */
  readonly fd: number;
  /** Fd of the egress devmap. */
  readonly devFd: number;
  private readonly b: OffloadBinding;
  /** The binding the maps were made with (the programs must use the same). */
  readonly binding: XdpBinding;
  private readonly egress = new Set<number>();
  private closed = false;

  constructor(
    binding: XdpBinding,
    readonly maxEntries: number = FLOW_MAP_DEFAULT_ENTRIES,
  ) {
    const why = offloadUnsupported(binding);
    if (why !== undefined) throw new XdpError('ERR_XDP_UNAVAILABLE', why);
    this.b = binding as OffloadBinding;
    this.binding = binding;
    const fd = binding.bpfMapCreate(
      BPF_MAP_TYPE_HASH,
      FLOW_KEY_BYTES,
      FLOW_VALUE_BYTES,
      maxEntries,
      'lvsd_flows',
    );
    if (fd < 0) throw xdpSyscallError('ERR_XDP_MAP', 'create the flow-offload map', fd);
    const dev = binding.bpfMapCreate(BPF_MAP_TYPE_DEVMAP_HASH, 4, 4, DEVMAP_ENTRIES, 'lvsd_egress');
    if (dev < 0) {
      binding.bpfClose(fd);
      throw xdpSyscallError('ERR_XDP_MAP', 'create the egress devmap', dev);
    }
    this.fd = fd;
    this.devFd = dev;
  }

  /** Lets the program redirect to interface `ifindex` (each served interface, before attach). */
  addEgress(ifindex: number): void {
    if (this.egress.has(ifindex)) return;
    const k = new Uint8Array(new Uint32Array([ifindex]).buffer);
    const r = this.b.bpfMapUpdate(this.devFd, k, k);
    if (r < 0) throw xdpSyscallError('ERR_XDP_MAP', `devmap update for ifindex ${ifindex}`, r);
    this.egress.add(ifindex);
  }

  /** True when the program can redirect to `ifindex`. */
  hasEgress(ifindex: number): boolean {
    return this.egress.has(ifindex);
  }

  insert(key: Uint8Array, value: Uint8Array): number {
    if (this.closed) return -9;
    return this.b.bpfMapUpdateFlags(this.fd, key, value, BPF_NOEXIST);
  }

  lookup(key: Uint8Array, value: Uint8Array): number {
    if (this.closed) return -9;
    return this.b.bpfMapLookup(this.fd, key, value);
  }

  remove(key: Uint8Array): number {
    if (this.closed) return -9;
    return this.b.bpfMapDelete(this.fd, key);
  }

  /** Loads the filter with the offload section over these maps (see XdpProgram.load). */
  loadProgram(xskMap: number, filterMap: number, localMap: number, log: Uint8Array): number {
    return this.b.bpfXdpOffloadLoad(xskMap, filterMap, localMap, this.fd, this.devFd, log);
  }

  /** Frees both maps (a loaded program keeps its own references). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.b.bpfClose(this.fd);
    this.b.bpfClose(this.devFd);
  }
}
