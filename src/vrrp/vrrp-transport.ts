/**
 * The port between the VRRP runner (daemon) and the sockets that carry adverts (io), declared in
 * the pure VRRP layer so both import it downward, with an in-memory fake beside it for tests.
 * IPv4 adverts are IP protocol 112 to 224.0.0.18 with TTL 255, IPv6 adverts go to ff02::12 with
 * hop limit 255 (RFC 5798 §5.1.1.3, §5.1.2.3); unicast peers replace the group when configured
 * (keepalived.conf(5) `unicast_peer`).
 */
import type { Af } from '../core/addr.js';

/** Where one instance sends and listens. */
export interface VrrpEndpoint {
  readonly af: Af;
  /** The instance's `interface`. */
  readonly ifname: string;
  /** `unicast_peer` addresses; empty for the multicast group. */
  readonly unicastPeers: readonly string[];
  /** `unicast_src_ip` or `mcast_src_ip`: the source address to send from, when configured. */
  readonly srcAddr?: string;
  /**
   * VRRPv2 IPsec AH (`auth_type AH`, IPv4 only): the socket carries IP protocol 51, receives
   * IP header + AH + VRRP, and {@link VrrpChannel.sendIp} sends whole IP packets (keepalived
   * builds the header itself because the ICV covers it).
   */
  readonly ah?: boolean;
}

/** One datagram as the socket received it, with the IP facts the receive checks need. */
export interface VrrpDatagram {
  readonly af: Af;
  /** Source and destination addresses, canonical text. */
  readonly src: string;
  readonly dst: string;
  /** IPv4 TTL or IPv6 hop limit, -1 when the socket did not report it. */
  readonly ttl: number;
  /** The receiving interface's index. */
  readonly ifindex: number;
  /** The bytes the socket gave: IPv4 raw sockets include the IP header, IPv6 ones do not. */
  readonly data: Uint8Array;
  /** Bytes of IP header at the start of `data` (20+ for IPv4, 0 for IPv6). */
  readonly ipHeaderLen: number;
}

/** A socket (or fake) opened for one endpoint. */
export interface VrrpChannel {
  /** Sends one VRRP message (no IP header: the kernel writes it, TTL 255) to `dst`. */
  send(vrrp: Uint8Array, dst: string): void;
  /** Sends one whole IPv4 packet (header written by the caller) to `dst`: AH endpoints only. */
  sendIp?(packet: Uint8Array, dst: string): void;
  /** The source address the kernel will use toward `dst` (the v3 checksum's pseudo-header needs it). */
  sourceFor(dst: string): string | undefined;
  close(): void;
}

/** Opens channels; one per instance endpoint. */
export interface VrrpTransport {
  open(ep: VrrpEndpoint, onDatagram: (d: VrrpDatagram) => void, onError: (e: Error) => void): VrrpChannel;
}

/** The multicast group of a family (RFC 5798 §5.1.1.2, §5.1.2.2). */
export function vrrpGroup(af: Af): string {
  return af === 4 ? '224.0.0.18' : 'ff02::12';
}
