/**
 * ipvsadm 1.31's option table, option names and command/option legality matrix, read from the
 * Debian ipvsadm 1.31 binary. Columns after `tun-remcsum` and the laddr commands are ours.
 */
import type { CmdId } from './messages.js';
import type { OptDef } from './popt.js';

/** Option names in matrix column order (ipvsadm's optnames[], then our extensions). */
export const OPT_NAMES = [
  'numeric',
  'connection',
  'service-address',
  'scheduler',
  'persistent',
  'netmask',
  'real-server',
  'forwarding-method',
  'weight',
  'u-threshold',
  'l-threshold',
  'mcast-interface',
  'timeout',
  'daemon',
  'stats',
  'rate',
  'thresholds',
  'persistent-conn',
  'nosort',
  'syncid',
  'exact',
  'ops',
  'pe',
  'sched-flags',
  'mcast-group',
  'mcast-port',
  'mcast-ttl',
  'sync-maxlen',
  'tun-info',
  'tun-type',
  'tun-port',
  'tun-nocsum',
  'tun-csum',
  'tun-remcsum',
  // LVS.ts extensions:
  'laddr',
  'ifname',
  'proxy-protocol',
  'status',
  'health',
  'availability',
  'vrrp',
  'sync-origin',
] as const;
/** A matrix column. */
export type OptName = (typeof OPT_NAMES)[number];

/**
 * commands_v_options: '+' required, 'x' illegal, '1' at most one of the group, ' ' optional.
 * The first 34 characters of each row are ipvsadm 1.31's bytes.
 */
export const MATRIX: Readonly<Record<CmdId, string>> = {
  add: 'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx' + 'xxxxxxxx',
  edit: 'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx' + 'xxxxxxxx',
  del: 'xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + 'xxxxxxxx',
  flush: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + 'xxxxxxxx',
  list: ' 11xxxxxxxxx11       xxxxxxx xxxxx' + 'xxx     ',
  adddest: 'xx+xxx+    xxxxxxxxxxxxxxxxxx     ' + 'xx xxxxx',
  deldest: 'xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx' + 'xxxxxxxx',
  editdest: 'xx+xxx+    xxxxxxxxxxxxxxxxxx     ' + 'xx xxxxx',
  timeout: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + 'xxxxxxxx',
  startd: 'xxxxxxxxxxx xxxxxxx xxxx    xxxxxx' + 'xxxxxxxx',
  stopd: 'xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxx' + 'xxxxxxxx',
  restore: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + 'xxxxxxxx',
  save: ' xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + 'xxxxxxxx',
  zero: 'xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + 'xxxxxxxx',
  addladdr: 'xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + '+ xxxxxx',
  delladdr: 'xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + '+xxxxxxx',
  getladdr: ' x xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + 'xxxxxxxx',
};

/** Tunnel-type matrix over tun-port, tun-nocsum, tun-csum, tun-remcsum (ipvsadm 1.31 bytes). */
export const TUN_MATRIX: Readonly<Record<'ipip' | 'gue' | 'gre', string>> = {
  ipip: 'xxxx',
  gue: '+111',
  gre: 'x11x',
};

/** Commands, selected by the first option only (ipvsadm's first poptGetNextOpt switch). */
export const COMMAND_OPTS: readonly OptDef[] = [
  { id: 'A', long: 'add-service', short: 'A', arity: 'none' },
  { id: 'E', long: 'edit-service', short: 'E', arity: 'none' },
  { id: 'D', long: 'delete-service', short: 'D', arity: 'none' },
  { id: 'C', long: 'clear', short: 'C', arity: 'none' },
  { id: 'L', long: 'list', short: 'L', arity: 'none' },
  { id: 'L', short: 'l', arity: 'none' },
  { id: 'Z', long: 'zero', short: 'Z', arity: 'none' },
  { id: 'a', long: 'add-server', short: 'a', arity: 'none' },
  { id: 'e', long: 'edit-server', short: 'e', arity: 'none' },
  { id: 'd', long: 'delete-server', short: 'd', arity: 'none' },
  { id: 'set', long: 'set', arity: 'none' },
  { id: 'h', long: 'help', short: 'h', arity: 'none' },
  { id: 'v', long: 'version', short: 'v', arity: 'none' },
  { id: 'R', long: 'restore', short: 'R', arity: 'none' },
  { id: 'S', long: 'save', short: 'S', arity: 'none' },
  { id: 'start-daemon', long: 'start-daemon', arity: 'required' },
  { id: 'stop-daemon', long: 'stop-daemon', arity: 'required' },
  // DPVS local-address commands (our extension).
  { id: 'P', long: 'add-laddr', short: 'P', arity: 'none' },
  { id: 'Q', long: 'del-laddr', short: 'Q', arity: 'none' },
  { id: 'G', long: 'get-laddr', short: 'G', arity: 'none' },
];

/** Options after the command. `-b` is looked up separately because its meaning depends on it. */
export const OPTION_OPTS: readonly OptDef[] = [
  { id: 't', long: 'tcp-service', short: 't', arity: 'required' },
  { id: 'u', long: 'udp-service', short: 'u', arity: 'required' },
  { id: 'sctp', long: 'sctp-service', arity: 'required' },
  { id: 'f', long: 'fwmark-service', short: 'f', arity: 'required' },
  { id: 's', long: 'scheduler', short: 's', arity: 'required' },
  { id: 'p', long: 'persistent', short: 'p', arity: 'optional' },
  { id: 'M', long: 'netmask', short: 'M', arity: 'required' },
  { id: 'r', long: 'real-server', short: 'r', arity: 'required' },
  { id: 'm', long: 'masquerading', short: 'm', arity: 'none' },
  { id: 'i', long: 'ipip', short: 'i', arity: 'none' },
  { id: 'g', long: 'gatewaying', short: 'g', arity: 'none' },
  { id: 'w', long: 'weight', short: 'w', arity: 'required' },
  { id: 'x', long: 'u-threshold', short: 'x', arity: 'required' },
  { id: 'y', long: 'l-threshold', short: 'y', arity: 'required' },
  { id: 'n', long: 'numeric', short: 'n', arity: 'none' },
  { id: 'c', long: 'connection', short: 'c', arity: 'none' },
  { id: 'mcast-interface', long: 'mcast-interface', arity: 'required' },
  { id: 'syncid', long: 'syncid', arity: 'required' },
  { id: 'timeout', long: 'timeout', arity: 'none' },
  { id: 'daemon', long: 'daemon', arity: 'none' },
  { id: 'stats', long: 'stats', arity: 'none' },
  { id: 'rate', long: 'rate', arity: 'none' },
  { id: 'thresholds', long: 'thresholds', arity: 'none' },
  { id: 'persistent-conn', long: 'persistent-conn', arity: 'none' },
  { id: 'nosort', long: 'nosort', arity: 'none' },
  { id: 'sort', long: 'sort', arity: 'none' },
  { id: 'X', long: 'exact', short: 'X', arity: 'none' },
  { id: '6', long: 'ipv6', short: '6', arity: 'none' },
  { id: 'o', long: 'ops', short: 'o', arity: 'none' },
  { id: 'pe', long: 'pe', arity: 'required' },
  { id: 'mcast-group', long: 'mcast-group', arity: 'required' },
  { id: 'mcast-port', long: 'mcast-port', arity: 'required' },
  { id: 'mcast-ttl', long: 'mcast-ttl', arity: 'required' },
  { id: 'sync-maxlen', long: 'sync-maxlen', arity: 'required' },
  { id: 'tun-info', long: 'tun-info', arity: 'none' },
  { id: 'tun-type', long: 'tun-type', arity: 'required' },
  { id: 'tun-port', long: 'tun-port', arity: 'required' },
  { id: 'tun-nocsum', long: 'tun-nocsum', arity: 'none' },
  { id: 'tun-csum', long: 'tun-csum', arity: 'none' },
  { id: 'tun-remcsum', long: 'tun-remcsum', arity: 'none' },
  // LVS.ts extensions.
  { id: 'fullnat', long: 'fullnat', arity: 'none' },
  { id: 'z', long: 'laddr', short: 'z', arity: 'required' },
  { id: 'F', long: 'ifname', short: 'F', arity: 'required' },
  { id: 'proxy-protocol', long: 'proxy-protocol', arity: 'required' },
  { id: 'status', long: 'status', arity: 'none' },
  { id: 'health', long: 'health', arity: 'none' },
  { id: 'availability', long: 'availability', arity: 'none' },
  { id: 'vrrp', long: 'vrrp', arity: 'none' },
  { id: 'sync-origin', long: 'sync-origin', arity: 'none' },
];

/** `-b/--sched-flags FLAGS` on every command but -a/-e. */
export const SCHED_FLAGS_OPT: OptDef = { id: 'b', long: 'sched-flags', short: 'b', arity: 'required' };
/** `-b` on -a/-e: FULLNAT forwarding, DPVS's spelling (our extension). */
export const FULLNAT_SHORT_OPT: OptDef = { id: 'fullnat', short: 'b', arity: 'none' };
