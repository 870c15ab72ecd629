/**
 * Priority arithmetic from tracked objects (track_interface, track_script, track_file) and the
 * rise/fall counter of a `vrrp_script`, as keepalived computes them (keepalived/vrrp/vrrp_track.c
 * process_script_update_priority(), vrrp_set_effective_priority(); vrrp_scheduler.c
 * vrrp_script_child_thread()).
 */

/** One tracked object as an instance sees it. */
export interface TrackedObject {
  /** Up (script succeeding, interface up, file value OK); undefined until a script first reports. */
  readonly up: boolean | undefined;
  /** −253..253; 0 means "FAULT while down". */
  readonly weight: number;
  /** `reverse`: the weight's sign flips, and a weight-0 object faults while up. */
  readonly reverse: boolean;
}

/** The result of {@link trackedPriority}: the total priority to feed the instance and whether it must FAULT. */
export interface TrackedPriority {
  /** Effective priority: 255 for an owner, else base plus weights clamped to 1..254. */
  readonly priority: number;
  readonly fault: boolean;
}

/**
 * Weight > 0 adds while up, weight < 0 subtracts while down, weight 0 faults while down (or while
 * up with `reverse`). An unreported script counts for nothing but holds a weight-0 tracker in FAULT
 * (keepalived's num_script_init). `effects` (track files) add their delta or fault. An owner (255)
 * keeps 255 whatever its trackers say.
 */
export function trackedPriority(
  base: number,
  tracked: readonly TrackedObject[],
  effects: readonly { readonly delta: number; readonly fault: boolean }[] = [],
): TrackedPriority {
  let total = base;
  let fault = false;
  for (const e of effects) {
    total += e.delta;
    fault ||= e.fault;
  }
  for (const t of tracked) {
    if (t.weight === 0) {
      if (t.up === undefined || t.up === t.reverse) fault = true;
      continue;
    }
    if (t.up === undefined) continue;
    const w = t.reverse ? -t.weight : t.weight;
    if ((t.up && t.weight > 0) || (!t.up && t.weight < 0)) total += w;
  }
  if (base === 255) return { priority: 255, fault };
  return { priority: Math.min(254, Math.max(1, total)), fault };
}

/**
 * A `vrrp_script`'s state: `rise` consecutive successes to go up, `fall` consecutive failures to go
 * down. keepalived keeps one counter in 0..rise+fall−1 (up when ≥ rise); before the first result
 * the state is unknown and one result of either kind decides it, unless `init_fail` starts it down.
 */
export class VrrpScriptState {
  #result: number;
  #init: boolean;
  #up: boolean | undefined;

  constructor(
    readonly rise: number,
    readonly fall: number,
    initFail = false,
  ) {
    this.#init = !initFail;
    this.#result = initFail ? 0 : rise - 1;
    this.#up = initFail ? false : undefined;
  }

  /** Up, down, or undefined before the first result. */
  get up(): boolean | undefined {
    return this.#up;
  }

  /** Records one run's outcome; returns the new state if it changed, else undefined. */
  report(ok: boolean): boolean | undefined {
    const before = this.#up;
    const top = this.rise + this.fall - 1;
    if (ok) {
      if (this.#result < this.rise - 1) this.#result++;
      else if (this.#result !== top) {
        if (this.#result < this.rise) this.#up = true;
        this.#result = top;
      } else this.#up = true;
    } else if (this.#result > this.rise) this.#result--;
    else {
      if (this.#result === this.rise || this.#init) this.#up = false;
      this.#result = 0;
    }
    this.#init = false;
    return this.#up !== before ? this.#up : undefined;
  }
}
