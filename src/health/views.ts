/**
 * Views for our two lvsadm extensions, built from the monitor state, plus pure text formatters.
 * Plain JSON shapes, so they cross the control socket unchanged.
 *
 * `lvsadm --health` text format: one block per virtual service, a header line
 *   `<service id>  quorum <up|down> since <ISO time>  alive weight <sum>, quorum <q>[, hysteresis <h>][  sorry <addr:port> ACTIVE]`
 * (plain words rather than keepalived's `<sum>/<q>+<h>` arithmetic; hysteresis only when set)
 * then one line per real server
 *   `  -> <addr:port>  <UP|DOWN>  since <ISO time>  weight <effective>  <type> <ok|FAIL> <ms>ms "<message>"`
 * repeating the last four fields for each further checker (`no checker` when it has none; `-`
 * before the first result). IPv6 addresses are bracketed.
 *
 * `lvsadm --availability` text format: a header line, then one line per service followed by its
 * real servers indented by two spaces, columns separated by at least two spaces:
 *   `Subject  State  Uptime%  Failures  MTBF  MTTR  A`
 * Uptime% with 3 decimals, A with 6 decimals, MTBF/MTTR as compact durations (`3d4h`, `12m5s`,
 * `250ms`); `-` when not defined: nothing observed yet, or no failure yet (a mean time between
 * failures of a server that never failed is not a number; the figure the account keeps then is
 * only the observed up time).
 */
import type {
  AvailabilityRow,
  AvailabilityStats,
  AvailabilityView,
  HealthView,
} from '../control/health-views.js';
import type { AvailabilityAccount } from './availability.js';
import { effectiveWeight, type ServiceMonitor } from './service-monitor.js';

/** Builds the health view from monitor state. */
export function healthView(services: readonly ServiceMonitor[], now: number): HealthView {
  return {
    now,
    services: services.map((s) => ({
      id: s.svc.id,
      quorumUp: s.quorumUp,
      since: s.quorumSince,
      weightSum: s.weightSum(),
      quorum: s.svc.quorum,
      hysteresis: s.svc.hysteresis,
      ...(s.svc.sorry
        ? { sorry: { addr: s.svc.sorry.dest.addr, port: s.svc.sorry.dest.port, active: s.sorryActive } }
        : {}),
      reals: s.reals.map((r) => ({
        addr: r.rs.dest.addr,
        port: r.rs.dest.port,
        up: r.alive,
        since: r.since,
        weight: effectiveWeight(r),
        configuredWeight: r.rs.dest.weight,
        message: r.message,
        checkers: r.checkers.map((c) => ({
          type: c.cfg.type,
          up: c.state.up,
          since: c.state.since,
          ...(c.last ? { last: c.last } : {}),
          nextAt: c.state.nextAt,
        })),
      })),
    })),
  };
}

/** Builds the availability view from the accounts the runner keeps (`svc` and `svc rsId` keys). */
export function availabilityView(
  services: readonly ServiceMonitor[],
  accounts: ReadonlyMap<string, AvailabilityAccount>,
  now: number,
): AvailabilityView {
  const row = (key: string, subject: string): AvailabilityRow => {
    const acc = accounts.get(key);
    const stats = acc ? acc.stats(now) : availabilityOfNothing();
    return { subject, ...stats };
  };
  return {
    now,
    services: services.map((s) => ({
      service: row(s.svc.id, s.svc.id),
      reals: s.reals.map((r) => row(`${s.svc.id} ${r.id}`, hostPort(r.rs.dest.addr, r.rs.dest.port))),
    })),
  };
}

function availabilityOfNothing(): AvailabilityStats {
  const n = Number.NaN;
  return {
    up: false,
    since: n,
    observedMs: 0,
    upMs: 0,
    downMs: 0,
    failures: 0,
    uptimePct: n,
    mtbfMs: 0,
    mttrMs: 0,
    availability: n,
  };
}

/** `addr:port` with IPv6 bracketed. */
export function hostPort(addr: string, port: number): string {
  return `${addr.includes(':') ? `[${addr}]` : addr}:${port}`;
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : '-';
}

/** Compact duration: `250ms`, `12s`, `5m3s`, `2h0m`, `3d4h`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${m % 60}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}

/** Text for `lvsadm --health` (format in the file header). */
export function formatHealth(v: HealthView): string {
  const out: string[] = [];
  for (const s of v.services) {
    const hyst = s.hysteresis > 0 ? `, hysteresis ${s.hysteresis}` : '';
    let head = `${s.id}  quorum ${s.quorumUp ? 'up' : 'down'} since ${iso(s.since)}  alive weight ${s.weightSum}, quorum ${s.quorum}${hyst}`;
    if (s.sorry) head += `  sorry ${hostPort(s.sorry.addr, s.sorry.port)}${s.sorry.active ? ' ACTIVE' : ''}`;
    out.push(head);
    for (const r of s.reals) {
      let line = `  -> ${hostPort(r.addr, r.port)}  ${r.up ? 'UP' : 'DOWN'}  since ${iso(r.since)}  weight ${r.weight}`;
      if (r.checkers.length === 0) line += '  no checker';
      for (const c of r.checkers) {
        const l = c.last;
        line += l
          ? `  ${c.type} ${l.ok ? 'ok' : 'FAIL'} ${Math.round(l.durationMs)}ms ${JSON.stringify(l.message)}`
          : `  ${c.type} -`;
      }
      out.push(line);
    }
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

function pad(cols: string[][]): string {
  const widths = cols[0]?.map((_, i) => Math.max(...cols.map((r) => (r[i] ?? '').length))) ?? [];
  return cols
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 2)))
        .join('')
        .trimEnd(),
    )
    .join('\n');
}

/** Text for `lvsadm --availability` (format in the file header). */
export function formatAvailability(v: AvailabilityView): string {
  const rows: string[][] = [['Subject', 'State', 'Uptime%', 'Failures', 'MTBF', 'MTTR', 'A']];
  const line = (r: AvailabilityRow, indent: string) =>
    rows.push([
      indent + r.subject,
      r.up ? 'UP' : 'DOWN',
      Number.isNaN(r.uptimePct) ? '-' : r.uptimePct.toFixed(3),
      String(r.failures),
      r.observedMs === 0 || r.failures === 0 ? '-' : formatDuration(r.mtbfMs),
      r.observedMs === 0 || r.failures === 0 ? '-' : formatDuration(r.mttrMs),
      Number.isNaN(r.availability) ? '-' : r.availability.toFixed(6),
    ]);
  for (const s of v.services) {
    line(s.service, '');
    for (const r of s.reals) line(r, '  ');
  }
  return `${pad(rows)}\n`;
}
