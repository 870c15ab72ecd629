/**
 * Health and availability families from the views `lvsadm --health` and `--availability` show
 * (src/health/views.ts): each real server's state and last check, each service's quorum, and
 * MTBF, MTTR and availability (MTBF / (MTBF + MTTR)). HAProxy's exporter shows the same things as
 * haproxy_server_status, _check_status and _downtime_seconds_total (addons/promex).
 *
 * The families' names and help are declared here; /metrics writes them through health-writer.ts
 * (a kept body). The writers below render them line by line as strings: the reference that
 * writer's output is checked against, and the benchmark's baseline.
 */
import type { AvailabilityRow, AvailabilityView, HealthView } from '../../control/health-views.js';
import { type Exposition, escapeLabel } from './exposition.js';

/** `addr:port`, IPv6 bracketed, as lvsadm writes a real server. */
export function rsText(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** A family's name, type and help. */
interface Fam {
  readonly name: string;
  readonly type: 'gauge' | 'counter';
  readonly help: string;
}

/** The health families, in order: per service, per real server, per checker (two). */
export const HEALTH_FAMILIES: readonly Fam[] = [
  {
    name: 'lvs_service_quorum_up',
    type: 'gauge',
    help: 'Whether the virtual service has its quorum of alive weight (1) or not (0).',
  },
  { name: 'lvs_real_server_up', type: 'gauge', help: 'Health state of the real server: 1 UP, 0 DOWN.' },
  {
    name: 'lvs_real_server_check_success',
    type: 'gauge',
    help: "Result of the checker's last check: 1 passed, 0 failed.",
  },
  {
    name: 'lvs_real_server_check_duration_seconds',
    type: 'gauge',
    help: "Duration of the checker's last check.",
  },
];

const sec = (ms: number) => ms / 1000;

/** The availability families, each written for services (lvs_service_) and real servers. */
export const AVAILABILITY_FAMILIES: readonly {
  readonly stem: string;
  readonly type: 'gauge' | 'counter';
  readonly help: string;
  readonly value: (r: AvailabilityRow) => number;
}[] = [
  {
    stem: 'failures_total',
    type: 'counter',
    help: 'Transitions from UP to DOWN since observed',
    value: (r) => r.failures,
  },
  { stem: 'up_seconds_total', type: 'counter', help: 'Time observed UP', value: (r) => sec(r.upMs) },
  { stem: 'down_seconds_total', type: 'counter', help: 'Time observed DOWN', value: (r) => sec(r.downMs) },
  {
    stem: 'mtbf_seconds',
    type: 'gauge',
    help: 'Mean time between failures (NaN before a failure)',
    value: (r) => sec(r.mtbfMs),
  },
  {
    stem: 'mttr_seconds',
    type: 'gauge',
    help: 'Mean time to repair (NaN before a repair)',
    value: (r) => sec(r.mttrMs),
  },
  {
    stem: 'availability_ratio',
    type: 'gauge',
    help: 'Availability MTBF / (MTBF + MTTR), 0..1',
    value: (r) => r.availability,
  },
];

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
  const [quorum, up, success, duration] = HEALTH_FAMILIES as [Fam, Fam, Fam, Fam];
  const bit = (b: boolean) => (b ? 1 : 0);
  out.series(
    quorum.name,
    quorum.type,
    quorum.help,
    services,
    (r) => r.labels,
    (r) => bit(r.up),
  );
  out.series(
    up.name,
    up.type,
    up.help,
    reals,
    (r) => r.labels,
    (r) => bit(r.up),
  );
  out.series(
    success.name,
    success.type,
    success.help,
    checks,
    (r) => r.labels,
    (r) => bit(r.ok),
  );
  out.series(
    duration.name,
    duration.type,
    duration.help,
    checks,
    (r) => r.labels,
    (r) => r.durationMs / 1000,
  );
}

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
  ] as const)
    for (const f of AVAILABILITY_FAMILIES)
      out.series(
        `${prefix}_${f.stem}`,
        f.type,
        `${f.help} of the ${what}.`,
        rows,
        (x) => x.labels,
        (x) => f.value(x.r),
      );
}
