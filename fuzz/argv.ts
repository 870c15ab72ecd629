/**
 * lvsadm argument vectors against the real ipvsadm 1.31 under the fake-ipvs.so shim
 * (test/fixtures/ipvsadm/oracle): argv from the recorded cases, mutated by tokens, and both
 * parsers' verdicts compared as the recorded-case test compares them. The rule checked: lvsadm's
 * parser never throws and never hangs. Parity is reported beside it without failing the run:
 * where ipvsadm refuses with a usage error, lvsadm should refuse with the same line and exit
 * code; where ipvsadm asks the kernel, lvsadm should build the same request (argv where `-b`
 * follows `-a`/`-e` are left out: lvsadm reads it as DPVS's FULLNAT on purpose). Needs the
 * Debian ipvsadm package and a C compiler (for the shim); without them the target reports that
 * and runs nothing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parse } from '../src/ipvsadm/parse.js';
import {
  DIVERGENCES,
  ORACLE_RESOLVER,
  type OracleCase,
  parseTrace,
  traceFields,
} from '../test/fixtures/ipvsadm/oracle/compare.js';
import { Rng } from './rng.js';
import { bump, describeThrown, Findings, type FuzzTarget, type TargetResult } from './target.js';

const ORACLE = new URL('../test/fixtures/ipvsadm/oracle/', import.meta.url);

const EXTRA = [
  '-1',
  '0',
  '65535',
  '65536',
  '4294967296',
  '1.2.3.4:99999',
  '[2001:db8::1]:80',
  '2001:db8::1',
  '',
  '--',
  '-',
  '-Z',
  '-L',
  '-n',
  '--stats',
  '--rate',
  'x'.repeat(300),
  '10.0.0.1:',
  ':80',
  '10.0.0.1:http',
  'localhost:80',
  '-s',
  'wlcc',
  'mh',
  '-b',
  'flag-1,flag-2',
  '--pe',
  'sip',
  '--tun-type',
  'gue',
  '--tun-port',
];

/** Runs the real ipvsadm on `argv`; undefined when it does not answer in 5 s. */
function oracle(argv: string[], so: string, table: string, trace: string): OracleCase | undefined {
  rmSync(trace, { force: true });
  const r = spawnSync('ipvsadm', argv, {
    env: { PATH: process.env.PATH, LD_PRELOAD: so, FAKE_IPVS: table, FAKE_IPVS_TRACE: trace },
    encoding: 'utf8',
    timeout: 5_000,
  });
  if (r.status === null) return undefined;
  let kernel = '';
  try {
    kernel = readFileSync(trace, 'utf8').trim();
  } catch {}
  return { argv, status: r.status, stdout: r.stdout, stderr: r.stderr, kernel };
}

/** Why lvsadm's verdict differs from the oracle's, or undefined when it agrees. */
function disagreement(k: OracleCase): string | undefined {
  const diverge = DIVERGENCES.get(k.argv.join(' '));
  const r = parse(k.argv, { prog: 'ipvsadm', resolver: ORACLE_RESOLVER });
  if (diverge) return undefined;
  // ipvsadm takes only the first line of a kernel trace (one setsockopt per run).
  const kernel = k.kernel.split('\n')[0] ?? '';
  if (kernel !== '') {
    if (r.kind !== 'command') return `ipvsadm asked the kernel (${kernel}); lvsadm: ${JSON.stringify(r)}`;
    const want = parseTrace(kernel);
    for (const [key, v] of Object.entries(traceFields(r.command)))
      if (want[key] !== v) return `field ${key}: ipvsadm ${want[key]}, lvsadm ${v}`;
    return undefined;
  }
  if (k.status === 2 || (k.status === 255 && !k.stderr.startsWith('Operation not supported'))) {
    if (r.kind !== 'error') return `ipvsadm refused (${k.status}: ${k.stderr.trim()}); lvsadm: ${r.kind}`;
    if (`${r.text}\n` !== k.stderr || r.exitCode !== k.status)
      return `refusals differ: ipvsadm ${k.status} "${k.stderr.trim()}", lvsadm ${r.exitCode} "${r.text}"`;
    return undefined;
  }
  if (k.status === 255) return r.kind === 'command' ? undefined : `kernel refusal vs lvsadm ${r.kind}`;
  if (r.kind === 'help' || r.kind === 'version')
    return r.text === k.stdout ? undefined : `${r.kind} text differs`;
  return ['list', 'save', 'restore'].includes(r.kind)
    ? undefined
    : `ipvsadm exit ${k.status}; lvsadm ${r.kind}`;
}

/** The argv target. */
export const argvTarget: FuzzTarget = {
  name: 'argv',
  run(o, progress): TargetResult {
    const counts: Record<string, number> = {};
    const findings = new Findings(o.maxFindings);
    const parity = new Findings(o.maxFindings);
    if (spawnSync('ipvsadm', ['--version'], { stdio: 'ignore' }).status === null) {
      return { inputs: 0, findings: [], counts: { 'skipped: no ipvsadm binary': 1, findings: 0 } };
    }
    const so = `/tmp/lvs-fuzz-ipvs-${process.pid}.so`;
    const table = `/tmp/lvs-fuzz-ipvs-${process.pid}.table`;
    const trace = `/tmp/lvs-fuzz-ipvs-${process.pid}.trace`;
    try {
      execFileSync('gcc', ['-shared', '-fPIC', '-o', so, new URL('fake-ipvs.c', ORACLE).pathname, '-ldl']);
    } catch {
      return { inputs: 0, findings: [], counts: { 'skipped: no C compiler for the shim': 1, findings: 0 } };
    }
    writeFileSync(table, '');
    const lines = readFileSync(new URL('parse-cases.txt', ORACLE), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'))
      .map((l) => l.trim().split(/\s+/));
    const tokens = [...new Set(lines.flat()), ...EXTRA];
    const rng = new Rng(o.seed);
    const enc = new TextEncoder();
    try {
      for (let i = 0; i < o.count; i++) {
        const argv = [...rng.pick(lines)];
        for (let n = 1 + rng.int(3); n > 0; n--) {
          const at = rng.int(argv.length + 1);
          const op = rng.int(4);
          if (op === 0 && argv.length > 0) argv.splice(Math.min(at, argv.length - 1), 1);
          else if (op === 1) argv.splice(at, 0, rng.pick(tokens));
          else if (op === 2 && argv.length > 0) argv[Math.min(at, argv.length - 1)] = rng.pick(tokens);
          else if (argv.length > 1) {
            const j = rng.int(argv.length);
            const k = rng.int(argv.length);
            [argv[j], argv[k]] = [argv[k] as string, argv[j] as string];
          }
        }
        progress.begin(i, enc.encode(JSON.stringify(argv)));
        const k = oracle(argv, so, table, trace);
        if (!k) {
          bump(counts, 'ipvsadm timed out');
          continue;
        }
        bump(counts, `ipvsadm exit ${k.status}`);
        try {
          const why = disagreement(k);
          if (why && fullnatSpelling(argv)) bump(counts, 'differs by design (-b as FULLNAT)');
          else if (why) parity.add(i, why, JSON.stringify(argv));
        } catch (e) {
          findings.add(i, `lvsadm's parser threw ${describeThrown(e)}`, JSON.stringify(argv));
        }
      }
    } finally {
      for (const f of [so, table, trace]) if (existsSync(f)) rmSync(f, { force: true });
    }
    counts['parity differences'] = parity.total;
    return {
      inputs: o.count,
      findings: findings.list,
      notes: parity.list,
      counts: { ...counts, findings: findings.total },
    };
  },
};

/** Whether `-b` comes after `-a`/`-e` (or their long forms): lvsadm's FULLNAT spelling. */
function fullnatSpelling(argv: readonly string[]): boolean {
  const cmd = argv.findIndex(
    (a) => a === '-a' || a === '-e' || a === '--add-server' || a === '--edit-server',
  );
  return cmd >= 0 && argv.indexOf('-b', cmd) > cmd;
}
