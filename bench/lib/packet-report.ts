/**
 * Pure reporting for the packet benchmark: medians, wrk output parsing, the three
 * targets judged from measured medians (met / missed / not measured, never assumed), and the
 * text table printed at the end.
 */

/** Median of the finite values; NaN when there are none. */
export function median(xs: readonly number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const m = v.length >> 1;
  return v.length & 1 ? (v[m] as number) : ((v[m - 1] as number) + (v[m] as number)) / 2;
}

/** What one wrk run reported. */
export interface WrkSummary {
  rps: number;
  /** Connect/write/timeout socket errors plus non-2xx answers. */
  errors: number;
}

/** Reads requests/s and errors from wrk's text output (0 rps when the line is missing). */
export function parseWrk(stdout: string): WrkSummary {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0);
  const e = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const sockErr = e ? Number(e[1]) + Number(e[3]) + Number(e[4]) : 0;
  return { rps, errors: sockErr + non2xx };
}

/** Director setups measured for packets/s. */
export type PpsCase = 'lvsd-dr' | 'lvsd-nat' | 'lvsd-dr-xdp' | 'lvsd-nat-xdp' | 'kernel-dr' | 'kernel-nat';
/** Director setups measured for HTTP requests/s. */
export type HttpCase = 'lvsd-dr' | 'lvsd-nat' | 'haproxy';

/** Medians per case (NaN or absent = not measured or failed). */
export interface Medians {
  pps: Partial<Record<PpsCase, number>>;
  /** Packets the generator offered per second in the same runs. */
  offered: Partial<Record<PpsCase, number>>;
  /**
   * Forwarded pps divided by the busy fraction of the director's CPU: what one fully busy
   * director core forwards. It stays meaningful when the generator, not the director, set the
   * rate; anything else running on that CPU only lowers it.
   */
  perCore: Partial<Record<PpsCase, number>>;
  rps: Partial<Record<HttpCase, number>>;
  /**
   * Director-core CPU time per forwarded packet, in µs, from CPU accounting: the lvsd process's
   * own user+system time plus the softirq time of the director's CPU (its receive path, steered
   * there by RPS); for the kernel director the softirq time alone. Unlike `perCore` it does not
   * charge other processes sharing the core, so 1e6 / costUs estimates what a dedicated core
   * would forward. Softirq work of other namespaces on that CPU still inflates it.
   */
  costUs?: Partial<Record<PpsCase, number>>;
  /** Director cores used for the pps runs (1 when pinned). */
  directorCores: number;
  /** Sweeps: what the generator offered unpaced (its ceiling against this director). */
  peakOffered?: Partial<Record<PpsCase, number>>;
  /** Sweeps: the most forwarded at any point of a run (overloaded points included). */
  peakForwarded?: Partial<Record<PpsCase, number>>;
  /**
   * Sweeps: 'generator' when the director forwarded the unpaced probe (≥ 95%) in most runs, so
   * its real ceiling is above the figure; 'director' otherwise.
   */
  limitedBy?: Partial<Record<PpsCase, 'generator' | 'director'>>;
}

/** Outcome of one target. */
export type Verdict = 'met' | 'missed' | 'not measured';

/** One target with the numbers it was judged on. */
export interface TargetResult {
  name: string;
  verdict: Verdict;
  detail: string;
}

const ok = (x: number | undefined): x is number => x !== undefined && Number.isFinite(x) && x > 0;
const fmt = (x: number | undefined, digits = 0) =>
  ok(x) ? x.toLocaleString('en-US', { maximumFractionDigits: digits }) : 'n/a';

/**
 * True when the generator, not the director, set the rate, so the director's real capacity is
 * at least the measured figure: from a sweep's unpaced probe when there was one (`limitedBy`),
 * else when the case forwarded at least 90% of what was offered.
 */
export function generatorBound(m: Medians, c: PpsCase): boolean {
  const by = m.limitedBy?.[c];
  if (by) return by === 'generator';
  const f = m.pps[c];
  const o = m.offered[c];
  return ok(f) && ok(o) && f >= 0.9 * o;
}

/** Per-core pps of a case: the CPU-normalised figure, else forwarded pps over the cores. */
export function perCore(m: Medians, c: PpsCase): number {
  const p = m.perCore[c];
  if (ok(p)) return p;
  const f = m.pps[c];
  return ok(f) ? f / Math.max(1, m.directorCores) : Number.NaN;
}

/** Packets/s one dedicated director core would forward by CPU accounting (1e6 / costUs). */
export function perCoreByCost(m: Medians, c: PpsCase): number {
  const u = m.costUs?.[c];
  return ok(u) ? 1e6 / u : Number.NaN;
}

/** lvsd / kernel for the same job, or NaN when either side is missing. */
export function ratio(a: number | undefined, b: number | undefined): number {
  return ok(a) && ok(b) ? a / b : Number.NaN;
}

/** lvsd against the kernel for one job, by three measures, and the one the target is judged on. */
export interface KernelRatio {
  /** Forwarded pps (at each side's chosen point: max rate forwarded ≥ 95% in a sweep). */
  pps: number;
  /** pps per core by CPU accounting (10⁶ / µs of director CPU per packet); shown, not judged. */
  cpu: number;
  /** Forwarded pps per busy fraction of the director CPU. */
  busy: number;
  judged: number;
  basis: string;
}

/**
 * Ratio lvsd / kernel for one job. Judged on forwarded pps when the kernel set its own limit.
 * When the generator limited the kernel, its forwarded pps is only a floor of its capacity, so
 * the kernel's capacity is estimated as that floor scaled to a full core by its busy fraction
 * (pps per busy core; its cost per packet only falls with load, so this rather underestimates
 * it), and lvsd's forwarded pps is judged against the larger of the two. `pps` (against the
 * floor) is then an upper bound; `cpu` compares the CPU cost per packet of both at their judged
 * points and is shown, not judged (lvsd's cost does not say it can use the whole core loss-free).
 */
export function kernelRatio(m: Medians, l: PpsCase, k: PpsCase): KernelRatio {
  const pps = ratio(m.pps[l], m.pps[k]);
  const cpu = ratio(perCoreByCost(m, l), perCoreByCost(m, k));
  const busy = ratio(perCore(m, l), perCore(m, k));
  const kBusy = m.perCore[k];
  if (!generatorBound(m, k) || !ok(kBusy) || !ok(m.pps[k]) || kBusy <= m.pps[k])
    return { pps, cpu, busy, judged: pps, basis: 'forwarded pps' };
  return {
    pps,
    cpu,
    busy,
    judged: ratio(m.pps[l], kBusy),
    basis: `forwarded pps against the kernel's ${fmt(m.pps[k])} scaled to a full core (${fmt(kBusy)}; kernel generator-bound)`,
  };
}

/**
 * The targets: DR ≥ 1 Mpps per director core; lvsd ≥ 0.5× the kernel doing the same
 * job (NAT against nftables DNAT, DR against netdev fwd, each judged separately); DR requests/s
 * ≥ HAProxy's.
 */
export function judgeTargets(m: Medians): TargetResult[] {
  const out: TargetResult[] = [];
  for (const [c, path] of [
    ['lvsd-dr', 'AF_PACKET'],
    ['lvsd-dr-xdp', 'AF_XDP'],
  ] as const) {
    const drPerCore = perCore(m, c);
    out.push({
      name: `DR (${path}) >= 1 Mpps per director core`,
      verdict: ok(drPerCore) ? (drPerCore >= 1e6 ? 'met' : 'missed') : 'not measured',
      detail: `${fmt(drPerCore)} pps per busy director core (${fmt(m.pps[c])} pps forwarded; ${fmt(perCoreByCost(m, c))} pps per core by CPU accounting)`,
    });
  }
  for (const [l, k, job] of [
    ['lvsd-nat', 'kernel-nat', 'NAT (AF_PACKET) vs nftables DNAT'],
    ['lvsd-nat-xdp', 'kernel-nat', 'NAT (AF_XDP) vs nftables DNAT'],
    ['lvsd-dr', 'kernel-dr', 'DR (AF_PACKET) vs nftables netdev fwd'],
    ['lvsd-dr-xdp', 'kernel-dr', 'DR (AF_XDP) vs nftables netdev fwd'],
  ] as const) {
    const v = kernelRatio(m, l, k);
    const notes = [
      Number.isFinite(v.pps) ? `forwarded ${v.pps.toFixed(2)}x` : '',
      Number.isFinite(v.cpu) ? `per core by CPU ${v.cpu.toFixed(2)}x` : '',
      Number.isFinite(v.busy) ? `per busy core ${v.busy.toFixed(2)}x` : '',
      generatorBound(m, l) ? 'lvsd generator-bound' : '',
      generatorBound(m, k) ? 'kernel generator-bound' : '',
    ].filter(Boolean);
    out.push({
      name: `${job} >= 0.5x kernel pps`,
      verdict: Number.isFinite(v.judged) ? (v.judged >= 0.5 ? 'met' : 'missed') : 'not measured',
      detail: `${v.judged.toFixed(2)}x judged on ${v.basis} (${notes.join('; ')})`,
    });
  }
  const h = ratio(m.rps['lvsd-dr'], m.rps.haproxy);
  out.push({
    name: 'DR requests/s >= HAProxy',
    verdict: Number.isFinite(h) ? (h >= 1 ? 'met' : 'missed') : 'not measured',
    detail: `${fmt(m.rps['lvsd-dr'])} / ${fmt(m.rps.haproxy)} = ${Number.isFinite(h) ? h.toFixed(2) : 'n/a'}x`,
  });
  return out;
}

/** Renders rows as a fixed-width text table (first column left-aligned, the rest right). */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(w[i] ?? 0) : c.padStart(w[i] ?? 0))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

/** The full text report: pps table, HTTP table, targets. */
export function formatReport(m: Medians, runs: number, secs: number): string {
  const pps: PpsCase[] = ['lvsd-dr', 'lvsd-dr-xdp', 'lvsd-nat', 'lvsd-nat-xdp', 'kernel-dr', 'kernel-nat'];
  const kernelOf: Record<PpsCase, PpsCase> = {
    'lvsd-dr': 'kernel-dr',
    'lvsd-nat': 'kernel-nat',
    'lvsd-dr-xdp': 'kernel-dr',
    'lvsd-nat-xdp': 'kernel-nat',
    'kernel-dr': 'kernel-dr',
    'kernel-nat': 'kernel-nat',
  };
  const x = (r: number) => (Number.isFinite(r) ? `${r.toFixed(2)}x` : '');
  const ppsRows = pps.map((c) => {
    const v = kernelRatio(m, c, kernelOf[c]);
    const lvsd = c.startsWith('lvsd');
    return [
      c,
      fmt(m.peakOffered?.[c]),
      fmt(m.peakForwarded?.[c]),
      fmt(m.offered[c]),
      fmt(m.pps[c]),
      lvsd ? x(v.judged) : '',
      fmt(m.costUs?.[c], 2),
      fmt(perCoreByCost(m, c)),
      lvsd ? x(v.cpu) : '',
      fmt(perCore(m, c)),
      ok(m.pps[c]) ? (generatorBound(m, c) ? 'generator' : 'director') : '',
    ];
  });
  const http: HttpCase[] = ['lvsd-dr', 'lvsd-nat', 'haproxy'];
  const httpRows = http.map((c) => {
    const r = ratio(m.rps[c], m.rps.haproxy);
    return [c, fmt(m.rps[c]), c !== 'haproxy' && Number.isFinite(r) ? `${r.toFixed(2)}x` : ''];
  });
  const t = judgeTargets(m)
    .map((x) => `  [${x.verdict}] ${x.name}: ${x.detail}`)
    .join('\n');
  return [
    `64-byte UDP forwarding, medians of ${runs} runs (received at the real servers); "at" columns: the`,
    'highest offered rate forwarded >= 95% in each run (sweeps), else the unpaced run',
    table(
      [
        'director',
        'unpaced offered',
        'peak fwd',
        'at: offered',
        'at: forwarded',
        'vs kernel',
        'µs CPU/pkt',
        'pps/core (CPU)',
        'vs kernel (CPU)',
        'pps/busy core',
        'limited by',
      ],
      ppsRows,
    ),
    '',
    `HTTP through the VIP (wrk keep-alive), medians of ${runs} runs x ${secs} s`,
    table(['director', 'requests/s', 'vs HAProxy'], httpRows),
    '',
    'Targets:',
    t,
    '',
  ].join('\n');
}
