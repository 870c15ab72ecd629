/** Test helper: drives a HealthMonitor through simulated time with scripted probe outcomes. */
import type { Command } from '../../src/control/commands.js';
import type { Result } from '../../src/health/checker.js';
import type { HealthMonitor, MonitorAction, MonitorEvent } from '../../src/health/monitor.js';

/** What a probe of checker `uid` (target `addr`, URL `part`) returns at time `now`; undefined = never answers. */
export type Oracle = (
  addr: string,
  now: number,
  part: number,
  uid: number,
) => Partial<Result> | boolean | undefined;

/** Everything the monitor asked for, stamped with the simulated time. */
export interface Trace {
  readonly at: number;
  readonly action: MonitorAction;
}

/** A simulation around one monitor. */
export class Sim {
  readonly trace: Trace[] = [];
  now = 0;
  constructor(
    readonly m: HealthMonitor,
    public oracle: Oracle,
  ) {}

  /** Feeds an event at the current time and answers its probes. */
  send(ev: MonitorEvent): MonitorAction[] {
    const acts = this.m.step(ev, this.now);
    this.record(acts);
    return acts;
  }

  private record(acts: MonitorAction[]): void {
    for (const a of acts) {
      this.trace.push({ at: this.now, action: a });
      if (a.kind !== 'probe') continue;
      const found = this.m.checker(a.uid);
      const cfg = found?.checker.cfg;
      const addr = cfg && 'connectIp' in cfg ? cfg.connectIp : (found?.real.rs.dest.addr ?? '');
      const r = this.oracle(addr, this.now, a.part, a.uid);
      if (r === undefined) continue;
      const res: Result =
        typeof r === 'boolean'
          ? { ok: r, message: r ? 'ok' : 'refused', durationMs: 1 }
          : { ok: false, message: '', durationMs: 1, ...r };
      this.record(this.m.step({ type: 'result', uid: a.uid, seq: a.seq, result: res }, this.now));
    }
  }

  /** Ticks at every wake-up up to and including `until`. */
  runUntil(until: number): void {
    for (;;) {
      const t = this.m.nextWake();
      if (t > until) break;
      this.now = Math.max(this.now, t);
      this.send({ type: 'tick' });
    }
    this.now = Math.max(this.now, until);
  }

  /** Commands emitted, with their times. */
  commands(): { at: number; cmd: Command }[] {
    return this.trace.flatMap((t) => (t.action.kind === 'command' ? [{ at: t.at, cmd: t.action.cmd }] : []));
  }

  /** Non-initial transitions as `at rs up` tuples (rs undefined = service quorum). */
  transitions(): { at: number; rs: string | undefined; up: boolean }[] {
    return this.trace.flatMap((t) =>
      t.action.kind === 'transition' && !t.action.initial
        ? [{ at: t.at, rs: t.action.rs, up: t.action.up }]
        : [],
    );
  }

  /** Scripts run, as `reason command args` strings. */
  scripts(): string[] {
    return this.trace.flatMap((t) =>
      t.action.kind === 'script'
        ? [[t.action.reason, t.action.script.command, ...t.action.args].join(' ')]
        : [],
    );
  }

  /** Times at which probes were started. */
  probeTimes(): number[] {
    return this.trace.flatMap((t) => (t.action.kind === 'probe' ? [t.at] : []));
  }
}

/** Short text of a command for assertions: `add 10.0.0.1:80 w1`, `edit ... w0`, `del ...`. */
export function brief(c: Command): string {
  switch (c.op) {
    case 'add-dest':
      return `add ${c.dest.addr}:${c.dest.port} w${c.dest.weight}`;
    case 'edit-dest':
      return `edit ${c.dest.addr}:${c.dest.port} w${c.dest.weight}`;
    case 'del-dest':
      return `del ${c.dest.addr}:${c.dest.port}`;
    default:
      return c.op;
  }
}
