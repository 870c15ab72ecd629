/**
 * lvsd's start-up sysctls: read the sysctl files (`--sysctl-files`), add `--sysctl`, plan them
 * (config/sysctl-plan.ts) and log what came from where, so a host's existing IPVS tuning carries
 * over and the operator can see that it did. main.ts applies the plan's commands through `apply`
 * before the table, the health checks or the sync daemons start.
 */
import type { Logger } from 'pino';
import { originText, type SysctlFinding } from '../config/sysctl-conf.js';
import { planSysctls, type SysctlPlan } from '../config/sysctl-plan.js';
import type { LvsdOptions } from './options.js';
import { readSysctlFiles, type SysctlFs } from './sysctl-files.js';

/** The plan and the files it was read from. */
export interface StartupSysctls {
  readonly plan: SysctlPlan;
  /** Files read in order; empty with `--sysctl-files none`. */
  readonly files: readonly string[];
  readonly skipped: boolean;
}

/** Reads and plans the start-up sysctls of `o`. Never throws. */
export function startupSysctls(
  o: Pick<LvsdOptions, 'sysctls' | 'sysctlFiles'>,
  fs?: SysctlFs,
): StartupSysctls {
  const skipped = o.sysctlFiles === 'none';
  const read = skipped
    ? { files: [], assignments: [], findings: [] }
    : readSysctlFiles(o.sysctlFiles === undefined ? undefined : (o.sysctlFiles as readonly string[]), fs);
  const plan = planSysctls(read.assignments, o.sysctls ?? []);
  // In reading order: by file (unreadable paths first), then line.
  const rank = (f: SysctlFinding) =>
    'file' in f.origin ? [read.files.indexOf(f.origin.file), f.origin.line] : [Number.MAX_SAFE_INTEGER, 0];
  const findings = [...read.findings, ...plan.findings].sort((a, b) => {
    const [fa = 0, la = 0] = rank(a);
    const [fb = 0, lb = 0] = rank(b);
    return fa - fb || la - lb;
  });
  return { plan: { ...plan, findings }, files: read.files, skipped };
}

/** Logs each finding at its level with file:line, then one info line: every setting and its origin. */
export function logStartupSysctls(log: Logger, s: StartupSysctls): void {
  for (const f of s.plan.findings) {
    const where = originText(f.origin);
    log[f.level]({ at: where, code: f.code }, `sysctl: ${where}: ${f.message}`);
  }
  const read = s.skipped ? '--sysctl-files none' : `${s.files.length} sysctl files read`;
  const sources = s.plan.sources;
  const list = sources.map((x) => `${x.name}=${x.value.replace('\t', ' ')} from ${x.from}`).join(', ');
  const msg =
    sources.length === 0
      ? `sysctls: kernel defaults, no net.ipv4.vs settings (${read})`
      : `sysctls: ${list} (${read}; others at kernel defaults)`;
  log.info({ sysctls: sources, files: s.files }, msg);
  if (s.plan.notHonoured.length > 0) {
    log.warn(
      { sysctls: s.plan.notHonoured },
      `sysctl: ${s.plan.notHonoured.join(', ')} stored but not acted on by lvsd's data planes yet`,
    );
  }
}
