/**
 * `--dataplane proxy`: the socket-level data plane (io/proxy) attached to the daemon's Director.
 * The table stays authoritative, as with the kernel: a VIP the host cannot bind is accepted into
 * the table and shown as unserved in `{q:'status'}` (issue 3). DR/TUN destinations are the one
 * exception: `lvsadm -a/-e` with `-g`/`-i` is refused with a message naming the packet plane
 * (issue 4). Rules loaded from files (--restore, --config) are not refused: they load, and the
 * status view and its log lines say that those real servers are not served, and why.
 *
 * VRRP: a MASTER puts its instance's addresses on the host (vrrp-addresses.ts) and takes them off
 * when it leaves MASTER or the plane closes; listeners on those addresses bind with IP_FREEBIND,
 * so they exist before the address does; announcements go out through one kept send-only
 * AF_PACKET socket (vrrp-announce.ts keptSocketLink).
 *
 * Connection sync: TCP sockets cannot move to another host, so the proxy plane syncs only the
 * persistence templates, which keep clients on the same real server after a failover.
 */
import type { Logger } from 'pino';
import { dataplaneFaultChannel } from '../../control/channels.js';
import type { DataPlaneHandle, DirectorPort, VrrpVip } from '../../control/ports.js';
import { CONN_F } from '../../core/conn-table.js';
import type { Service } from '../../core/service.js';
import type { LocalAddresses } from '../../io/host/local-addresses.js';
import { applySyncEntry } from '../../sync/sync-backup.js';
import { SyncMaster, type SyncSink } from '../../sync/sync-master.js';
import { addrKey } from '../vrrp-vip.js';
import { DirectorProxyCore } from './director-core.js';
import { ProxyDataPlane } from './proxy-data-plane.js';
import { proxyRefusal } from './refusal.js';
import { VrrpAddresses } from './vrrp-addresses.js';
import { announceVips, keptSocketLink } from './vrrp-announce.js';

/** Options of {@link startProxyPlane}. */
export interface ProxyPlaneOptions {
  /** The host's addresses for the status view (default: getifaddrs; tests pass a fake). */
  readonly localAddresses?: LocalAddresses;
  /**
   * The VRRP instances and their VIPs, known before the runner reports any state: listeners on
   * these addresses bind with IP_FREEBIND from the start instead of failing until MASTER.
   */
  readonly vrrpInstances?: readonly { readonly name: string; readonly vips: readonly VrrpVip[] }[];
  /** `--listen-backlog`: the TCP listeners' backlog (default: io/proxy/listen-backlog.ts). */
  readonly listenBacklog?: number;
}

// Whether two key sets hold the same keys.
function sameKeys(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const k of a) if (!b.has(k)) return false;
  return true;
}

/** Starts the proxy data plane over `port`'s Director. */
export function startProxyPlane(port: DirectorPort, log: Logger, o: ProxyPlaneOptions = {}): DataPlaneHandle {
  const core = new DirectorProxyCore(port.director);
  // Every instance's VIPs, MASTER or not: their listeners bind with IP_FREEBIND.
  const vrrpVips = new Map<string, readonly VrrpVip[]>();
  // The instances MASTER here; an instance starts outside MASTER, as keepalived's do.
  const masters = new Set<string>();
  const heldReason = (s: Service): string | undefined => {
    if (s.key.kind !== 'addr' || vrrpVips.size === 0) return undefined;
    const k = addrKey(s.af, s.key.addr);
    let held: string | undefined;
    for (const [name, vips] of vrrpVips) {
      if (!vips.some((v) => (addrKey(v.af, v.addr) ?? v.addr) === k)) continue;
      if (masters.has(name)) return undefined;
      held ??= `VRRP instance ${name} is not MASTER here (BACKUP or FAULT): the address is its peer's`;
    }
    return held;
  };
  const plane = new ProxyDataPlane({
    core,
    log: (level, msg, fields) => log[level](fields ?? {}, msg),
    heldReason,
    ...(o.localAddresses ? { localAddresses: o.localAddresses } : {}),
    ...(o.listenBacklog !== undefined ? { backlog: o.listenBacklog } : {}),
  });
  const addrs = new VrrpAddresses();
  const freebindKeys = (): Set<string> => {
    const keys = new Set<string>();
    for (const list of vrrpVips.values()) for (const v of list) keys.add(addrKey(v.af, v.addr) ?? v.addr);
    return keys;
  };
  for (const i of o.vrrpInstances ?? []) vrrpVips.set(i.name, i.vips);
  let freebound = freebindKeys();
  if (vrrpVips.size > 0) plane.setFreebind(freebound);
  const announceLink = keptSocketLink();
  const announce = (vips: readonly VrrpVip[]): void => {
    for (const r of announceVips(vips, announceLink)) {
      if (r.error !== undefined && dataplaneFaultChannel.hasSubscribers)
        dataplaneFaultChannel.publish({
          source: plane,
          plane: 'proxy',
          code: 'packet-socket-error',
          detail: { op: 'vrrp-announce', dev: r.dev },
          err: r.error,
        });
    }
  };
  // Sync: a master sends the persistence templates (director-core.ts), a backup applies only
  // templates: a synced connection could never be carried on here, and left in the table it
  // would count as an active connection of its real server until it timed out.
  let syncSink: SyncSink | undefined;
  const syncMaster = new SyncMaster(port.director, { add: (e, now, conn) => syncSink?.add(e, now, conn) });
  plane.start();
  return {
    name: 'proxy',
    logStarted() {
      const fd = plane.budget.size;
      log.info(
        { limit: fd.limit, reserve: fd.reserve, budget: fd.total, udpFlowsMax: fd.udpMax },
        `proxy plane file descriptors: up to ${fd.total} of ${fd.limit} (${fd.reserve} kept for the rest of lvsd), UDP flows up to ${fd.udpMax}`,
      );
      const b = plane.backlog;
      // The kernel caps listen(2)'s backlog at somaxconn silently: say so when it does.
      log[b.effective < b.asked ? 'warn' : 'info'](
        { backlog: b.asked, effective: b.effective, somaxconn: b.somaxconn },
        b.effective < b.asked
          ? `proxy plane listen backlog ${b.asked} capped at ${b.effective} by net.core.somaxconn`
          : `proxy plane listen backlog ${b.effective}`,
      );
    },
    onChanges() {
      // A DR/TUN real server from a file or a health change is accepted; the daemon's status
      // watch (daemon/serve-watch.ts) says it is not served, with the reason.
      plane.sync();
    },
    refuse: (cmd) => proxyRefusal(cmd, (a) => plane.isLocal(a)),
    vipStatus: () => plane.serveStatus(),
    counters() {
      const r = plane.tcp.counters;
      // The proxy drops a client connection when no real server is usable, a connection-table
      // defense refuses it (drop_packet, conn_max) or the connect fails. A client is also dropped
      // when the descriptor budget is full (fd-budget.ts) or when the director cannot open a
      // socket for it (EMFILE, ENOBUFS: local_error).
      const b = plane.budget;
      return {
        drops: {
          no_dest: r.noDest,
          refused: r.refused,
          connect_failed: r.connectFailures,
          fd_limit_tcp: b.tcpRefused.count,
          fd_limit_udp: b.udpRefused.count,
          local_error: r.localErrors,
        },
        relay: { ...r },
      };
    },
    vrrpOwn(instance, vips, master) {
      if (master) masters.add(instance);
      else masters.delete(instance);
      // The addresses first, before anything else: with rtnetlink they are on when own() returns,
      // so the runner's GARP that follows this call announces an address that already answers.
      const done = addrs.own(instance, vips, master);
      vrrpVips.set(instance, vips);
      const keys = freebindKeys();
      if (!sameKeys(keys, freebound)) plane.setFreebind((freebound = keys));
      // A listener that could not bind before (no IP_FREEBIND without the addon) binds now.
      return done.finally(() => {
        if (master) plane.retryNow();
      });
    },
    vrrpAnnounce(vips) {
      // With `ip` (no addon) the addresses may still be on their way: announce once they are on.
      const pending = addrs.settled();
      if (pending) void pending.then(() => announce(vips));
      else announce(vips);
    },
    attachSyncMaster(sink) {
      syncSink = sink;
      core.setSyncMaster(syncMaster);
    },
    detachSyncMaster() {
      core.setSyncMaster(null);
      syncSink = undefined;
    },
    applySyncEntry(e, now) {
      if (e.flags & CONN_F.TEMPLATE) applySyncEntry(port.director, e, now);
    },
    async close() {
      // keepalived removes its addresses on shutdown (unless --dont-release-vrrp): so do we.
      try {
        await addrs.releaseAll();
      } catch (e) {
        log.warn({ err: e }, 'cannot remove VRRP addresses');
      }
      announceLink.close();
      await plane.close();
    },
  };
}
