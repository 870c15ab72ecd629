/**
 * `lvsd --config FILE` at run time: the configuration in force, its health engine, and reloads
 * (SIGHUP, and ldirectord's `autoreload` which watches the file). A reload re-reads the file; on
 * any error the old configuration stays in force and the findings are reported with file:line
 * (keepalived `reload_check_config`, ldirectord `reread_config`); otherwise
 * the engine applies the minimal diff, so untouched services keep their connections. Every step
 * is published on `lvs:config:reload` (control/channels.ts), where the daemon's logger writes it.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { unwatchFile, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { ConfigCheck, ConfigFormat } from '../config/check-config.js';
import type { ConfigDiagnostic } from '../config/diagnostics.js';
import type { LvsModel, ScriptSpec } from '../config/model.js';
import { reloadChannel, type TableDiffSummary } from '../control/channels.js';
import type { Command } from '../control/commands.js';
import type { AvailabilityView, HealthView } from '../control/health-views.js';
import type { DataPlaneHandle } from '../control/ports.js';
import type { VrrpView } from '../control/vrrp-views.js';
import { HealthRunner } from '../health/runner.js';
import { type LoadOptions, loadConfig } from './config-loader.js';
import { loadConfigOffLoop } from './load-config-off-loop.js';

/** What drives the table for a configuration: the HealthRunner, or a check-less stand-in. */
export interface HealthEngine {
  /** Builds the table (through `apply`) and starts checking. */
  start(): void;
  /** Moves to a new configuration, carrying identical checkers' state over. */
  reload(model: LvsModel): void;
  stop(opts?: { clean?: boolean }): void;
  /** `lvsadm --health` data (plain JSON). */
  healthView(): HealthView | undefined;
  /** `lvsadm --availability` data (plain JSON). */
  availabilityView(): AvailabilityView | undefined;
}

/** What runs a configuration's vrrp_instance blocks: the VrrpRunner (daemon/vrrp), or a test's stand-in. */
export interface VrrpEngine {
  start(): void;
  /** Moves to a new configuration, keeping the state of unchanged instances. */
  reload(model: LvsModel): void;
  /** Stops the instances (priority 0 from a master, stop notify); resolves once the data plane followed. */
  stop(): Promise<void>;
  /** `lvsadm --vrrp` data. */
  view(): VrrpView;
  /** The data plane that owns the VIPs while MASTER; it starts after the table. */
  attachPlane(plane: DataPlaneHandle | undefined): void;
}

/** Builds the VRRP engine of a configuration. */
export type VrrpEngineFactory = (model: LvsModel) => VrrpEngine;

/** Builds the engine of a loaded configuration; `apply` is the daemon's one command path. */
export type EngineFactory = (model: LvsModel, apply: (cmd: Command) => void) => HealthEngine;

/**
 * Findings that stop a load. At start keepalived runs with anything short of fatal (exit 4) and
 * ldirectord refuses any error (exit 2, ldirectord `config_error`). On reload both keep the old
 * configuration on any error, except a missing interface (VRRP's, or the sync daemons'): the
 * same finding was accepted at start, so refusing it would make such a file impossible to reload.
 */
export function blockingFindings(check: ConfigCheck, phase: 'start' | 'reload'): ConfigDiagnostic[] {
  return check.diagnostics.filter((d) => {
    if (d.severity === 'fatal') return true;
    if (d.severity !== 'error') return false;
    if (phase === 'start') return check.format === 'ldirectord';
    return d.code !== 'ERR_CONFIG_NO_INTERFACE' && d.code !== 'ERR_LVS_NO_DEVICE';
  });
}

/** Result of one reload attempt. */
export type ReloadOutcome =
  | { readonly ok: true; readonly commands: number; readonly services: number }
  | { readonly ok: false; readonly findings: readonly ConfigDiagnostic[] };

/** Settings of a {@link ConfigSession}. */
export interface ConfigSessionOptions {
  readonly path: string;
  readonly format?: ConfigFormat;
  readonly configId?: string;
  /** For the notes that are not reload steps (VRRP not applied, a failed callback). */
  readonly log: Logger;
  readonly engine: EngineFactory;
  /** Runs the vrrp_instance blocks; without it they are parsed, validated and not applied. */
  readonly vrrp?: VrrpEngineFactory;
  /**
   * Reads and checks the file; the fs-backed loader by default (tests inject one): on this thread
   * at start, in a worker thread on reload (load-config-off-loop.ts).
   */
  readonly load?: (path: string, opts: LoadOptions) => Promise<ConfigCheck>;
  /** Poll interval of the autoreload watch (ldirectord polls once per check loop). */
  readonly watchIntervalMs?: number;
  /** Quiet time after a change before reloading, so a file being written is read once. */
  readonly debounceMs?: number;
}

/** The file's MD5 (ldirectord's change test), read off the event loop; undefined when unreadable. */
async function digest(path: string): Promise<string | undefined> {
  try {
    return createHash('md5')
      .update(await readFile(path))
      .digest('hex');
  } catch {
    return undefined;
  }
}

function hasInstances(m: LvsModel): boolean {
  return m.vrrp.instances.length > 0;
}

function hasVrrp(m: LvsModel): boolean {
  return m.vrrp.instances.length + m.vrrp.syncGroups.length + m.vrrp.scripts.length > 0;
}

/** A loaded configuration driving the director, with reloads. */
export class ConfigSession {
  private engine: HealthEngine | undefined;
  private vrrp: VrrpEngine | undefined;
  private plane: DataPlaneHandle | undefined;
  private model: LvsModel;
  private sum: string | undefined;
  private busy: Promise<ReloadOutcome> | undefined;
  private again = false;
  private debounce: NodeJS.Timeout | undefined;
  private watching = false;
  private commands = 0;
  /** Commands applied by op since the current load or reload began. */
  private diff: Partial<Record<Command['op'], number>> = {};
  private readonly reloaded: ((model: LvsModel) => void)[] = [];

  private constructor(
    private readonly opts: ConfigSessionOptions,
    private check: ConfigCheck,
    sum: string | undefined,
  ) {
    this.model = check.model;
    this.sum = sum;
  }

  /**
   * Loads the file for startup. Returns the session, or the findings that refuse the start
   * (already logged by the caller's choice: they are returned, not printed).
   */
  static async open(
    opts: ConfigSessionOptions,
  ): Promise<{ ok: true; session: ConfigSession } | { ok: false; findings: readonly ConfigDiagnostic[] }> {
    const check = await (opts.load ?? loadConfig)(opts.path, ConfigSession.loadOptions(opts));
    const findings = blockingFindings(check, 'start');
    if (findings.length > 0) return { ok: false, findings: check.diagnostics };
    return { ok: true, session: new ConfigSession(opts, check, await digest(opts.path)) };
  }

  private static loadOptions(opts: ConfigSessionOptions): LoadOptions {
    return {
      ...(opts.format !== undefined ? { format: opts.format } : {}),
      ...(opts.configId !== undefined ? { configId: opts.configId } : {}),
    };
  }

  /** The configuration in force. */
  get current(): LvsModel {
    return this.model;
  }

  /** The dialect of the file. */
  get format(): ConfigFormat {
    return this.check.format;
  }

  /** Starts the engine, which builds the table through `apply`; then watches the file if asked. */
  start(apply: (cmd: Command) => void): void {
    this.publishChecked(this.check);
    const counted = (cmd: Command) => {
      this.commands++;
      this.diff[cmd.op] = (this.diff[cmd.op] ?? 0) + 1;
      apply(cmd);
    };
    this.diff = {};
    this.engine = this.opts.engine(this.model, counted);
    this.engine.start();
    this.publishFinished(true, this.commands);
    this.startVrrp(undefined);
    this.watch();
  }

  private publishChecked(check: ConfigCheck): void {
    if (reloadChannel.hasSubscribers)
      reloadChannel.publish({
        phase: 'checked',
        source: this,
        file: this.opts.path,
        findings: check.diagnostics,
      });
  }

  private publishFinished(initial: boolean, commands: number): void {
    const diff: TableDiffSummary = this.diff;
    if (reloadChannel.hasSubscribers)
      reloadChannel.publish({
        phase: 'finished',
        source: this,
        file: this.opts.path,
        initial,
        format: this.check.format,
        services: this.model.services.length,
        commands,
        diff,
      });
  }

  /** Starts or reloads the VRRP instances; without a VRRP factory, says once that they are not applied. */
  private startVrrp(before: LvsModel | undefined): void {
    const make = this.opts.vrrp;
    if (make) {
      if (this.vrrp) this.vrrp.reload(this.model);
      else if (hasInstances(this.model)) {
        this.vrrp = make(this.model);
        this.vrrp.attachPlane(this.plane);
        this.vrrp.start();
      }
      return;
    }
    if (hasVrrp(this.model) && (before === undefined || !hasVrrp(before))) {
      const v = this.model.vrrp;
      this.opts.log.info(
        { instances: v.instances.length, syncGroups: v.syncGroups.length, scripts: v.scripts.length },
        'vrrp_* blocks are parsed and validated but not applied: this lvsd runs no VRRP transport',
      );
    }
  }

  /**
   * Calls `fn` with the new configuration after every reload that applied one, once the table
   * and the VRRP instances have moved to it (the sync daemons follow: SyncRoleFollower.reload).
   */
  onReloaded(fn: (model: LvsModel) => void): void {
    this.reloaded.push(fn);
  }

  /** Data for `lvsadm --vrrp`; undefined when no VRRP instance runs. */
  vrrpView(): VrrpView | undefined {
    return this.vrrp?.view();
  }

  /** Gives the VRRP instances the data plane, once it has started. */
  attachPlane(plane: DataPlaneHandle | undefined): void {
    this.plane = plane;
    this.vrrp?.attachPlane(plane);
  }

  /** Data for `lvsadm --health`. */
  healthView(): HealthView | undefined {
    return this.engine?.healthView();
  }

  /** Data for `lvsadm --availability`. */
  availabilityView(): AvailabilityView | undefined {
    return this.engine?.availabilityView();
  }

  /**
   * Re-reads the file and applies it, or keeps the old configuration on any error. Reloads are
   * serialised: a request during a reload runs once more after it, never concurrently.
   */
  reload(reason: string): Promise<ReloadOutcome> {
    if (this.busy) {
      this.again = true;
      return this.busy;
    }
    const run = async (): Promise<ReloadOutcome> => {
      let out: ReloadOutcome;
      do {
        this.again = false;
        out = await this.reloadOnce(reason);
      } while (this.again);
      return out;
    };
    this.busy = run().finally(() => {
      this.busy = undefined;
    });
    return this.busy;
  }

  private async reloadOnce(reason: string): Promise<ReloadOutcome> {
    const file = this.opts.path;
    if (reloadChannel.hasSubscribers) reloadChannel.publish({ phase: 'started', source: this, file, reason });
    const sum = await digest(file);
    // A worker thread reads and parses: the forwarding loop never waits for a large file.
    const check = await (this.opts.load ?? loadConfigOffLoop)(file, ConfigSession.loadOptions(this.opts));
    const findings = blockingFindings(check, 'reload');
    this.publishChecked(check);
    if (findings.length > 0 || !this.engine) {
      if (reloadChannel.hasSubscribers)
        reloadChannel.publish({ phase: 'failed', source: this, file, findings });
      return { ok: false, findings };
    }
    const before = this.model;
    const n0 = this.commands;
    this.check = check;
    this.model = check.model;
    this.sum = sum;
    this.diff = {};
    this.engine.reload(check.model);
    const commands = this.commands - n0;
    this.publishFinished(false, commands);
    this.startVrrp(before);
    for (const fn of this.reloaded) fn(this.model);
    this.watch();
    return { ok: true, commands, services: check.model.services.length };
  }

  /** ldirectord `autoreload` (ldirectord(8)): poll the file, reload when its contents change. */
  private watch(): void {
    const want = this.model.globals.autoreload || this.model.globals.callback !== undefined;
    if (want === this.watching) return;
    const file = this.opts.path;
    if (!want) {
      unwatchFile(file);
      this.watching = false;
      return;
    }
    this.watching = true;
    watchFile(file, { interval: this.opts.watchIntervalMs ?? 1000, persistent: false }, () => {
      if (this.debounce) clearTimeout(this.debounce);
      this.debounce = setTimeout(() => void this.onFileChange(), this.opts.debounceMs ?? 200);
      this.debounce.unref();
    });
  }

  private async onFileChange(): Promise<void> {
    this.debounce = undefined;
    const sum = await digest(this.opts.path);
    // ldirectord compares the mtime, then the MD5: a touch alone reloads nothing.
    if (sum === undefined || sum === this.sum) return;
    const g = this.model.globals;
    if (g.callback) this.runCallback(g.callback);
    if (g.autoreload) void this.reload('autoreload');
    else this.sum = sum;
  }

  private runCallback(cb: ScriptSpec): void {
    const [cmd, ...args] = cb.argv;
    if (cmd === undefined) return;
    try {
      const child = spawn(cmd, [...args, this.opts.path], { stdio: 'ignore', detached: false });
      child.on('error', (e) =>
        this.opts.log.warn({ err: e.message, command: cb.command }, 'callback failed'),
      );
      child.unref();
    } catch (e) {
      this.opts.log.warn({ err: String(e), command: cb.command }, 'callback failed');
    }
  }

  /**
   * Stops watching, the VRRP instances (first, as keepalived hands the VIPs over before its
   * checkers stop) and the engine; `clean` removes the managed services (cleanstop). Resolves
   * when the data plane has released the VIPs.
   */
  close(opts: { clean?: boolean } = {}): Promise<void> {
    if (this.debounce) clearTimeout(this.debounce);
    if (this.watching) unwatchFile(this.opts.path);
    this.watching = false;
    const released = this.vrrp?.stop() ?? Promise.resolve();
    this.vrrp = undefined;
    this.engine?.stop(opts);
    return released;
  }
}

/** The real engine: a HealthRunner whose log lines go to lvsd's logger. */
export function healthRunnerEngine(log: Logger): EngineFactory {
  return (model, apply) =>
    new HealthRunner({ model, apply, log: (level, msg, fields) => log[level](fields ?? {}, msg) });
}
