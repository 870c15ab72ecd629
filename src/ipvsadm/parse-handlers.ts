/**
 * Per-option handlers of lvsadm's parser: the switch in ipvsadm 1.31's parse_options loop, run in
 * argv order so the first failing option decides the message, plus the option lookup that knows
 * which extension options a command admits.
 */
import type { Af } from '../core/addr.js';
import { FWD, PROTO, type Protocol, SVC_F, TUN_F } from '../core/types.js';
import type { CmdId } from './messages.js';
import {
  COMMAND_OPTS,
  FULLNAT_SHORT_OPT,
  MATRIX,
  OPT_NAMES,
  OPTION_OPTS,
  type OptName,
  SCHED_FLAGS_OPT,
  type TUN_MATRIX,
} from './parse-tables.js';
import {
  atoi,
  INT_MAX,
  inetAton,
  inetPton6,
  MAX_TIMEOUT,
  parseFwmark,
  parseService,
  stringToNumber,
} from './parse-values.js';
import type { OptDef } from './popt.js';
import type { Resolver, ServiceProto } from './resolve.js';

/** A usage failure: thrown by handlers, caught once by runParse (ipvsadm's fail() exits). */
export class Fail {
  constructor(
    readonly text: string,
    readonly exitCode?: number,
  ) {}
}
/** Throws a {@link Fail}. */
export const fail = (text: string, exitCode?: number): never => {
  throw new Fail(text, exitCode);
};

/** Mutable state of one parse, mirroring ipvsadm's ipvs_command_entry. */
export interface State {
  cmd: CmdId;
  options: Set<OptName>;
  proto: Protocol | 0;
  af: Af;
  addr: string;
  port: number;
  fwmark: number;
  sched: string;
  flags: number;
  timeout: number;
  netmask: string;
  pe: string;
  schedFlags?: string;
  dAf: Af;
  dAddr: string;
  dPort: number;
  fwd: number;
  weight: number;
  uThr: number;
  lThr: number;
  tunType: keyof typeof TUN_MATRIX;
  tunPort: number;
  tunFlags: number;
  mcastIfn: string;
  syncId: number;
  mcastGroup?: string;
  mcastPort?: number;
  mcastTtl?: number;
  syncMaxLen?: number;
  daemonState: 'master' | 'backup';
  laddr?: string;
  ifname?: string;
  proxy?: 1 | 2;
}

const protoName = (p: Protocol | 0): ServiceProto | undefined =>
  p === PROTO.TCP ? 'tcp' : p === PROTO.UDP ? 'udp' : undefined;

/** Records option `o`; a repeat fails as ipvsadm's set_option does ("multiple ... options specified"). */
export function setOption(st: State, o: OptName): void {
  if (st.options.has(o)) fail(`multiple '${o}' options specified`);
  st.options.add(o);
}

/** Extension options and the matrix column that makes them legal. */
const EXTENSION_COLUMN: Readonly<Record<string, OptName>> = {
  fullnat: 'forwarding-method',
  z: 'laddr',
  F: 'ifname',
  'proxy-protocol': 'proxy-protocol',
  status: 'status',
  health: 'health',
  availability: 'availability',
  vrrp: 'vrrp',
  'sync-origin': 'sync-origin',
};
const EXTENSION_COMMANDS = new Set(['P', 'Q', 'G']);

/**
 * The option table for a command. Our extension options exist only where the matrix allows them,
 * so everywhere else ipvsadm's own answer ("-z: unknown option") comes out unchanged.
 */
export function lookupFor(cmd: CmdId | undefined) {
  const fullnatOk = cmd === 'adddest' || cmd === 'editdest';
  return (key: { short?: string; long?: string }): OptDef | undefined => {
    if (key.short === 'b') return fullnatOk ? FULLNAT_SHORT_OPT : SCHED_FLAGS_OPT;
    if (key.long === 'sched-flags') return SCHED_FLAGS_OPT;
    const match = (d: OptDef) => (key.short !== undefined ? d.short === key.short : d.long === key.long);
    const c = COMMAND_OPTS.find(match);
    if (c) return cmd !== undefined && EXTENSION_COMMANDS.has(c.id) ? undefined : c;
    const o = OPTION_OPTS.find(match);
    const col = o ? EXTENSION_COLUMN[o.id] : undefined;
    if (o && col !== undefined) {
      if (o.id === 'fullnat') return fullnatOk ? o : undefined;
      return cmd !== undefined && MATRIX[cmd][OPT_NAMES.indexOf(col)] !== 'x' ? o : undefined;
    }
    return o;
  };
}

/** parse_timeout: -p with no value gives 360. */
export const timeoutValue = (v: string | undefined, min: number): number => {
  if (v === undefined) return 360; // IPVS_SVC_PERSISTENT_TIMEOUT (ipvsadm.c), not the man page's 300
  const n = stringToNumber(v, min, MAX_TIMEOUT);
  return n === -1 ? fail(`invalid timeout value \`${v}' specified`) : n;
};

const range = (v: string, min: number, max: number, msg: string): number => {
  const n = stringToNumber(v, min, max);
  return n === -1 ? fail(msg) : n;
};

/** Runs one option handler, as the switch in ipvsadm's parse_options loop does. */
export function handle(st: State, id: string, arg: string, token: string, r: Resolver): void {
  // `token`: the argv element consumed last, which a misplaced command is refused by name.
  switch (id) {
    case 't':
    case 'u':
    case 'sctp': {
      setOption(st, 'service-address');
      st.proto = id === 't' ? PROTO.TCP : id === 'u' ? PROTO.UDP : PROTO.SCTP;
      const p = parseService(arg, protoName(st.proto), r);
      if (!p.ok) fail('illegal virtual server address[:port] specified');
      else {
        st.af = p.af;
        st.addr = p.addr;
        if (p.port !== undefined) st.port = p.port;
        if (p.af === 6) st.netmask = '128';
      }
      return;
    }
    case 'f': {
      setOption(st, 'service-address');
      st.af = 4;
      st.proto = PROTO.TCP;
      const m = parseFwmark(arg);
      st.fwmark = m ?? fail(`invalid fwmark value \`${arg}' specified`);
      return;
    }
    case 's':
      setOption(st, 'scheduler');
      st.sched = arg.slice(0, 15); // strncpy into IP_VS_SCHEDNAME_MAXLEN
      return;
    case 'p':
      setOption(st, 'persistent');
      st.flags |= SVC_F.PERSISTENT;
      st.timeout = timeoutValue(arg === '\0' ? undefined : arg, 1);
      return;
    case 'M':
      setOption(st, 'netmask');
      if (st.af !== 6) {
        st.netmask =
          inetAton(arg) ?? r.hostToAddr(arg) ?? fail('illegal virtual server persistent mask specified');
      } else {
        const n = atoi(arg);
        if (n < 1 || n > 128) fail('illegal ipv6 netmask specified');
        st.netmask = String(n);
      }
      return;
    case 'r': {
      setOption(st, 'real-server');
      const p = parseService(arg, protoName(st.proto), r);
      if (!p.ok) {
        fail('illegal real server address[:port] specified');
        return;
      }
      st.dAf = p.af;
      st.dAddr = p.addr;
      st.dPort = p.port ?? st.port; // "copy vport to dport if not specified"
      return;
    }
    case 'i':
    case 'g':
    case 'm':
    case 'fullnat':
      setOption(st, 'forwarding-method');
      st.fwd = id === 'i' ? FWD.TUNNEL : id === 'g' ? FWD.DROUTE : id === 'm' ? FWD.MASQ : FWD.FULLNAT;
      return;
    case 'w':
      setOption(st, 'weight');
      st.weight = range(arg, 0, INT_MAX, 'illegal weight specified');
      return;
    case 'x':
      setOption(st, 'u-threshold');
      st.uThr = range(arg, 0, INT_MAX, 'illegal u_threshold specified');
      return;
    case 'y':
      setOption(st, 'l-threshold');
      st.lThr = range(arg, 0, INT_MAX, 'illegal l_threshold specified');
      return;
    case 'n':
      setOption(st, 'numeric');
      return;
    case 'c':
      setOption(st, 'connection');
      return;
    case 'mcast-interface':
      setOption(st, 'mcast-interface');
      st.mcastIfn = arg.slice(0, 15);
      return;
    case 'syncid':
      setOption(st, 'syncid');
      st.syncId = range(arg, 0, 255, 'illegal syncid specified');
      return;
    case 'X':
      setOption(st, 'exact');
      return;
    case 'sort':
      return; // "does nothing, for backwards compatibility"
    case '6':
      if (!st.fwmark) fail('-6 used before -f\n');
      st.af = 6;
      st.netmask = '128';
      return;
    case 'o':
      setOption(st, 'ops');
      st.flags |= SVC_F.ONEPACKET;
      return;
    case 'pe':
      setOption(st, 'pe');
      st.pe = arg.slice(0, 15);
      return;
    case 'b':
      setOption(st, 'sched-flags');
      st.schedFlags = arg;
      return;
    case 'mcast-group': {
      setOption(st, 'mcast-group');
      if (arg.includes(':')) {
        const g = inetPton6(arg);
        if (g === undefined || !g.startsWith('ff')) fail(`invalid IPv6 mcast-group \`${arg}'`);
        st.mcastGroup = g;
      } else {
        const g = inetAton(arg);
        const first = Number(g?.split('.')[0] ?? 0);
        if (g === undefined || first < 224 || first > 239) fail(`invalid IPv4 mcast-group \`${arg}'`);
        st.mcastGroup = g;
      }
      return;
    }
    case 'mcast-port':
      setOption(st, 'mcast-port');
      st.mcastPort = range(arg, 1, 65535, 'illegal mcast-port specified');
      return;
    case 'mcast-ttl':
      setOption(st, 'mcast-ttl');
      st.mcastTtl = range(arg, 1, 255, 'illegal mcast-ttl specified');
      return;
    case 'sync-maxlen':
      setOption(st, 'sync-maxlen');
      st.syncMaxLen = range(arg, 1, 65535 - 28, 'illegal sync-maxlen specified');
      return;
    case 'tun-type': {
      setOption(st, 'tun-type');
      if (arg !== 'ipip' && arg !== 'gue' && arg !== 'gre') {
        fail('illegal tunnel type specified');
        return;
      }
      st.tunType = arg;
      return;
    }
    case 'tun-port':
      setOption(st, 'tun-port');
      st.tunPort = range(arg, 1, 65535, 'illegal tunnel port specified');
      return;
    case 'tun-nocsum':
    case 'tun-csum':
    case 'tun-remcsum':
      setOption(st, id);
      st.tunFlags = id === 'tun-nocsum' ? TUN_F.NOCSUM : id === 'tun-csum' ? TUN_F.CSUM : TUN_F.REMCSUM;
      return;
    case 'z': {
      setOption(st, 'laddr');
      st.laddr = inetAton(arg) ?? inetPton6(arg) ?? fail('illegal local address specified');
      return;
    }
    case 'F':
      setOption(st, 'ifname');
      st.ifname = arg.slice(0, 15);
      return;
    case 'proxy-protocol':
      setOption(st, 'proxy-protocol');
      if (arg !== 'v1' && arg !== 'v2' && arg !== '1' && arg !== '2')
        fail('illegal proxy-protocol version specified');
      st.proxy = arg.endsWith('1') ? 1 : 2;
      return;
    case 'timeout':
    case 'daemon':
    case 'stats':
    case 'rate':
    case 'thresholds':
    case 'persistent-conn':
    case 'nosort':
    case 'tun-info':
    case 'status':
    case 'health':
    case 'availability':
    case 'vrrp':
    case 'sync-origin':
      setOption(st, id);
      return;
    default:
      // A command or -h/-v after the first option.
      fail(`invalid option \`${token}'`);
  }
}
