/**
 * The daemon's VRRP driver: it builds one pure `VrrpInstance` per `vrrp_instance` of the
 * configuration, feeds it time from a Clock, the adverts its channel receives (after every
 * receive check, each reject counted by reason) and its trackers' priority, and performs what it
 * returns: adverts on the wire, keepalived's log lines (through `lvs:vrrp:transition`), notify
 * scripts, sync groups, and the data plane's ownership of the addresses. Shutdown sends
 * priority 0 for the instances it masters (RFC 5798 §6.4.3). All I/O is injected.
 *
 * The jobs live beside it: vrrp-instances.ts (the instances and their actions), vrrp-reload.ts
 * (start and reload), vrrp-tracking.ts (scripts, files, processes, links), vrrp-plane-effects.ts
 * (VIP ownership and announcements).
 */
import type { LvsModel } from '../../config/model.js';
import type { DataPlaneHandle } from '../../control/ports.js';
import type { VrrpView } from '../../control/vrrp-views.js';
import { type Clock, systemClock } from '../../health/runner.js';
import { systemVrrpScripts } from './vrrp-host.js';
import { VrrpInstances } from './vrrp-instances.js';
import { VrrpPlaneEffects } from './vrrp-plane-effects.js';
import { buildVrrp, readdressInstances, type VrrpBuildParts } from './vrrp-reload.js';
import type { VrrpRunnerOptions } from './vrrp-runner-options.js';
import { instanceView } from './vrrp-state.js';
import { VrrpTracking } from './vrrp-tracking.js';

export type { VrrpLog, VrrpRunnerOptions } from './vrrp-runner-options.js';

/** Runs the VRRP instances of one configuration. */
export class VrrpRunner {
  readonly #clock: Clock;
  readonly #effects: VrrpPlaneEffects;
  readonly #run: VrrpInstances;
  readonly #tracking: VrrpTracking;
  readonly #parts: VrrpBuildParts;
  #model: LvsModel;
  #running = false;

  constructor(opts: VrrpRunnerOptions) {
    const clock = opts.clock ?? systemClock;
    const scriptsRun = opts.scripts ?? systemVrrpScripts;
    this.#clock = clock;
    this.#model = opts.model;
    this.#effects = new VrrpPlaneEffects(opts.plane, opts.log);
    this.#run = new VrrpInstances(opts, clock, scriptsRun, this.#effects, this);
    this.#tracking = new VrrpTracking(opts, clock, scriptsRun, this.#run, () =>
      this.#run.guard(() => readdressInstances(this.#parts, this.#model)),
    );
    this.#parts = { opts, clock, run: this.#run, tracking: this.#tracking, effects: this.#effects };
  }

  /** Opens the channels, starts the trackers and the instances. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#run.guard(() => buildVrrp(this.#parts, this.#model));
    this.#tracking.startLinks();
  }

  /**
   * Moves to a new configuration as keepalived 2.2.7 reloads: an unchanged instance keeps
   * running untouched; a changed one keeps its state (no transition) with the new priority and
   * addresses; a new one starts, a removed one stops (vrrp_daemon.c reload_vrrp_thread(),
   * vrrp.c restore_vrrp_state()).
   */
  reload(model: LvsModel): void {
    this.#model = model;
    if (this.#running) this.#run.guard(() => buildVrrp(this.#parts, model));
  }

  /** The data plane came up (it starts after the table): instances already MASTER claim their VIPs. */
  attachPlane(plane: DataPlaneHandle | undefined): void {
    this.#effects.plane = plane;
    for (const rt of this.#run.insts.values())
      if (rt.m.state === 'MASTER') this.#effects.own(rt, rt.vips, true);
  }

  /** Stops every instance (priority 0 from a master, the stop notify), then closes the channels. */
  stop(): Promise<void> {
    if (this.#running) {
      this.#running = false;
      this.#run.guard(() => {
        for (const rt of this.#run.insts.values()) this.#run.close(rt);
        this.#run.insts.clear();
        this.#tracking.stopTrackers();
      });
      this.#tracking.stopLinks();
    }
    return this.#effects.settled();
  }

  /** Data for `lvsadm --vrrp`. */
  view(): VrrpView {
    const now = this.#clock.now();
    return { now, instances: [...this.#run.insts.values()].map((rt) => instanceView(rt)) };
  }
}
