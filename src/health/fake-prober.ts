/**
 * In-memory fakes for the health runner (beside the seam they fake, as seesaw's ncc dummy.go is): a
 * manual clock whose timers run when the test advances time, and a prober whose outcome per target
 * address the test sets.
 */
import type { CheckerConfig } from '../config/model.js';
import type { CheckContext, Checker, Result } from './checker.js';
import type { Clock } from './runner.js';

/** A clock that only moves when told to. */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  constructor(start = 0) {
    this.t = start;
  }

  /** Current fake time. */
  now(): number {
    return this.t;
  }

  /** Registers a timer firing `ms` from now. */
  setTimer(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }

  /** Cancels a timer. */
  clearTimer(h: unknown): void {
    this.timers.delete(h as number);
  }

  /** Number of pending timers. */
  get pending(): number {
    return this.timers.size;
  }

  /**
   * Moves time forward by `ms`, firing due timers in time order; between timers it yields to the
   * microtask queue so probe promises settle as they would on a real loop.
   */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flush();
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (!next || e[1].at < next[1].at) next = e;
      if (!next || next[1].at > end) break;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
    }
    this.t = end;
    await flush();
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** Outcome the fake gives a target: pass/fail, a full Result, or `hang` (never settles). */
export type FakeOutcome = boolean | Partial<Result> | 'hang';

/** A prober answering from a table keyed by `addr:port` (or `addr`). */
export class FakeProber {
  /** Default when a target has no entry. */
  fallback: FakeOutcome = true;
  private readonly table = new Map<string, FakeOutcome>();
  /** Every probe made, in order: `type addr:port part`. */
  readonly calls: string[] = [];

  /** Sets the outcome for `addr` or `addr:port`. */
  set(target: string, outcome: FakeOutcome): void {
    this.table.set(target, outcome);
  }

  /** A ProberFactory for HealthRunnerOptions.prober. */
  readonly factory = (c: CheckerConfig): Checker => {
    const addr = 'connectIp' in c ? c.connectIp : c.type;
    const port = 'connectPort' in c ? c.connectPort : 0;
    return {
      type: c.type,
      check: (ctx: CheckContext): Promise<Result> => {
        this.calls.push(`${c.type} ${addr}:${port} ${ctx.part}`);
        const o = this.table.get(`${addr}:${port}`) ?? this.table.get(addr) ?? this.fallback;
        if (o === 'hang') return new Promise(() => {});
        if (typeof o === 'boolean')
          return Promise.resolve({ ok: o, message: o ? 'fake ok' : 'fake failure', durationMs: 1 });
        return Promise.resolve({ ok: false, message: 'fake', durationMs: 1, ...o });
      },
    };
  };
}
