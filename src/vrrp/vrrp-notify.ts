/**
 * What keepalived runs and logs on a state change (keepalived/vrrp/vrrp_notify.c
 * send_instance_notifies(), send_group_notifies(), notify_script_exec()): the state's own
 * notify_* script as written, then the generic `notify` script with four arguments
 * `INSTANCE|GROUP <name> MASTER|BACKUP|FAULT|STOP <priority>`. SMTP alerts are not produced.
 */
import type { ScriptSpec } from '../config/model.js';
import type { VrrpState } from './vrrp-instance-types.js';

/** The state words of keepalived's notify arguments and FIFO lines. */
export type VrrpNotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';

/** One script to run: the configured spec and the full argv. */
export interface VrrpNotifyRun {
  readonly script: ScriptSpec;
  readonly argv: readonly string[];
}

/** The notify word for entering `to`: leaving to INIT happens only on shutdown, which keepalived calls STOP. */
export function notifyState(to: VrrpState): VrrpNotifyState {
  return to === 'INIT' ? 'STOP' : to;
}

/** Scripts to run for `name` entering `state`, specific one first (a group reports priority 0). */
export function vrrpNotifyRuns(
  kind: 'INSTANCE' | 'GROUP',
  name: string,
  notify: Readonly<Partial<Record<'master' | 'backup' | 'fault' | 'stop' | 'any', ScriptSpec>>>,
  state: VrrpNotifyState,
  priority: number,
): VrrpNotifyRun[] {
  const out: VrrpNotifyRun[] = [];
  const own = notify[state.toLowerCase() as 'master' | 'backup' | 'fault' | 'stop'];
  if (own) out.push({ script: own, argv: own.argv });
  const any = notify.any;
  if (any)
    out.push({
      script: any,
      argv: [...any.argv, kind, name, state, String(kind === 'GROUP' ? 0 : priority)],
    });
  return out;
}

/**
 * keepalived's log line for a transition, so existing log alerts keep matching (vrrp.c
 * vrrp_state_become_master(), vrrp_state_leave_master(); vrrp_scheduler.c vrrp_init_state()):
 * `(VI_1) Entering MASTER STATE`, `... (init)` from INIT, `(VI_1) sent 0 priority` when a master
 * stops; undefined for a silent stop.
 */
export function vrrpStateLogLine(name: string, from: VrrpState, to: VrrpState): string | undefined {
  if (to === 'INIT') return from === 'MASTER' ? `(${name}) sent 0 priority` : undefined;
  return `(${name}) Entering ${to} STATE${from === 'INIT' && to !== 'MASTER' ? ' (init)' : ''}`;
}
