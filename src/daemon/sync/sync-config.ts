/**
 * A `--start-daemon` request turned into the settings a role runs with, as
 * net/netfilter/ipvs/ip_vs_ctl.c ip_vs_genl_new_daemon() checks it and ip_vs_sync.c
 * start_sync_thread() fills in the defaults and clamps sync_maxlen. Pure.
 */

import type { SyncDaemonConfig } from '../../control/commands.js';
import { canonicalIp, ipBytes, ipFamily } from '../../core/addr.js';
import { LvsError } from '../../core/errors.js';
import { SYNC_DEFAULT_GROUP, SYNC_DEFAULT_PORT, SYNC_DEFAULT_TTL } from '../../sync/sync-transport.js';

/** A role's resolved settings; what `-L --daemon` shows and what the sockets are opened with. */
export interface ResolvedSyncDaemon {
  readonly state: 'master' | 'backup';
  readonly ifname: string;
  readonly syncId: number;
  readonly maxLen: number;
  readonly af: 4 | 6;
  readonly group: string;
  readonly port: number;
  readonly ttl: number;
}

/** IP_VS_IFNAME_MAXLEN (include/uapi/linux/ip_vs.h): 16 bytes with the terminating NUL. */
const IFNAME_MAX = 15;

/** An EINVAL as ip_vs_genl_new_daemon() returns it. */
function invalid(msg: string): LvsError {
  return new LvsError('ERR_LVS_INVALID', msg, 'EINVAL');
}

/** Is `addr` (canonical) a multicast address of its family (ipv4_is_multicast / IPV6_ADDR_MULTICAST)? */
function isMulticast(addr: string): boolean {
  const b = ipBytes(addr);
  if (!b) return false;
  return b.length === 4 ? (b[0]! & 0xf0) === 0xe0 : b[0] === 0xff;
}

/**
 * Checks `cfg` and fills in the kernel's defaults: group 224.0.0.81, port 8848, TTL 1, and
 * sync_maxlen. `mtu` is the interface's MTU. A master's default maxlen is 1500 minus the IP and
 * UDP headers (1472 for IPv4, 1452 for IPv6), a backup's clamp(MTU, 1500, 65535) minus them; an
 * explicit value is clamped to [1 (master) or 1024 (backup), 65535 - headers]. Throws LvsError
 * EINVAL for a group that is not multicast or an interface name too long for the kernel.
 */
export function resolveSyncDaemon(cfg: SyncDaemonConfig, mtu: number): ResolvedSyncDaemon {
  if (cfg.mcastInterface.length === 0 || cfg.mcastInterface.length > IFNAME_MAX)
    throw invalid(`bad multicast interface name '${cfg.mcastInterface}'`);
  let af: 4 | 6 = 4;
  let group = SYNC_DEFAULT_GROUP;
  if (cfg.mcastGroup !== undefined) {
    const g = canonicalIp(cfg.mcastGroup);
    if (g === undefined || !isMulticast(g)) throw invalid(`sync group ${cfg.mcastGroup} is not multicast`);
    af = ipFamily(g) === 6 ? 6 : 4;
    group = g;
  }
  const hlen = af === 6 ? 40 + 8 : 20 + 8;
  const backup = cfg.state === 'backup';
  const linkMtu = backup ? Math.min(Math.max(mtu, 1500), 65535) : 1500;
  const minLen = backup ? 1024 : 1;
  const maxLen = cfg.syncMaxLen ? Math.min(Math.max(cfg.syncMaxLen, minLen), 65535 - hlen) : linkMtu - hlen;
  return {
    state: cfg.state,
    ifname: cfg.mcastInterface,
    // ipvs_sync_daemon_cfg.syncid is a u8.
    syncId: cfg.syncId & 0xff,
    maxLen,
    af,
    group,
    port: cfg.mcastPort || SYNC_DEFAULT_PORT,
    ttl: cfg.mcastTtl || SYNC_DEFAULT_TTL,
  };
}
