/**
 * The runner's trackers glued to its instances: the `vrrp_script`s on their schedules, the
 * tracked files and processes, and the links of `track_interface` (and of each instance's own
 * interface) re-read on a poll (keepalived follows netlink). On any change every affected
 * instance's priority and fault are recomputed as keepalived/vrrp/vrrp_track.c does and fed to
 * its state machine, or, for a fault of a sync group member, to its group.
 */
import type { VrrpModel } from '../../config/model.js';
import type { Clock } from '../../health/runner.js';
import { trackedPriority } from '../../vrrp/vrrp-track.js';
import { VrrpFileProcessTracker } from './vrrp-file-process-tracker.js';
import type { VrrpScripts } from './vrrp-host.js';
import type { VrrpInstances } from './vrrp-instances.js';
import type { VrrpRunnerOptions } from './vrrp-runner-options.js';
import { scriptKey, VrrpScriptTracker } from './vrrp-script-tracker.js';
import type { InstanceRt } from './vrrp-state.js';
import { systemVrrpTrackIo } from './vrrp-track-io.js';

/** Scripts, files, processes and links of one runner, and the priority they give each instance. */
export class VrrpTracking {
  #scripts = new Map<string, VrrpScriptTracker>();
  readonly #files: VrrpFileProcessTracker;
  readonly #links = new Map<string, boolean>();
  #linkTimer: unknown;
  #polling = false;

  constructor(
    private readonly opts: VrrpRunnerOptions,
    private readonly clock: Clock,
    private readonly scriptsRun: VrrpScripts,
    private readonly run: VrrpInstances,
    /** Called on every link poll (the runner looks for addresses that appeared). */
    private readonly onLinkPoll?: () => void,
  ) {
    this.#files = new VrrpFileProcessTracker(
      clock,
      opts.trackIo ?? systemVrrpTrackIo,
      () => this.#onScript(),
      (l, m) => opts.log?.(l, m),
      opts.trackPollMs,
    );
  }

  /** Takes a configuration's trackers: an unchanged script keeps running, a changed one restarts. */
  update(v: VrrpModel): void {
    const oldScripts = this.#scripts;
    this.#scripts = new Map();
    for (const s of v.scripts) {
      const old = oldScripts.get(s.name);
      const keep = old && old.key === scriptKey(s);
      if (old && !keep) old.stop();
      oldScripts.delete(s.name);
      this.#scripts.set(
        s.name,
        keep && old ? old : new VrrpScriptTracker(s, this.clock, this.scriptsRun, () => this.#onScript()),
      );
    }
    for (const s of oldScripts.values()) s.stop();
    this.#files.update(v);
  }

  /** Starts the scripts not yet running (their first run is now). */
  startScripts(): void {
    for (const s of this.#scripts.values()) s.start();
  }

  /** Starts polling the tracked links. */
  startLinks(): void {
    this.#polling = true;
    this.#pollLinks();
  }

  /** Stops the link poll (at once; it may run inside the runner's queue). */
  stopLinks(): void {
    this.#polling = false;
    if (this.#linkTimer !== undefined) this.clock.clearTimer(this.#linkTimer);
  }

  /** Stops every script, file and process tracker. */
  stopTrackers(): void {
    for (const s of this.#scripts.values()) s.stop();
    this.#scripts.clear();
    this.#files.stop();
  }

  /**
   * Recomputes the priority and fault from the trackers (keepalived vrrp_track.c) and feeds
   * changes; `priorityOnly` leaves the fault for a later call.
   */
  track(rt: InstanceRt, priorityOnly = false): void {
    const ext = this.#files.tracking(rt.b.tracks);
    const tracked = rt.b.tracks
      .filter((t) => t.kind === 'interface' || t.kind === 'script')
      .map((t) => ({
        up: t.kind === 'script' ? this.#scripts.get(t.name)?.up : this.#link(t.name),
        weight: t.weight,
        reverse: t.reverse,
      }));
    // keepalived faults an instance whose own interface goes down unless `dont_track_primary`.
    if (rt.trackOwnLink) tracked.push({ up: this.#link(rt.ifname), weight: 0, reverse: false });
    if (rt.noSocket) tracked.push({ up: false, weight: 0, reverse: false });
    if (rt.noAddress) tracked.push({ up: false, weight: 0, reverse: false });
    tracked.push(...ext.tracked);
    const r = trackedPriority(rt.b.instance.priority, tracked, ext.effects);
    if (r.priority !== rt.m.priority) this.run.step(rt, { type: 'priority', priority: r.priority });
    if (priorityOnly || r.fault === rt.fault) return;
    rt.fault = r.fault;
    if (rt.group) this.run.deliver(rt.group, rt.group.sync.setFault(rt.name, r.fault));
    else this.run.step(rt, { type: 'fault', on: r.fault });
  }

  #link(ifname: string): boolean {
    let up = this.#links.get(ifname);
    if (up === undefined) {
      // An interface whose state cannot be read counts as up: only a seen "down" faults.
      up = this.opts.host.linkUp(ifname) ?? true;
      this.#links.set(ifname, up);
    }
    return up;
  }

  #pollLinks(): void {
    if (!this.#polling) return;
    this.#linkTimer = this.clock.setTimer(() => this.#pollLinks(), this.opts.linkPollMs ?? 1000);
    this.onLinkPoll?.();
    const changed = new Set<string>();
    for (const name of this.#links.keys()) {
      const up = this.opts.host.linkUp(name) ?? true;
      if (up !== this.#links.get(name)) changed.add(name);
      this.#links.set(name, up);
    }
    if (changed.size > 0)
      this.run.guard(() => {
        for (const rt of this.run.insts.values())
          if (
            (rt.trackOwnLink && changed.has(rt.ifname)) ||
            rt.b.tracks.some((t) => t.kind === 'interface' && changed.has(t.name))
          )
            this.track(rt);
      });
  }

  /** A script, file or process changed state: recompute every instance (track changes nothing where it is not tracked). */
  #onScript(): void {
    this.run.guard(() => {
      for (const rt of this.run.insts.values()) this.track(rt);
    });
  }
}
