/**
 * What the daemon needs from the director, as one narrow interface: apply's ControlTarget plus
 * the read side (timeouts, daemons, connections) and the periodic tick. main.ts builds it with
 * createDirectorPort; tests can build one over any ServiceTable.
 */
import type { ControlTarget } from '../control/apply.js';
import type { SysctlName } from '../control/commands.js';
import type { ConnView, DaemonView, TimeoutsView } from '../control/views.js';
import { TableError } from '../core/errors.js';
import { findScheduler } from '../core/schedulers/index.js';
import { ServiceTable } from '../core/service-table.js';

/** The running director as the daemon sees it. */
export interface DirectorPort extends ControlTarget {
  /** 2^conn_tab_bits. */
  readonly connTabSize: number;
  timeouts(): TimeoutsView;
  daemons(): readonly DaemonView[];
  conns(now: number): readonly ConnView[];
  /** Runs timers: connection expiry, rate estimation, dest trash. */
  tick(now: number): void;
}

/** Largest `--set` timeout in seconds (ipvsadm's 2678400 passes; the kernel caps at int jiffies). */
const MAX_TIMEOUT_S = 2147483;

/**
 * A director with a service table and settings but no connection table, used until the core's
 * Director is wired in: listings show no connections and `--set` only records the values.
 */
export function createDirectorPort(connTabBits: number): DirectorPort {
  const table = new ServiceTable({ schedulers: findScheduler });
  const tmo = { tcp: 900, tcpfin: 120, udp: 300 };
  const sysctls = new Map<SysctlName, number>();
  return {
    table,
    connTabSize: 2 ** connTabBits,
    setTimeouts(tcp, tcpfin, udp) {
      for (const v of [tcp, tcpfin, udp]) {
        if (!Number.isInteger(v) || v < 0 || v > MAX_TIMEOUT_S) {
          throw new TableError('ERR_LVS_INVALID', `timeout out of range: ${v}`);
        }
      }
      if (tcp) tmo.tcp = tcp;
      if (tcpfin) tmo.tcpfin = tcpfin;
      if (udp) tmo.udp = udp;
    },
    setSysctl(name, value) {
      sysctls.set(name, value);
    },
    zeroGlobal() {},
    timeouts: () => ({ ...tmo }),
    daemons: () => [],
    conns: () => [],
    tick(now) {
      table.expireTrash(now);
    },
  };
}
