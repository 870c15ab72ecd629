/**
 * The user checks `keepalived -t` makes on script users: `script_user USER [GROUP]` in global_defs
 * and `user USER [GROUP]` in a vrrp_script must name a user (and group) the host knows, else
 * keepalived reports the line (global_parser.c script_user_handler(), vrrp_parser.c
 * vrrp_vscript_user_handler(), both through set_script_uid_gid()'s getpwnam/getgrnam). The
 * lookups come in through HostFacts, so this stays pure; without them nothing is checked.
 */
import type { Diagnostics } from '../diagnostics.js';
import type { Node } from './tree.js';
import type { HostFacts } from './vrrp-validate.js';

// True when USER [GROUP] both resolve (an absent lookup counts as known).
function known(host: HostFacts, args: readonly string[]): boolean {
  const [user, group] = args;
  if (user !== undefined && host.userExists && !host.userExists(user)) return false;
  if (group !== undefined && host.groupExists && !host.groupExists(group)) return false;
  return true;
}

/** Reports each script user or group the host does not know, at its line, in keepalived's words. */
export function checkScriptUsers(d: Diagnostics, tree: readonly Node[], host: HostFacts): void {
  if (!host.userExists && !host.groupExists) return;
  for (const n of tree) {
    for (const c of n.children ?? []) {
      if (n.kw === 'global_defs' && c.kw === 'script_user' && !known(host, c.args))
        d.error('ERR_CONFIG_BAD_VALUE', 'Error setting global script uid/gid', c);
      else if (n.kw === 'vrrp_script' && c.kw === 'user' && !known(host, c.args)) {
        const script = n.children?.find((x) => x.kw === 'script')?.args.join(' ') ?? '';
        d.error('ERR_CONFIG_BAD_VALUE', `Unable to set uid/gid for script '${script}'`, c);
      }
    }
  }
}
