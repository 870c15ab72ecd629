/**
 * `track_file` / `vrrp_track_file` and `vrrp_track_process` blocks, and the `track_file {}` /
 * `track_process {}` lists of a vrrp_instance or vrrp_sync_group that refer to them, with
 * keepalived 2.2.7's checks and messages (keepalived/trackers/track_file.c track_file_*_handler(),
 * vrrp_alloc_track_file(); keepalived/vrrp/vrrp_parser.c vrrp_tprocess_*_handler();
 * keepalived/vrrp/vrrp_track.c alloc_track_process()).
 */
import type { Diagnostics } from '../diagnostics.js';
import type { TrackRef, VrrpTrackFile, VrrpTrackProcess } from '../model.js';
import type { Node } from './tree.js';

/** The tracker blocks defined so far: keepalived resolves a reference when it parses it. */
export interface TrackerBlocks {
  readonly files: VrrpTrackFile[];
  readonly processes: VrrpTrackProcess[];
  /** Names of the `bfd_instance` blocks defined so far (what `track_bfd` may name). */
  readonly bfds: string[];
}

const INT = /^[-+]?\d+$/;

/** An integer argument in [min, max], or undefined. */
function intIn(s: string | undefined, min: number, max: number): number | undefined {
  if (s === undefined || !INT.test(s)) return undefined;
  const v = Number(s);
  return v >= min && v <= max ? v : undefined;
}

/** Parses a top-level `track_file NAME {}` (or the deprecated `vrrp_track_file`). */
export function parseTrackFile(d: Diagnostics, n: Node): VrrpTrackFile | undefined {
  const name = n.args[0];
  if (name === undefined) {
    d.error('ERR_CONFIG_MISSING_VALUE', `${n.kw} needs a name`, n);
    return undefined;
  }
  // `vrrp_track_file` is a deprecated synonym keepalived only logs about (not a config error).
  let path: string | undefined;
  let weight = 1;
  let reverse = false;
  let init: { value: number; overwrite: boolean } | undefined;
  for (const c of n.children ?? []) {
    switch (c.kw) {
      case 'file':
        if (c.args[0] === undefined) d.error('ERR_CONFIG_MISSING_VALUE', 'track file file name missing', c);
        else if (path !== undefined)
          d.error(
            'ERR_CONFIG_DUPLICATE',
            `File already set for track file ${name} - ignoring ${c.args[0]}`,
            c,
          );
        else path = c.args[0];
        break;
      case 'weight': {
        if (c.args[0] === undefined) {
          d.error('ERR_CONFIG_MISSING_VALUE', `No weight specified for track file ${name} - ignoring`, c);
          break;
        }
        if (weight !== 1) {
          d.error(
            'ERR_CONFIG_DUPLICATE',
            `Weight already set for track file ${name} - ignoring ${c.args[0]}`,
            c,
          );
          break;
        }
        const w = intIn(c.args[0], -254, 254);
        if (w === undefined)
          d.error(
            'ERR_CONFIG_BAD_VALUE',
            `Weight (${c.args[0]}) for track_file ${name} must be between [-254..254] inclusive. Ignoring...`,
            c,
          );
        weight = w ?? 1;
        if (c.args[1] === 'reverse') reverse = true;
        else if (c.args[1] !== undefined)
          d.error('ERR_CONFIG_BAD_VALUE', `track_file ${name} unknown weight option ${c.args[1]}`, c);
        break;
      }
      case 'init_file': {
        init = { value: 0, overwrite: false };
        for (const w of c.args) {
          if (/^[-\d]/.test(w)) {
            const v = intIn(w, -2147483648, 2147483647);
            if (v === undefined)
              d.error('ERR_CONFIG_BAD_VALUE', `Track file ${name} init value ${w} is invalid`, c);
            else if (v < -254 || v > 254)
              d.error(
                'ERR_CONFIG_BAD_VALUE',
                `Track file ${name} init value ${v} is outside sensible range [-254, 254]`,
                c,
              );
            init.value = v ?? 0;
          } else if (w === 'overwrite') init.overwrite = true;
          else d.error('ERR_CONFIG_BAD_VALUE', `Unknown track file init option ${w}`, c);
        }
        break;
      }
      default:
        d.error('ERR_CONFIG_UNKNOWN_KEYWORD', `unknown keyword '${c.kw}'`, c);
    }
  }
  if (path === undefined) {
    d.error('ERR_CONFIG_IGNORED', `No file set for track_file ${name} - ignoring`, n);
    return undefined;
  }
  return { name, path, weight, reverse, ...(init ? { init } : {}), file: n.file, line: n.line };
}

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

/**
 * Resolves the lines of an instance's or sync group's `track_file {}` (kind 'file') or
 * `track_process {}` list: `NAME [weight W [reverse|noreverse]]`, W in −254..254, the block's
 * weight and direction by default; unknown or duplicate names are dropped with keepalived's error.
 */
export function trackerRefs(
  d: Diagnostics,
  owner: string,
  n: Node,
  kind: 'file' | 'process',
  blocks: TrackerBlocks,
): TrackRef[] {
  const out: TrackRef[] = [];
  const what = kind === 'file' ? 'track file' : 'track process';
  for (const c of n.children ?? []) {
    const name = c.kw;
    const block =
      kind === 'file'
        ? blocks.files.find((f) => f.name === name)
        : blocks.processes.find((p) => p.name === name);
    if (!block) {
      d.error('ERR_CONFIG_IGNORED', `(${owner}) ${what} ${name} not found, ignoring...`, c);
      continue;
    }
    if (out.some((r) => r.name === name)) {
      d.error('ERR_CONFIG_DUPLICATE', `(${owner}) duplicate track_${kind} ${name} - ignoring`, c);
      continue;
    }
    let weight = block.weight;
    let reverse = block.reverse;
    const [opt, w, dir] = c.args;
    if (opt !== undefined) {
      if (opt !== 'weight') {
        d.error('ERR_CONFIG_BAD_VALUE', `(${owner}) unknown ${what} option ${opt} - ignoring`, c);
        continue;
      }
      if (w === undefined) {
        d.error(
          'ERR_CONFIG_MISSING_VALUE',
          `(${owner}) weight without value specified for ${what} ${name} - ignoring`,
          c,
        );
        continue;
      }
      const v = intIn(w, -254, 254);
      if (v === undefined)
        d.error(
          'ERR_CONFIG_BAD_VALUE',
          `(${owner}) weight for ${what} ${name} must be in [-254..254] inclusive. Ignoring...`,
          c,
        );
      weight = v ?? block.weight;
      if (dir === 'reverse') reverse = true;
      else if (dir === 'noreverse') reverse = false;
      else if (dir !== undefined) {
        d.error(
          'ERR_CONFIG_BAD_VALUE',
          `(${owner}) unknown ${what} ${name} weight option ${dir} - ignoring`,
          c,
        );
        // alloc_track_process() keeps the entry, vrrp_alloc_track_file() drops it.
        if (kind === 'file') continue;
      }
    }
    out.push({ name, weight, reverse, file: c.file, line: c.line });
  }
  return out;
}
