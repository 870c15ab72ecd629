/**
 * `lvsadm lab up|down|status|trace MODE [--director lvsd|kernel] [--xdp-offload]`: our extension
 * that builds the classic LVS teaching topologies in network namespaces (needs root).
 * `--director kernel` lets the kernel do the director's job with nftables instead of lvsd (a
 * stand-in for comparison). `--xdp-offload` (with `up`) runs lvsd with `--xdp on --xdp-offload
 * on` on links prepared for it (offload-links.ts: the veth peers run an XDP_PASS program, hosts
 * send full checksums).
 * `lvsadm lab status` with no mode lists every lab that is up, whatever its LVS_LAB_PREFIX.
 */
import { commandForm } from '../../io/command-form.js';
import { formatLabList, listLabs } from './lab-list.js';
import { CLUSTER_MODE, HA_MODE, isLabMode, LAB_MODES, labNamespace, labPlan, labPrefix } from './plan.js';
import {
  type DirectorKind,
  LAB_STATE_ROOT,
  labDown,
  labNamespacesPresent,
  labUp,
  readLabState,
  tail,
} from './topology.js';
import { formatTrace, traceRequest } from './trace.js';

const USAGE = `Usage: lvsadm lab up|down|status|trace MODE [--director lvsd|kernel] [--xdp-offload]
       lvsadm lab status                (every lab that is up, whatever its prefix)
  MODE is one of ${LAB_MODES.join(', ')}. Builds a client, a director running lvsd and two
  real servers ("this is rs1", "this is rs2") in network namespaces (root only).
  --xdp-offload: lvsd forwards established DR conns in XDP (links prepared for it).
  Run commands inside a host with: ip netns exec lvslab-MODE-client curl http://VIP/
  lvsadm lab up|down|status|trace|fail ha: two VRRP directors (lvsadm lab up ha --help).
  lvsadm lab up|down|status|trace|fail|join cluster: directors behind BGP/ECMP (lab up cluster --help).
`;

/** Runs the lab subcommand; resolves with the exit code. */
export async function runLab(
  argv: readonly string[],
  out: (s: string) => void = (s) => process.stdout.write(s),
  err: (s: string) => void = (s) => process.stderr.write(s),
  o: { readonly stateRoot?: string } = {},
): Promise<number> {
  const [action, mode, ...rest] = argv;
  if (action === '--help' || action === '-h' || action === 'help') {
    out(USAGE);
    return 0;
  }
  const root = o.stateRoot ?? LAB_STATE_ROOT;
  if (action === 'status' && mode === undefined) {
    const labs = listLabs(root);
    out(formatLabList(labs, labPrefix()));
    return labs.length > 0 ? 0 : 3;
  }
  if (action && mode === HA_MODE) return (await import('./ha-command.js')).runHaLab(action, rest, out, err);
  if (action && mode === CLUSTER_MODE)
    return (await import('./cluster-command.js')).runClusterLab(action, rest, out, err);
  let director: DirectorKind = 'lvsd';
  let offload = false;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--director' && (rest[i + 1] === 'lvsd' || rest[i + 1] === 'kernel')) {
      director = rest[++i] as DirectorKind;
    } else if (rest[i] === '--xdp-offload' && action === 'up') {
      offload = true;
    } else {
      err(USAGE);
      return 2;
    }
  }
  if (!action || !['up', 'down', 'status', 'trace'].includes(action) || !mode || !isLabMode(mode)) {
    err(USAGE);
    return 2;
  }
  if (process.getuid?.() !== 0) {
    err('lvsadm lab: network namespaces need root\n');
    return 2;
  }
  if (offload && director !== 'lvsd') {
    err('lvsadm lab: --xdp-offload needs --director lvsd\n');
    return 2;
  }
  try {
    const plan = labPlan(mode);
    if (action === 'up') {
      const st = labUp(mode, {
        director,
        stateRoot: root,
        ...(offload ? { lvsdArgs: ['--xdp', 'on', '--xdp-offload', 'on'], offloadLinks: true } : {}),
      });
      out(`lab ${mode} is up (director: ${st.director}); VIP ${plan.vip}:${plan.port}\n`);
      out(`  try: ip netns exec ${labNamespace(mode, 'client')} curl http://${plan.vip}/\n`);
      if (st.director === 'lvsd') out(`  rules: LVSD_SOCKET=${st.socket} ${commandForm('lvsadm')} -Ln\n`);
      return 0;
    }
    if (action === 'down') {
      const gone = labDown(mode, root);
      out(gone.length ? `lab ${mode} removed (${gone.length} namespaces)\n` : `lab ${mode} was not up\n`);
      return 0;
    }
    if (action === 'status') {
      const ns = labNamespacesPresent(mode);
      const st = readLabState(mode, root);
      if (ns.length === 0) {
        out(`lab ${mode}: down\n`);
        return 3;
      }
      out(`lab ${mode}: up, director ${st?.director ?? '?'}, namespaces ${ns.join(' ')}\n`);
      for (const [name, pid] of Object.entries(st?.pids ?? {})) {
        let alive = true;
        try {
          process.kill(pid, 0);
        } catch {
          alive = false;
        }
        out(`  ${name} pid ${pid} ${alive ? 'running' : `exited: ${tail(st!, name, 3)}`}\n`);
      }
      return 0;
    }
    const t = await traceRequest(mode);
    out(formatTrace(t));
    return t.response ? 0 : 1;
  } catch (e) {
    err(`lvsadm lab ${action} ${mode}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
