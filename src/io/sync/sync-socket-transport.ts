/**
 * The real sync transport: UDP multicast sockets from node:dgram, set up as
 * net/netfilter/ipvs/ip_vs_sync.c make_send_sock() and make_receive_sock() set up theirs.
 *
 * Master (make_send_sock): the outgoing multicast interface is the named one, multicast loop off,
 * TTL / hop limit mcast_ttl, SO_SNDBUF from sync_sock_size when > 0, an IPv4 socket bound to the
 * interface's primary address (bind_mcastif_addr(): inet_select_addr(), port 0), then connected
 * to group:port.
 * Backup (make_receive_sock): SO_REUSEADDR (the kernel's sk_reuse = SK_CAN_REUSE), SO_RCVBUF from
 * sync_sock_size when > 0, bound to group:port, the group joined on the interface.
 *
 * What node:dgram cannot set, and so differs from the kernel's sockets:
 * - IP_MTU_DISCOVER = IP_PMTUDISC_DONT (set_mcast_pmtudisc()): Node leaves the system default
 *   (ip_no_pmtu_disc, normally "want"), so our datagrams carry DF where the kernel's do not; with
 *   the default sync_maxlen (MTU 1500 - headers) they fit the link either way.
 * - SO_BINDTODEVICE (the backup's sk_bound_dev_if): a backup bound to group:port on several
 *   interfaces of one host cannot be told apart; the group is still joined on the named
 *   interface only.
 * - IP_MULTICAST_IF by interface index (set_mcast_if() sets mc_index): Node takes an IPv4
 *   interface by its address, so an interface without an IPv4 address cannot be chosen for IPv4
 *   (the kernel would send from it with source 0.0.0.0; we report EADDRNOTAVAIL instead). IPv6
 *   takes the interface by name (`::%IF`, resolved to its index by libuv), as the kernel does.
 * - The backup's receive buffer is exactly sync_maxlen bytes in the kernel (a longer datagram is
 *   cut); Node hands over the whole datagram, so it is cut here to the same length.
 */
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import type {
  SyncDatagram,
  SyncEndpoint,
  SyncReceiver,
  SyncSender,
  SyncTransport,
} from '../../sync/sync-transport.js';
import { interfaceSource, readInterfaceAddrs } from '../vrrp/interface-source.js';

/** Test seams of {@link SyncSocketTransport}. */
export interface SyncSocketOptions {
  /** An interface's MTU; default reads /sys/class/net/IF/mtu. */
  readonly mtu?: (ifname: string) => number | undefined;
}

function sysMtu(ifname: string): number | undefined {
  // An interface name cannot contain '/', so it cannot leave /sys/class/net.
  if (ifname.length === 0 || ifname.includes('/') || ifname === '.' || ifname === '..') return undefined;
  try {
    const n = Number(readFileSync(`/sys/class/net/${ifname}/mtu`, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function errno(code: string, msg: string): Error {
  return Object.assign(new Error(msg), { code });
}

/** Opens the sync daemons' UDP sockets with node:dgram. */
export class SyncSocketTransport implements SyncTransport {
  private readonly mtu: (ifname: string) => number | undefined;

  constructor(opts: SyncSocketOptions = {}) {
    this.mtu = opts.mtu ?? sysMtu;
  }

  interfaceMtu(ifname: string): number | undefined {
    return this.mtu(ifname);
  }

  openSender(ep: SyncEndpoint, onError: (e: Error) => void): SyncSender {
    const src4 = ep.af === 4 ? interfaceSource(readInterfaceAddrs(ep.ifname), 4, ep.group) : undefined;
    if (ep.af === 4 && src4 === undefined)
      throw errno('EADDRNOTAVAIL', `sync master: no IPv4 address on ${ep.ifname}`);
    const sock = createSocket({
      type: ep.af === 4 ? 'udp4' : 'udp6',
      ...(ep.sockSize > 0 ? { sendBufferSize: ep.sockSize } : {}),
    });
    let ready = false;
    let closed = false;
    let failed: Error | undefined;
    const queue: [Uint8Array, (err?: Error) => void][] = [];
    const flush = () => {
      while (queue.length > 0) {
        const [d, done] = queue.shift()!;
        sock.send(d, (err) => done(err ?? undefined));
      }
    };
    sock.on('error', (e) => {
      if (closed) return;
      onError(e);
      // A socket that never got connected fails what waits for it, so the daemon's queue moves on.
      if (!ready) {
        failed = e;
        for (const [, done] of queue.splice(0)) done(e);
      }
    });
    sock.bind({ address: ep.af === 4 ? src4 : '::', port: 0, exclusive: true }, () => {
      try {
        sock.setMulticastInterface(ep.af === 4 ? (src4 as string) : `::%${ep.ifname}`);
        sock.setMulticastLoopback(false);
        sock.setMulticastTTL(ep.ttl);
      } catch (e) {
        failed = e as Error;
        onError(failed);
        for (const [, done] of queue.splice(0)) done(failed);
        return;
      }
      sock.connect(ep.port, ep.af === 4 ? ep.group : `${ep.group}%${ep.ifname}`, () => {
        ready = true;
        flush();
      });
    });
    return {
      send: (data, done) => {
        if (closed) return done(errno('EBADF', 'sync socket closed'));
        if (failed) return done(failed);
        queue.push([data, done]);
        if (ready) flush();
      },
      close: () => {
        if (closed) return;
        closed = true;
        for (const [, done] of queue.splice(0)) done(errno('EBADF', 'sync socket closed'));
        closeQuietly(sock);
      },
    };
  }

  openReceiver(
    ep: SyncEndpoint,
    onDatagram: (d: SyncDatagram) => void,
    onError: (e: Error) => void,
  ): SyncReceiver {
    const src4 = ep.af === 4 ? interfaceSource(readInterfaceAddrs(ep.ifname), 4, ep.group) : undefined;
    if (ep.af === 4 && src4 === undefined)
      throw errno('EADDRNOTAVAIL', `sync backup: no IPv4 address on ${ep.ifname} to join ${ep.group}`);
    const sock = createSocket({
      type: ep.af === 4 ? 'udp4' : 'udp6',
      reuseAddr: true,
      ...(ep.sockSize > 0 ? { recvBufferSize: ep.sockSize } : {}),
    });
    let closed = false;
    sock.on('error', (e) => {
      if (!closed) onError(e);
    });
    sock.on('message', (msg, rinfo) => {
      const n = Math.min(msg.length, ep.maxLen);
      onDatagram({ src: rinfo.address, data: new Uint8Array(msg.buffer, msg.byteOffset, n) });
    });
    const group = ep.af === 4 ? ep.group : `${ep.group}%${ep.ifname}`;
    sock.bind({ address: group, port: ep.port }, () => {
      try {
        sock.addMembership(ep.group, ep.af === 4 ? (src4 as string) : `::%${ep.ifname}`);
      } catch (e) {
        onError(e as Error);
      }
    });
    return {
      close: () => {
        if (closed) return;
        closed = true;
        closeQuietly(sock);
      },
    };
  }
}

function closeQuietly(sock: Socket): void {
  try {
    sock.close();
  } catch {
    // Already closed (a bind failure closes it).
  }
}
