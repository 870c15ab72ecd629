/**
 * `lvsadm lab up|down|status|trace|fail|join cluster`: the cluster lab's subcommands
 * (lab-command.ts hands `cluster` here). `up cluster [--directors N] [--method dr|tun] [--sched
 * mh|rr] [--sync]`; `trace cluster [--flows N]` shows which director carried each flow; `fail
 * cluster directorN` cuts a director off as a power loss would; `join cluster directorN` starts it
 * again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterFail } from './cluster-fail.js';
import {
  alive,
  clusterNextHops,
  clusterStartDirector,
  clusterUp,
  planOf,
  readClusterState,
} from './cluster-lab.js';
import { CLUSTER_METHODS, type ClusterMethod, type ClusterSched } from './cluster-plan.js';
import { clusterTrace, formatClusterTrace } from './cluster-trace.js';
import { CLUSTER_MODE, labNamespace } from './plan.js';
import { labDown, labNamespacesPresent, waitFor } from './topology.js';

/** Usage of the cluster lab's subcommands. */
export const CLUSTER_USAGE = `Usage: lvsadm lab up cluster [--directors 2-4] [--method dr|tun] [--sched mh|rr] [--sync]
       lvsadm lab trace cluster [--flows N]
       lvsadm lab fail cluster directorN | lvsadm lab join cluster directorN
       lvsadm lab status cluster | lvsadm lab down cluster
  A router (BIRD 2, ECMP over BGP, L4 multipath hash) in front of N directors (default 3), each
  running BIRD and lvsd --bgp on the packet plane, four real servers; --sync runs a sync master
  and a sync backup daemon on every director (active-active, syncid 18).
`;

/** Runs `lab ACTION cluster ARGS`; resolves with the exit code. */
export async function runClusterLab(
  action: string,
  rest: readonly string[],
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  const usage = (): number => {
    err(CLUSTER_USAGE);
    return 2;
  };
  let directors = 3;
  let method: ClusterMethod = 'dr';
  let sched: ClusterSched = 'mh';
  let sync = false;
  let flows = 12;
  let target: string | undefined;
  const args = [...rest];
  if (action === 'fail' || action === 'join') {
    target = args.shift();
    if (!target || !/^director[1-4]$/.test(target)) return usage();
  }
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const v = args[i + 1] ?? '';
    if (action === 'up' && a === '--sync') {
      sync = true;
      continue;
    }
    if (action === 'up' && a === '--directors' && /^[2-4]$/.test(v)) directors = Number(v);
    else if (action === 'up' && a === '--method' && (CLUSTER_METHODS as readonly string[]).includes(v))
      method = v as ClusterMethod;
    else if (action === 'up' && a === '--sched' && (v === 'mh' || v === 'rr')) sched = v;
    else if (action === 'trace' && a === '--flows' && /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 200)
      flows = Number(v);
    else return usage();
    i++;
  }
  if (!['up', 'down', 'status', 'trace', 'fail', 'join'].includes(action)) return usage();
  if (process.getuid?.() !== 0) {
    err('lvsadm lab: network namespaces need root\n');
    return 2;
  }
  try {
    if (action === 'up') {
      const st = clusterUp({ directors, method, sched, sync });
      const p = planOf(st);
      out(
        `lab cluster is up: ${p.directors.length} directors (${method.toUpperCase()}, ${sched}${sync ? ', sync' : ''}), router next hops ${clusterNextHops(st).join(' ')}; VIP ${p.vip}:${p.port}\n`,
      );
      out(`\n--- ${join(st.stateDir, 'keepalived.conf')} (every director) ---\n`);
      out(readFileSync(join(st.stateDir, 'keepalived.conf'), 'utf8'));
      out(`\n  try: ip netns exec ${labNamespace(CLUSTER_MODE, 'client')} curl http://${p.vip}/\n`);
      out('  which director carries which flow: lvsadm lab trace cluster\n');
      out(`  router: ip netns exec ${labNamespace(CLUSTER_MODE, 'router')} ip route show ${p.vip}\n`);
      for (const [d, s] of Object.entries(st.sockets)) out(`  ${d}: LVSD_SOCKET=${s} lvsadm --bgp\n`);
      return 0;
    }
    if (action === 'down') {
      const gone = labDown(CLUSTER_MODE);
      out(gone.length ? `lab cluster removed (${gone.length} namespaces)\n` : 'lab cluster was not up\n');
      return 0;
    }
    const st = readClusterState();
    if (labNamespacesPresent(CLUSTER_MODE).length === 0 || !st) {
      out('lab cluster: down\n');
      return 3;
    }
    const p = planOf(st);
    if (action === 'status') {
      out(
        `lab cluster: up, VIP ${p.vip}, ${st.method.toUpperCase()}, ${st.sched}${st.sync ? ', sync' : ''}; router next hops: ${clusterNextHops(st).join(' ') || 'none'}\n`,
      );
      for (const [name, pid] of Object.entries(st.pids))
        out(`  ${name} pid ${pid} ${alive(pid) ? 'running' : 'stopped'}\n`);
      return 0;
    }
    if (action === 'fail' || action === 'join') {
      const i = p.directors.indexOf(target as (typeof p.directors)[number]);
      if (i < 0) return usage();
      if (action === 'fail') {
        clusterFail(st, i);
        out(
          `${target} failed (silenced by nftables, processes killed); the router drops it after the 3 s BGP hold time\n`,
        );
      } else {
        if (alive(st.pids[target!])) throw new Error(`${target} is running`);
        clusterStartDirector(st, i);
        waitFor(
          `${target} in the router's next hops`,
          () => clusterNextHops(st).includes(p.directorIps[i]!),
          30_000,
        );
        out(`${target} joined: router next hops ${clusterNextHops(st).join(' ')}\n`);
      }
      return 0;
    }
    const t = await clusterTrace(st, flows);
    out(formatClusterTrace(t));
    return t.flows.every((f) => f.response !== '') ? 0 : 1;
  } catch (e) {
    err(`lvsadm lab ${action} cluster: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
