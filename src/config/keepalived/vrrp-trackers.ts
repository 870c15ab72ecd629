/**
 * The `track_file {}` / `track_process {}` lists of a vrrp_instance or vrrp_sync_group that refer
 * to `track_file` / `vrrp_track_process` blocks, with keepalived 2.2.7's checks and messages
 * (keepalived/trackers/track_file.c vrrp_alloc_track_file(); keepalived/vrrp/vrrp_track.c
 * alloc_track_process()). The blocks themselves are parsed in vrrp-track-file-block.ts and
 * vrrp-track-process-block.ts, re-exported here.
 */
import type { Diagnostics } from '../diagnostics.js';
import type { TrackRef, VrrpTrackFile, VrrpTrackProcess } from '../model.js';
import { intIn } from './int-in.js';
import type { Node } from './tree.js';

export { parseTrackFile } from './vrrp-track-file-block.js';
export { parseTrackProcess } from './vrrp-track-process-block.js';

/** The tracker blocks defined so far: keepalived resolves a reference when it parses it. */
export interface TrackerBlocks {
  readonly files: VrrpTrackFile[];
  readonly processes: VrrpTrackProcess[];
  /** Names of the `bfd_instance` blocks defined so far (what `track_bfd` may name). */
  readonly bfds: string[];
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
