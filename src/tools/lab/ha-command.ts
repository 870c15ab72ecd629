/**
 * `lvsadm lab up|down|status|trace|fail ha`: the HA lab's subcommands (lab-command.ts hands `ha`
 * here). `up ha [--peer lvsd|keepalived]` prints both keepalived.conf files; `trace ha [--seconds
 * N] [--fail DIRECTOR]` prints the VRRP adverts and ARP seen by the client; `fail ha DIRECTOR`
 * cuts a director off as a power loss would.
 */
import { readFileSync } from 'node:fs';
import { HA_DIRECTORS, HA_DOWN_MS, isHaDirector } from './ha-conf.js';
import { type HaPeer, haDirectorState, haFail, haUp, readHaState } from './ha-lab.js';
import { formatHaTrace, haTrace } from './ha-trace.js';
import { HA_MODE, labNamespace, labPlan } from './plan.js';
import { labDown, labNamespacesPresent } from './topology.js';

/** Usage of the HA lab's subcommands. */
export const HA_USAGE = `Usage: lvsadm lab up ha [--peer lvsd|keepalived]
       lvsadm lab trace ha [--seconds N] [--fail director1|director2]
       lvsadm lab fail ha director1|director2
       lvsadm lab status ha | lvsadm lab down ha
  Two directors (director1 priority 150, director2 priority 100, VRID 51, VRRPv3) share the VIP
  in front of two DR real servers; director2 runs lvsd, or keepalived 2.2.7 with --peer keepalived.
`;

function seconds(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d+(\.\d+)?$/.test(s)) return undefined;
  const n = Number(s);
  return n > 0 && n <= 60 ? n : undefined;
}

/** Runs `lab ACTION ha ARGS`; resolves with the exit code. */
export async function runHaLab(
  action: string,
  rest: readonly string[],
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  const usage = (): number => {
    err(HA_USAGE);
    return 2;
  };
  let peer: HaPeer = 'lvsd';
  let durationS: number | undefined;
  let fail: (typeof HA_DIRECTORS)[number] | undefined;
  const args = [...rest];
  if (action === 'fail') {
    const d = args.shift();
    if (!d || !isHaDirector(d)) return usage();
    fail = d;
  }
  for (let i = 0; i < args.length; i++) {
    const v = args[i + 1];
    if (action === 'up' && args[i] === '--peer' && (v === 'lvsd' || v === 'keepalived')) peer = v;
    else if (action === 'trace' && args[i] === '--seconds' && seconds(v) !== undefined)
      durationS = seconds(v);
    else if (action === 'trace' && args[i] === '--fail' && v !== undefined && isHaDirector(v)) fail = v;
    else return usage();
    i++;
  }
  if (!['up', 'down', 'status', 'trace', 'fail'].includes(action)) return usage();
  if (process.getuid?.() !== 0) {
    err('lvsadm lab: network namespaces need root\n');
    return 2;
  }
  try {
    const plan = labPlan(HA_MODE);
    if (action === 'up') {
      const st = haUp({ peer });
      out(
        `lab ha is up: director1 (lvsd) MASTER, director2 (${st.runs.director2}) BACKUP; VIP ${plan.vip}:${plan.port}\n`,
      );
      for (const d of HA_DIRECTORS)
        out(`\n--- ${st.confs[d]} (${d}, ${st.runs[d]}) ---\n${readFileSync(st.confs[d], 'utf8')}`);
      out(`\n  try: ip netns exec ${labNamespace(HA_MODE, 'client')} curl http://${plan.vip}/\n`);
      out('  watch a takeover: lvsadm lab trace ha --fail director1\n');
      for (const [d, s] of Object.entries(st.sockets)) out(`  ${d}: LVSD_SOCKET=${s} lvsadm --vrrp\n`);
      return 0;
    }
    if (action === 'down') {
      const gone = labDown(HA_MODE);
      out(gone.length ? `lab ha removed (${gone.length} namespaces)\n` : 'lab ha was not up\n');
      return 0;
    }
    const st = readHaState();
    if (labNamespacesPresent(HA_MODE).length === 0 || !st) {
      out('lab ha: down\n');
      return 3;
    }
    if (action === 'status') {
      out(`lab ha: up, VIP ${plan.vip}\n`);
      for (const d of HA_DIRECTORS) out(`  ${d} (${st.runs[d]}): ${haDirectorState(st, d)}\n`);
      return 0;
    }
    if (action === 'fail') {
      haFail(fail!);
      out(
        `${fail} failed (processes killed, link down); the other director takes over within ~${(HA_DOWN_MS / 1000).toFixed(1)} s\n`,
      );
      return 0;
    }
    // Long enough with --fail to see the down interval pass and the new master's adverts.
    const durationMs = (durationS ?? (fail ? 8 : 4)) * 1000;
    const t = await haTrace({ durationMs, ...(fail ? { fail, failAfterMs: 1500 } : {}) });
    out(formatHaTrace(t));
    return 0;
  } catch (e) {
    err(`lvsadm lab ${action} ha: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
