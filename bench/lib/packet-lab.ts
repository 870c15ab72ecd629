/**
 * Namespace-side helpers of the packet benchmark: tools check (apt-get installs what is missing,
 * since fresh machines lack the peers), CPU pinning and RPS steering so "the director" is one
 * core, interface counters read from /proc/PID/net/dev (no process spawned per sample), ARP
 * resolution of the VIP from the client, and nginx/HAProxy started with temporary configs inside
 * the lab namespaces. Everything started here is a child of the bench or lives in a lab
 * namespace, so lab teardown (labDown) ends it.
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run as lvsadm, processEnv } from '../../src/programs/lvsadm/main.js';
import { type LabHost, type LabMode, labNamespace, labPlan } from '../../src/tools/lab/plan.js';
import { labExec, labSpawn } from '../../src/tools/lab/topology.js';

/** Binary → Debian package providing it. */
const TOOLS: Record<string, string> = {
  nft: 'nftables',
  haproxy: 'haproxy',
  wrk: 'wrk',
  nginx: 'nginx-light',
  taskset: 'util-linux',
  ethtool: 'ethtool',
  ping: 'iputils-ping',
  curl: 'curl',
};

function has(bin: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).status === 0;
}

/** Installs (apt-get) the peers and tools the benchmark needs when any is missing. */
export function ensureTools(log: (s: string) => void): void {
  const missing = Object.entries(TOOLS).filter(([bin]) => !has(bin));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map(([, p]) => p))];
  log(`installing ${pkgs.join(' ')} with apt-get\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], {
    stdio: 'inherit',
    env,
  });
  const still = missing.filter(([bin]) => !has(bin)).map(([b]) => b);
  if (r.status !== 0 || still.length) throw new Error(`missing tools after apt-get: ${still.join(' ')}`);
}

/** Versions of the peers, for the results file. */
export function toolVersions(): Record<string, string> {
  const first = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] ?? '';
  };
  return {
    nft: first('nft', ['--version']),
    haproxy: first('haproxy', ['-v']),
    nginx: first('nginx', ['-v']),
    wrk: first('wrk', ['-v']),
  };
}

/** Runs argv in a lab namespace and throws with its stderr when it fails. */
export function nsRun(mode: LabMode, host: LabHost, argv: readonly string[]): string {
  const r = labExec(mode, host, argv);
  if (r.status !== 0) throw new Error(`${host}: ${argv.join(' ')}: ${r.stderr.trim() || r.status}`);
  return r.stdout;
}

/**
 * Gives the director process its core: every thread pinned to `cpu` (taskset -a) and reniced
 * to -19, so on a shared machine other processes cannot take the core from it (the kernel
 * baseline's softirq work already runs ahead of any process). False when pinning failed.
 */
export function dedicate(pid: number, cpu: number): boolean {
  const pinned = spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    /* exited */
  }
  for (const t of tids) spawnSync('renice', ['-n', '-19', '-p', t], { stdio: 'ignore' });
  return pinned.status === 0;
}

/**
 * Steers the receive processing of `ifname` in `host` to `cpu` with RPS, so the director's
 * kernel work (AF_PACKET delivery for lvsd, netfilter forwarding for the kernel baseline) is
 * charged to the director's core and not to the generator's.
 */
export function steerRx(mode: LabMode, host: LabHost, ifname: string, cpu: number): boolean {
  const mask = (1 << cpu).toString(16);
  const r = labExec(mode, host, ['sh', '-c', `echo ${mask} > /sys/class/net/${ifname}/queues/rx-0/rps_cpus`]);
  return r.status === 0;
}

/** Turns off br_netfilter's iptables/arptables calls on the lab switch (a per-namespace sysctl). */
export function quietBridge(mode: LabMode): void {
  const keys = ['iptables', 'ip6tables', 'arptables'].map((k) => `net.bridge.bridge-nf-call-${k}=0`);
  labExec(mode, 'sw', ['sysctl', '-q', '-w', ...keys]);
}

/** rx/tx packet counters of `ifname` in the namespace of process `pid` (/proc/PID/net/dev). */
export function ifCounters(pid: number, ifname: string): { rx: number; rxDrop: number; tx: number } {
  const text = readFileSync(`/proc/${pid}/net/dev`, 'utf8');
  for (const line of text.split('\n')) {
    const [name, rest] = line.split(':');
    if (name?.trim() !== ifname || rest === undefined) continue;
    const f = rest.trim().split(/\s+/).map(Number);
    return { rx: f[1] ?? 0, rxDrop: f[3] ?? 0, tx: f[9] ?? 0 };
  }
  throw new Error(`no interface ${ifname} in the namespace of pid ${pid}`);
}

/**
 * Busy and total jiffies of one CPU from /proc/stat (busy = user+nice+system+irq+softirq;
 * idle, iowait and steal are not the director's work).
 */
export function cpuJiffies(cpu: number): { busy: number; total: number; softirq: number } {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${cpu} `));
  const f = (line ?? '').trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  return {
    busy: user + nice + system + irq + softirq,
    softirq,
    total: user + nice + system + idle + iowait + irq + softirq + steal,
  };
}

/** Frames `cpu`'s input backlog has dropped since boot (/proc/net/softnet_stat, 2nd column). */
export function backlogDrops(cpu: number): number {
  const line = readFileSync('/proc/net/softnet_stat', 'utf8').split('\n')[cpu] ?? '';
  return Number.parseInt(line.trim().split(/\s+/)[1] ?? '0', 16) || 0;
}

/** CPU jiffies (user + system, all threads) a process has used, from /proc/PID/stat; 0 when gone. */
export function procJiffies(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    // Fields after the ")" of the command name: state is [0], utime [11], stime [12].
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return Number(f[11] ?? 0) + Number(f[12] ?? 0);
  } catch {
    return 0;
  }
}

/** A long-lived process inside a namespace whose pid anchors /proc/PID/net/dev reads. */
export function anchor(mode: LabMode, host: LabHost): ChildProcess {
  return labSpawn(mode, host, ['sleep', '3600']);
}

/** MAC address of `ifname` inside a namespace. */
export function macOf(mode: LabMode, host: LabHost, ifname: string): string {
  return nsRun(mode, host, ['cat', `/sys/class/net/${ifname}/address`]).trim();
}

/** Makes the client's kernel ARP for `ip` and returns the answer's MAC (who owns the VIP). */
export function resolveNeighbour(mode: LabMode, ip: string, ifname = 'eth0'): string {
  for (let i = 0; i < 20; i++) {
    labExec(mode, 'client', ['ping', '-c', '1', '-W', '0.3', ip], 5000);
    const out = labExec(mode, 'client', ['ip', '-j', 'neigh', 'show', ip, 'dev', ifname]).stdout;
    const n = (JSON.parse(out || '[]') as { lladdr?: string; state?: string[] }[])[0];
    if (n?.lladdr && !n.state?.includes('FAILED') && !n.state?.includes('INCOMPLETE')) return n.lladdr;
  }
  throw new Error(`the client got no ARP answer for ${ip}`);
}

/** Drops (and so counts at the interface) benchmark UDP at the real server's ingress: the
 * real servers then spend nothing on it, so only the director's work limits the rate. */
export function sinkUdp(mode: LabMode, host: LabHost, port: number): void {
  const nft = `table netdev bench {\n chain in {\n  type filter hook ingress device eth0 priority 0;\n  udp dport ${port} drop\n }\n}\n`;
  nsRun(mode, host, ['sh', '-c', `printf '%s' '${nft}' | nft -f -`]);
}

/**
 * Waits until lvsd's own ingress bypass (`--ingress-bypass`) drops UDP to vip:port on the
 * director's `ifname`, so a measurement never starts before the table caught up with lvsadm.
 */
export async function waitBypass(mode: LabMode, ifname: string, vip: string, port: number): Promise<void> {
  const want = `${vip} . udp . ${port}`;
  for (let i = 0; i < 100; i++) {
    const r = labExec(mode, 'director', ['nft', 'list', 'table', 'netdev', `lvsd_bypass_${ifname}`]);
    if (r.status === 0 && r.stdout.includes(want)) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`lvsd installed no ingress bypass for ${want} on ${ifname} (see the lab's lvsd.log)`);
}

/** Runs lvsadm against the lab's lvsd; throws with its output when it fails. */
export async function lvsadmAt(socket: string, argv: readonly string[]): Promise<void> {
  let out = '';
  const code = await lvsadm(['--socket', socket, ...argv], {
    ...processEnv(),
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      out += t;
    },
  });
  if (code !== 0) throw new Error(`lvsadm ${argv.join(' ')}: exit ${code}: ${out.trim()}`);
}

/** nginx real server config: one worker, keep-alive, a fixed short body naming the server. */
export function nginxConf(dir: string, name: string, port: number): string {
  const conf = join(dir, `nginx-${name}.conf`);
  writeFileSync(
    conf,
    `worker_processes 1;
pid ${dir}/nginx-${name}.pid;
error_log ${dir}/nginx-${name}.err warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path ${dir}/cb-${name};
  proxy_temp_path ${dir}/px-${name};
  fastcgi_temp_path ${dir}/fc-${name};
  uwsgi_temp_path ${dir}/uw-${name};
  scgi_temp_path ${dir}/sc-${name};
  server {
    listen ${port} reuseport backlog=4096;
    location / { return 200 "this is ${name}\\n"; }
  }
}
`,
  );
  return conf;
}

/** HAProxy, mode tcp, one thread, round robin over the real servers (the proxy peer). */
export function haproxyConf(dir: string, vip: string, port: number, rips: readonly string[]): string {
  const conf = join(dir, 'haproxy.cfg');
  const servers = rips.map((r, i) => `  server rs${i + 1} ${r}:${port}`).join('\n');
  writeFileSync(
    conf,
    `global
  nbthread 1
  maxconn 5000
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend fe
  bind ${vip}:${port}
  default_backend be
backend be
  balance roundrobin
${servers}
`,
  );
  return conf;
}

/** A daemon started by {@link startIn}, with its output so far (for error messages). */
export interface Started {
  readonly proc: ChildProcess;
  output(): string;
}

/** Starts a foreground daemon inside a namespace, keeping the tail of its output. */
export function startIn(mode: LabMode, host: LabHost, argv: readonly string[]): Started {
  const c = labSpawn(mode, host, argv);
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString('utf8')).slice(-2000);
  };
  c.stdout?.on('data', keep);
  c.stderr?.on('data', keep);
  return { proc: c, output: () => out.trim() };
}

/** Waits until a TCP port answers from the client namespace (curl), or throws. */
export function waitHttp(mode: LabMode, url: string, timeoutMs = 10_000): string {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    const r = labExec(mode, 'client', ['curl', '-s', '-m', '1', url], 3000);
    if (r.status === 0 && r.stdout) return r.stdout;
    last = r.stderr;
    spawnSync('sleep', ['0.1']);
  }
  throw new Error(`${url} did not answer from ${labNamespace(mode, 'client')}: ${last.trim()}`);
}

/** Pids of the kernel threads whose name starts with `prefix` (e.g. `napi/eth0-`). */
function kthreads(prefix: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/comm`, 'utf8').startsWith(prefix)) out.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return out;
}

/**
 * Moves the NAPI polling of `ifname` in `host` into kernel threads pinned to `cpu` (threaded
 * NAPI) at SCHED_FIFO priority 50 (SCHED_OTHER, nice 0, when `fifo` is false), and returns their pids. With an XDP program on a veth, the receive work (the program,
 * the copy into the AF_XDP UMEM) runs in the veth's NAPI, which the sender's CPU schedules and
 * RPS cannot move (XDP runs before RPS): without this the director's receive cost would be
 * charged to the generator's core. The threads' CPU time then counts as the director's.
 */
export function threadedNapi(
  mode: LabMode,
  host: LabHost,
  ifname: string,
  cpu: number,
  fifo = true,
): number[] {
  const before = new Set(kthreads(`napi/${ifname}-`));
  labExec(mode, host, ['sh', '-c', `echo 1 > /sys/class/net/${ifname}/threaded`]);
  const pids = kthreads(`napi/${ifname}-`).filter((p) => !before.has(p));
  for (const p of pids) {
    spawnSync('taskset', ['-p', '-c', String(cpu), String(p)], { stdio: 'ignore' });
    // SCHED_FIFO, as softirq NAPI runs ahead of any process when it is not threaded: at an equal
    // nice the thread waited for the director process to yield, and the veth's 256-entry ring
    // overflowed meanwhile (the sender's tx "dropped" counter).
    // fifo false: SCHED_OTHER at nice 0, below a director process reniced to -19 (dedicate).
    if (!fifo) {
      spawnSync('chrt', ['-o', '-p', '0', String(p)], { stdio: 'ignore' });
      continue;
    }
    const rt = spawnSync('chrt', ['-f', '-p', '50', String(p)], { stdio: 'ignore' });
    if (rt.status !== 0) spawnSync('renice', ['-n', '-19', '-p', String(p)], { stdio: 'ignore' });
  }
  return pids;
}

/** The other end of the director's veth `ifname` in the lab plan (host and interface). */
export function peerOf(mode: LabMode, ifname: string): { host: LabHost; ifname: string } {
  for (const l of labPlan(mode).links) {
    if (l.a.host === 'director' && l.a.ifname === ifname) return { host: l.b.host, ifname: l.b.ifname };
    if (l.b.host === 'director' && l.b.ifname === ifname) return { host: l.a.host, ifname: l.a.ifname };
  }
  throw new Error(`the ${mode} lab has no director interface ${ifname}`);
}

/**
 * Runs the receive work of the director's `ifname` in a NAPI kernel thread pinned to `cpu`, for
 * every kind of director alike, and returns the thread pids (to charge their CPU to the
 * director). A veth only polls with NAPI when an XDP program is attached or GRO is on, and its
 * transmitting peer only hands frames to that NAPI when the peer has TSO off (veth_xmit's
 * GRO-eligibility check; attaching XDP turns it off itself): so GRO on here, TSO off on the peer,
 * then threaded NAPI. Otherwise the kernel and AF_PACKET directors would receive through the
 * sender's backlog (netif_rx + RPS) while the AF_XDP one receives in NAPI.
 */
export function napiOnDirector(mode: LabMode, ifname: string, cpu: number, fifo = true): number[] {
  const peer = peerOf(mode, ifname);
  labExec(mode, peer.host, ['ethtool', '-K', peer.ifname, 'tso', 'off']);
  labExec(mode, 'director', ['ethtool', '-K', ifname, 'gro', 'on']);
  return threadedNapi(mode, 'director', ifname, cpu, fifo);
}
