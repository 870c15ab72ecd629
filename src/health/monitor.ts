/**
 * PURE health monitor for a whole configuration: `step(event, now)` takes
 * a start, a clock tick, a probe result, a reload or a stop, and returns the actions the runner
 * performs (probe, command, script, transition). No timers, no I/O, no randomness of its own
 * (the warmup jitter comes from an injected `random`), so every scenario is a table in a test.
 */
import type { CheckerConfig, LvsModel, VirtualService } from '../config/model.js';
import { buildCommands, diffTables, type TableEntry } from '../config/to-commands.js';
import type { Result } from './checker.js';
import { migrateCheckerState } from './checker-state.js';
import {
  type CheckerRuntime,
  type MonitorAction,
  newRealRuntime,
  type RealRuntime,
  ServiceMonitor,
  timingOf,
} from './service-monitor.js';

export type { MonitorAction } from './service-monitor.js';

/** An input to the monitor. */
export type MonitorEvent =
  | { readonly type: 'start' }
  | { readonly type: 'tick' }
  | { readonly type: 'result'; readonly uid: number; readonly seq: number; readonly result: Result }
  | { readonly type: 'reload'; readonly model: LvsModel }
  | { readonly type: 'stop'; readonly clean: boolean };

/** Monitor knobs. */
export interface MonitorOptions {
  /**
   * Delay of the first check: keepalived's BOOTSTRAP_DELAY is 1 s (check_api.c
   * `register_checkers_thread`); ldirectord checks right after setup. Default by model source.
   */
  readonly bootstrapDelay?: number;
  /** Uniform [0,1) source for the warmup jitter; default 0 keeps the monitor deterministic. */
  readonly random?: () => number;
}

/**
 * Checker identity for reload matching: every field except its source position (ipwrapper.c
 * `migrate_checkers`).
 */
export function checkerIdentity(c: CheckerConfig): string {
  return JSON.stringify(c, (k, v) => (k === 'file' || k === 'line' ? undefined : v));
}

/** The health state machine of every virtual service in a model. */
export class HealthMonitor {
  private svcs: ServiceMonitor[] = [];
  private byUid = new Map<number, ServiceMonitor>();
  private nextUid = 1;
  private started = false;

  constructor(
    private model: LvsModel,
    private readonly opts: MonitorOptions = {},
  ) {}

  /** The configuration in force. */
  get currentModel(): LvsModel {
    return this.model;
  }

  /** Per-service state, for views and tests. */
  services(): readonly ServiceMonitor[] {
    return this.svcs;
  }

  /** The checker runtime with this uid. */
  checker(uid: number): { svc: ServiceMonitor; real: RealRuntime; checker: CheckerRuntime } | undefined {
    const svc = this.byUid.get(uid);
    if (!svc) return undefined;
    for (const real of svc.reals) {
      for (const checker of real.checkers) if (checker.uid === uid) return { svc, real, checker };
    }
    return undefined;
  }

  /** Earliest time a tick is needed (Infinity when nothing is scheduled). */
  nextWake(): number {
    let t = Number.POSITIVE_INFINITY;
    for (const s of this.svcs) t = Math.min(t, s.nextWake());
    return t;
  }

  /** Feeds one event; returns what to do, in order. */
  step(ev: MonitorEvent, now: number): MonitorAction[] {
    const out: MonitorAction[] = [];
    switch (ev.type) {
      case 'start':
        if (this.started) return out;
        this.started = true;
        for (const cmd of buildCommands({ ...this.model, services: [] })) out.push({ kind: 'command', cmd });
        this.svcs = this.model.services.map((svc) => this.freshService(svc, now, out));
        for (const s of this.svcs) s.sync(out);
        break;
      case 'tick':
        for (const s of this.svcs) s.tick(now, out);
        break;
      case 'result':
        this.byUid.get(ev.uid)?.result(ev.uid, ev.seq, ev.result, now, out);
        break;
      case 'reload':
        this.reload(ev.model, now, out);
        break;
      case 'stop':
        for (const s of this.svcs) s.stop(ev.clean, out);
        this.svcs = [];
        this.started = false;
        break;
    }
    this.index();
    return out;
  }

  private index(): void {
    this.byUid.clear();
    for (const s of this.svcs) {
      for (const r of s.reals) for (const c of r.checkers) this.byUid.set(c.uid, s);
    }
  }

  private firstAt(now: number): (c: CheckerConfig) => number {
    const boot = this.opts.bootstrapDelay ?? (this.model.source === 'keepalived' ? 1000 : 0);
    const rnd = this.opts.random ?? (() => 0);
    return (c) => now + boot + Math.floor(rnd() * c.warmup);
  }

  private uid = (): number => this.nextUid++;

  private freshService(svc: VirtualService, now: number, out: MonitorAction[]): ServiceMonitor {
    const reals = svc.reals.map((rs) => newRealRuntime(rs, now, this.firstAt(now), this.uid));
    const m = new ServiceMonitor(svc, reals, now);
    m.initQuorum();
    for (const r of reals) {
      out.push({
        kind: 'transition',
        svc: svc.id,
        rs: r.id,
        up: r.alive,
        at: now,
        message: r.message,
        initial: true,
      });
    }
    const message = m.quorumUp ? 'initial: quorum up' : 'initial: quorum down';
    out.push({
      kind: 'transition',
      svc: svc.id,
      rs: undefined,
      up: m.quorumUp,
      at: now,
      message,
      initial: true,
    });
    return m;
  }

  /**
   * Reload (keepalived ipwrapper.c `clear_diff_services`): services matched by id, real servers by
   * address+port, checkers by identical parameters keep their state; failed real servers stay
   * failed until a check passes (keepalived #1720); the IPVS change is the minimal diff between the
   * old applied table and the new desired one, so untouched destinations keep their connections.
   */
  private reload(model: LvsModel, now: number, out: MonitorAction[]): void {
    const old = new Map(this.svcs.map((s) => [s.svc.id, s]));
    const oldApplied = new Map<string, TableEntry>();
    for (const s of this.svcs) for (const [k, e] of s.applied) oldApplied.set(k, e);
    this.model = model;
    if (!this.started) {
      this.svcs = [];
      return;
    }
    const next: ServiceMonitor[] = [];
    for (const svc of model.services) {
      const prev = old.get(svc.id);
      if (!prev) {
        next.push(this.freshService(svc, now, out));
        continue;
      }
      const reals = svc.reals.map((rs) => this.migrateReal(prev, rs, now, out));
      const m = new ServiceMonitor(svc, reals, now);
      m.quorumUp = prev.quorumUp;
      m.quorumSince = prev.quorumSince;
      m.updateQuorum(now, out);
      next.push(m);
    }
    this.svcs = next;
    const want = new Map<string, TableEntry>();
    for (const s of next) {
      s.applied = s.desired();
      for (const [k, e] of s.applied) want.set(k, e);
    }
    for (const cmd of diffTables(oldApplied, want)) out.push({ kind: 'command', cmd });
  }

  private migrateReal(
    prev: ServiceMonitor,
    rs: VirtualService['reals'][number],
    now: number,
    out: MonitorAction[],
  ): RealRuntime {
    const fresh = newRealRuntime(rs, now, this.firstAt(now), this.uid);
    const was = prev.reals.find((r) => r.id === fresh.id);
    if (!was) {
      out.push({
        kind: 'transition',
        svc: prev.svc.id,
        rs: fresh.id,
        up: fresh.alive,
        at: now,
        message: fresh.message,
        initial: true,
      });
      return fresh;
    }
    const used = new Set<CheckerRuntime>();
    const checkers = rs.checkers.map((cfg, i): CheckerRuntime => {
      const id = checkerIdentity(cfg);
      const match = was.checkers.find((c) => !used.has(c) && checkerIdentity(c.cfg) === id);
      if (match) {
        used.add(match);
        const timing = timingOf(cfg);
        return { ...match, cfg, timing, state: migrateCheckerState(match.state, timing) };
      }
      const f = fresh.checkers[i] as CheckerRuntime;
      // A changed checker on a failed server starts down: no instant re-add on reload (#1720).
      return was.alive ? f : { ...f, state: { ...f.state, up: false } };
    });
    const alive = checkers.every((c) => c.state.up);
    const real: RealRuntime = {
      rs,
      id: fresh.id,
      checkers,
      alive,
      since: alive === was.alive ? was.since : now,
      message: alive === was.alive ? was.message : 'reload',
    };
    if (alive !== was.alive) {
      out.push({
        kind: 'transition',
        svc: prev.svc.id,
        rs: real.id,
        up: alive,
        at: now,
        message: 'reload',
        initial: false,
      });
    }
    return real;
  }
}
