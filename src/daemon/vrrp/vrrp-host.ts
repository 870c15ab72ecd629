/**
 * What the VRRP runner reads from the host and runs on it, behind two small interfaces so tests
 * inject fakes: the interfaces' primary addresses and link states (keepalived reads them from
 * netlink, keepalived/core/keepalived_netlink.c), and the vrrp_script / notify commands.
 */
import { spawnSync } from 'node:child_process';
import type { Af } from '../../core/addr.js';
import { type RunAs, runCommand } from '../../health/probes/misc.js';

/** Interface facts the runner needs. */
export interface VrrpHost {
  /**
   * The address adverts are sent from when no unicast_src_ip / mcast_src_ip is set: the first
   * IPv4 address of `ifname`, or its IPv6 link-local one (RFC 5798 §5.1.2.1); undefined if none.
   */
  primaryAddress(ifname: string, af: Af): string | undefined;
  /** Link state of `ifname` for track_interface: true up, false down, undefined unknown. */
  linkUp(ifname: string): boolean | undefined;
}

/** Runs the commands of a VRRP configuration. */
export interface VrrpScripts {
  /** Runs a vrrp_script once: true when it exits 0 within `timeoutMs` (keepalived.conf(5)). */
  check(argv: readonly string[], timeoutMs: number, as?: RunAs): Promise<boolean>;
  /** Starts a notify script without waiting for it (keepalived/vrrp/vrrp_notify.c notify_exec()). */
  notify(argv: readonly string[], as?: RunAs): void;
}

/** Notify scripts are killed after this long, as the health runner's scripts are. */
const NOTIFY_TIMEOUT_MS = 30_000;

/** The real scripts: spawned in their own process group, killed at their timeout. */
export const systemVrrpScripts: VrrpScripts = {
  check: (argv, timeoutMs, as) =>
    runCommand(argv, timeoutMs, as).then((r) => !r.error && !r.timedOut && r.code === 0),
  notify: (argv, as) => {
    void runCommand(argv, NOTIFY_TIMEOUT_MS, as);
  },
};

interface IpJson {
  ifname: string;
  operstate?: string;
  flags?: string[];
  addr_info?: { family: string; local: string; scope?: string; secondary?: boolean }[];
}

/** Reads `ip -j addr show`; the runner calls it at start, reload and each link poll. */
function readIp(): IpJson[] {
  const r = spawnSync('ip', ['-j', 'addr', 'show'], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  try {
    return JSON.parse(r.stdout) as IpJson[];
  } catch {
    return [];
  }
}

/** The host seen through `ip -j addr show` (iproute2), re-read at most once per `maxAgeMs`. */
export function systemVrrpHost(maxAgeMs = 500): VrrpHost {
  let at = Number.NEGATIVE_INFINITY;
  let cache: IpJson[] = [];
  const get = (name: string): IpJson | undefined => {
    const now = Date.now();
    if (now - at > maxAgeMs) {
      cache = readIp();
      at = now;
    }
    return cache.find((i) => i.ifname === name);
  };
  return {
    primaryAddress(ifname, af) {
      const infos = get(ifname)?.addr_info ?? [];
      const fam = af === 4 ? 'inet' : 'inet6';
      const ok = infos.filter((a) => a.family === fam && !a.secondary);
      return (af === 6 ? ok.find((a) => a.scope === 'link') : ok[0])?.local;
    },
    linkUp(ifname) {
      const i = get(ifname);
      if (!i) return undefined;
      // A link is up for VRRP when administratively up with carrier (keepalived IF_ISUP()).
      const f = i.flags ?? [];
      return f.includes('UP') && !f.includes('NO-CARRIER');
    },
  };
}
