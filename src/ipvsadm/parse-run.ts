/**
 * The state machine behind parse(): option handlers in argv order (each may fail at once, as
 * ipvsadm's fail() exits), then the post-checks of process_options in ipvsadm 1.31's order:
 * --set values, unexpected words, -b flags, the legality matrix, then per-command checks.
 */
import type { Command } from '../control/commands.js';
import { FWD, PROTO, type ServiceKey, SVC_F, TUN_F, TUN_TYPE } from '../core/types.js';
import { CMD_NAMES, type CmdId, EXIT_OPERATION } from './messages.js';
import { Fail, fail, handle, lookupFor, type State, timeoutValue } from './parse-handlers.js';
import { MATRIX, OPT_NAMES, type OptName, TUN_MATRIX } from './parse-tables.js';
import { inetAton, inetPton6 } from './parse-values.js';
import type { ListRequest, ListView, ParsedCommand } from './parsed-command.js';
import { PoptScanner } from './popt.js';
import type { Resolver } from './resolve.js';

/** Outcome of runParse before parse() adds the program name and socket. */
export type RunResult =
  | { readonly kind: 'tryhelp' | 'help' | 'version' }
  | { readonly kind: 'fail'; readonly text: string; readonly exitCode?: number }
  | { readonly kind: 'ok'; readonly result: ParsedCommand };

const FIRST: Record<string, CmdId | 'h' | 'v'> = {
  A: 'add',
  E: 'edit',
  D: 'del',
  C: 'flush',
  L: 'list',
  Z: 'zero',
  a: 'adddest',
  e: 'editdest',
  d: 'deldest',
  set: 'timeout',
  R: 'restore',
  S: 'save',
  'start-daemon': 'startd',
  'stop-daemon': 'stopd',
  P: 'addladdr',
  Q: 'delladdr',
  G: 'getladdr',
  h: 'h',
  v: 'v',
};

/** generic_opt_check: one pass over the columns; the first offending column decides the message. */
function matrixCheck(
  row: string,
  options: Set<OptName>,
  names: readonly string[],
  what: string,
  ctx: string,
): void {
  let last = -1;
  for (let j = 0; j < names.length; j++) {
    const rule = row[j] ?? 'x';
    const name = names[j] ?? '';
    if (!options.has(name as OptName)) {
      if (rule === '+') fail(`You need to supply the '${name}' option for the '${what}' ${ctx}`);
      continue;
    }
    if (rule === 'x') fail(`Illegal '${name}' option with the '${what}' ${ctx}`);
    if (rule === '1') {
      if (last < 0) last = j;
      else fail(`The option '${name}' conflicts with the '${names[last]}' option in the '${what}' ${ctx}`);
    }
  }
}

/** parse_sched_flags: comma list, empty items skipped, sh-/mh- flags only with that scheduler. */
function schedFlags(sched: string, list: string): number {
  let flags = 0;
  for (const f of list.split(',')) {
    if (f === '') continue;
    if (f === 'flag-1') flags |= SVC_F.SCHED1;
    else if (f === 'flag-2') flags |= SVC_F.SCHED2;
    else if (f === 'flag-3') flags |= SVC_F.SCHED3;
    else if (f === 'sh-fallback' || f === 'sh-port' || f === 'mh-fallback' || f === 'mh-port') {
      if (sched !== f.slice(0, 2)) fail(`incompatible scheduler flag \`${f}'`);
      flags |= f.endsWith('fallback') ? SVC_F.SCHED1 : SVC_F.SCHED2;
    } else fail(`invalid scheduler flag \`${f}'`);
  }
  return flags;
}

function initState(cmd: CmdId): State {
  return {
    cmd,
    options: new Set(),
    proto: 0,
    af: 4,
    addr: '0.0.0.0',
    port: 0,
    fwmark: 0,
    sched: '',
    flags: 0,
    timeout: 0,
    netmask: '255.255.255.255',
    pe: '',
    dAf: 4,
    dAddr: '0.0.0.0',
    dPort: 0,
    fwd: FWD.DROUTE, // direct routing is ipvsadm's default forwarding method
    weight: 1,
    uThr: 0,
    lThr: 0,
    tunType: 'ipip',
    tunPort: 0,
    tunFlags: TUN_F.NOCSUM,
    mcastIfn: '',
    syncId: 0,
    daemonState: 'master',
  };
}

/** Runs the whole parse; see parse.ts for the contract. */
export function runParse(argv: readonly string[], r: Resolver, restoring: boolean): RunResult {
  if (argv.length === 0)
    return { kind: 'ok', result: { kind: 'list', list: listOf(initState('list'), 'services') } };
  const sc = new PoptScanner(argv, lookupFor(undefined));
  const first = sc.step();
  if (first.type !== 'opt') return { kind: 'tryhelp' };
  const c = FIRST[first.def.id];
  if (c === undefined || (c === 'restore' && restoring)) return { kind: 'tryhelp' };
  if (c === 'h' || c === 'v') return { kind: c === 'h' ? 'help' : 'version' };
  const st = initState(c);
  sc.lookup = lookupFor(c);
  try {
    if (c === 'startd' || c === 'stopd') {
      const a = first.arg ?? '';
      if (a !== 'master' && a !== 'backup') {
        fail(c === 'startd' ? 'illegal start-daemon parameter specified' : 'illegal start_daemon specified');
      }
      st.daemonState = a === 'backup' ? 'backup' : 'master';
    }
    for (;;) {
      const ev = sc.step();
      if (ev.type === 'end') break;
      if (ev.type === 'error') fail(`${ev.token}: ${ev.message}`, EXIT_OPERATION);
      // ipvsadm names a misplaced option by poptBadOption(): the last argv element consumed.
      else handle(st, ev.def.id, ev.arg ?? (ev.def.arity === 'optional' ? '\0' : ''), sc.lastConsumed, r);
    }
    const args = sc.leftovers;
    let timeouts: [number, number, number] | undefined;
    if (c === 'timeout') {
      if (args.length < 3) fail('--set option requires 3 timeout values');
      timeouts = [timeoutValue(args[0], 0), timeoutValue(args[1], 0), timeoutValue(args[2], 0)];
      args.splice(0, 3);
    }
    if (args.length > 0) fail(`unexpected argument ${args[0]}`);
    if (st.schedFlags !== undefined) st.flags |= schedFlags(st.sched, st.schedFlags);
    matrixCheck(MATRIX[c], st.options, OPT_NAMES, CMD_NAMES[c], 'command');
    return { kind: 'ok', result: finish(st, timeouts) };
  } catch (e) {
    if (e instanceof Fail)
      return e.exitCode === undefined
        ? { kind: 'fail', text: e.text }
        : { kind: 'fail', text: e.text, exitCode: e.exitCode };
    throw e;
  }
}

function serviceKey(st: State): ServiceKey {
  if (st.fwmark) return { kind: 'fwmark', af: st.af, fwmark: st.fwmark };
  return {
    kind: 'addr',
    af: st.af,
    protocol: st.proto === 0 ? PROTO.TCP : st.proto,
    addr: st.addr,
    port: st.port,
  };
}

function listOf(st: State, view: ListView): ListRequest {
  const o = st.options;
  const format = {
    numeric: o.has('numeric'),
    stats: o.has('stats'),
    rate: o.has('rate'),
    thresholds: o.has('thresholds'),
    persistentConn: o.has('persistent-conn'),
    tunInfo: o.has('tun-info'),
    exact: o.has('exact'),
    nosort: o.has('nosort'),
    ...(o.has('sync-origin') ? { syncOrigin: true } : {}),
  };
  return o.has('service-address') ? { view, format, service: serviceKey(st) } : { view, format };
}

/** process_options' per-command checks and the Command or request they produce. */
function finish(st: State, timeouts: [number, number, number] | undefined): ParsedCommand {
  const o = st.options;
  const cmd = (command: Command): ParsedCommand => ({ kind: 'command', command });
  switch (st.cmd) {
    case 'add':
    case 'edit': {
      if (!st.fwmark && !st.port && !(st.flags & SVC_F.PERSISTENT))
        fail('Zero port specified for non-persistent service');
      if (st.flags & SVC_F.ONEPACKET && !st.fwmark && st.proto !== PROTO.UDP) {
        fail('One-Packet Scheduling is only for UDP virtual services');
      }
      const config = {
        scheduler: st.sched || 'wlc',
        flags: st.flags,
        timeout: st.timeout,
        netmask: st.netmask,
        pe: st.pe,
      };
      return cmd({ op: st.cmd === 'add' ? 'add-service' : 'edit-service', service: serviceKey(st), config });
    }
    case 'del':
      return cmd({ op: 'del-service', service: serviceKey(st) });
    case 'flush':
      return cmd({ op: 'clear' });
    case 'zero':
      return cmd(o.has('service-address') ? { op: 'zero', service: serviceKey(st) } : { op: 'zero' });
    case 'adddest':
    case 'editdest': {
      // DR and TUN cannot remap ports: the dest takes the service port (not for fwmark services).
      if (!st.fwmark && (st.fwd === FWD.TUNNEL || st.fwd === FWD.DROUTE)) st.dPort = st.port;
      const tunOpts = ['tun-type', 'tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum'] as const;
      if (st.fwd === FWD.TUNNEL) {
        matrixCheck(TUN_MATRIX[st.tunType], o, tunOpts.slice(1), st.tunType, 'tunnel type');
      }
      // FULLNAT may translate families as DPVS's NAT64 does (our extension).
      if (st.dAf !== st.af && st.fwd !== FWD.TUNNEL && st.fwd !== FWD.FULLNAT) {
        fail('Different address family is allowed only for tunneling servers');
      }
      if (st.fwd !== FWD.TUNNEL && tunOpts.some((t) => o.has(t)))
        fail('Tunnel options conflict with forward method');
      const dest = {
        addr: st.dAddr,
        port: st.dPort,
        af: st.dAf,
        fwd: st.fwd as 0 | 1 | 2 | 3 | 4 | 5,
        weight: st.weight,
        uThreshold: st.uThr,
        lThreshold: st.lThr,
        tunType: TUN_TYPE[st.tunType === 'ipip' ? 'IPIP' : st.tunType === 'gue' ? 'GUE' : 'GRE'],
        tunPort: st.tunPort,
        tunFlags: st.tunFlags,
        ...(st.proxy ? { proxyProtocol: st.proxy } : {}),
      };
      return cmd({ op: st.cmd === 'adddest' ? 'add-dest' : 'edit-dest', service: serviceKey(st), dest });
    }
    case 'deldest':
      return cmd({ op: 'del-dest', service: serviceKey(st), dest: { addr: st.dAddr, port: st.dPort } });
    case 'timeout': {
      const [tcp, tcpfin, udp] = timeouts ?? [0, 0, 0];
      return cmd({ op: 'set-timeouts', tcp, tcpfin, udp });
    }
    case 'startd': {
      const daemon = {
        state: st.daemonState,
        mcastInterface: st.mcastIfn || 'eth0', // DEF_MCAST_IFN
        syncId: st.syncId,
        ...(st.syncMaxLen !== undefined ? { syncMaxLen: st.syncMaxLen } : {}),
        ...(st.mcastGroup !== undefined ? { mcastGroup: st.mcastGroup } : {}),
        ...(st.mcastPort !== undefined ? { mcastPort: st.mcastPort } : {}),
        ...(st.mcastTtl !== undefined ? { mcastTtl: st.mcastTtl } : {}),
      };
      return cmd({ op: 'start-daemon', daemon });
    }
    case 'stopd':
      return cmd({ op: 'stop-daemon', state: st.daemonState });
    case 'restore':
      return { kind: 'restore' };
    case 'save':
      return { kind: 'save', numeric: o.has('numeric') };
    case 'addladdr':
      return cmd({
        op: 'add-laddr',
        service: serviceKey(st),
        addr: st.laddr ?? '',
        ...(st.ifname !== undefined ? { ifname: st.ifname } : {}),
      });
    case 'delladdr':
      return cmd({ op: 'del-laddr', service: serviceKey(st), addr: st.laddr ?? '' });
    case 'getladdr':
      return { kind: 'list', list: listOf(st, 'laddrs') };
    case 'list': {
      // ipvsadm 1.31 lets -c take --persistent-conn (PE data columns); 1.2x did not.
      const views = o.has('connection') || o.has('timeout') || o.has('daemon');
      const fmts = o.has('stats') || o.has('rate') || o.has('thresholds');
      const ours = o.has('status') || o.has('health') || o.has('availability') || o.has('vrrp');
      if ((views && (fmts || ours)) || ((o.has('timeout') || o.has('daemon')) && o.has('persistent-conn'))) {
        fail('options conflicts in the list command');
      }
      if (o.has('sync-origin') && (!o.has('connection') || o.has('persistent-conn')))
        fail('--sync-origin goes with -c/--connection only');
      const view: ListView = o.has('connection')
        ? 'connections'
        : o.has('timeout')
          ? 'timeout'
          : o.has('daemon')
            ? 'daemon'
            : o.has('status')
              ? 'status'
              : o.has('health')
                ? 'health'
                : o.has('availability')
                  ? 'availability'
                  : o.has('vrrp')
                    ? 'vrrp'
                    : 'services';
      return { kind: 'list', list: listOf(st, view) };
    }
  }
}

/** Words in argv that name hosts (not address literals), so the runner can resolve them first. */
export function namesIn(argv: readonly string[]): string[] {
  const out = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const takesHost = /^(-[tur]|--(tcp|udp|sctp)-service|--real-server|-M|--netmask)$/.test(a);
    const v = takesHost ? argv[i + 1] : /^-[tur]./.test(a) ? a.slice(2) : undefined;
    if (v === undefined || v.startsWith('[')) continue;
    if (inetPton6(v) !== undefined) continue;
    const host = v.includes(':') ? v.slice(0, v.lastIndexOf(':')) : v;
    if (host !== '' && inetAton(host) === undefined && !/^\d+$/.test(host)) out.add(host);
  }
  return [...out];
}
