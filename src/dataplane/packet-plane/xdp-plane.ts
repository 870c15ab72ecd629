/**
 * `lvsd --dataplane packet --xdp auto|on|off`: the AF_XDP fast path beside the AF_PACKET sockets.
 * Per served interface an XDP program (xdp-program.ts) redirects the IPv4 traffic lvsd serves,
 * the same set `--ingress-bypass` computes (bypass-rules.ts), to an AF_XDP socket; everything
 * else (ARP, the host's own traffic, ICMP, IPv6) passes to the kernel, where the existing
 * AF_PACKET socket still sees it. Each interface's driver is therefore a pair: batches come
 * from both sockets, engine output goes out through the AF_XDP TX ring (from the UMEM chunk it
 * arrived in when it can), and frames sent outside the loop (gratuitous ARP) through AF_PACKET.
 *
 * Overload: by default each AF_XDP socket busy-polls its queue with SO_PREFER_BUSY_POLL and the
 * interface defers its NAPI re-arms (napi-deferral.ts), so the kernel's receive work runs inside
 * lvsd's own drain rather than ahead of it on a shared core, where a flood above lvsd's capacity
 * used to starve lvsd to zero forwarded frames (receive livelock). `LVS_XDP_BUSY_POLL=0` in the
 * environment turns it off (for comparison).
 */
import type { BatchHandler, Driver, Frames } from '../../io/driver.js';
import type { BypassSpec } from '../../io/host/bypass-rules.js';
import { XdpError } from '../../io/packet-socket/errors.js';
import type { PacketSocket } from '../../io/packet-socket/index.js';
import { NapiDeferral } from '../../io/packet-socket/napi-deferral.js';
import type { XdpFlowMap } from '../../io/packet-socket/xdp-flow-map.js';
import { type XdpAttachMode, XdpProgram } from '../../io/packet-socket/xdp-program.js';
import { XdpSocket, type XdpSocketStats } from '../../io/packet-socket/xdp-socket.js';
import type { DirectSend } from './plane-loop.js';

/** `--xdp` values: auto uses AF_XDP when it loads (and says why not), on requires it, off never. */
export const XDP_MODES = ['auto', 'on', 'off'] as const;
/** One of {@link XDP_MODES}. */
export type XdpMode = (typeof XDP_MODES)[number];

/** An interface's pair of sockets as one {@link Driver} of the plane loop. */
export class XdpPlaneDriver implements Driver, DirectSend {
  constructor(
    readonly packet: PacketSocket,
    readonly xsk: XdpSocket,
  ) {}

  start(onBatch: BatchHandler): void {
    this.packet.start(onBatch);
    this.xsk.start(onBatch);
  }

  /** Frames built outside a batch (gratuitous ARP) leave through AF_PACKET. */
  send(frames: Frames): number {
    return this.packet.send(frames);
  }

  /** Engine output: the AF_XDP TX ring, zero-copy from this socket's UMEM, else copied in. */
  sendFrom(buf: Uint8Array, pairs: Uint32Array, count: number): number {
    return this.xsk.sendFrom(buf, pairs, count);
  }

  close(): void {
    this.xsk.close();
    this.packet.close();
  }
}

/** One interface of {@link XdpPath}. */
export interface XdpInterface {
  readonly name: string;
  readonly ifindex: number;
}

/** Status of the fast path, for logs and tests. */
export interface XdpStatus {
  readonly interfaces: { name: string; attach: XdpAttachMode; stats: XdpSocketStats | undefined }[];
  readonly filterEntries: number;
}

/** Options of {@link XdpPath.start}. */
export interface XdpPathOptions {
  /**
   * Preferred busy polling with NAPI deferral on each interface (default: on unless the
   * environment has LVS_XDP_BUSY_POLL=0).
   */
  readonly busyPoll?: boolean;
  /** Test seam: the interface settings writer. */
  readonly deferral?: NapiDeferral;
}

/** Whether busy polling is on when the caller did not say (LVS_XDP_BUSY_POLL, default on). */
export function busyPollDefault(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.LVS_XDP_BUSY_POLL !== '0';
}

/** The programs, sockets and drivers of the AF_XDP path. */
export class XdpPath {
  readonly drivers: XdpPlaneDriver[];
  /** Interfaces whose NAPI deferral could not be set, with the reason (busy polling then still runs). */
  readonly deferralFailures: string[] = [];
  private constructor(
    readonly program: XdpProgram,
    readonly sockets: readonly XdpSocket[],
    readonly modes: readonly XdpAttachMode[],
    private readonly ifs: readonly XdpInterface[],
    packets: readonly PacketSocket[],
    private readonly deferral: NapiDeferral | undefined,
  ) {
    this.drivers = sockets.map((s, k) => new XdpPlaneDriver(packets[k]!, s));
  }

  /**
   * Sets the path up on `ifs` (whose AF_PACKET sockets are `packets`): sockets bound and in the
   * XSKMAPs and the filter filled from `spec` before any program attaches, so nothing is
   * redirected to a socket that is not there. Throws an XdpError; leaves nothing behind then.
   */
  static start(
    ifs: readonly XdpInterface[],
    packets: readonly PacketSocket[],
    spec: BypassSpec,
    flows?: XdpFlowMap,
    o: XdpPathOptions = {},
  ): XdpPath {
    // With `flows` (flow offload, offload-plane.ts) the programs carry the offload section and
    // may redirect to every served interface through the devmap.
    const program = new XdpProgram(flows ? { binding: flows.binding, flows } : {});
    const sockets: XdpSocket[] = [];
    const busyPoll = o.busyPoll ?? busyPollDefault();
    const deferral = busyPoll ? (o.deferral ?? new NapiDeferral()) : undefined;
    const failures: string[] = [];
    try {
      const modes: XdpAttachMode[] = [];
      program.update(spec);
      for (const i of ifs) {
        flows?.addEgress(i.ifindex);
        program.load(i.ifindex);
        const s = new XdpSocket({ binding: program.binding, busyPoll }).bind(i.name, i.ifindex);
        sockets.push(s);
        program.setSocket(i.ifindex, 0, s.fd);
        const why = deferral?.apply(i.name);
        if (why) failures.push(why);
      }
      for (const i of ifs) modes.push(program.attach(i.ifindex));
      const path = new XdpPath(program, sockets, modes, ifs, packets, deferral);
      path.deferralFailures.push(...failures);
      return path;
    } catch (e) {
      for (const s of sockets) s.close();
      program.close();
      deferral?.restore();
      flows?.close();
      throw e;
    }
  }

  /** Follows a service-table or host-address change. */
  update(spec: BypassSpec): void {
    this.program.update(spec);
  }

  status(): XdpStatus {
    return {
      interfaces: this.ifs.map((i, k) => {
        let stats: XdpSocketStats | undefined;
        try {
          stats = this.sockets[k]!.stats();
        } catch {
          stats = undefined;
        }
        return { name: i.name, attach: this.modes[k]!, stats };
      }),
      filterEntries: this.program.entries.filter.size,
    };
  }

  /** Detaches the programs, frees the maps and restores the interfaces' NAPI settings (the sockets close with their drivers). */
  close(): void {
    this.program.close();
    this.deferral?.restore();
    this.program.flows?.close();
  }
}

/** The reason text of a failed start, for auto's log line. */
export function xdpFailureReason(e: unknown): string {
  return e instanceof XdpError ? `${e.code}: ${e.message}` : String(e);
}
