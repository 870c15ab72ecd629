/**
 * lvsd's command line. Parsing is separate from programs/lvsd/main.ts so it can be tested
 * without starting a daemon; it returns either options or a usage failure (exit 2, like
 * ipvsadm's usage errors).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BIRD_PROTOCOL_NAME, DEFAULT_BIRD_PROTOCOL } from '../config/bird/bird-include.js';
import type { ConfigFormat } from '../config/check-config.js';
import { MARK_FORMATS, type MarkFormat } from '../config/marks/mark-file.js';
import type { SysctlArg } from '../config/sysctl-plan.js';
import { DATAPLANES, type DataplaneName } from '../control/ports.js';
import { parseSysctlValue, SysctlError, sysctlName } from '../control/sysctl-values.js';
import { APP_MAX_PORTS } from '../core/conn-app.js';
import { LvsError } from '../core/errors.js';
import { IMITATED, LVS_TS_VERSION } from '../core/version.js';
import {
  KEEPALIVED_DEFAULT_CONFIG,
  LDIRECTORD_DEFAULT_CONFIG,
  withDefaultConfigPaths,
} from './default-config-path.js';
import { parseHttpListen } from './http/http-listen.js';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from './logger.js';
import { defaultSocketPath, processSocketEnv, type SocketEnv } from './socket-path.js';

/** `--xdp` values (packet plane's AF_XDP fast path; src/dataplane/packet-plane/xdp-plane.ts XDP_MODES). */
export const XDP_FLAG_VALUES = ['auto', 'on', 'off'] as const;

/** Default and bounds of `--conn-tab-bits`, as the kernel's CONFIG_IP_VS_TAB_BITS (8..20, 12). */
export const CONN_TAB_BITS = { default: 12, min: 8, max: 20 } as const;

/**
 * lvsd's subcommands (`lvsd NAME ...`, dispatched by programs/lvsd/main.ts before option
 * parsing), each with the line `lvsd --help` shows; every one answers `--help` with exit 0.
 */
export const LVSD_SUBCOMMANDS = {
  simulate: 'run a pcap through the packet engine offline: --rules FILE --in IN.pcap ...',
  'rs-setup': 'print (or --apply) the real-server set-up for DR or TUN: --vip VIP --mode dr|tun',
  'rs-agent': 'decapsulate IPIP/GRE/GUE on a real server without kernel modules: --decap --vip VIP',
} as const;

/** A subcommand's name. */
export type LvsdSubcommand = keyof typeof LVSD_SUBCOMMANDS;

/**
 * `lvsd --version`: LVS.ts's version, then what it reproduces and at which versions (the ones
 * its tests compare against), and the Node.js running it.
 */
export function lvsdVersionText(node: string = process.version): string {
  return `lvsd (LVS.ts) ${LVS_TS_VERSION}
  IPVS ${IMITATED.ipvs} table and schedulers; lvsadm speaks ipvsadm ${IMITATED.ipvsadm}
  --config reads keepalived ${IMITATED.keepalived} keepalived.conf and ldirectord ${IMITATED.ldirectord} ldirectord.cf
  Node.js ${node}
`;
}

/** Parsed lvsd options. */
export interface LvsdOptions {
  readonly socket: string;
  readonly restore?: string;
  readonly dataplane: DataplaneName;
  /** Interfaces of the packet data plane (`--interface`, repeatable). */
  readonly interfaces: readonly string[];
  /**
   * `--ingress-bypass` (packet plane): nftables netdev ingress drops for the traffic lvsd takes,
   * so the director's kernel stops routing it a second time. Opt-in: it writes host firewall
   * state (removed on a clean stop, replaced at the next start after a crash).
   */
  readonly ingressBypass?: boolean;
  /**
   * `--xdp auto|on|off` (packet plane): the AF_XDP fast path. auto (the default) uses it when
   * the XDP program loads and logs why not; on refuses to start without it; off is AF_PACKET only.
   */
  readonly xdp?: (typeof XDP_FLAG_VALUES)[number];
  /**
   * `--listen-backlog N` (proxy plane): the listen(2) backlog of its TCP listeners; absent: the
   * plane's default (io/proxy/listen-backlog.ts: as many as its descriptor budget can carry, at
   * most 4096). The kernel caps it at net.core.somaxconn.
   */
  readonly listenBacklog?: number;
  /**
   * `--xdp-offload auto|on|off` (packet plane, with the AF_XDP path): established DR conns
   * forwarded by the XDP program itself. auto (the default; off with `--xdp off`): when the
   * program attached in the driver's mode on a NIC with a device (not veth, whose peer needs an
   * XDP program of its own); on also on veth and in generic mode, and refuses to start without
   * the maps, and then hands down NAT requests too; off never. Paused while a sync master runs.
   */
  readonly xdpOffload?: (typeof XDP_FLAG_VALUES)[number];
  readonly connTabBits: number;
  readonly logLevel: LogLevel;
  /** `--log-format json|text`; absent: text on a terminal, JSON elsewhere. */
  readonly logFormat?: LogFormat;
  /** Tick period of the director's timers in ms. */
  readonly tickMs: number;
  /** Run the quick-start demo (no arguments at all, as `npm start`, or `--demo`). */
  readonly demo: boolean;
  /** `--config FILE`: keepalived.conf or ldirectord.cf driving the table and health checks. */
  readonly config?: string;
  /** `--config-format`: the dialect, detected when absent. */
  readonly configFormat?: ConfigFormat;
  /** `--config-id`: keepalived's `@ID` selector (keepalived.conf(5) "Conditional configuration"). */
  readonly configId?: string;
  /** `--sysctl NAME=VALUE` (repeatable), checked; applied after the sysctl files, so they win. */
  readonly sysctls?: readonly SysctlArg[];
  /**
   * `--sysctl-files`: 'none', or the directories and files to read instead of the system's
   * (absent: /etc/sysctl.d and the other sysctl.d directories, then /etc/sysctl.conf).
   */
  readonly sysctlFiles?: 'none' | readonly string[];
  /** `--http ADDR:PORT` and `--http-token-file FILE`: the HTTP API (daemon/http), off when absent. */
  readonly http?: { readonly host: string; readonly port: number; readonly tokenFile?: string };
  /** `--mark RULE` (repeatable): firewall-mark rules in lvsd's language (config/marks/mark-rules.ts). */
  readonly marks?: readonly string[];
  /** `--mark-file FILE`: mark rules (lvsd's language, iptables-save or nft list ruleset), re-read on SIGHUP. */
  readonly markFile?: string;
  /** `--mark-format`: the mark file's format, sniffed when absent. */
  readonly markFormat?: MarkFormat;
  /**
   * `--ftp-ports LIST` (packet plane): load the FTP helper on these TCP ports, as `modprobe
   * ip_vs_ftp ports=LIST` does; absent: no helper, as without the module.
   */
  readonly ftpPorts?: readonly number[];
  /** `--bgp` with `--bgp-include`, `--bgp-socket`, `--bgp-protocol`: drive a local BIRD (daemon/bgp). */
  readonly bgp?: { readonly include: string; readonly socket: string; readonly protocol: string };
}

/** `--bgp-include` default: beside Debian bird2's /etc/bird/bird.conf. */
export const DEFAULT_BGP_INCLUDE = '/etc/bird/lvs-vips.conf';
/** `--bgp-socket` default: Debian bird2's control socket. */
export const DEFAULT_BGP_SOCKET = '/run/bird/bird.ctl';

/** Checks one `--sysctl` argument: `[net.ipv4.vs.]NAME=VALUE`. Throws SysctlError. */
export function parseSysctlArg(arg: string): SysctlArg {
  const eq = arg.indexOf('=');
  if (eq < 0) throw new SysctlError('ERR_LVS_SYSCTL_SYNTAX', 'expected NAME=VALUE');
  return { arg, setting: parseSysctlValue(sysctlName(arg.slice(0, eq)), arg.slice(eq + 1)) };
}

/** Dialects `--config-format` accepts. */
export const CONFIG_FORMATS: readonly ConfigFormat[] = ['keepalived', 'ldirectord'];

/** The outcome of parsing lvsd's argv. */
export type LvsdArgs =
  | { readonly kind: 'run'; readonly options: LvsdOptions }
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'version'; readonly text: string }
  /** `--check-config FILE`: validate like `keepalived -t` and exit. */
  | {
      readonly kind: 'check';
      readonly file: string;
      readonly format?: ConfigFormat;
      readonly configId?: string;
    }
  | { readonly kind: 'error'; readonly text: string; readonly exitCode: number };

/** lvsd's --help text. */
export function lvsdUsage(defaultSocket: string): string {
  const subs = Object.entries(LVSD_SUBCOMMANDS)
    .map(([name, what]) => `  ${name.padEnd(10)} ${what}`)
    .join('\n');
  return `Usage: lvsd [options]
       lvsd SUBCOMMAND [options]    (lvsd SUBCOMMAND --help for its options)

Runs the LVS.ts director in the foreground. lvsadm talks to it over a Unix socket.

Subcommands:
${subs}

Options:
  --socket PATH          control socket (default ${defaultSocket};
                         also set by LVSD_SOCKET)
  --restore FILE         load rules in ipvsadm-save format at start
  --dataplane NAME       proxy (default), packet, or none (table only)
  --interface IF         packet data plane: interface to serve (repeatable)
  --ingress-bypass       packet data plane: drop lvsd's traffic at netdev ingress
                         (nftables table lvsd_bypass_IF) so the kernel does not
                         route it too; writes host firewall state, hence opt-in
  --xdp auto|on|off      packet data plane: AF_XDP fast path for the traffic lvsd
                         serves (default auto: used when the XDP program loads)
  --listen-backlog N     proxy data plane: listen backlog of its TCP listeners
                         (default: the TCP connections its descriptor budget can
                         carry, at most 4096; the kernel caps it at somaxconn)
  --xdp-offload auto|on|off
                         packet data plane: forward established DR TCP conns in
                         the XDP program (default auto: when XDP runs in the
                         driver's mode on a NIC, not veth; off with --xdp off;
                         on: NAT requests too; none while a sync master runs)
  --mark RULE            packet data plane: set a firewall mark for fwmark (-f)
                         services, e.g. 'tcp dst 192.0.2.100 dport 80,443 mark 1'
                         (repeatable; first matching rule wins)
  --mark-file FILE       mark rules: one --mark rule a line, iptables-save or
                         ip6tables-save MARK rules, or an nft list ruleset dump;
                         re-read on SIGHUP
  --mark-format FMT      ${MARK_FORMATS.join(', ')} (default: detected)
  --ftp-ports LIST       packet data plane: the FTP helper (ip_vs_ftp) on these
                         comma-separated TCP ports (at most ${APP_MAX_PORTS}; e.g. 21):
                         NAT services there get PORT/EPRT and 227/229 handled
                         and their data connections (FULLNAT: passive only);
                         off by default, as without modprobe ip_vs_ftp
  --conn-tab-bits N      connection table size 2^N, N in ${CONN_TAB_BITS.min}..${CONN_TAB_BITS.max} (default ${CONN_TAB_BITS.default})
  --log-level LEVEL      ${LOG_LEVELS.join('|')} (default info); SIGUSR2 flips
                         between debug and this level
  --log-format FMT       json (pino lines, the default off a terminal) or text
                         (one line per record, level and message first: journald)
  --demo                 start the quick-start demo (the default with no options)
  --config [FILE]        run a keepalived.conf or ldirectord.cf: its services,
                         health checks and sorry/fallback servers; SIGHUP reloads.
                         Without FILE: ${KEEPALIVED_DEFAULT_CONFIG}
                         if it exists, else ${LDIRECTORD_DEFAULT_CONFIG}
                         (--config-format picks one)
  --config-format FMT    keepalived or ldirectord (default: detected)
  --config-id ID         keepalived @ID lines (default: the host name's first label)
  --sysctl NAME=VALUE    set net.ipv4.vs.NAME (or NAME) at start, after the sysctl
                         files (repeatable); lvsadm --sysctl lists and changes them
  --sysctl-files LIST    read net.ipv4.vs.* lines from these comma-separated
                         directories and files instead of /etc/sysctl.d,
                         /run/sysctl.d, /usr/local/lib/sysctl.d, /usr/lib/sysctl.d,
                         /lib/sysctl.d and /etc/sysctl.conf; 'none' reads none
  --check-config [FILE]  validate FILE (default as --config) like keepalived -t
                         and exit: 0 clean, 4 fatal or missing, 5 errors/warnings
                         (ldirectord files: 2 on error)
  --http ADDR:PORT       serve the HTTP API, /metrics and the dashboard (/) there
                         (e.g. 127.0.0.1:9180; off by default); reads are open on
                         loopback, writes need a token
  --http-token-file FILE bearer token for the HTTP API (mode 0600); required for
                         an address other than loopback
  --bgp                  announce each VIP over BGP through a local BIRD 2 while
                         the data plane serves it with a healthy real server:
                         lvsd writes static routes to --bgp-include and reloads
                         BIRD; lvsadm --bgp-drain withdraws, SIGTERM withdraws all
  --bgp-include FILE     the BIRD config file lvsd writes for bird.conf to include
                         (default ${DEFAULT_BGP_INCLUDE})
  --bgp-socket PATH      BIRD's control socket (default ${DEFAULT_BGP_SOCKET})
  --bgp-protocol NAME    names of the static protocols written: NAME (IPv4) and
                         NAME6 (IPv6) (default ${DEFAULT_BIRD_PROTOCOL})
  -h, --help             show this help
  -v, --version          show LVS.ts's version and the tool versions it imitates

With no options at all (npm start), lvsd runs the quick-start demo: three HTTP
real servers on loopback behind a round-robin service on 127.0.0.1:8080. It reads
no configuration file unless --config is given.
`;
}

function fail(text: string): LvsdArgs {
  return { kind: 'error', text: `lvsd: ${text}\nTry 'lvsd --help' for more information.`, exitCode: 2 };
}

/** Parses lvsd's argv (without the program name). Never throws. */
export function parseLvsdArgs(
  argv: readonly string[],
  se: SocketEnv = processSocketEnv(),
  exists: (path: string) => boolean = existsSync,
): LvsdArgs {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: withDefaultConfigPaths(argv, exists),
      strict: true,
      allowPositionals: false,
      options: {
        socket: { type: 'string' },
        restore: { type: 'string' },
        dataplane: { type: 'string' },
        interface: { type: 'string', multiple: true },
        'ingress-bypass': { type: 'boolean' },
        xdp: { type: 'string' },
        'listen-backlog': { type: 'string' },
        'xdp-offload': { type: 'string' },
        'conn-tab-bits': { type: 'string' },
        'ftp-ports': { type: 'string' },
        'log-level': { type: 'string' },
        'log-format': { type: 'string' },
        'tick-ms': { type: 'string' },
        demo: { type: 'boolean' },
        config: { type: 'string' },
        'config-format': { type: 'string' },
        'config-id': { type: 'string' },
        'check-config': { type: 'string' },
        sysctl: { type: 'string', multiple: true },
        'sysctl-files': { type: 'string' },
        http: { type: 'string' },
        'http-token-file': { type: 'string' },
        mark: { type: 'string', multiple: true },
        'mark-file': { type: 'string' },
        'mark-format': { type: 'string' },
        bgp: { type: 'boolean' },
        'bgp-include': { type: 'string' },
        'bgp-socket': { type: 'string' },
        'bgp-protocol': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    }));
  } catch (e) {
    return fail(e instanceof Error ? e.message.replace(/\. To specify.*$/s, '') : String(e));
  }
  const socketDefault = defaultSocketPath(se);
  if (values.help) return { kind: 'help', text: lvsdUsage(socketDefault) };
  if (values.version) return { kind: 'version', text: lvsdVersionText() };
  const str = (k: string): string | undefined =>
    typeof values[k] === 'string' ? (values[k] as string) : undefined;

  const socket = str('socket') ?? socketDefault;
  if (socket === '') return fail('--socket needs a path');

  const dp = str('dataplane') ?? 'proxy';
  if (!(DATAPLANES as readonly string[]).includes(dp)) {
    return fail(`unknown data plane '${dp}' (expected ${DATAPLANES.join(' or ')})`);
  }

  const bitsText = str('conn-tab-bits') ?? String(CONN_TAB_BITS.default);
  const bits = /^\d+$/.test(bitsText) ? Number(bitsText) : Number.NaN;
  if (!(bits >= CONN_TAB_BITS.min && bits <= CONN_TAB_BITS.max)) {
    return fail(
      `--conn-tab-bits must be an integer in ${CONN_TAB_BITS.min}..${CONN_TAB_BITS.max}, got '${bitsText}'`,
    );
  }

  const ftpText = str('ftp-ports');
  let ftpPorts: number[] | undefined;
  if (ftpText !== undefined) {
    const parts = ftpText.split(',');
    ftpPorts = parts.map((p) => (/^\d{1,5}$/.test(p.trim()) ? Number(p.trim()) : Number.NaN));
    if (ftpPorts.some((p) => !(p >= 1 && p <= 65535)) || ftpPorts.length > APP_MAX_PORTS)
      return fail(
        `--ftp-ports needs 1 to ${APP_MAX_PORTS} comma-separated ports in 1..65535, got '${ftpText}'`,
      );
  }

  const level = str('log-level') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    return fail(`unknown log level '${level}' (expected ${LOG_LEVELS.join('|')})`);
  }

  const logFormat = str('log-format');
  if (logFormat !== undefined && !(LOG_FORMATS as readonly string[]).includes(logFormat)) {
    return fail(`unknown log format '${logFormat}' (expected ${LOG_FORMATS.join('|')})`);
  }

  const tickText = str('tick-ms') ?? '250';
  const tickMs = /^\d+$/.test(tickText) ? Number(tickText) : Number.NaN;
  if (!(tickMs >= 10 && tickMs <= 2000)) return fail(`--tick-ms must be in 10..2000, got '${tickText}'`);

  const backlogText = str('listen-backlog');
  const listenBacklog =
    backlogText === undefined ? undefined : /^\d+$/.test(backlogText) ? Number(backlogText) : -1;
  if (listenBacklog !== undefined && !(listenBacklog >= 1 && listenBacklog <= 65535))
    return fail(`--listen-backlog must be an integer in 1..65535, got '${backlogText}'`);
  if (listenBacklog !== undefined && dp !== 'proxy') return fail('--listen-backlog needs --dataplane proxy');

  const ingressBypass = values['ingress-bypass'] === true;
  if (ingressBypass && dp !== 'packet') return fail('--ingress-bypass needs --dataplane packet');
  if (ftpPorts && dp !== 'packet') return fail('--ftp-ports needs --dataplane packet');

  const xdpText = str('xdp');
  if (xdpText !== undefined && !(XDP_FLAG_VALUES as readonly string[]).includes(xdpText))
    return fail(`--xdp must be ${XDP_FLAG_VALUES.join('|')}, got '${xdpText}'`);
  if (xdpText !== undefined && dp !== 'packet') return fail('--xdp needs --dataplane packet');
  const xdp = dp === 'packet' ? ((xdpText ?? 'auto') as (typeof XDP_FLAG_VALUES)[number]) : undefined;
  const offText = str('xdp-offload');
  if (offText !== undefined && !(XDP_FLAG_VALUES as readonly string[]).includes(offText))
    return fail(`--xdp-offload must be ${XDP_FLAG_VALUES.join('|')}, got '${offText}'`);
  if (offText !== undefined && dp !== 'packet') return fail('--xdp-offload needs --dataplane packet');
  if (offText === 'on' && xdp === 'off') return fail('--xdp-offload on needs --xdp auto or on');
  // auto unless told otherwise; off with --xdp off, as there is no program to forward in.
  const xdpOffload =
    dp === 'packet'
      ? ((offText ?? (xdp === 'off' ? 'off' : 'auto')) as (typeof XDP_FLAG_VALUES)[number])
      : undefined;

  const marks = Array.isArray(values.mark) ? (values.mark as string[]) : [];
  const markFile = str('mark-file');
  if (markFile === '') return fail('--mark-file needs a file');
  const markFormat = str('mark-format');
  if (markFormat !== undefined && !(MARK_FORMATS as readonly string[]).includes(markFormat))
    return fail(`unknown mark format '${markFormat}' (expected ${MARK_FORMATS.join(', ')})`);
  if (markFormat !== undefined && markFile === undefined) return fail('--mark-format needs --mark-file');
  const markOpts = {
    ...(marks.length ? { marks } : {}),
    ...(markFile !== undefined ? { markFile } : {}),
    ...(markFormat !== undefined ? { markFormat: markFormat as MarkFormat } : {}),
  };

  const restore = str('restore');
  const demo = argv.length === 0 || values.demo === true;
  if (demo && restore !== undefined) return fail('--demo and --restore cannot be used together');

  const fmt = str('config-format');
  if (fmt !== undefined && !(CONFIG_FORMATS as readonly string[]).includes(fmt)) {
    return fail(`unknown config format '${fmt}' (expected ${CONFIG_FORMATS.join(' or ')})`);
  }
  const configFormat = fmt as ConfigFormat | undefined;
  const configId = str('config-id');
  const cfgOpts = {
    ...(configFormat !== undefined ? { configFormat } : {}),
    ...(configId !== undefined ? { configId } : {}),
  };
  const check = str('check-config');
  if (check !== undefined) {
    if (check === '') return fail('--check-config needs a file');
    return {
      kind: 'check',
      file: check,
      ...(configFormat !== undefined ? { format: configFormat } : {}),
      ...(configId !== undefined ? { configId } : {}),
    };
  }
  const sysctls: SysctlArg[] = [];
  for (const arg of Array.isArray(values.sysctl) ? (values.sysctl as string[]) : []) {
    try {
      sysctls.push(parseSysctlArg(arg));
    } catch (e) {
      const err = e instanceof LvsError ? e : new LvsError('ERR_LVS_SYSCTL_VALUE', String(e));
      // One line with the stable code, like a refused value in context (programs/lvsd/main.ts).
      return { kind: 'error', text: `lvsd: --sysctl '${arg}': ${err.message} (${err.code})`, exitCode: 2 };
    }
  }
  const filesText = str('sysctl-files');
  const filesList = filesText?.split(',').filter((f) => f !== '');
  if (filesList !== undefined && filesList.length === 0)
    return fail(`--sysctl-files needs 'none' or a comma-separated list of directories and files`);
  const sysctlFiles = filesText === 'none' ? ('none' as const) : filesList;

  const config = str('config');
  if (config === '') return fail('--config needs a file');
  if (config !== undefined && (demo || restore !== undefined)) {
    return fail('--config cannot be used with --demo or --restore');
  }
  if (config === undefined && (fmt !== undefined || configId !== undefined)) {
    return fail('--config-format and --config-id need --config or --check-config');
  }
  const httpText = str('http');
  const httpToken = str('http-token-file');
  const httpArg = httpText === undefined ? undefined : parseHttpListen(httpText);
  if (httpArg && !httpArg.ok) return fail(httpArg.message);
  if (httpToken !== undefined && httpArg === undefined) return fail('--http-token-file needs --http');
  const http = httpArg?.ok
    ? {
        http: {
          host: httpArg.host,
          port: httpArg.port,
          ...(httpToken !== undefined ? { tokenFile: httpToken } : {}),
        },
      }
    : {};
  const bgpInclude = str('bgp-include');
  const bgpSocket = str('bgp-socket');
  const bgpProtocol = str('bgp-protocol');
  if (values.bgp !== true && (bgpInclude ?? bgpSocket ?? bgpProtocol) !== undefined)
    return fail('--bgp-include, --bgp-socket and --bgp-protocol need --bgp');
  if (bgpInclude === '' || bgpSocket === '') return fail('--bgp-include and --bgp-socket need a path');
  if (bgpProtocol !== undefined && !BIRD_PROTOCOL_NAME.test(bgpProtocol))
    return fail(
      `--bgp-protocol must be a BIRD name (a letter or _, then letters, digits, _; at most 31), got '${bgpProtocol}'`,
    );
  const bgp =
    values.bgp === true
      ? {
          bgp: {
            include: resolve(bgpInclude ?? DEFAULT_BGP_INCLUDE),
            socket: bgpSocket ?? DEFAULT_BGP_SOCKET,
            protocol: bgpProtocol ?? DEFAULT_BIRD_PROTOCOL,
          },
        }
      : {};
  return {
    kind: 'run',
    options: {
      socket,
      ...(restore !== undefined ? { restore } : {}),
      dataplane: dp as DataplaneName,
      interfaces: Array.isArray(values.interface) ? (values.interface as string[]) : [],
      ...(ingressBypass ? { ingressBypass } : {}),
      ...(xdp !== undefined ? { xdp } : {}),
      ...(listenBacklog !== undefined ? { listenBacklog } : {}),
      ...(xdpOffload !== undefined ? { xdpOffload } : {}),
      connTabBits: bits,
      ...(ftpPorts ? { ftpPorts } : {}),
      logLevel: level as LogLevel,
      ...(logFormat !== undefined ? { logFormat: logFormat as LogFormat } : {}),
      tickMs,
      demo,
      ...(config !== undefined ? { config, ...cfgOpts } : {}),
      ...(sysctls.length > 0 ? { sysctls } : {}),
      ...(sysctlFiles !== undefined ? { sysctlFiles } : {}),
      ...http,
      ...markOpts,
      ...bgp,
    },
  };
}
