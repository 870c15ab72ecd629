/**
 * Builds, fails and rejoins the cluster lab (cluster-plan.ts): a router running BIRD with ECMP,
 * N directors each running BIRD and `lvsd --dataplane packet --config keepalived.conf --bgp`, four
 * real servers. A director is announced once its lvsd sees a healthy real server; the router's
 * kernel then holds the VIP with one next hop per announcing director. State (pids, logs, sockets,
 * configs) lives in the lab's state directory; `lab down cluster` (topology.ts labDown) removes it
 * whatever happened before.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CLUSTER_SYNCID,
  type ClusterMethod,
  type ClusterPlan,
  type ClusterSched,
  clusterDirectorBird,
  clusterKeepalived,
  clusterPlan,
  clusterRouterBird,
} from './cluster-plan.js';
import { CLUSTER_MODE, type LabHost } from './plan.js';
import {
  buildNamespaces,
  LAB_STATE_ROOT,
  type LabState,
  labDown,
  labExec,
  labNamespacesPresent,
  labStateDir,
  logHas,
  procArgv,
  readLabState,
  startDetached,
  tail,
  waitFor,
} from './topology.js';

/** A running cluster lab (state.json). */
export interface ClusterLabState extends LabState {
  directors: number;
  method: ClusterMethod;
  sched: ClusterSched;
  /** True when every director runs a sync master and a sync backup daemon (active-active). */
  sync: boolean;
  /** lvsd control socket per director. */
  sockets: Record<string, string>;
}

/** Options of {@link clusterUp}. */
export interface ClusterUpOptions {
  directors?: number;
  method?: ClusterMethod;
  sched?: ClusterSched;
  /** Start `--start-daemon master` and `--start-daemon backup` on every director. */
  sync?: boolean;
  /** State directory root (default /run/lvs-ts/lab). */
  stateRoot?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
/** bin/ of this checkout (src/tools/lab and dist/tools/lab are both three levels down); it runs dist/. */
const BIN = join(here, '..', '..', '..', 'bin');

/** Reads the cluster lab's state, or undefined when it is down. */
export function readClusterState(root = LAB_STATE_ROOT): ClusterLabState | undefined {
  return readLabState(CLUSTER_MODE, root) as ClusterLabState | undefined;
}

/** The plan a running lab was built from. */
export function planOf(st: ClusterLabState): ClusterPlan {
  return clusterPlan(st.directors, st.method);
}

function save(st: ClusterLabState): void {
  writeFileSync(join(st.stateDir, 'state.json'), JSON.stringify(st, null, 2));
}

function bird(st: ClusterLabState, name: string, host: LabHost): void {
  startDetached(st, `${name}-bird`, host, [
    'bird',
    '-f',
    '-c',
    join(st.stateDir, `${name}-bird.conf`),
    '-s',
    join(st.stateDir, `${name}-bird.ctl`),
    '-P',
    join(st.stateDir, `${name}-bird.pid`),
  ]);
}

/** Runs lvsadm against a director's lvsd; returns its output (throws on failure). */
export function clusterLvsadm(st: ClusterLabState, director: string, args: readonly string[]): string {
  const socket = st.sockets[director];
  if (!socket) throw new Error(`no lvsd socket for ${director}`);
  const r = spawnSync(process.execPath, [join(BIN, 'lvsadm'), '--socket', socket, ...args], {
    encoding: 'utf8',
    timeout: 15_000,
  });
  if (r.status !== 0) throw new Error(`lvsadm ${args.join(' ')} on ${director}: ${(r.stderr ?? '').trim()}`);
  return r.stdout ?? '';
}

/**
 * (Re)starts director i (0-based): its link up, BIRD with an empty include (BIRD refuses a
 * missing one until lvsd writes its own), then lvsd, then the sync daemons when the lab has sync.
 */
export function clusterStartDirector(st: ClusterLabState, i: number): void {
  const p = planOf(st);
  const d = p.directors[i]!;
  const include = join(st.stateDir, `${d}-vips.conf`);
  writeFileSync(include, '');
  writeFileSync(join(st.stateDir, `${d}-bird.conf`), clusterDirectorBird(p, i, include));
  // Back from clusterFail: the host is reachable again.
  labExec(CLUSTER_MODE, d, ['nft', 'delete', 'table', 'inet', 'lab_dead']);
  bird(st, d, d);
  const socket = join(st.stateDir, `${d}.sock`);
  // A crashed lvsd leaves its socket behind; waiting for the file must wait for the new one.
  rmSync(socket, { force: true });
  st.sockets[d] = socket;
  startDetached(st, d, d, [
    process.execPath,
    join(BIN, 'lvsd'),
    '--socket',
    socket,
    '--dataplane',
    'packet',
    '--interface',
    'eth0',
    '--xdp',
    'off',
    '--config',
    join(st.stateDir, 'keepalived.conf'),
    '--sysctl-files',
    'none',
    // A flow ECMP moves to this director arrives mid-connection: sloppy_tcp lets lvsd schedule
    // a non-SYN packet (ip_vs_proto_tcp.c tcp_conn_schedule), and mh picks the same real server.
    '--sysctl',
    'sloppy_tcp=1',
    '--log-format',
    'json',
    '--bgp',
    '--bgp-include',
    include,
    '--bgp-socket',
    join(st.stateDir, `${d}-bird.ctl`),
  ]);
  save(st);
  waitFor(`${d} lvsd control socket`, () => existsSync(socket) || !alive(st.pids[d]));
  if (!alive(st.pids[d])) throw new Error(`${d} lvsd exited: ${tail(st, d)}`);
  if (st.sync) {
    for (const role of ['master', 'backup'])
      clusterLvsadm(st, d, [
        '--start-daemon',
        role,
        '--mcast-interface',
        'eth0',
        '--syncid',
        String(CLUSTER_SYNCID),
      ]);
  }
}

/** The router's next hops for the VIP right now (empty when no director announces it). */
export function clusterNextHops(st: Pick<ClusterLabState, 'directors' | 'method'>): string[] {
  const r = labExec(CLUSTER_MODE, 'router', [
    'ip',
    '-j',
    'route',
    'show',
    `${planOf(st as ClusterLabState).vip}/32`,
  ]);
  if (r.status !== 0 || r.stdout.trim() === '') return [];
  const routes = JSON.parse(r.stdout) as { gateway?: string; nexthops?: { gateway?: string }[] }[];
  const hops = routes.flatMap((x) => (x.nexthops ? x.nexthops.map((n) => n.gateway) : [x.gateway]));
  return hops.filter((g): g is string => typeof g === 'string').sort();
}

/** Builds the cluster lab and waits until the router has one next hop per director. */
export function clusterUp(o: ClusterUpOptions = {}): ClusterLabState {
  const root = o.stateRoot ?? LAB_STATE_ROOT;
  if (labNamespacesPresent(CLUSTER_MODE).length > 0 || readLabState(CLUSTER_MODE, root))
    throw new Error('lab cluster is already up (run: lvsadm lab down cluster)');
  if (!existsSync(join(BIN, '..', 'dist')))
    throw new Error(`lab cluster runs ${join(BIN, 'lvsd')}, which needs a build (npm run build)`);
  if (spawnSync('bird', ['--version']).status !== 0)
    throw new Error('lab cluster needs BIRD 2 (Debian: apt-get install bird2)');
  const p = clusterPlan(o.directors ?? 3, o.method ?? 'dr');
  const dir = labStateDir(CLUSTER_MODE, root);
  mkdirSync(dir, { recursive: true });
  const st: ClusterLabState = {
    mode: CLUSTER_MODE,
    director: 'lvsd',
    stateDir: dir,
    socket: join(dir, 'director1.sock'),
    pids: {},
    directors: p.directors.length,
    method: p.method,
    sched: o.sched ?? 'mh',
    sync: o.sync === true,
    sockets: {},
  };
  try {
    save(st);
    buildNamespaces(p.lab);
    // A switch floods a frame for a MAC it has not learnt to every port; on the directors' ports
    // that would let several directors forward one packet. Directors are learnt from their BGP
    // keepalives every second, so unknown unicast never needs to reach them.
    for (const d of p.directors)
      labExec(CLUSTER_MODE, 'sw', ['bridge', 'link', 'set', 'dev', d, 'flood', 'off']);
    for (const r of p.rss) labExec(CLUSTER_MODE, r, ['ip', 'addr', 'add', `${p.vip}/32`, 'dev', 'lo']);
    // TUN: the encapsulated request is 20 bytes longer; a client MTU of 1480 keeps it within 1500.
    if (p.method === 'tun') labExec(CLUSTER_MODE, 'client', ['ip', 'link', 'set', 'eth0', 'mtu', '1480']);
    for (const r of p.rss) {
      startDetached(st, r, r, procArgv('rs-http', r, String(p.port)));
      if (p.method === 'tun')
        startDetached(
          st,
          `${r}-agent`,
          r,
          procArgv('rs-agent', '--decap', '--vip', p.vip, '--interface', 'eth0'),
        );
    }
    writeFileSync(join(dir, 'router-bird.conf'), clusterRouterBird(p));
    writeFileSync(join(dir, 'keepalived.conf'), clusterKeepalived(p, st.sched));
    bird(st, 'router', 'router');
    save(st);
    for (const r of p.rss) waitFor(`${r} HTTP server`, () => logHas(st, r, 'ready'));
    if (p.method === 'tun')
      for (const r of p.rss) waitFor(`${r} rs-agent`, () => logHas(st, `${r}-agent`, 'decapsulating'));
    for (let i = 0; i < p.directors.length; i++) clusterStartDirector(st, i);
    try {
      waitFor(
        'the VIP with a next hop per director',
        () => clusterNextHops(st).length === p.directors.length,
        45_000,
      );
    } catch (e) {
      const logs = p.directors.map((d) => `${d}:\n${tail(st, d, 5)}\n${tail(st, `${d}-bird`, 3)}`).join('\n');
      throw new Error(
        `${(e as Error).message} (has ${clusterNextHops(st).join(', ') || 'none'}); router:\n${tail(st, 'router-bird', 5)}\n${logs}`,
      );
    }
    return st;
  } catch (e) {
    labDown(CLUSTER_MODE, root);
    throw e;
  }
}

/** True while the process runs. */
export function alive(pid: number | undefined): boolean {
  if (!pid || pid < 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
