/**
 * Installs and removes lvsd's ingress-bypass tables (bypass-rules.ts) with `nft -f -`. Opt-in
 * (`--ingress-bypass`) because it writes host firewall state that outlives a SIGKILL; lvsd
 * removes it on a clean stop and replaces whatever a crashed run left at the next start.
 *
 * Runs are asynchronous and serialised (a table change must not stall the packet loop behind a
 * spawnSync), and only the latest wanted ruleset is applied: changes that arrive while nft runs
 * collapse into one run. A missing or failing `nft` never stops the daemon: it publishes a fault
 * on `lvs:dataplane:fault` (which lvsd logs as a warning) and the plane forwards as before, with
 * the kernel doing its redundant routing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { type DataplaneFaultCode, dataplaneFaultChannel } from '../../control/channels.js';
import { type BypassSpec, bypassRemoval, bypassRuleset, bypassTableName } from './bypass-rules.js';

/** Minimal logger (pino's shape). */
interface BypassLogger {
  info(obj: object, msg?: string): void;
}

/** Options of {@link IngressBypass}. */
export interface IngressBypassOptions {
  /** Served interfaces (their tables are removed on close). */
  readonly interfaces: readonly string[];
  /** Progress lines (ruleset applied, removed); failures are published on `lvs:dataplane:fault`. */
  readonly log?: BypassLogger;
  /**
   * The nft command (default `['nft']`, looked up on PATH); a prefix such as
   * `['ip', 'netns', 'exec', NS, 'nft']` lets tests act inside a namespace of their own.
   */
  readonly nft?: readonly string[];
}

/** Result of one nft run. */
interface NftResult {
  ok: boolean;
  missing: boolean;
  err: string;
}

/** The ingress-bypass tables of one packet plane. */
export class IngressBypass {
  private readonly o: IngressBypassOptions;
  private readonly nft: readonly string[];
  /** Ruleset nft last accepted ('' = nothing installed). */
  private applied = '';
  /** Ruleset last asked for (applied or pending); undefined after a failure, so the next change retries. */
  private requested: string | undefined;
  private wanted: string | undefined;
  private running: Promise<void> | undefined;
  private disabled = false;
  private closed = false;
  private readonly onExit = (): void => this.removeSync();

  constructor(o: IngressBypassOptions) {
    this.o = o;
    this.nft = o.nft?.length ? o.nft : ['nft'];
    // Last resort for an exit that skips close() (process.exit elsewhere): no drop rule may
    // outlive the process that serves those frames.
    process.once('exit', this.onExit);
  }

  /** True while nft has not been found missing (tests and status). */
  get active(): boolean {
    return !this.disabled;
  }

  /** The ruleset currently installed ('' when none). */
  get installed(): string {
    return this.applied;
  }

  /** Makes the installed tables match `spec` (asynchronously; {@link settled} waits). */
  update(spec: BypassSpec): void {
    if (this.disabled || this.closed) return;
    // Always this plane's interfaces: close() removes exactly the tables updates created.
    const text = bypassRuleset({ ...spec, interfaces: this.o.interfaces });
    // Most control commands (zeroing, timeouts, weights) leave the ruleset as it is: no nft run.
    // The first run always goes through, and it also replaces a crashed run's stale tables.
    if (text === this.requested) return;
    this.requested = text;
    this.wanted = text;
    // .finally runs asynchronously, so `running` is cleared only after it was assigned.
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves when every requested change has been applied (or failed). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Waits for pending runs, then removes the tables. */
  async close(): Promise<void> {
    this.closed = true;
    this.wanted = undefined;
    await this.settled();
    process.removeListener('exit', this.onExit);
    if (this.disabled) return;
    const r = await runNft(this.nft, bypassRemoval(this.o.interfaces));
    if (r.ok) {
      this.applied = '';
      this.o.log?.info({ interfaces: this.o.interfaces }, 'ingress bypass removed');
    } else this.fault('bypass-remove-failed', r.err);
  }

  private async drain(): Promise<void> {
    while (this.wanted !== undefined && !this.disabled) {
      const text = this.wanted;
      this.wanted = undefined;
      const r = await runNft(this.nft, text);
      if (r.ok) {
        this.applied = text;
        const tables = text.split('\n').filter((l) => l.endsWith(' {') && l.startsWith('table ')).length;
        this.o.log?.info({ interfaces: this.o.interfaces, tables }, 'ingress bypass ruleset applied');
        continue;
      }
      this.requested = undefined;
      if (r.missing) {
        this.disabled = true;
        this.fault('bypass-nft-missing', r.err);
        return;
      }
      this.fault('bypass-nft-refused', r.err);
      // An old ruleset could drop traffic lvsd no longer takes: better no bypass than that.
      const rm = await runNft(this.nft, bypassRemoval(this.o.interfaces));
      this.applied = rm.ok ? '' : this.applied;
    }
  }

  /** Publishes an nft failure; `err` is what nft (or the spawn) reported. */
  private fault(code: DataplaneFaultCode, err: string): void {
    if (dataplaneFaultChannel.hasSubscribers)
      dataplaneFaultChannel.publish({ source: this, plane: 'packet', code, err });
  }

  private removeSync(): void {
    if (this.disabled || this.applied === '') return;
    spawnSync(this.nft[0]!, [...this.nft.slice(1), '-f', '-'], {
      input: bypassRemoval(this.o.interfaces),
      stdio: 'pipe',
    });
    this.applied = '';
  }
}

/** Runs `nft -f -` with `script` on stdin. */
function runNft(cmd: readonly string[], script: string): Promise<NftResult> {
  return new Promise((resolve) => {
    let err = '';
    let done = false;
    const finish = (r: NftResult): void => {
      if (!done) resolve(r);
      done = true;
    };
    const c = spawn(cmd[0]!, [...cmd.slice(1), '-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    c.stderr.on('data', (d: Buffer) => {
      err += d.toString('utf8');
    });
    c.on('error', (e: NodeJS.ErrnoException) =>
      finish({ ok: false, missing: e.code === 'ENOENT', err: e.message }),
    );
    c.on('close', (code) => finish({ ok: code === 0, missing: false, err: err.trim() || `exit ${code}` }));
    c.stdin.on('error', () => {
      /* nft gone before reading: its exit reports it */
    });
    c.stdin.end(script);
  });
}

/**
 * For an lvsd started without --ingress-bypass: removes the bypass tables of `interfaces` that a
 * previous lvsd left (a SIGKILL runs neither close() nor the exit hook, and nft tables outlive
 * their process). Their drop rules would keep ending the kernel's copy of VIP traffic no lvsd
 * asked to drop. Resolves with the tables removed (empty: none there, or nft missing).
 */
export async function removeBypassLeftovers(
  interfaces: readonly string[],
  nft: readonly string[] = ['nft'],
): Promise<string[]> {
  const listed = await new Promise<string>((resolve) => {
    let out = '';
    const c = spawn(nft[0]!, [...nft.slice(1), 'list', 'tables', 'netdev'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    c.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    c.on('error', () => resolve(''));
    c.on('close', () => resolve(out));
  });
  const present = new Set(listed.split('\n').map((l) => l.trim().replace(/^table netdev /, '')));
  const left = interfaces.filter((i) => present.has(bypassTableName(i)));
  if (left.length === 0) return [];
  const r = await runNft(nft, bypassRemoval(left));
  return r.ok ? left.map(bypassTableName) : [];
}
