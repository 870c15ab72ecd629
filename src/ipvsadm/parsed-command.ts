/**
 * What lvsadm's parser (parse.ts, parse-run.ts) turns one argv into: a command for lvsd, a
 * listing request, or text to print.
 */
import type { Command, SysctlName } from '../control/commands.js';
import type { SysctlSetting } from '../control/sysctl-values.js';
import type { ServiceKey } from '../core/types.js';

/** Which listing a `-L` asks for. */
export type ListView =
  | 'services'
  | 'connections'
  | 'timeout'
  | 'daemon'
  | 'laddrs'
  | 'status'
  | 'health'
  | 'availability'
  | 'vrrp';

/** ipvsadm's FMT_* flags that shape a services or connections listing. */
export interface ListFormat {
  readonly numeric: boolean;
  readonly stats: boolean;
  readonly rate: boolean;
  readonly thresholds: boolean;
  readonly persistentConn: boolean;
  readonly tunInfo: boolean;
  readonly exact: boolean;
  readonly nosort: boolean;
  /** `-c --sync-origin` (ours): the kernel's /proc/net/ip_vs_conn_sync rows, with their Origin. */
  readonly syncOrigin?: boolean;
}

/** A read request: what to fetch from lvsd and how format() should print it. */
export interface ListRequest {
  readonly view: ListView;
  readonly format: ListFormat;
  /** `-L -t VIP:port`: one service (prints no version line; missing → "No such service", exit 1). */
  readonly service?: ServiceKey;
}

/** What the runner should do for one lvsadm invocation. */
export type ParsedCommand = (
  | { readonly kind: 'command'; readonly command: Command }
  | { readonly kind: 'list'; readonly list: ListRequest }
  | { readonly kind: 'save'; readonly numeric: boolean }
  | { readonly kind: 'restore' }
  /**
   * `--sysctl [NAME[=VALUE]]` (ours): list every net.ipv4.vs.* value, show one (`get`), or write
   * one (`set`) through lvsd's apply.
   */
  | { readonly kind: 'sysctl'; readonly get?: SysctlName; readonly set?: SysctlSetting }
  /** `--bgp` (ours): what lvsd announces through BIRD, and BIRD's sessions. */
  | { readonly kind: 'bgp' }
  /**
   * Text for stdout; exit 0. `terminalNote` follows it only when stdout is a terminal (usage.ts
   * TERMINAL_NOTE: ipvsadm's bytes for anything that captures the output).
   */
  | { readonly kind: 'help'; readonly text: string; readonly terminalNote?: string }
  | { readonly kind: 'version'; readonly text: string; readonly terminalNote?: string }
  /** Text for stderr (print it followed by a newline), then exit with exitCode. */
  | { readonly kind: 'error'; readonly text: string; readonly exitCode: number }
) & {
  /** `--socket PATH` if given (it may appear anywhere and is removed before parsing). */
  readonly socket?: string;
};
