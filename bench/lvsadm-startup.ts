/**
 * lvsadm's start-up (`npm run bench:lvsadm`): the wall time of `lvsadm -Ln` run from a shell
 * against a running lvsd holding a small table, as an operator or a script calls it once per
 * command, both as `sh -c 'node bin/lvsadm -Ln'` and as `sh -c 'bin/lvsadm -Ln'` (the launcher's
 * own #! line, as `lvsadm` on PATH runs). Beside it, `node -e 0` (Node's own start, the floor;
 * also without NODE_EXTRA_CA_CERTS when it is set, as the launcher starts Node) and, with
 * `--base DIR`, another checkout's bin/lvsadm run from the shell (e.g. main's, for a before/after). The
 * commands take turns in every round so a shared machine's load hits them alike; medians and
 * minima of the wall time, and the mean CPU time (user + system, from the children's times in
 * /proc/self/stat) per call, which a loaded machine inflates far less than the wall time.
 * Results in bench/results/lvsadm-startup.json.
 *
 * Options: --runs N (default 20); --base DIR (a checkout with a built dist/).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { probeSocket } from '../src/daemon/control-server.js';

const { values } = parseArgs({ options: { runs: { type: 'string' }, base: { type: 'string' } } });
const runs = Number(values.runs ?? 20);
const dir = mkdtempSync(join(tmpdir(), 'bench-lvsadm-'));
const socket = join(dir, 'lvsd.sock');

/** Clock ticks of CPU used by this process's waited-for children so far (proc(5) cutime + cstime). */
function childTicks(): number {
  const f = readFileSync('/proc/self/stat', 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 (cutime, cstime), counted from 1 with pid and comm as 1 and 2.
  return Number(rest[13]) + Number(rest[14]);
}
const TICK_MS = 10; // sysconf(_SC_CLK_TCK) is 100 on Linux

const lvsd = spawn(
  process.execPath,
  ['bin/lvsd', '--socket', socket, '--dataplane', 'none', '--log-level', 'warn'],
  {
    stdio: 'ignore',
  },
);
try {
  const end = Date.now() + 20_000;
  while (!(await probeSocket(socket, 200))) {
    if (Date.now() > end) throw new Error('lvsd did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const a of [
    '-A -t 192.0.2.10:80 -s rr',
    '-a -t 192.0.2.10:80 -r 198.51.100.2:80 -m',
    '-a -t 192.0.2.10:80 -r 198.51.100.3:80 -m',
  ]) {
    const r = spawnSync(process.execPath, ['bin/lvsadm', '--socket', socket, ...a.split(' ')]);
    if (r.status !== 0) throw new Error(`lvsadm ${a}: ${r.stderr}`);
  }
  // Node 20 loads NODE_EXTRA_CA_CERTS before any script runs (bin/lvsadm); where it is set, Node's
  // start without it is the floor of bin/lvsadm run from the shell, which drops it.
  const extraCa = process.env.NODE_EXTRA_CA_CERTS;
  const cmds: Record<string, string> = {
    'node -e 0': `${process.execPath} -e 0`,
    ...(extraCa
      ? { 'node -e 0, no NODE_EXTRA_CA_CERTS': `env -u NODE_EXTRA_CA_CERTS ${process.execPath} -e 0` }
      : {}),
    'node bin/lvsadm -Ln': `${process.execPath} bin/lvsadm --socket ${socket} -Ln`,
    // As `lvsadm -Ln` on PATH runs: the kernel runs the launcher's #! line (node found on PATH).
    'bin/lvsadm -Ln (from the shell)': `PATH=${dirname(process.execPath)}:$PATH bin/lvsadm --socket ${socket} -Ln`,
  };
  if (values.base) {
    cmds[`${values.base}/bin/lvsadm -Ln (from the shell)`] =
      `PATH=${dirname(process.execPath)}:$PATH ${resolve(values.base, 'bin/lvsadm')} --socket ${socket} -Ln`;
  }
  const wall: Record<string, number[]> = {};
  const cpu: Record<string, number> = {};
  const load0 = loadavg()[0] ?? 0;
  for (let i = 0; i < runs; i++) {
    for (const [name, cmd] of Object.entries(cmds)) {
      const t0 = childTicks();
      const s = process.hrtime.bigint();
      const r = spawnSync('sh', ['-c', cmd], { stdio: ['ignore', 'ignore', 'pipe'] });
      const ms = Number(process.hrtime.bigint() - s) / 1e6;
      if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
      (wall[name] ??= []).push(ms);
      cpu[name] = (cpu[name] ?? 0) + (childTicks() - t0) * TICK_MS;
    }
  }
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] ?? Number.NaN;
  const rows = Object.keys(cmds).map((name) => ({
    command: name,
    wallMedianMs: Math.round(median(wall[name] ?? [])),
    wallMinMs: Math.round(Math.min(...(wall[name] ?? []))),
    cpuMeanMs: Math.round((cpu[name] ?? 0) / runs),
  }));
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    nodeExtraCaCerts: extraCa ?? null,
    cpus: cpus().length,
    loadavg1: { before: load0, after: loadavg()[0] ?? 0 },
    runs,
    rows,
  };
  for (const r of rows) {
    console.log(
      `${r.command.padEnd(48)} wall median ${String(r.wallMedianMs).padStart(4)} ms  min ${String(r.wallMinMs).padStart(4)} ms  cpu ${String(r.cpuMeanMs).padStart(4)} ms`,
    );
  }
  console.log(
    `load average ${result.loadavg1.before.toFixed(1)} -> ${result.loadavg1.after.toFixed(1)} on ${result.cpus} CPUs`,
  );
  writeFileSync('bench/results/lvsadm-startup.json', `${JSON.stringify(result, null, 2)}\n`);
} finally {
  lvsd.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
