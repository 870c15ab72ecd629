/**
 * A top-level `vrrp_track_process NAME {}` block, with keepalived 2.2.7's checks and messages
 * (keepalived/vrrp/vrrp_parser.c vrrp_tprocess_*_handler()).
 */
import type { Diagnostics } from '../diagnostics.js';
import type { VrrpTrackProcess } from '../model.js';
import { intIn } from './int-in.js';
import type { Node } from './tree.js';

/** Seconds 0.000001..3600 (µs resolution) → ms, as vrrp_tprocess_delay_general() reads them. */
function delayMs(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d+(\.\d{0,6})?$|^\.\d{1,6}$/.test(s)) return undefined;
  const v = Number(s);
  return v >= 0.000001 && v <= 3600 ? Math.round(v * 1e6) / 1e3 : undefined;
}

/** Parses a top-level `vrrp_track_process NAME {}`. */
export function parseTrackProcess(d: Diagnostics, n: Node): VrrpTrackProcess | undefined {
  const name = n.args[0];
  if (name === undefined) {
    d.error('ERR_CONFIG_MISSING_VALUE', `${n.kw} needs a name`, n);
    return undefined;
  }
  let process: string | undefined;
  let params: string[] | undefined;
  let paramMatch: VrrpTrackProcess['paramMatch'] = 'none';
  let fullCommand = false;
  let weight = 0;
  let reverse = false;
  let quorum = 1;
  let quorumMax = 4294967295;
  let forkDelay = 0;
  let terminateDelay = 0;
  for (const c of n.children ?? []) {
    const a = c.args[0];
    switch (c.kw) {
      case 'process':
        if (process !== undefined) {
          d.error('ERR_CONFIG_DUPLICATE', `Process already set for track process ${name} - ignoring ${a}`, c);
          break;
        }
        process = a ?? '';
        if (c.args.length > 1) {
          params = c.args.slice(1);
          if (paramMatch === 'none') paramMatch = 'exact';
          fullCommand = true;
        }
        break;
      case 'param_match':
        if (a === undefined) paramMatch = 'exact';
        else if (a === 'initial' || a === 'partial') paramMatch = a;
        else {
          d.error('ERR_CONFIG_BAD_VALUE', `Invalid param_match type ${a} - ignoring`, c);
          break;
        }
        fullCommand = true;
        break;
      case 'weight': {
        if (a === undefined) {
          d.error('ERR_CONFIG_MISSING_VALUE', `No weight specified for track process ${name} - ignoring`, c);
          break;
        }
        if (weight !== 0) {
          d.error('ERR_CONFIG_DUPLICATE', `Weight already set for track process ${name} - ignoring ${a}`, c);
          break;
        }
        const w = intIn(a, -254, 254);
        if (w === undefined) {
          d.error(
            'ERR_CONFIG_BAD_VALUE',
            `Weight (${a}) for vrrp_track_process ${name} must be between [-254..254] inclusive. Ignoring...`,
            c,
          );
          break;
        }
        if (c.args[1] === 'reverse') reverse = true;
        else if (c.args[1] !== undefined)
          d.error('ERR_CONFIG_BAD_VALUE', `vrrp_track_process ${name} unknown weight option ${c.args[1]}`, c);
        weight = w;
        break;
      }
      case 'quorum': {
        const q = intIn(a, 1, 65535);
        if (q === undefined)
          d.error(
            'ERR_CONFIG_BAD_VALUE',
            `Quorum (${a ?? ''}) for vrrp_track_process ${name} must be between [1..65535] inclusive. Ignoring...`,
            c,
          );
        else if (q > quorumMax)
          d.error('ERR_CONFIG_CONFLICT', 'Quorum is greater than quorum_max - ignoring', c);
        else quorum = q;
        break;
      }
      case 'quorum_max': {
        const q = intIn(a, 0, 65535);
        if (q === undefined)
          d.error(
            'ERR_CONFIG_BAD_VALUE',
            `quorum_max (${a ?? ''}) for vrrp_track_process ${name} must be between [0..65535] inclusive. Ignoring...`,
            c,
          );
        // quorum_max 0 is allowed while quorum is the default (vrrp_tprocess_quorum_max_handler()).
        else if ((q !== 0 || quorum > 1) && q < quorum)
          d.error('ERR_CONFIG_CONFLICT', 'quorum_max is less than quorum - ignoring', c);
        else {
          quorumMax = q;
          if (q === 0) quorum = 0;
          else if (quorum === 0) quorum = 1;
        }
        break;
      }
      case 'delay':
      case 'terminate_delay':
      case 'fork_delay': {
        const t = delayMs(a);
        if (t === undefined) {
          const pre = c.kw === 'delay' ? '' : c.kw.replace('delay', '');
          d.error(
            'ERR_CONFIG_BAD_VALUE',
            `${pre}delay (${a ?? ''}) for vrrp_track_process ${name} must be between [0.000001..3600] inclusive. Ignoring...`,
            c,
          );
          break;
        }
        if (c.kw !== 'fork_delay') terminateDelay = t;
        if (c.kw !== 'terminate_delay') forkDelay = t;
        break;
      }
      case 'full_command':
        fullCommand = true;
        break;
      default:
        d.error('ERR_CONFIG_UNKNOWN_KEYWORD', `unknown keyword '${c.kw}'`, c);
    }
  }
  if (process === undefined) {
    d.error('ERR_CONFIG_IGNORED', `track process '${name}' process name not specified`, n);
    return undefined;
  }
  return {
    name,
    process,
    ...(params ? { params } : {}),
    paramMatch,
    fullCommand,
    weight,
    reverse,
    quorum,
    quorumMax,
    forkDelay,
    terminateDelay,
    file: n.file,
    line: n.line,
  };
}
