/**
 * One `vrrp_script` running on its schedule: every `interval` it runs the command (never two at
 * once), feeds the exit status to the rise/fall counter (src/vrrp/vrrp-track.ts) and reports a
 * change of up/down to the runner (keepalived/vrrp/vrrp_scheduler.c vrrp_script_thread(),
 * vrrp_script_child_thread()). The first run is at start, as keepalived schedules it.
 */
import type { VrrpScript } from '../../config/model.js';
import { runAsOf } from '../../health/probes/misc.js';
import type { Clock } from '../../health/runner.js';
import { VrrpScriptState } from '../../vrrp/vrrp-track.js';
import type { VrrpScripts } from './vrrp-host.js';

/** The identity of a script's configuration: a reload keeps a tracker whose key is unchanged. */
export function scriptKey(s: VrrpScript): string {
  const { name, script, interval, timeout, weight, weightReverse, rise, fall, initFail } = s;
  return JSON.stringify([name, script.argv, interval, timeout, weight, weightReverse, rise, fall, initFail]);
}

/** A scheduled vrrp_script and its current state. */
export class VrrpScriptTracker {
  readonly state: VrrpScriptState;
  readonly key: string;
  #timer: unknown;
  #running = false;
  #stopped = true;

  constructor(
    readonly spec: VrrpScript,
    private readonly clock: Clock,
    private readonly scripts: VrrpScripts,
    private readonly onChange: (name: string) => void,
  ) {
    this.state = new VrrpScriptState(Math.max(1, spec.rise), Math.max(1, spec.fall), spec.initFail);
    this.key = scriptKey(spec);
  }

  /** Up, down, or undefined before the first result. */
  get up(): boolean | undefined {
    return this.state.up;
  }

  /** Runs the script now and then every interval. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#tick();
  }

  /** Stops scheduling; a run in flight is ignored when it ends. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    if (this.#stopped) return;
    const interval = Math.max(1, this.spec.interval);
    this.#timer = this.clock.setTimer(() => this.#tick(), interval);
    // keepalived does not start a script whose previous run is still going.
    if (this.#running) return;
    this.#running = true;
    // Without a timeout the script may run for its whole interval (keepalived.conf(5) `timeout`).
    const timeout = this.spec.timeout > 0 ? this.spec.timeout : interval;
    this.scripts.check(this.spec.script.argv, timeout, runAsOf(this.spec.script)).then(
      (ok) => this.#report(ok),
      () => this.#report(false),
    );
  }

  #report(ok: boolean): void {
    this.#running = false;
    if (this.#stopped) return;
    if (this.state.report(ok) !== undefined) this.onChange(this.spec.name);
  }
}
