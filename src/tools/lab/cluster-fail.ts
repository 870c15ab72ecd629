/**
 * Failures in the cluster lab: a director's crash (`lvsadm lab fail cluster directorN`) and a
 * director whose health checks all fail while the real servers stay up for the others.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ClusterLabState, planOf } from './cluster-lab.js';
import { CLUSTER_MODE, labNamespace } from './plan.js';
import { labExec, waitFor } from './topology.js';

/**
 * nftables table that makes a director's host silent, as a crashed machine is: every IP packet in
 * and out dropped (its link stays up, so the switch still delivers the router's frames to it).
 */
const DEAD_NFT = `table inet lab_dead {
 chain in { type filter hook input priority -300; policy drop; }
 chain out { type filter hook output priority -300; policy drop; }
}
`;

/**
 * Fails director i as a crash would: its host silenced first (so neither BIRD's TCP close nor a
 * BGP notification reaches the router), then SIGKILL to every process in its namespace. The
 * router drops its next hop when the BGP hold time runs out (RFC 4271 §6.5); until then the
 * router's frames for it are lost.
 */
export function clusterFail(st: ClusterLabState, i: number): void {
  const d = planOf(st).directors[i]!;
  const f = join(st.stateDir, 'dead.nft');
  writeFileSync(f, DEAD_NFT);
  const l = labExec(CLUSTER_MODE, d, ['nft', '-f', f]);
  if (l.status !== 0) throw new Error(`${d}: nft: ${l.stderr.trim()}`);
  const pids = (): string[] =>
    (spawnSync('ip', ['netns', 'pids', labNamespace(CLUSTER_MODE, d)], { encoding: 'utf8' }).stdout ?? '')
      .split('\n')
      .filter(Boolean);
  for (const pid of pids()) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  // Not by pid: when this process started them they stay zombies until its event loop reaps
  // them; a zombie has left its namespace, so `ip netns pids` no longer lists it.
  waitFor(`${d}'s processes to go`, () => pids().length === 0, 5000);
}

/**
 * Makes every health check of director i fail (on) or pass again (off) without touching the real
 * servers the other directors see: a blackhole route per real server in that director only.
 */
export function clusterFailChecks(st: ClusterLabState, i: number, on: boolean): void {
  const p = planOf(st);
  for (const r of p.rips) {
    const x = labExec(CLUSTER_MODE, p.directors[i]!, [
      'ip',
      'route',
      on ? 'add' : 'del',
      'blackhole',
      `${r}/32`,
    ]);
    if (x.status !== 0) throw new Error(`${p.directors[i]}: blackhole ${r}: ${x.stderr.trim()}`);
  }
}
