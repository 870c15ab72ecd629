/**
 * The health I/O driver: owns the timers and the probes, feeds the pure HealthMonitor, and carries
 * out what it returns — Commands through the daemon's `apply` callback, notify/quorum/fallback
 * scripts through `spawn`, and up/down transitions into the availability accounts and onto the
 * `lvs:health:transition` channel. The clock and the probes are injectable (fake-prober.ts), so
 * the runner is testable without sockets.
 */
import type { CheckerConfig, LvsModel, ScriptSpec, VirtualService } from '../config/model.js';
import { healthTransitionChannel } from '../control/channels.js';
import type { Command } from '../control/commands.js';
import type { AvailabilityView, HealthView } from '../control/health-views.js';
import { rsNotation, vsNotation } from '../core/keepalived-notation.js';
import { AvailabilityAccount } from './availability.js';
import type { Checker, Result } from './checker.js';
import { HealthMonitor, type MonitorAction } from './monitor.js';
import { createChecker } from './probes/index.js';
import { runAsOf, runCommand } from './probes/misc.js';
import { availabilityView, healthView } from './views.js';

/** Timer source; the system one wraps setTimeout, tests use FakeClock. */
export interface Clock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

/** The real clock (wall-clock ms; timers unref'd so they never keep a process alive alone). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return t;
  },
  clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Runs a notify/quorum/fallback script; the default spawns it with a timeout. */
export type ScriptSpawner = (script: ScriptSpec, args: readonly string[], timeoutMs: number) => void;

/** Builds the probe of a checker; the default is the real probe registry. */
export type ProberFactory = (c: CheckerConfig, svc: VirtualService) => Checker;

/** Log sink for script runs and refused commands; transitions go to `lvs:health:transition`. */
export type HealthLog = (
  level: 'info' | 'warn' | 'error',
  msg: string,
  fields?: Record<string, unknown>,
) => void;

/** Runner options. */
export interface HealthRunnerOptions {
  readonly model: LvsModel;
  /** Applies one table change (the daemon routes it to control/apply). Throwing is logged, not fatal. */
  readonly apply: (cmd: Command) => void;
  /** Clock; a bare `() => number` is accepted for `now` with system timers. */
  readonly now?: (() => number) | Clock;
  readonly spawn?: ScriptSpawner;
  readonly log?: HealthLog;
  readonly prober?: ProberFactory;
  /** Warmup jitter source (default Math.random). */
  readonly random?: () => number;
  /** Overrides the first-check delay (keepalived 1 s, ldirectord 0). */
  readonly bootstrapDelay?: number;
}

/** Scripts without their own limit are killed after this long. */
export const SCRIPT_TIMEOUT_MS = 30_000;

const defaultSpawn: ScriptSpawner = (s, args, timeoutMs) => {
  void runCommand([...s.argv, ...args], timeoutMs, runAsOf(s));
};

/** Drives health checking for one configuration. */
export class HealthRunner {
  private readonly monitor: HealthMonitor;
  private readonly clock: Clock;
  private readonly probes = new Map<number, Checker>();
  private readonly accounts = new Map<string, AvailabilityAccount>();
  private timer: unknown;
  private wakeAt = Number.POSITIVE_INFINITY;
  private running = false;

  constructor(private readonly opts: HealthRunnerOptions) {
    const n = opts.now;
    this.clock = n === undefined ? systemClock : typeof n === 'function' ? { ...systemClock, now: n } : n;
    this.monitor = new HealthMonitor(opts.model, {
      random: opts.random ?? Math.random,
      ...(opts.bootstrapDelay !== undefined ? { bootstrapDelay: opts.bootstrapDelay } : {}),
    });
  }

  /** Builds the table (services, alive servers) and starts checking. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.feed(this.monitor.step({ type: 'start' }, this.clock.now()));
  }

  /**
   * Applies a new configuration, carrying state of identical checkers over (ipwrapper.c
   * `migrate_checkers`).
   */
  reload(model: LvsModel): void {
    this.feed(this.monitor.step({ type: 'reload', model }, this.clock.now()));
  }

  /** Stops checking; `clean` deletes the managed services (keepalived default, ldirectord cleanstop). */
  stop(opts: { clean?: boolean } = {}): void {
    if (!this.running) return;
    this.feed(this.monitor.step({ type: 'stop', clean: opts.clean ?? false }, this.clock.now()));
    this.running = false;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.wakeAt = Number.POSITIVE_INFINITY;
    for (const p of this.probes.values()) p.close?.();
    this.probes.clear();
  }

  /** Data for `lvsadm --health`. */
  healthView(): HealthView {
    return healthView(this.monitor.services(), this.clock.now());
  }

  /** Data for `lvsadm --availability`. */
  availabilityView(): AvailabilityView {
    return availabilityView(this.monitor.services(), this.accounts, this.clock.now());
  }

  /** The configuration in force. */
  get model(): LvsModel {
    return this.monitor.currentModel;
  }

  private feed(actions: MonitorAction[]): void {
    for (const a of actions) this.perform(a);
    this.syncProbes();
    this.schedule();
  }

  private perform(a: MonitorAction): void {
    const log = this.opts.log;
    switch (a.kind) {
      case 'probe':
        this.runProbe(a.uid, a.seq, a.part, a.timeoutMs);
        break;
      case 'command':
        try {
          this.opts.apply(a.cmd);
        } catch (e) {
          log?.('error', 'health command failed', {
            cmd: a.cmd,
            code: (e as { code?: string }).code,
            ...commandServers(a.cmd),
          });
        }
        break;
      case 'script':
        log?.('info', `running ${a.reason}`, { command: a.script.command, args: a.args });
        (this.opts.spawn ?? defaultSpawn)(a.script, a.args, a.timeoutMs ?? SCRIPT_TIMEOUT_MS);
        break;
      case 'transition': {
        const key = a.rs === undefined ? a.svc : `${a.svc} ${a.rs}`;
        let acc = this.accounts.get(key);
        if (!acc) this.accounts.set(key, (acc = new AvailabilityAccount()));
        acc.record(a.up, a.at);
        // The starting state is not a transition; the daemon's logger writes the others.
        if (!a.initial && healthTransitionChannel.hasSubscribers)
          healthTransitionChannel.publish({
            source: this,
            svc: a.svc,
            rs: a.rs,
            up: a.up,
            at: a.at,
            message: a.message,
          });
        break;
      }
    }
  }

  private runProbe(uid: number, seq: number, part: number, timeoutMs: number): void {
    const p = this.probeFor(uid);
    if (!p) return;
    let settled: Promise<Result>;
    try {
      settled = p.check({ timeoutMs, part });
    } catch (e) {
      settled = Promise.resolve({ ok: false, message: `probe threw: ${String(e)}`, durationMs: 0 });
    }
    settled.then(
      (result) => this.onResult(uid, seq, result),
      (e) => this.onResult(uid, seq, { ok: false, message: `probe failed: ${String(e)}`, durationMs: 0 }),
    );
  }

  private onResult(uid: number, seq: number, result: Result): void {
    if (!this.running) return;
    this.feed(this.monitor.step({ type: 'result', uid, seq, result }, this.clock.now()));
  }

  private probeFor(uid: number): Checker | undefined {
    let p = this.probes.get(uid);
    if (p) return p;
    const found = this.monitor.checker(uid);
    if (!found) return undefined;
    try {
      p = (this.opts.prober ?? createChecker)(found.checker.cfg, found.svc.svc);
    } catch (e) {
      // A checker its probe cannot build (a pattern JavaScript refuses: --check-config reports it,
      // config/table-check.ts) fails every check instead of throwing out of a timer.
      const message = `checker cannot run: ${e instanceof Error ? e.message : String(e)}`;
      this.opts.log?.('error', message, { code: 'ERR_CONFIG_BAD_VALUE', type: found.checker.cfg.type });
      p = { type: found.checker.cfg.type, check: async () => ({ ok: false, message, durationMs: 0 }) };
    }
    this.probes.set(uid, p);
    return p;
  }

  /** Drops probes of checkers that a reload removed. */
  private syncProbes(): void {
    for (const [uid, p] of this.probes) {
      if (!this.monitor.checker(uid)) {
        p.close?.();
        this.probes.delete(uid);
      }
    }
  }

  private schedule(): void {
    if (!this.running) return;
    const at = this.monitor.nextWake();
    if (at === this.wakeAt && this.timer !== undefined) return;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.wakeAt = at;
    if (!Number.isFinite(at)) return;
    this.timer = this.clock.setTimer(() => {
      this.timer = undefined;
      this.wakeAt = Number.POSITIVE_INFINITY;
      if (this.running) this.feed(this.monitor.step({ type: 'tick' }, this.clock.now()));
    }, at - this.clock.now());
  }
}

/** The service and real server a table command names, in keepalived's notation, for its log line. */
function commandServers(cmd: Command): { service?: string; server?: string } {
  if (!('service' in cmd) || !cmd.service) return {};
  const service = vsNotation(cmd.service);
  return 'dest' in cmd ? { service, server: rsNotation(cmd.dest, cmd.service) } : { service };
}
