/**
 * Health and availability families from the views `lvsadm --health` and `--availability` show
 * (src/health/views.ts): each real server's state and last check, each service's quorum, and
 * MTBF, MTTR and availability (MTBF / (MTBF + MTTR)). HAProxy's exporter shows the same things as
 * haproxy_server_status, _check_status and _downtime_seconds_total (addons/promex).
 */
import type { AvailabilityRow, AvailabilityView, HealthView } from '../../control/health-views.js';
import { type Exposition, escapeLabel } from './exposition.js';

/** `addr:port`, IPv6 bracketed, as lvsadm writes a real server. */
function rsText(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** Writes lvs_real_server_up, the last check's result and duration, and lvs_service_quorum_up. */
export function writeHealthFamilies(out: Exposition, h: HealthView): void {
  const reals: { labels: string; up: boolean }[] = [];
  const checks: { labels: string; ok: boolean; durationMs: number }[] = [];
  const services: { labels: string; up: boolean }[] = [];
  for (const s of h.services) {
    const svc = `service="${escapeLabel(s.id)}"`;
    services.push({ labels: `{${svc}}`, up: s.quorumUp });
    for (const r of s.reals) {
      const rl = `${svc},real_server="${escapeLabel(rsText(r.addr, r.port))}"`;
      reals.push({ labels: `{${rl}}`, up: r.up });
      r.checkers.forEach((c, i) => {
        if (c.last)
          checks.push({
            labels: `{${rl},checker="${escapeLabel(c.type)}",index="${i}"}`,
            ok: c.last.ok,
            durationMs: c.last.durationMs,
          });
      });
    }
  }
  out.series(
    'lvs_service_quorum_up',
    'gauge',
    'Whether the virtual service has its quorum of alive weight (1) or not (0).',
    services,
    (r) => r.labels,
    (r) => (r.up ? 1 : 0),
  );
  out.series(
    'lvs_real_server_up',
    'gauge',
    'Health state of the real server: 1 UP, 0 DOWN.',
    reals,
    (r) => r.labels,
    (r) => (r.up ? 1 : 0),
  );
  out.series(
    'lvs_real_server_check_success',
    'gauge',
    "Result of the checker's last check: 1 passed, 0 failed.",
    checks,
    (r) => r.labels,
    (r) => (r.ok ? 1 : 0),
  );
  out.series(
    'lvs_real_server_check_duration_seconds',
    'gauge',
    "Duration of the checker's last check.",
    checks,
    (r) => r.labels,
    (r) => r.durationMs / 1000,
  );
}

const sec = (ms: number) => ms / 1000;

/** Writes MTBF, MTTR, availability, failures and time up and down of services and real servers. */
export function writeAvailabilityFamilies(out: Exposition, a: AvailabilityView): void {
  const services: { labels: string; r: AvailabilityRow }[] = [];
  const reals: { labels: string; r: AvailabilityRow }[] = [];
  for (const s of a.services) {
    const svc = `service="${escapeLabel(s.service.subject)}"`;
    services.push({ labels: `{${svc}}`, r: s.service });
    for (const r of s.reals) reals.push({ labels: `{${svc},real_server="${escapeLabel(r.subject)}"}`, r });
  }
  for (const [prefix, rows, what] of [
    ['lvs_service', services, 'virtual service (quorum)'],
    ['lvs_real_server', reals, 'real server'],
  ] as const) {
    const g = (stem: string, type: 'gauge' | 'counter', help: string, v: (r: AvailabilityRow) => number) =>
      out.series(
        `${prefix}_${stem}`,
        type,
        `${help} of the ${what}.`,
        rows,
        (x) => x.labels,
        (x) => v(x.r),
      );
    g('failures_total', 'counter', 'Transitions from UP to DOWN since observed', (r) => r.failures);
    g('up_seconds_total', 'counter', 'Time observed UP', (r) => sec(r.upMs));
    g('down_seconds_total', 'counter', 'Time observed DOWN', (r) => sec(r.downMs));
    g('mtbf_seconds', 'gauge', 'Mean time between failures (NaN before a failure)', (r) => sec(r.mtbfMs));
    g('mttr_seconds', 'gauge', 'Mean time to repair (NaN before a repair)', (r) => sec(r.mttrMs));
    g('availability_ratio', 'gauge', 'Availability MTBF / (MTBF + MTTR), 0..1', (r) => r.availability);
  }
}
