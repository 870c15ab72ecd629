/**
 * The instrumentation seam: named `node:diagnostics_channel` channels on which the edges of lvsd
 * publish what they did — table changes, health transitions, data-plane faults and reloads — as
 * structured messages. The logger (daemon/logger.ts) subscribes to them, and so can metrics or an
 * API, instead of being called from the middle of the code; undici publishes its request events
 * the same way (`undici:request:create`, lib/core/diagnostics.js). Publishing to a channel with no
 * subscriber does nothing, and every publisher checks `hasSubscribers` first, so an unobserved
 * channel costs one property read. Pure code never publishes: it returns results, and the caller
 * that performed the effect publishes them. Nothing on the per-packet path publishes.
 */
import { channel, subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Change } from './apply.js';
import type { Command } from './commands.js';

/**
 * Who applied a table command: a control-socket client, an HTTP API client (`lvsd --http`), or
 * lvsd itself (health checks, reloads).
 */
export type TableChangeOrigin = 'socket' | 'http' | 'daemon';

/** One command applied to the IPVS table, published after it succeeded. */
export interface TableChangeMessage {
  /** The table the command changed (the daemon's ControlTarget), to tell instances apart. */
  readonly source: object;
  readonly origin: TableChangeOrigin;
  readonly cmd: Command;
  /** What the command changed, as control/apply returned it. */
  readonly changes: readonly Change[];
  /** Wall-clock time of the change, ms. */
  readonly at: number;
}

/** A health transition: a real server, or a whole service's quorum, going up or down. */
export interface HealthTransitionMessage {
  /** The health runner that saw it. */
  readonly source: object;
  /** The virtual service's id (e.g. `TCP 10.0.0.1:80`). */
  readonly svc: string;
  /** The real server's id, or undefined for the service's quorum state. */
  readonly rs: string | undefined;
  readonly up: boolean;
  /** Wall-clock time of the transition, ms. */
  readonly at: number;
  /** The checker's reason, e.g. `connect timed out`. */
  readonly message: string;
}

/** Stable codes of data-plane faults; subscribers match on these, never on log text. */
export const DATAPLANE_FAULT_CODES = [
  /** An AF_PACKET socket reported an error. */
  'packet-socket-error',
  /** `ip monitor` reported a change but the routes or addresses could not be re-read. */
  'host-config-unreadable',
  /** `--xdp auto`: the AF_XDP path did not start; the plane runs on AF_PACKET alone. */
  'xdp-unavailable',
  /** The XDP filter maps could not be refilled; the old entries stay. */
  'xdp-filter-update-failed',
  /** `--ingress-bypass`: nft is not installed; the kernel keeps routing what lvsd forwards. */
  'bypass-nft-missing',
  /** nft refused the ingress-bypass ruleset; the tables are removed. */
  'bypass-nft-refused',
  /** The ingress-bypass tables could not be removed at close. */
  'bypass-remove-failed',
  /** The proxy plane cannot bind or listen on a virtual service; it retries. */
  'proxy-listen-failed',
  /** A served UDP socket reported an error. */
  'proxy-udp-socket-error',
  /** The native TCP relay could not load; connections are relayed in JavaScript. */
  'native-relay-unavailable',
  /** The native relay refused one connection; it is relayed in JavaScript. */
  'native-relay-refused',
  /** A connection to a real server failed. */
  'rs-connect-failed',
  /**
   * The proxy plane's descriptor budget is full: new TCP clients are reset and datagrams that
   * would open a new UDP flow are dropped (counted as `fd_limit_tcp` / `fd_limit_udp`).
   */
  'proxy-fd-limit',
  /** The director could not open a socket toward a real server (EMFILE, ENOBUFS, ...): not the server's fault. */
  'proxy-local-error',
  /** A table command was accepted that this plane cannot serve (a DR/TUN destination on the proxy). */
  'unserved-change',
  /** The data plane threw while following a table change; the table change stands. */
  'plane-follow-failed',
  /** The director's timer tick threw. */
  'tick-failed',
] as const;
/** One of {@link DATAPLANE_FAULT_CODES}. */
export type DataplaneFaultCode = (typeof DATAPLANE_FAULT_CODES)[number];

/** A fault at the data plane's edge: a driver, socket, relay, XDP or nft failure. */
export interface DataplaneFaultMessage {
  /** The plane (or director) that met it, to tell instances apart. */
  readonly source: object;
  /** Which data plane: `packet`, `proxy`, or `director` for the table's own timers. */
  readonly plane: 'packet' | 'proxy' | 'director';
  readonly code: DataplaneFaultCode;
  /** The error as caught (an Error, or the text a tool or the addon reported), when there is one. */
  readonly err?: unknown;
  /** Structured context: the service, destination, reason or errno name. */
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** A configuration finding as a reload reports it (config/diagnostics.ts ConfigDiagnostic fits). */
export interface ReloadFinding {
  readonly severity: 'notice' | 'warning' | 'error' | 'fatal';
  readonly code: string;
  readonly file: string;
  readonly line: number;
  /** The message without the `file:line:` prefix. */
  readonly text: string;
}

/** How many commands of each op a load or reload applied: the diff it made to the table. */
export type TableDiffSummary = Readonly<Partial<Record<Command['op'], number>>>;

/**
 * One step of loading or reloading `--config` (SIGHUP, ldirectord autoreload): `started` (a
 * reload only), `checked` (the file was read, with every finding), then `finished` with the diff
 * it applied, or `failed` with the findings that kept the previous configuration in force.
 */
export type ReloadMessage =
  | { readonly phase: 'started'; readonly source: object; readonly file: string; readonly reason: string }
  | {
      readonly phase: 'checked';
      readonly source: object;
      readonly file: string;
      readonly findings: readonly ReloadFinding[];
    }
  | {
      readonly phase: 'failed';
      readonly source: object;
      readonly file: string;
      /** The findings that refused the reload. */
      readonly findings: readonly ReloadFinding[];
    }
  | {
      readonly phase: 'finished';
      readonly source: object;
      readonly file: string;
      /** True for the load at start, false for a reload. */
      readonly initial: boolean;
      /** The dialect: keepalived or ldirectord. */
      readonly format: string;
      readonly services: number;
      /** Commands applied, in total and by op. */
      readonly commands: number;
      readonly diff: TableDiffSummary;
    };

/**
 * A VRRP instance changed state (RFC 5798 §6.4), as the daemon's VRRP runner performed it; the
 * logger writes keepalived's own words for it (`(VI_1) Entering MASTER STATE`).
 */
export interface VrrpTransitionMessage {
  /** The VRRP runner that drove it. */
  readonly source: object;
  readonly instance: string;
  readonly from: 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT';
  readonly to: 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT';
  /** Effective priority at the transition. */
  readonly priority: number;
  /** Wall-clock time of the transition, ms. */
  readonly at: number;
}

/**
 * A service or one of its real servers became unserved, or served again (daemon/serve-watch.ts),
 * with the data plane's reason; the first report after start lists every unserved one.
 */
export interface ServeStatusMessage {
  readonly source: object;
  /** The service as serviceKeyText writes it. */
  readonly service: string;
  /** The real server, when the status is one real server's. */
  readonly dest?: string;
  readonly serving: boolean;
  /** Why it is not served. */
  readonly reason?: string;
  /** True for the report of the table as loaded at start. */
  readonly initial: boolean;
}

/**
 * The connection-table defenses in force changed (daemon's once-a-second defense tick,
 * core/defense.ts): `active` and `previous` name them (drop_entry, drop_packet, secure_tcp).
 */
export interface DefenseMessage {
  readonly source: object;
  readonly active: readonly string[];
  readonly previous: readonly string[];
  /** Free + buffer memory measured, KiB (undefined when /proc/meminfo could not be read). */
  readonly availableKiB: number | undefined;
  /** amemthresh in pages at the time. */
  readonly amemthresh: number;
}

/** A typed view of one diagnostics channel: publish only when someone listens. */
export interface TypedChannel<T> {
  readonly name: string;
  /** False when nobody listens: publishers check it so an unobserved event costs nothing. */
  readonly hasSubscribers: boolean;
  publish(message: T): void;
  subscribe(fn: (message: T) => void): void;
  unsubscribe(fn: (message: T) => void): void;
}

function typed<T>(name: string): TypedChannel<T> {
  const ch = channel(name);
  // The listener sees only what publish() was given, a T: the cast only restates that.
  const listener = (fn: (message: T) => void) => fn as (message: unknown) => void;
  return {
    name,
    get hasSubscribers() {
      return ch.hasSubscribers;
    },
    publish: (message) => ch.publish(message),
    subscribe: (fn) => subscribe(name, listener(fn)),
    unsubscribe: (fn) => {
      unsubscribe(name, listener(fn));
    },
  };
}

/** `lvs:table:change`: every command applied to the table, after it succeeded. */
export const tableChangeChannel = typed<TableChangeMessage>('lvs:table:change');
/** `lvs:health:transition`: a real server or a service's quorum going up or down (not the initial state). */
export const healthTransitionChannel = typed<HealthTransitionMessage>('lvs:health:transition');
/** `lvs:dataplane:fault`: a driver, socket, relay, XDP or nft failure at a data plane's edge. */
export const dataplaneFaultChannel = typed<DataplaneFaultMessage>('lvs:dataplane:fault');
/** `lvs:vrrp:transition`: a VRRP instance entering INIT (stop), BACKUP, MASTER or FAULT. */
export const vrrpTransitionChannel = typed<VrrpTransitionMessage>('lvs:vrrp:transition');
/** `lvs:dataplane:serve`: what the data plane stopped or started serving, and why. */
export const serveStatusChannel = typed<ServeStatusMessage>('lvs:dataplane:serve');
/** `lvs:defense`: a connection-table defense engaging or disengaging. */
export const defenseChannel = typed<DefenseMessage>('lvs:defense');
/** `lvs:config:reload`: the steps of loading and reloading `--config`. */
export const reloadChannel = typed<ReloadMessage>('lvs:config:reload');
