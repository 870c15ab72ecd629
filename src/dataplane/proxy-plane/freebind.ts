/**
 * Sockets bound with IP_FREEBIND for the proxy plane's listeners on VRRP VIPs. Node's net and
 * dgram set no socket option before bind, so the addon (native/freebind_socket.c) creates and
 * binds the socket and the libuv handle adopts its descriptor (tcp_wrap's open(fd), as
 * net.Server.listen({fd}) does). Without the addon, callers bind as usual and retry until the
 * address exists.
 */
import { closeSync } from 'node:fs';
import { loadPacketAddon } from '../../io/packet-socket/index.js';
import type { RawTcp } from '../../io/proxy/raw.js';

/**
 * A socket bound to `addr`:`port` with IP_FREEBIND (TCP, or UDP when `udp`): its fd, -errno, or
 * undefined when the addon (or its freebindSocket) is unavailable.
 */
export function freebindSocket(af: number, udp: boolean, addr: string, port: number): number | undefined {
  let fn: ((af: number, udp: number, addr: string, port: number) => number) | undefined;
  try {
    fn = loadPacketAddon().freebindSocket;
  } catch {
    return undefined;
  }
  return typeof fn === 'function' ? fn(af, udp ? 1 : 0, addr, port) : undefined;
}

/** Makes the server handle `h` adopt the bound socket `fd` (tcp_wrap TCP#open); 0 or -errno. */
export function openFd(h: RawTcp, fd: number): number {
  return (h as RawTcp & { open(fd: number): number }).open(fd);
}

/** Closes a descriptor no handle adopted. */
export function closeFd(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
}
