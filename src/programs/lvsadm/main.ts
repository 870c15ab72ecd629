/**
 * lvsadm's runner: parse argv (pure, parse.ts), talk to lvsd over the control socket, format the
 * answer (pure, format.ts) and exit with ipvsadm's codes: 0 success, 2 usage, 255 failed
 * operation, 1 failed listing (ipvsadm.c). `run` is the programmatic form: it returns the
 * exit code and writes through injected streams, so tests never call process.exit.
 */

import type { Command, Query } from '../../control/commands.js';
import type { AvailabilityView, HealthView } from '../../control/health-views.js';
import { NO_HEALTH_CODE, NO_VRRP_CODE, type Response, type StatusView } from '../../control/protocol.js';
import { formatSysctls, sysctlCommands } from '../../control/sysctl-values.js';
import type { Snapshot } from '../../control/views.js';
import { defaultSocketPath, processSocketEnv, type SocketEnv } from '../../daemon/socket-path.js';
import { commandForm } from '../../io/command-form.js';
import {
  formatConnections,
  formatDaemons,
  formatLaddrs,
  formatOneService,
  formatSave,
  formatServices,
  formatTimeouts,
} from '../../ipvsadm/format.js';
import {
  EXIT_OPERATION,
  EXIT_USAGE,
  errorMessage,
  type OperationKind,
  operationOf,
} from '../../ipvsadm/messages.js';
import { type ListRequest, namesIn, type ParsedCommand, parse } from '../../ipvsadm/parse.js';
import { NUMERIC_RESOLVER, type Resolver } from '../../ipvsadm/resolve.js';
import { ClientError, type ControlClient, connectClient } from './client.js';
import { addressesIn, createSystemResolver, type Wanted } from './system-resolver.js';

// Startup time is lvsadm's main cost (one process per command, as ipvsadm): modules only some
// commands need (the health, availability and VRRP formatters, -R's line splitter, `lab`) are
// imported where they are used, so `lvsadm -Ln` loads the listing path alone (BENCHMARKS.md).

/** Everything the runner touches outside itself, injectable for tests. */
export interface RunnerEnv {
  stdout(text: string): void;
  stderr(text: string): void;
  /** All of standard input (for `-R`). */
  readStdin(): Promise<string>;
  /** Opens a connection to lvsd; rejects with ClientError when none answers. */
  connect(path: string): Promise<ControlClient>;
  readonly socketEnv: SocketEnv;
  /**
   * Builds a resolver with the wanted names (from argv) or addresses (for a listing without
   * `-n`) looked up ahead of time; without it everything stays numeric.
   */
  resolver?(want: Wanted): Promise<Resolver>;
  /** Program name for usage and try-help lines. */
  readonly prog?: string;
  /** True when stdout is a terminal: `-h` and `-v` then add usage.ts TERMINAL_NOTE. */
  readonly stdoutIsTTY?: boolean;
  /** How to run lvsd from this shell, for the no-daemon hint (default `lvsd`). */
  lvsdCommand?(): string;
}

/** Exit code when no daemon answers: a usage-level problem the operator fixes by starting lvsd. */
export const EXIT_NO_DAEMON = 2;

/**
 * The one line printed when lvsd cannot be reached; `lvsd` is the command that starts lvsd from
 * the user's shell (io/command-form.ts: bare `lvsd` only when PATH finds this package's).
 */
export function noDaemonLine(e: ClientError, lvsd = 'lvsd'): string {
  if (e.code === 'ERR_LVSADM_UNSAFE_SOCKET') return `lvsadm: refusing the socket at ${e.path}: ${e.message}`;
  if (e.code === 'ERR_LVSADM_BUSY') return `lvsadm: ${e.message} at ${e.path}; try again`;
  if (e.code === 'ERR_LVSADM_ACCESS') {
    return `lvsadm: cannot reach lvsd at ${e.path}: permission denied (you must be root or lvsd's owner)`;
  }
  return `lvsadm: cannot reach lvsd at ${e.path} (start it with: ${lvsd} --socket ${e.path})`;
}

/** A failure that ends the run with an exit code after its message was printed. */
class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** One invocation's state: a lazily opened connection shared by every request of a restore. */
class Session {
  private client: ControlClient | undefined;
  constructor(
    private readonly env: RunnerEnv,
    private readonly socket: string,
  ) {}

  async request(body: { command: Command } | { query: Query }): Promise<Response> {
    try {
      this.client ??= await this.env.connect(this.socket);
      return await this.client.request(body);
    } catch (e) {
      if (e instanceof ClientError && e.code !== 'ERR_LVSADM_DISCONNECTED') {
        this.env.stderr(`${noDaemonLine(e, this.env.lvsdCommand?.())}\n`);
        throw new Exit(EXIT_NO_DAEMON);
      }
      this.env.stderr(`lvsadm: lost connection to lvsd at ${this.socket}: ${(e as Error).message}\n`);
      throw new Exit(EXIT_OPERATION);
    }
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }
}

/** Prints a failed response the way ipvsadm prints the kernel's answer; returns the exit code. */
function reportFailure(env: RunnerEnv, kind: OperationKind, r: Response): number {
  if (r.ok) return 0;
  if (r.error.errno !== undefined) {
    const f = errorMessage(kind, r.error.errno);
    env.stderr(`${f.text}\n`);
    return f.exitCode;
  }
  // Not a kernel-style failure (bad request, version mismatch): say what lvsd said.
  env.stderr(`lvsadm: ${r.error.message} (${r.error.code})\n`);
  return errorMessage(kind, undefined).exitCode;
}

/** A resolver for printing `snap` by name (ipvsadm without -n), or the numeric one. */
async function namesFor(env: RunnerEnv, numeric: boolean, snap: Snapshot): Promise<Resolver> {
  if (numeric || !env.resolver) return NUMERIC_RESOLVER;
  return env.resolver({ addrs: addressesIn(snap, snap.conns ?? []) });
}

async function runList(env: RunnerEnv, s: Session, list: ListRequest): Promise<number> {
  const f = list.format;
  switch (list.view) {
    case 'timeout': {
      const resp = await s.request({ query: { q: 'timeouts' } });
      if (!resp.ok || !('result' in resp) || resp.result.q !== 'timeouts')
        return reportFailure(env, 'get-timeouts', resp);
      env.stdout(formatTimeouts(resp.result.timeouts));
      return 0;
    }
    case 'daemon': {
      const resp = await s.request({ query: { q: 'daemons' } });
      if (!resp.ok || !('result' in resp) || resp.result.q !== 'daemons')
        return reportFailure(env, 'get-daemons', resp);
      env.stdout(formatDaemons(resp.result.daemons));
      return 0;
    }
    case 'connections': {
      const resp = await s.request({ query: { q: 'list', conns: true } });
      if (!resp.ok || !('result' in resp) || resp.result.q !== 'list')
        return reportFailure(env, 'get-services', resp);
      const snap = resp.result.snapshot;
      env.stdout(formatConnections(snap.conns ?? [], f, await namesFor(env, f.numeric, snap)));
      return 0;
    }
    case 'laddrs': {
      const resp = await s.request({
        query: list.service ? { q: 'laddrs', service: list.service } : { q: 'laddrs' },
      });
      if (!resp.ok || !('result' in resp) || resp.result.q !== 'laddrs')
        return reportFailure(env, 'get-laddrs', resp);
      const snap = resp.result.snapshot;
      env.stdout(formatLaddrs(snap, f, await namesFor(env, f.numeric, snap), list.service));
      return 0;
    }
    case 'status': {
      const resp = await s.request({ query: { q: 'status' } });
      if (!resp.ok || !('result' in resp) || resp.result.q !== 'status')
        return reportFailure(env, 'other', resp);
      env.stdout(formatStatus(resp.result.status));
      return 0;
    }
    case 'vrrp': {
      const resp = await s.request({ query: { q: 'vrrp' } });
      if (!resp.ok && resp.error.code === NO_VRRP_CODE) {
        env.stderr(`lvsadm: --vrrp: ${resp.error.message}\n`);
        return EXIT_OPERATION;
      }
      if (!resp.ok || !('result' in resp) || resp.result.q !== 'vrrp')
        return reportFailure(env, 'other', resp);
      const { formatVrrp } = await import('../../ipvsadm/format-vrrp.js');
      env.stdout(formatVrrp(resp.result.vrrp));
      return 0;
    }
    case 'health':
    case 'availability': {
      const resp = await s.request({ query: { q: list.view } });
      if (!resp.ok && resp.error.code === NO_HEALTH_CODE) {
        env.stderr(`lvsadm: --${list.view}: ${resp.error.message}\n`);
        return EXIT_OPERATION;
      }
      if (!resp.ok || !('result' in resp)) return reportFailure(env, 'other', resp);
      const r = resp.result;
      const { formatAvailability, formatHealth } = await import('../../health/views.js');
      if (r.q === 'health') env.stdout(formatHealth(reviveNaN(r.health) as HealthView));
      else if (r.q === 'availability') {
        env.stdout(formatAvailability(reviveNaN(r.availability) as AvailabilityView));
      } else return reportFailure(env, 'other', resp);
      return 0;
    }
    default: {
      const q = list.service ? { q: 'list' as const, service: list.service } : { q: 'list' as const };
      const resp = await s.request({ query: q });
      const kind: OperationKind = list.service ? 'get-service' : 'get-services';
      if (!resp.ok || !('result' in resp) || resp.result.q !== 'list') return reportFailure(env, kind, resp);
      const snap = resp.result.snapshot;
      const one = snap.services[0];
      const r = await namesFor(env, f.numeric, snap);
      env.stdout(list.service && one ? formatOneService(one, f, r) : formatServices(snap, f, r));
      return 0;
    }
  }
}

/** Numeric view fields JSON cannot carry (NaN = "not defined yet") arrive as null; restore them. */
function reviveNaN(x: unknown): unknown {
  if (x === null) return Number.NaN;
  if (Array.isArray(x)) return x.map(reviveNaN);
  if (typeof x === 'object' && x !== null) {
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, reviveNaN(v)]));
  }
  return x;
}

/**
 * `--status` (our extension): the daemon line, then whether the data plane serves each service
 * and, under it as `-L` lists them, each real server, with the reason when it does not.
 */
export function formatStatus(st: StatusView): string {
  let out = `lvsd ${st.version} pid ${st.pid} up ${Math.floor(st.uptimeMs / 1000)}s, data plane ${st.dataplane}, ${st.services} services, size=${st.connTabSize}\n`;
  const rows = st.vips.flatMap((v) => [v.service, ...(v.dests ?? []).map((d) => `  -> ${d.dest}`)]);
  const w = Math.max(0, ...rows.map((r) => r.length));
  const what = (serving: boolean, reason?: string) =>
    serving ? `served${reason ? ` (${reason})` : ''}` : `not served: ${reason ?? 'unknown'}`;
  for (const v of st.vips) {
    out += `${v.service.padEnd(w)}  ${what(v.serving, v.reason)}\n`;
    for (const d of v.dests ?? []) out += `${`  -> ${d.dest}`.padEnd(w)}  ${what(d.serving, d.reason)}\n`;
  }
  return out + offloadText(st) + defenseText(st);
}

// The packet plane's XDP flow offload, when it runs.
function offloadText(st: StatusView): string {
  const o = st.plane?.offload;
  if (!o) return '';
  return (
    `xdp flow offload: ${o.installed ?? 0} flows in XDP, ${o.installs ?? 0} installed, ` +
    `${o.refused ?? 0} refused (map full), ${o.removed ?? 0} removed; ` +
    `${o.packets ?? 0} packets, ${o.bytes ?? 0} bytes forwarded in XDP\n`
  );
}

// The connection-table defenses, once one is set, in force or has refused anything.
function defenseText(st: StatusView): string {
  const d = st.defense;
  if (!d) return '';
  const evicted = d.evictedConnMax ?? 0;
  const counted = d.droppedPackets + d.droppedEntries + d.refusedConnMax + evicted;
  if (d.active.length === 0 && d.connMax === 0 && counted === 0) return '';
  const max = d.connMax > 0 ? `conn_max ${d.connMax}` : 'no conn_max';
  const on = d.active.length > 0 ? d.active.join(',') : 'none';
  return (
    `connections ${d.conns} (${max}), defenses in force: ${on}; ` +
    `new connections dropped ${d.droppedPackets} (drop_packet), refused ${d.refusedConnMax} (conn_max); ` +
    `entries dropped ${d.droppedEntries} (drop_entry), ${evicted} half-open evicted at conn_max\n`
  );
}

/** Runs one parsed command line against the session; returns its exit code. */
async function execute(env: RunnerEnv, s: Session, p: ParsedCommand): Promise<number> {
  switch (p.kind) {
    case 'help':
    case 'version':
      env.stdout(p.text);
      if (env.stdoutIsTTY && p.terminalNote) env.stdout(p.terminalNote);
      throw new Exit(0);
    case 'error':
      env.stderr(`${p.text}\n`);
      throw new Exit(p.exitCode);
    case 'command': {
      const resp = await s.request({ command: p.command });
      return reportFailure(env, operationOf(p.command.op), resp);
    }
    case 'list':
      return runList(env, s, p.list);
    case 'save': {
      const resp = await s.request({ query: { q: 'list' } });
      if (!resp.ok || !('result' in resp) || resp.result.q !== 'list')
        return reportFailure(env, 'get-services', resp);
      const snap = resp.result.snapshot;
      env.stdout(formatSave(snap, p.numeric, await namesFor(env, p.numeric, snap)));
      return 0;
    }
    case 'restore':
      return restore(env, s);
    case 'sysctl':
      return runSysctl(env, s, p);
    case 'bgp': {
      const resp = await s.request({ query: { q: 'bgp' } });
      if (!resp.ok || !('result' in resp) || resp.result.q !== 'bgp')
        return reportFailure(env, 'other', resp);
      const { formatBgp } = await import('../../ipvsadm/format-bgp.js');
      env.stdout(formatBgp(resp.result.bgp));
      return 0;
    }
  }
}

/**
 * `--sysctl [NAME[=VALUE]]` (ours): lists or shows net.ipv4.vs.* values as `sysctl` prints them;
 * a write goes through lvsd's apply as `set-sysctl` commands and then prints the value lvsd now
 * holds, as `sysctl -w` echoes what it wrote. A value lvsd refuses exits 255 with its message.
 */
async function runSysctl(
  env: RunnerEnv,
  s: Session,
  p: Extract<ParsedCommand, { kind: 'sysctl' }>,
): Promise<number> {
  const current = async () => {
    const resp = await s.request({ query: { q: 'sysctls' } });
    if (!resp.ok || !('result' in resp) || resp.result.q !== 'sysctls') {
      env.stderr(
        `lvsadm: --sysctl: ${resp.ok ? 'unexpected answer' : `${resp.error.message} (${resp.error.code})`}\n`,
      );
      throw new Exit(EXIT_OPERATION);
    }
    return resp.result.sysctls;
  };
  if (p.set) {
    for (const command of sysctlCommands(p.set, await current())) {
      const resp = await s.request({ command });
      if (!resp.ok) {
        env.stderr(`lvsadm: --sysctl: ${resp.error.message} (${resp.error.code})\n`);
        return EXIT_OPERATION;
      }
    }
  }
  env.stdout(formatSysctls(await current(), p.set?.name ?? p.get));
  return 0;
}

/** A resolver for the host and service names in argv (ports like `http` need /etc/services). */
function argvResolver(env: RunnerEnv, argv: readonly string[]): Promise<Resolver> {
  return env.resolver ? env.resolver({ names: namesIn(argv) }) : Promise.resolve(NUMERIC_RESOLVER);
}

/**
 * `-R`: each stdin line is a full command line (ipvsadm.c, config_stream.c). Blank lines are skipped; a parse
 * error ends the restore with its code (lines before it stay applied, as in ipvsadm); a failed
 * operation prints its message and the restore goes on; the last line's result is returned.
 */
async function restore(env: RunnerEnv, s: Session): Promise<number> {
  const text = await env.readStdin();
  const { restoreArgvs } = await import('../../ipvsadm/rules.js');
  let result = 0;
  for (const { argv } of restoreArgvs(text)) {
    const p = parse(argv, {
      prog: env.prog ?? 'lvsadm',
      resolver: await argvResolver(env, argv),
      restoring: true,
    });
    result = await execute(env, s, p);
  }
  return result;
}

/** Runs lvsadm with `argv` (without the program name) and returns the exit code. */
export async function run(argv: readonly string[], env: RunnerEnv): Promise<number> {
  const opts = { prog: env.prog ?? 'lvsadm', resolver: await argvResolver(env, argv) };
  let p = parse(argv, opts);
  // `lvsadm --health`, `--availability` and `--vrrp` (the issues' spelling) mean `-L --health` etc.
  if (p.kind === 'error' && argv.some((a) => a === '--health' || a === '--availability' || a === '--vrrp')) {
    const listed = parse(['-L', ...argv], opts);
    if (listed.kind === 'list') p = listed;
  }
  const socket = p.socket ?? defaultSocketPath(env.socketEnv);
  const session = new Session(env, socket);
  try {
    return await execute(env, session, p);
  } catch (e) {
    if (e instanceof Exit) return e.code;
    env.stderr(`lvsadm: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT_USAGE;
  } finally {
    session.close();
  }
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => {
      s += c;
    });
    stream.on('end', () => resolve(s));
    stream.on('error', reject);
  });
}

/** The real process environment for `run`. */
export function processEnv(): RunnerEnv {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    readStdin: () => readAll(process.stdin),
    connect: (path) => connectClient(path),
    resolver: (want) => createSystemResolver(want),
    socketEnv: processSocketEnv(),
    prog: 'lvsadm',
    stdoutIsTTY: process.stdout.isTTY === true,
    lvsdCommand: () => commandForm('lvsd'),
  };
}

/** bin/lvsadm entry point. */
export function main(argv: string[]): void {
  // `lvsadm lab ...` (our extension) builds netns labs; loaded lazily so plain ipvsadm use never pays for it.
  if (argv[0] === 'lab') {
    void import('../../tools/lab/lab-command.js')
      .then(({ runLab }) => runLab(argv.slice(1)))
      .then((code) => {
        process.exitCode = code;
      });
    return;
  }
  void run(argv, processEnv()).then((code) => {
    process.exitCode = code;
  });
}
