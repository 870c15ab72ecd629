/**
 * `lvsd --xdp-offload auto|on|off`: the XDP flow offload of the packet plane (engine/
 * flow-offload.ts decides, native/xdp_filter.c forwards). This file makes the maps before the
 * AF_XDP path starts, decides after the attach whether the engine hands conns down, and sweeps
 * the program's counters into the stats once a second.
 *
 * auto (lvsd's default) hands conns down only where every program runs in the driver's mode on
 * a NIC with a device (/sys/class/net/IF/device: physical NICs, virtio-net). A veth is left out:
 * it delivers the frames the program returns with XDP_TX or redirects only to a peer that runs
 * an XDP program itself (drivers/net/veth.c veth_xdp_flush schedules the peer's NAPI only when
 * the peer's rq has an xdp_prog; without one they wait in its ring), and a veth peer that
 * offloads checksums sends CHECKSUM_PARTIAL segments, which XDP sees without that mark and would
 * forward with their partial sum (the engine completes them). lvsd cannot see the peer, often
 * in another namespace, so `on` is for veths where both are arranged (tools/lab/offload-links.ts
 * does it for the lab).
 */
import { existsSync } from 'node:fs';
import type { Director } from '../../core/director.js';
import type { Engine } from '../../engine/engine.js';
import { FlowOffload, type FlowOffloadCounters } from '../../engine/flow-offload.js';
import { XdpError } from '../../io/packet-socket/errors.js';
import { loadXdpBinding } from '../../io/packet-socket/xdp-binding.js';
import { FLOW_MAP_DEFAULT_ENTRIES, XdpFlowMap } from '../../io/packet-socket/xdp-flow-map.js';
import type { XdpMode, XdpPath } from './xdp-plane.js';

/** How often the program's counters and last-seen times are read back, ms. */
export const OFFLOAD_SWEEP_MS = 1000;

/** `--xdp-offload` values: the same three as `--xdp`. */
export type XdpOffloadMode = XdpMode;

/**
 * The flow maps for `mode`, before XdpPath.start: undefined when off; with auto, undefined when
 * they cannot be made (`onSkip` gets the reason); with on, the failure throws.
 */
export function offloadMaps(
  mode: XdpOffloadMode,
  onSkip: (why: string) => void,
  maxEntries = FLOW_MAP_DEFAULT_ENTRIES,
): XdpFlowMap | undefined {
  if (mode === 'off') return undefined;
  try {
    return new XdpFlowMap(loadXdpBinding(), maxEntries);
  } catch (e) {
    const why = e instanceof XdpError ? `${e.code}: ${e.message}` : String(e);
    if (mode === 'on') throw e;
    onSkip(why);
    return undefined;
  }
}

/** Why auto leaves the offload off on these interfaces without a device (veth and the like). */
export function virtualLinkReason(ifnames: readonly string[]): string {
  return (
    `${ifnames.join(', ')}: no device (veth or another virtual link); a veth peer receives XDP_TX'd ` +
    'frames only with an XDP program of its own, and must send full checksums: --xdp-offload on where it does'
  );
}

/** True when `ifname` is backed by a device (a physical NIC), as /sys/class/net/IF/device says. */
export function physicalInterface(ifname: string): boolean {
  return existsSync(`/sys/class/net/${ifname}/device`);
}

/** The running offload: the controller attached to the engine and its sweep timer. */
export class OffloadPlane {
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly engine: Engine,
    readonly offload: FlowOffload,
  ) {
    this.timer = setInterval(() => this.sweep(), OFFLOAD_SWEEP_MS);
    this.timer.unref();
  }

  /**
   * Attaches the controller once `xdp` is up with offload maps, or says why not: auto wants
   * every interface in the driver's XDP mode. Returns undefined (and calls `onSkip`) when not.
   */
  static start(
    engine: Engine,
    director: Director,
    xdp: XdpPath,
    mode: XdpOffloadMode,
    onSkip: (why: string) => void,
    ifnames: readonly string[],
    isPhysical: (ifname: string) => boolean = physicalInterface,
  ): OffloadPlane | undefined {
    const flows = xdp.program.flows;
    if (!flows || mode === 'off') return undefined;
    if (mode === 'auto' && xdp.modes.some((m) => m !== 'drv')) {
      onSkip(`XDP runs in generic (skb) mode on ${xdp.modes.join(', ')}: offload needs the driver's mode`);
      return undefined;
    }
    const virtual = ifnames.filter((n) => !isPhysical(n));
    if (mode === 'auto' && virtual.length > 0) {
      onSkip(virtualLinkReason(virtual));
      return undefined;
    }
    // auto: DR only (seen end to end on a link); on: NAT requests too.
    const off = new FlowOffload(director, engine.out, flows, {
      maxEntries: flows.maxEntries,
      nat: mode === 'on',
    });
    engine.setOffload(off);
    return new OffloadPlane(engine, off);
  }

  /** Folds the program's counters into the stats now (also before a stats read). */
  sweep(): void {
    this.offload.sweep(Date.now(), Number(process.hrtime.bigint()));
  }

  /** The offload's counters. */
  counters(): FlowOffloadCounters {
    return { ...this.offload.counters };
  }

  /** Folds every entry back and detaches the controller (before the maps close). */
  close(): void {
    clearInterval(this.timer);
    this.engine.setOffload(null);
  }
}
