/**
 * lvsd's XDP filter: one XSKMAP per interface (queue index → AF_XDP socket), one shared filter
 * hash map and one local-address map (xdp-filter-keys.ts), and one copy of the hand-assembled
 * program per interface, attached with BPF_LINK_CREATE. A link lives as long as its fd, so the
 * program detaches by itself when lvsd exits, however it exits.
 */
import type { BypassSpec } from '../host/bypass-rules.js';
import { XdpError, xdpSyscallError } from './errors.js';
import {
  BPF_MAP_TYPE_HASH,
  BPF_MAP_TYPE_XSKMAP,
  loadXdpBinding,
  XDP_FLAGS_DRV_MODE,
  XDP_FLAGS_SKB_MODE,
  type XdpBinding,
} from './xdp-binding.js';
import { FILTER_KEY_BYTES, type FilterEntries, filterEntries, keyBytes } from './xdp-filter-keys.js';
import type { XdpFlowMap } from './xdp-flow-map.js';

/** Entries the filter map holds at most (VIPs, LIPs and RIPs together). */
export const FILTER_MAX_ENTRIES = 16384;
/** Queues an XSKMAP covers (veth: one per rx queue). */
const XSKMAP_QUEUES = 64;

/** How a program ended up attached. */
export type XdpAttachMode = 'drv' | 'skb';

/** Options of {@link XdpProgram}. */
export interface XdpProgramOptions {
  /** Test seam: the binding to use instead of the addon's. */
  readonly binding?: XdpBinding;
  /**
   * Flow offload: the programs are loaded with the offload section over these maps (made with
   * this program's binding); without it, the filter alone.
   */
  readonly flows?: XdpFlowMap;
}

/** One interface's program: its XSKMAP and program fds, and the link once attached. */
interface Attachment {
  readonly ifindex: number;
  readonly xskMap: number;
  readonly prog: number;
  link: number;
  mode: XdpAttachMode | undefined;
}

/** The filter maps and the per-interface programs of one packet plane. */
export class XdpProgram {
  readonly binding: XdpBinding;
  private readonly filterMap: number;
  private readonly localMap: number;
  private readonly attached = new Map<number, Attachment>();
  private installed: FilterEntries = { filter: new Set(), local: new Set() };
  private closed = false;
  /** The flow-offload maps the programs use, if any. */
  readonly flows: XdpFlowMap | undefined;

  constructor(o: XdpProgramOptions = {}) {
    this.binding = o.binding ?? loadXdpBinding();
    this.flows = o.flows;
    const b = this.binding;
    this.filterMap = check(
      b.bpfMapCreate(BPF_MAP_TYPE_HASH, FILTER_KEY_BYTES, 4, FILTER_MAX_ENTRIES, 'lvsd_filter'),
      'ERR_XDP_MAP',
      'create the filter map',
    );
    const local = b.bpfMapCreate(BPF_MAP_TYPE_HASH, 4, 4, 1024, 'lvsd_local');
    if (local < 0) {
      b.bpfClose(this.filterMap);
      throw xdpSyscallError('ERR_XDP_MAP', 'create the local-address map', local);
    }
    this.localMap = local;
  }

  /**
   * Loads a program for `ifindex` (not attached yet, so {@link testRun} can try it first);
   * returns its fd. Verifier failures throw ERR_XDP_PROG_REJECTED with the log.
   */
  load(ifindex: number): number {
    const b = this.binding;
    const have = this.attached.get(ifindex);
    if (have) return have.prog;
    const xskMap = check(
      b.bpfMapCreate(BPF_MAP_TYPE_XSKMAP, 4, 4, XSKMAP_QUEUES, 'lvsd_xsks'),
      'ERR_XDP_MAP',
      'create the XSKMAP',
    );
    const log = new Uint8Array(1 << 18);
    const f = this.flows;
    const prog = f
      ? f.loadProgram(xskMap, this.filterMap, this.localMap, log)
      : b.bpfXdpFilterLoad(xskMap, this.filterMap, this.localMap, log);
    if (prog < 0) {
      b.bpfClose(xskMap);
      const text = Buffer.from(log).toString('utf8').replace(/\0.*$/s, '').trim();
      if (prog === -1 || prog === -13 || text === '')
        throw xdpSyscallError('ERR_XDP_PROG_REJECTED', 'BPF_PROG_LOAD', prog);
      throw new XdpError(
        'ERR_XDP_PROG_REJECTED',
        `the verifier rejected the XDP filter:\n${text.slice(-4000)}`,
        prog,
      );
    }
    this.attached.set(ifindex, { ifindex, xskMap, prog, link: -1, mode: undefined });
    return prog;
  }

  /** Puts socket `fd` on `queue` of interface `ifindex`'s XSKMAP. */
  setSocket(ifindex: number, queue: number, fd: number): void {
    const a = this.get(ifindex);
    const k = new Uint8Array(new Uint32Array([queue]).buffer);
    const v = new Uint8Array(new Uint32Array([fd]).buffer);
    check(this.binding.bpfMapUpdate(a.xskMap, k, v), 'ERR_XDP_MAP', 'XSKMAP update');
  }

  /** Attaches the loaded program: the driver's hook first, generic (skb) mode when that fails. */
  attach(ifindex: number): XdpAttachMode {
    const a = this.get(ifindex);
    if (a.mode) return a.mode;
    let link = this.binding.bpfLinkXdp(a.prog, ifindex, XDP_FLAGS_DRV_MODE);
    let mode: XdpAttachMode = 'drv';
    if (link < 0 && link !== -1 && link !== -13) {
      link = this.binding.bpfLinkXdp(a.prog, ifindex, XDP_FLAGS_SKB_MODE);
      mode = 'skb';
    }
    a.link = check(link, 'ERR_XDP_ATTACH', `attach XDP to ifindex ${ifindex}`);
    a.mode = mode;
    return mode;
  }

  /** Runs `frame` through interface `ifindex`'s program (BPF_PROG_TEST_RUN); the XDP action. */
  testRun(ifindex: number, frame: Uint8Array): number {
    return check(
      this.binding.bpfTestRun(this.get(ifindex).prog, frame),
      'ERR_XDP_SOCKET',
      'BPF_PROG_TEST_RUN',
    );
  }

  /**
   * Runs `frame` through interface `ifindex`'s program and copies the frame the program left into
   * `out`; returns the XDP action, the frame's length in meta[0]. Needs an addon with
   * bpfTestRunData.
   */
  testRunData(ifindex: number, frame: Uint8Array, out: Uint8Array, meta: Uint32Array): number {
    const run = this.binding.bpfTestRunData;
    if (typeof run !== 'function')
      throw new XdpError('ERR_XDP_UNAVAILABLE', 'the addon has no bpfTestRunData');
    return check(
      run.call(this.binding, this.get(ifindex).prog, frame, out, meta),
      'ERR_XDP_SOCKET',
      'BPF_PROG_TEST_RUN',
    );
  }

  /** Makes the maps hold exactly `spec`'s entries (adds first, then removes the stale ones). */
  update(spec: BypassSpec): void {
    if (this.closed) return;
    const want = filterEntries(spec);
    const one = new Uint8Array(4);
    one[0] = 1;
    const sync = (fd: number, have: ReadonlySet<string>, next: ReadonlySet<string>, what: string): void => {
      for (const k of next)
        if (!have.has(k)) check(this.binding.bpfMapUpdate(fd, keyBytes(k), one), 'ERR_XDP_MAP', what);
      for (const k of have) if (!next.has(k)) this.binding.bpfMapDelete(fd, keyBytes(k));
    };
    sync(this.localMap, this.installed.local, want.local, 'local-address map update');
    sync(this.filterMap, this.installed.filter, want.filter, 'filter map update');
    this.installed = want;
  }

  /** The entries last installed. */
  get entries(): FilterEntries {
    return this.installed;
  }

  /** Detaches every program (closing the links) and frees the maps. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const b = this.binding;
    for (const a of this.attached.values()) {
      if (a.link >= 0) b.bpfClose(a.link);
      b.bpfClose(a.prog);
      b.bpfClose(a.xskMap);
    }
    this.attached.clear();
    b.bpfClose(this.filterMap);
    b.bpfClose(this.localMap);
  }

  private get(ifindex: number): Attachment {
    const a = this.attached.get(ifindex);
    if (!a) throw new XdpError('ERR_XDP_ATTACH', `no XDP program loaded for ifindex ${ifindex}`);
    return a;
  }
}

function check(r: number, code: 'ERR_XDP_MAP' | 'ERR_XDP_ATTACH' | 'ERR_XDP_SOCKET', what: string): number {
  if (r < 0) throw xdpSyscallError(code, what, r);
  return r;
}
