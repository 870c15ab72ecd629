/**
 * PURE per-virtual-service health state (keepalived ipwrapper.c): real servers alive iff none of their
 * checkers failed, effective weights (MISC dynamic, FILE_CHECK), quorum with hysteresis, the sorry
 * server / ldirectord fallback, and the scripts each transition runs. The IPVS side is expressed as
 * the table this service *should* have; commands are the diff against what was applied last, so
 * inhibit_on_failure/quiescent (weight 0), sorry swaps and weight edits all fall out of one rule
 * (keepalived ipwrapper.c `perform_svr_state`, `update_quorum_state`).
 */

import type { ScriptSpec, VirtualService } from '../config/model.js';
import { destId, diffTables, type TableEntry } from '../config/to-commands.js';
import type { Command } from '../control/commands.js';
import { type DestConfig, PROTO, serviceKeyText } from '../core/types.js';
import type { Result } from './checker.js';
import { checkerFailed, checkerSucceeded } from './checker-state.js';

/** Why a script runs. */
export type ScriptReason = 'notify_up' | 'notify_down' | 'quorum_up' | 'quorum_down' | 'fallback';

/** Something the runner must do; the monitor never does I/O itself. */
export type MonitorAction =
  /** Run checker `uid` now; its result comes back tagged with `seq`. */
  | {
      readonly kind: 'probe';
      readonly uid: number;
      readonly seq: number;
      readonly part: number;
      readonly timeoutMs: number;
    }
  | { readonly kind: 'command'; readonly cmd: Command }
  | {
      readonly kind: 'script';
      readonly script: ScriptSpec;
      /** Extra arguments (ldirectord fallbackcommand `start|stop vip:port proto`). */
      readonly args: readonly string[];
      readonly reason: ScriptReason;
      /** Kill after this long (omega shutdown scripts get 1 s, ipwrapper.c `do_vs_notifies`). */
      readonly timeoutMs?: number;
    }
  /** An up/down change to record for availability and logs. `initial` marks the starting state. */
  | {
      readonly kind: 'transition';
      readonly svc: string;
      /** destId of the real server, or undefined for the service's quorum state. */
      readonly rs: string | undefined;
      readonly up: boolean;
      readonly at: number;
      readonly message: string;
      readonly initial: boolean;
    };

import { type CheckerRuntime, effectiveWeight, PROBE_GRACE_MS, type RealRuntime } from './real-runtime.js';

export type { CheckerRuntime, RealRuntime } from './real-runtime.js';
export { effectiveWeight, newRealRuntime, PROBE_GRACE_MS, timingOf } from './real-runtime.js';

/** Health of one virtual service. */
export class ServiceMonitor {
  readonly reals: RealRuntime[] = [];
  quorumUp = false;
  quorumSince: number;
  /** The table entries last turned into commands. */
  applied = new Map<string, TableEntry>();
  private seq = 0;

  constructor(
    readonly svc: VirtualService,
    reals: RealRuntime[],
    now: number,
  ) {
    this.reals = reals;
    this.quorumSince = now;
  }

  /** Σ effective weight of alive real servers (ipwrapper.c `weight_sum`). */
  weightSum(): number {
    let w = 0;
    for (const r of this.reals) if (r.alive) w += effectiveWeight(r);
    return w;
  }

  /** The sorry server / fallback is in use. */
  get sorryActive(): boolean {
    return this.svc.sorry !== undefined && !this.quorumUp && !this.svc.checksOff;
  }

  /** Startup quorum rule: up iff weight_sum ≥ quorum + hysteresis (ipwrapper.c `set_quorum_states`). */
  initQuorum(): void {
    const w = this.weightSum();
    this.quorumUp = w > 0 && w >= this.svc.quorum + this.svc.hysteresis;
  }

  /** The table this service should have now (tableOf's rule with live health and weights). */
  desired(): Map<string, TableEntry> {
    const dests = new Map<string, DestConfig>();
    if (!this.svc.checksOff) {
      const sorry = this.sorryActive;
      for (const r of this.reals) {
        if (r.alive && !sorry) dests.set(r.id, { ...r.rs.dest, weight: effectiveWeight(r) });
        else if (r.rs.inhibitOnFailure) dests.set(r.id, { ...r.rs.dest, weight: 0 });
      }
      const s = this.svc.sorry;
      if (s && (sorry || s.inhibit)) dests.set(destId(s.dest), sorry ? s.dest : { ...s.dest, weight: 0 });
    }
    const out = new Map<string, TableEntry>();
    for (const key of this.svc.keys) out.set(serviceKeyText(key), { key, config: this.svc.config, dests });
    return out;
  }

  /** Commands moving IPVS from the applied table to the desired one; marks them applied. */
  sync(out: MonitorAction[]): void {
    const want = this.desired();
    for (const cmd of diffTables(this.applied, want)) out.push({ kind: 'command', cmd });
    this.applied = want;
  }

  /** Starts probes that are due and fails probes past their deadline. */
  tick(now: number, out: MonitorAction[]): void {
    for (const r of this.reals) {
      for (const c of r.checkers) {
        if (c.inFlight !== 0) {
          if (now >= c.deadline) {
            const waited = c.timing.connectTimeout + PROBE_GRACE_MS;
            const res = { ok: false, message: 'probe did not answer in time', durationMs: waited };
            this.apply(r, c, res, now, out);
          }
          continue;
        }
        if (now < c.state.nextAt) continue;
        const every = c.cfg.negotiateEvery ?? 0;
        if (every > 1 && !c.forceNext && c.state.hasRun && c.skipped < every - 1) {
          // ldirectord checktype N: the negotiate check runs only every N-th pass.
          c.skipped++;
          c.state = { ...c.state, nextAt: now + c.timing.delayLoop };
          continue;
        }
        c.skipped = 0;
        c.forceNext = false;
        c.inFlight = ++this.seq;
        c.deadline = now + c.timing.connectTimeout + PROBE_GRACE_MS;
        out.push({
          kind: 'probe',
          uid: c.uid,
          seq: c.inFlight,
          part: c.state.part,
          timeoutMs: c.timing.connectTimeout,
        });
      }
    }
  }

  /** Earliest time this service needs a tick. */
  nextWake(): number {
    let t = Number.POSITIVE_INFINITY;
    for (const r of this.reals) {
      for (const c of r.checkers) t = Math.min(t, c.inFlight !== 0 ? c.deadline : c.state.nextAt);
    }
    return t;
  }

  /** Applies a probe result; a result for a superseded probe (stale seq) is ignored. */
  result(uid: number, seq: number, res: Result, now: number, out: MonitorAction[]): boolean {
    for (const r of this.reals) {
      for (const c of r.checkers) {
        if (c.uid !== uid) continue;
        if (c.inFlight === 0 || c.inFlight !== seq) return true;
        this.apply(r, c, res, now, out);
        return true;
      }
    }
    return false;
  }

  private apply(r: RealRuntime, c: CheckerRuntime, res: Result, now: number, out: MonitorAction[]): void {
    c.inFlight = 0;
    c.last = { ...res, at: now };
    const step = res.ok ? checkerSucceeded(c.state, c.timing, now) : checkerFailed(c.state, c.timing, now);
    c.state = step.state;
    if (res.ok && res.weight !== undefined) c.offset = res.weight - r.rs.dest.weight;
    else if (res.ok && res.weightOffset !== undefined) c.offset = res.weightOffset;
    if (!res.ok && c.cfg.type === 'tcp') {
      for (const o of r.checkers) if ((o.cfg.negotiateEvery ?? 0) > 1) o.forceNext = true;
    }
    const alive = r.checkers.every((k) => k.state.up);
    if (alive !== r.alive) {
      r.alive = alive;
      r.since = now;
      r.message = `${c.cfg.type}: ${res.message}`;
      out.push({
        kind: 'transition',
        svc: this.svc.id,
        rs: r.id,
        up: alive,
        at: now,
        message: r.message,
        initial: false,
      });
      const script = alive ? r.rs.notifyUp : r.rs.notifyDown;
      if (script) out.push({ kind: 'script', script, args: [], reason: alive ? 'notify_up' : 'notify_down' });
    }
    this.updateQuorum(now, out);
    this.sync(out);
  }

  /** Quorum with hysteresis (ipwrapper.c `update_quorum_state`): gain at ≥ q+h, lose at 0 or < q−h. */
  updateQuorum(now: number, out: MonitorAction[]): void {
    const w = this.weightSum();
    const q = this.svc.quorum;
    const h = this.svc.hysteresis;
    if (this.quorumUp && (w === 0 || w < q - h)) this.setQuorum(false, now, quorumLostText(w, q, h), out);
    else if (!this.quorumUp && w > 0 && w >= q + h) this.setQuorum(true, now, quorumGainedText(w, q, h), out);
  }

  private setQuorum(up: boolean, now: number, message: string, out: MonitorAction[]): void {
    this.quorumUp = up;
    this.quorumSince = now;
    out.push({ kind: 'transition', svc: this.svc.id, rs: undefined, up, at: now, message, initial: false });
    const s = up ? this.svc.quorumUp : this.svc.quorumDown;
    if (s) out.push({ kind: 'script', script: s, args: [], reason: up ? 'quorum_up' : 'quorum_down' });
    const fb = this.svc.fallbackCommand;
    if (fb) out.push({ kind: 'script', script: fb, args: fallbackArgs(this.svc, up), reason: 'fallback' });
  }

  /**
   * Shutdown (ipwrapper.c `clear_services`): omega scripts with a 1 s timeout, then optional
   * service deletion.
   */
  stop(clean: boolean, out: MonitorAction[]): void {
    if (this.svc.omega) {
      for (const r of this.reals) {
        if (r.alive && r.rs.notifyDown)
          out.push({
            kind: 'script',
            script: r.rs.notifyDown,
            args: [],
            reason: 'notify_down',
            timeoutMs: 1000,
          });
      }
      if (this.quorumUp && this.svc.quorumDown)
        out.push({
          kind: 'script',
          script: this.svc.quorumDown,
          args: [],
          reason: 'quorum_down',
          timeoutMs: 1000,
        });
    }
    if (clean) {
      for (const e of this.applied.values())
        out.push({ kind: 'command', cmd: { op: 'del-service', service: e.key } });
      this.applied = new Map();
    }
  }
}

/** ldirectord `fallbackcommand start|stop vip:port proto` arguments (ldirectord(8)). */
export function fallbackArgs(svc: VirtualService, quorumUp: boolean): string[] {
  const k = svc.keys[0];
  const verb = quorumUp ? 'stop' : 'start';
  if (!k) return [verb];
  if (k.kind === 'fwmark') return [verb, `${k.fwmark}`, 'fwm'];
  const addr = k.af === 6 ? `[${k.addr}]` : k.addr;
  const proto = k.protocol === PROTO.TCP ? 'tcp' : k.protocol === PROTO.UDP ? 'udp' : 'sctp';
  return [verb, `${addr}:${k.port}`, proto];
}

/**
 * Why quorum was lost, in words: keepalived logs `Lost quorum 1-0=1 > 0` (ipwrapper.c
 * `update_quorum_state`), arithmetic an operator has to decode; this says which sum fell below what.
 */
export function quorumLostText(weight: number, quorum: number, hysteresis: number): string {
  if (weight === 0) return 'lost quorum: no real server alive';
  const need = hysteresis > 0 ? `quorum ${quorum} minus hysteresis ${hysteresis}` : `quorum ${quorum}`;
  return `lost quorum: alive weight ${weight} is below ${need}`;
}

/** Why quorum was gained, in words (keepalived: `Gained quorum 1+0=1 <= 4`). */
export function quorumGainedText(weight: number, quorum: number, hysteresis: number): string {
  const need = hysteresis > 0 ? `quorum ${quorum} plus hysteresis ${hysteresis}` : `quorum ${quorum}`;
  return `gained quorum: alive weight ${weight} reaches ${need}`;
}
