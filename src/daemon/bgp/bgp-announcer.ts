/**
 * `lvsd --bgp` (issue 18): keeps a local BIRD announcing exactly the VIPs this director can carry.
 * It re-evaluates the pure decision (control/bgp-plan.ts) every `evaluateMs` and at once on a drain;
 * when the wanted set differs from what BIRD last accepted it rewrites the include file and sends
 * `configure`, debounced (`debounceMs` to gather a burst of health changes, at most one reload per
 * `minIntervalMs`). A failure (BIRD not running, the file unwritable, a reload refused with BIRD's
 * message) is logged once with its code and retried every `retryMs`; lvsd keeps serving. At stop
 * it writes an empty include and reloads, so the router withdraws the VIPs before lvsd exits.
 */
import { birdInclude, birdProtocolNames } from '../../config/bird/bird-include.js';
import { birdReplyText, isBirdError, parseShowProtocols } from '../../config/bird/bird-reply.js';
import { announcedPrefixes, type BgpPlanInput, planBgp } from '../../control/bgp-plan.js';
import type { BgpErrorView, BgpView, BgpVipView, BirdProtocolRow } from '../../control/bgp-views.js';
import { LvsError } from '../../core/errors.js';
import type { BirdPort } from '../../io/bird/bird-port.js';

/** Settings of one announcer. */
export interface BgpAnnouncerOptions {
  readonly include: string;
  readonly socket: string;
  /** `--bgp-protocol`: the static protocols are NAME and NAME6. */
  readonly protocol: string;
  /** How often the decision is re-evaluated (ms). */
  readonly evaluateMs?: number;
  /** Delay after a change before reloading, to gather a burst (ms). */
  readonly debounceMs?: number;
  /** Least time between two reloads (ms). */
  readonly minIntervalMs?: number;
  /** Retry period after a failure (ms). */
  readonly retryMs?: number;
  /** How often BIRD's `show protocols` is read for the view (ms). */
  readonly pollMs?: number;
  /** Longest wait for the withdrawal at stop (ms). */
  readonly stopTimeoutMs?: number;
}

/** What the announcer reads and where it reports. */
export interface BgpAnnouncerDeps {
  readonly bird: BirdPort;
  /** The decision's input, read at each evaluation (drain state is the announcer's own). */
  readonly input: () => Omit<BgpPlanInput, 'drainedAll' | 'drained'>;
  readonly log: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
  readonly now?: () => number;
}

/** Drives BIRD from the director's state; see the file comment. */
export class BgpAnnouncer {
  readonly #o: Required<BgpAnnouncerOptions>;
  readonly #d: BgpAnnouncerDeps;
  readonly #now: () => number;
  #drainedAll = false;
  readonly #drained = new Set<string>();
  #vips: BgpVipView[] = [];
  /** What BIRD accepted last (undefined: unknown, e.g. before the first reload or after a failure). */
  #announced: string[] | undefined;
  #configuredAt: number | null = null;
  #lastReloadAt = Number.NEGATIVE_INFINITY;
  #error: BgpErrorView | undefined;
  #rows: BirdProtocolRow[] = [];
  #rowsAt: number | null = null;
  #flushTimer: NodeJS.Timeout | undefined;
  #timers: NodeJS.Timeout[] = [];
  #busy: Promise<void> | undefined;
  #stopped = false;

  constructor(options: BgpAnnouncerOptions, deps: BgpAnnouncerDeps) {
    this.#o = {
      evaluateMs: 500,
      debounceMs: 200,
      minIntervalMs: 1000,
      retryMs: 2000,
      pollMs: 2000,
      stopTimeoutMs: 3000,
      ...options,
    };
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** Starts evaluating and polling; the first reload follows at once (an empty include at worst). */
  start(): void {
    this.evaluate();
    this.#timers.push(setInterval(() => this.evaluate(), this.#o.evaluateMs));
    this.#timers.push(setInterval(() => void this.#poll(), this.#o.pollMs));
    void this.#poll();
  }

  /** Re-reads the decision; schedules a reload when the wanted set differs from BIRD's. */
  evaluate(): void {
    if (this.#stopped) return;
    let input: Omit<BgpPlanInput, 'drainedAll' | 'drained'>;
    try {
      input = this.#d.input();
    } catch (e) {
      this.#fail(new LvsError('ERR_LVS_BGP_STATE', `cannot read the director's state: ${String(e)}`));
      return;
    }
    this.#vips = planBgp({ ...input, drainedAll: this.#drainedAll, drained: this.#drained });
    if (!this.#inSync()) this.#schedule(this.#o.debounceMs);
  }

  /** `lvsadm --bgp-drain [VIP]` (`drained` true) and `--bgp-undrain [VIP]`; no VIP: every one. */
  drain(vip: string | undefined, drained: boolean): void {
    if (vip === undefined) {
      this.#drainedAll = drained;
      if (!drained) this.#drained.clear();
    } else if (drained) this.#drained.add(vip);
    else this.#drained.delete(vip);
    this.#d.log('info', drained ? 'bgp drain' : 'bgp undrain', { vip: vip ?? 'all' });
    this.evaluate();
  }

  /** The `lvsadm --bgp` view. */
  view(): BgpView {
    return {
      now: this.#now(),
      include: this.#o.include,
      socket: this.#o.socket,
      protocols: birdProtocolNames(this.#o.protocol),
      vips: this.#vips,
      drainedAll: this.#drainedAll,
      drained: [...this.#drained].sort(),
      announced: this.#announced ?? [],
      configuredAt: this.#configuredAt,
      pending: !this.#inSync(),
      ...(this.#error ? { error: this.#error } : {}),
      bird: this.#rows,
      birdAt: this.#rowsAt,
    };
  }

  /** Stops the timers, then withdraws everything (empty include, reload), bounded by stopTimeoutMs. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
    clearTimeout(this.#flushTimer);
    await this.#busy;
    let timer: NodeJS.Timeout | undefined;
    const bounded = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.#d.log('warn', 'bgp: BIRD did not confirm the withdrawal before stop', {
          code: 'ERR_LVS_BIRD_TIMEOUT',
        });
        resolve();
      }, this.#o.stopTimeoutMs);
    });
    await Promise.race([
      this.#reload([]).then((ok) => ok && this.#d.log('info', 'bgp: every VIP withdrawn')),
      bounded,
    ]);
    clearTimeout(timer);
  }

  #wanted(): string[] {
    return announcedPrefixes(this.#vips);
  }

  #inSync(): boolean {
    const a = this.#announced;
    const w = this.#wanted();
    return a !== undefined && a.length === w.length && a.every((p, i) => p === w[i]);
  }

  #schedule(delay: number): void {
    if (this.#flushTimer !== undefined || this.#stopped) return;
    const gap = this.#error ? this.#o.retryMs : this.#o.minIntervalMs;
    const wait = Math.max(delay, this.#lastReloadAt + gap - this.#now());
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      if (this.#busy) return this.#schedule(this.#o.debounceMs);
      this.#busy = this.#flush().finally(() => {
        this.#busy = undefined;
      });
    }, wait);
  }

  async #flush(): Promise<void> {
    if (this.#stopped || this.#inSync()) return;
    const wanted = this.#wanted();
    const ok = await this.#reload(wanted);
    if (ok) {
      // BIRD's protocols changed (a static protocol's routes at least): the view reads them again.
      void this.#poll();
      const before = this.#announced;
      this.#d.log('info', 'bgp: BIRD reloaded', {
        announced: wanted,
        ...(before ? { added: wanted.filter((p) => !before.includes(p)) } : {}),
        ...(before ? { withdrawn: before.filter((p) => !wanted.includes(p)) } : {}),
      });
    }
    // The state may have moved meanwhile, or the reload failed: evaluate() reschedules.
    if (!this.#stopped && !this.#inSync()) this.#schedule(ok ? this.#o.debounceMs : this.#o.retryMs);
  }

  /** Writes the include for `prefixes` and asks BIRD to reload it; true when BIRD accepted it. */
  async #reload(prefixes: string[]): Promise<boolean> {
    this.#lastReloadAt = this.#now();
    try {
      await this.#d.bird.writeInclude(birdInclude(this.#o.protocol, prefixes));
      const r = await this.#d.bird.command('configure');
      if (isBirdError(r))
        throw new LvsError('ERR_LVS_BIRD_CONFIGURE', `BIRD refused the reload: ${birdReplyText(r)}`);
      this.#announced = prefixes;
      this.#configuredAt = this.#now();
      this.#recovered();
      return true;
    } catch (e) {
      // A refused file leaves BIRD on its running configuration ("configure" keeps the old one,
      // BIRD 2 user's guide, "Remote control"): what it announces is unchanged. Otherwise unknown.
      if (!(e instanceof LvsError && e.code === 'ERR_LVS_BIRD_CONFIGURE')) this.#announced = undefined;
      this.#fail(e);
      return false;
    }
  }

  async #poll(): Promise<void> {
    if (this.#stopped) return;
    try {
      const r = await this.#d.bird.command('show protocols');
      if (isBirdError(r)) throw new LvsError('ERR_LVS_BIRD_REPLY', `show protocols: ${birdReplyText(r)}`);
      const ours = new Set(birdProtocolNames(this.#o.protocol));
      this.#rows = parseShowProtocols(r).filter((p) => p.proto === 'BGP' || ours.has(p.name));
      this.#rowsAt = this.#now();
      // BIRD answered: a failure of the socket is over, though a refused reload is not.
      if (this.#error && this.#error.code !== 'ERR_LVS_BIRD_CONFIGURE') {
        this.#announced = undefined;
        this.#schedule(0);
      }
    } catch (e) {
      this.#fail(e);
    }
  }

  /** Logs a failure once per code and message; the retry is the caller's. */
  #fail(e: unknown): void {
    const code = e instanceof LvsError ? e.code : 'ERR_LVS_BGP';
    const message = e instanceof Error ? e.message : String(e);
    if (this.#error?.code === code && this.#error.message === message) return;
    this.#error = { code, message, since: this.#now() };
    this.#d.log('error', `bgp: ${message}; retrying, lvsd keeps serving`, { code });
  }

  #recovered(): void {
    if (!this.#error) return;
    this.#d.log('info', 'bgp: BIRD reachable again', { after: this.#error.code });
    this.#error = undefined;
  }
}
