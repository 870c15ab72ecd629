/**
 * The daemon's request handler: one request line in, one response line out. It is the only
 * code that turns socket input into `apply` calls, and it never throws, so no request can
 * crash the daemon (the socket server in control-server.ts only frames lines).
 */
import { apply, type Change, type ControlTarget, NO_BGP_CODE } from '../control/apply.js';
import type { BgpView } from '../control/bgp-views.js';
import { type TableChangeOrigin, tableChangeChannel } from '../control/channels.js';
import type { Command, Query, SysctlName } from '../control/commands.js';
import type { AvailabilityView, HealthView } from '../control/health-views.js';
import {
  decodeRequest,
  encodeResponse,
  errorResponse,
  NO_HEALTH_CODE,
  NO_VRRP_CODE,
  type QueryResult,
  type Request,
  type Response,
  type StatusView,
  toWireError,
} from '../control/protocol.js';
import { serviceView, serviceViews } from '../control/snapshot.js';
import type { ConnView, DaemonView, Snapshot, TimeoutsView } from '../control/views.js';
import type { VrrpView } from '../control/vrrp-views.js';
import { LvsError, TableError } from '../core/errors.js';

/** What the handler needs from the running director; daemon.ts builds it from a Director. */
export interface ControlDeps {
  /** The target commands are applied to. */
  readonly target: ControlTarget;
  /** 2^conn_tab_bits, the listing header's size. */
  readonly connTabSize: number;
  timeouts(): TimeoutsView;
  daemons(): readonly DaemonView[];
  conns(now: number): readonly ConnView[];
  status(now: number): StatusView;
  /**
   * Called after every successful command, once it is published on `lvs:table:change`, e.g. so
   * the data plane follows the table.
   */
  onChanges?(cmd: Command, changes: readonly Change[]): void;
  /**
   * Why the running data plane refuses a command before it reaches the table (the proxy plane
   * refuses `-g`/`-i` destinations at `-a`/`-e` time, issue 4), or undefined to accept it.
   */
  refuse?(cmd: Command): string | undefined;
  /** Wall clock in ms (injected so tests control time). */
  now(): number;
  /** `--health` data; absent or undefined when lvsd runs no health checks. */
  health?(): HealthView | undefined;
  /** `--availability` data; absent or undefined when lvsd runs no health checks. */
  availability?(): AvailabilityView | undefined;
  /** `--vrrp` data; absent or undefined when lvsd runs no VRRP instance. */
  vrrp?(): VrrpView | undefined;
  /** Current net.ipv4.vs.* values for `lvsadm --sysctl`; absent: the query is not supported. */
  sysctls?(): Readonly<Record<SysctlName, number>>;
  /** `--bgp` data; absent when lvsd runs without `--bgp`. */
  bgp?(): BgpView;
  /**
   * Called before a listing or status is built, so counters kept outside the director (the XDP
   * flow offload's per-flow counters) are folded in and `--stats` totals are exact.
   */
  beforeRead?(): void;
}

function noHealth(): never {
  throw new LvsError(NO_HEALTH_CODE, 'lvsd runs no health checks (start it with --config FILE)');
}

/** Answers one query. Throws TableError (ESRCH) for a listing of a missing service. */
export function answerQuery(deps: ControlDeps, q: Query, now: number): QueryResult {
  if (q.q === 'list' || q.q === 'status') deps.beforeRead?.();
  switch (q.q) {
    case 'list':
    case 'laddrs': {
      let services: Snapshot['services'];
      if (q.service) {
        const svc = deps.target.table.find(q.service);
        if (!svc) throw new TableError('ERR_LVS_NO_SERVICE', 'no such service');
        services = [serviceView(svc)];
      } else {
        services = serviceViews(deps.target.table);
      }
      const conns = q.q === 'list' && q.conns ? { conns: deps.conns(now) } : {};
      return { q: q.q, snapshot: { connTabSize: deps.connTabSize, services, ...conns } };
    }
    case 'timeouts':
      return { q: 'timeouts', timeouts: deps.timeouts() };
    case 'daemons':
      return { q: 'daemons', daemons: deps.daemons() };
    case 'status':
      return { q: 'status', status: deps.status(now) };
    case 'health': {
      const health = deps.health?.();
      return health === undefined ? noHealth() : { q: 'health', health };
    }
    case 'availability': {
      const availability = deps.availability?.();
      return availability === undefined ? noHealth() : { q: 'availability', availability };
    }
    case 'vrrp': {
      const vrrp = deps.vrrp?.();
      if (vrrp === undefined)
        throw new LvsError(NO_VRRP_CODE, 'lvsd runs no VRRP instance (no vrrp_instance in --config)');
      return { q: 'vrrp', vrrp };
    }
    case 'bgp': {
      if (!deps.bgp) throw new LvsError(NO_BGP_CODE, 'lvsd announces nothing over BGP (start it with --bgp)');
      return { q: 'bgp', bgp: deps.bgp() };
    }
    case 'sysctls': {
      if (!deps.sysctls) throw new TableError('ERR_LVS_NOT_SUPPORTED', 'this director has no sysctls');
      return { q: 'sysctls', sysctls: deps.sysctls() };
    }
  }
}

/** Handles one decoded-or-not request line and returns the response object. Never throws. */
export function handleRequest(deps: ControlDeps, line: string): Response {
  const d = decodeRequest(line);
  if (!d.ok) return errorResponse(d.id, d.error);
  return handleDecoded(deps, d.request);
}

/**
 * Handles one validated request: the one path from a client (the control socket, or the HTTP API
 * with `origin` 'http') to `apply` and the views. Never throws.
 */
export function handleDecoded(
  deps: ControlDeps,
  request: Request,
  origin: TableChangeOrigin = 'socket',
): Response {
  try {
    const now = deps.now();
    if ('command' in request) {
      const why = deps.refuse?.(request.command);
      if (why) return errorResponse(request.id, { code: 'ERR_LVS_DATAPLANE_UNSUPPORTED', message: why });
      const changes = apply(deps.target, request.command, now);
      if (tableChangeChannel.hasSubscribers)
        tableChangeChannel.publish({
          source: deps.target,
          origin,
          cmd: request.command,
          changes,
          at: now,
        });
      try {
        deps.onChanges?.(request.command, changes);
      } catch {
        // A data plane that cannot follow a change reports it through status and logs; the
        // table command itself succeeded, as with the kernel (issue 3: "never makes a table
        // command fail").
      }
      return { v: 1, id: request.id, ok: true, changes };
    }
    return { v: 1, id: request.id, ok: true, result: answerQuery(deps, request.query, now) };
  } catch (e) {
    return errorResponse(request.id, toWireError(e));
  }
}

/** handleRequest, encoded as one response line (with newline). */
export function handleLine(deps: ControlDeps, line: string): string {
  return encodeResponse(handleRequest(deps, line));
}
