/**
 * A top-level `track_file NAME {}` block (or the deprecated `vrrp_track_file`), with keepalived
 * 2.2.7's checks and messages (keepalived/trackers/track_file.c track_file_*_handler()).
 */
import type { Diagnostics } from '../diagnostics.js';
import type { VrrpTrackFile } from '../model.js';
import { intIn } from './int-in.js';
import type { Node } from './tree.js';

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
