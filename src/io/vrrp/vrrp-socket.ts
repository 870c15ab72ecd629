/**
 * The real VRRP transport: one raw IP-protocol-112 socket per instance endpoint (native/vrrp_socket.c),
 * in the shape of src/vrrp/vrrp-transport.ts. The addon returns -errno ints; this file validates
 * arguments, turns errnos into typed errors, parses the received records into
 * {@link VrrpDatagram}s and answers sourceFor() from the configured source or the interface's own
 * address (interface-source.ts). The kernel writes the IP header (TTL / hop limit 255) and, for
 * IPv6, the VRRPv3 checksum; the caller's IPv4 checksum goes out as given.
 */
import { type Af, canonicalIp, formatIpBytes, ipBytes } from '../../core/addr.js';
import type { VrrpChannel, VrrpDatagram, VrrpEndpoint, VrrpTransport } from '../../vrrp/vrrp-transport.js';
import { type InterfaceAddrs, interfaceSource, readInterfaceAddrs } from './interface-source.js';
import {
  loadVrrpBinding,
  VRRP_OPEN_AH,
  VRRP_OPEN_MULTICAST,
  VRRP_OPEN_STEPS,
  VRRP_RECORD_BYTES,
  VRRP_RECORD_HEAD,
  type VrrpBinding,
  type VrrpHandle,
} from './vrrp-binding.js';
import { VrrpSocketError, VrrpSystemError } from './vrrp-socket-error.js';

/** Records per receive callback; more stay queued in the kernel for the next round. */
const RECORDS = 16;
const IFNAMSIZ = 16;

/** Options of {@link VrrpSocketTransport}. */
export interface VrrpSocketOptions {
  /** Test seam (like dgram's `lookup`): the native binding to use instead of the addon. */
  binding?: VrrpBinding;
  /** Test seam: the interface's addresses, instead of reading them from the kernel. */
  interfaceAddrs?: (ifname: string) => InterfaceAddrs;
}

/** One open VRRP socket: the {@link VrrpChannel} of one endpoint. */
export class VrrpSocket implements VrrpChannel {
  private handle: VrrpHandle | undefined;
  private readonly dsts = new Map<string, Uint8Array>();
  private readonly records = new Uint8Array(new Float64Array((RECORDS * VRRP_RECORD_BYTES) / 8).buffer);
  /** The interface's index, as the kernel numbers it. */
  readonly ifindex: number;

  /** Opens the socket; throws a {@link VrrpSystemError} naming the failed step. */
  constructor(
    private readonly binding: VrrpBinding,
    private readonly ep: Readonly<VrrpEndpoint>,
    private readonly src: string | undefined,
    private readonly addrs: InterfaceAddrs,
    private readonly onDatagram: (d: VrrpDatagram) => void,
    private readonly onError: (e: Error) => void,
  ) {
    const h = binding.vrrpCreateHandle();
    const srcBytes = src === undefined ? new Uint8Array(0) : ipBytes(src)!;
    const flags = (ep.unicastPeers.length === 0 ? VRRP_OPEN_MULTICAST : 0) | (ep.ah ? VRRP_OPEN_AH : 0);
    const r = binding.vrrpOpen(h, ep.af, ep.ifname, srcBytes, flags);
    if (r < 0) {
      const step = VRRP_OPEN_STEPS[binding.vrrpFailedStep(h)] ?? 'open';
      binding.vrrpClose(h);
      throw new VrrpSystemError(r, step, `VRRP IPv${ep.af} socket on ${ep.ifname}`);
    }
    const rs = binding.vrrpReadStart(h, this.records, (count, err) => this.onRecords(count, err));
    if (rs < 0) {
      binding.vrrpClose(h);
      throw new VrrpSystemError(rs, 'poll');
    }
    this.ifindex = binding.vrrpIfindex(h);
    this.handle = h;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.handle === undefined;
  }

  /**
   * Sends one VRRP message to `dst` (the group or a unicast peer). A bad `dst` throws; a failed
   * sendmsg(2) (ENETDOWN, ENOBUFS, ...) goes to onError, as a lost advert is for VRRP to survive.
   * Ignored once closed, as the fake transport does.
   */
  send(vrrp: Uint8Array, dst: string): void {
    if (this.ep.ah) throw argValue('vrrp', 'a whole IP packet on an AH socket (sendIp)', 'a VRRP message');
    this.write(vrrp, dst);
  }

  /** Sends one whole IPv4 packet (AH endpoints, IP_HDRINCL); errors as {@link send}. */
  sendIp(packet: Uint8Array, dst: string): void {
    if (!this.ep.ah) throw argValue('packet', 'sent on an AH socket only', 'an IP packet');
    this.write(packet, dst);
  }

  private write(vrrp: Uint8Array, dst: string): void {
    if (!(vrrp instanceof Uint8Array)) throw argType('vrrp', 'a Uint8Array', vrrp);
    const h = this.handle;
    if (h === undefined) return;
    const r = this.binding.vrrpSend(h, vrrp, this.dstBytes(dst));
    if (r < 0) this.onError(new VrrpSystemError(r, 'sendmsg', `to ${dst} on ${this.ep.ifname}`));
  }

  /** The configured source, else the interface's address of the family toward `dst`. */
  sourceFor(dst: string): string | undefined {
    return this.src ?? interfaceSource(this.addrs, this.ep.af, dst);
  }

  /** Closes the socket. Idempotent. */
  close(): void {
    const h = this.handle;
    if (h === undefined) return;
    this.handle = undefined;
    this.binding.vrrpClose(h);
  }

  private dstBytes(dst: string): Uint8Array {
    let b = this.dsts.get(dst);
    if (b === undefined) {
      b = ipBytes(dst);
      if (b === undefined || b.length !== (this.ep.af === 4 ? 4 : 16))
        throw argValue('dst', `an IPv${this.ep.af} address`, dst);
      // Bounded by the group and the configured peers in practice; a cache, not a log.
      if (this.dsts.size < 64) this.dsts.set(dst, b);
    }
    return b;
  }

  /** Turns the records of one batch into datagrams (layout: read_one() in vrrp_socket.c). */
  private onRecords(count: number, err: number): void {
    if (err < 0) {
      this.onError(new VrrpSystemError(err, 'poll', `VRRP socket on ${this.ep.ifname}`));
      return;
    }
    const rec = this.records;
    const dv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
    for (let i = 0; i < count && this.handle !== undefined; i++) {
      const o = i * VRRP_RECORD_BYTES;
      const af: Af = rec[o] === 6 ? 6 : 4;
      const alen = af === 4 ? 4 : 16;
      const len = dv.getUint32(o + 8, true);
      const data = rec.slice(o + VRRP_RECORD_HEAD, o + VRRP_RECORD_HEAD + len);
      this.onDatagram({
        af,
        src: formatIpBytes(rec.subarray(o + 16, o + 16 + alen)),
        dst: formatIpBytes(rec.subarray(o + 32, o + 32 + alen)),
        ttl: dv.getInt16(o + 2, true),
        ifindex: dv.getUint32(o + 4, true),
        data,
        ipHeaderLen: rec[o + 1]!,
      });
    }
  }
}

/** Opens {@link VrrpSocket}s: the {@link VrrpTransport} lvsd runs VRRP instances over. */
export class VrrpSocketTransport implements VrrpTransport {
  private readonly binding: VrrpBinding;
  private readonly interfaceAddrs: (ifname: string) => InterfaceAddrs;

  /** Loads the addon now; throws ERR_VRRP_ADDON_UNAVAILABLE with the reason when it cannot. */
  constructor(options: VrrpSocketOptions = {}) {
    this.binding = options.binding ?? loadVrrpBinding();
    this.interfaceAddrs = options.interfaceAddrs ?? readInterfaceAddrs;
  }

  /** Opens the socket of one endpoint (multicast when it has no unicast peers); needs CAP_NET_RAW. */
  open(ep: VrrpEndpoint, onDatagram: (d: VrrpDatagram) => void, onError: (e: Error) => void): VrrpSocket {
    if (typeof ep !== 'object' || ep === null) throw argType('endpoint', 'an object', ep);
    if (ep.af !== 4 && ep.af !== 6) throw argValue('endpoint.af', '4 or 6', ep.af);
    if (typeof ep.ifname !== 'string' || ep.ifname.length === 0 || ep.ifname.length >= IFNAMSIZ)
      throw argValue('endpoint.ifname', 'an interface name of 1 to 15 characters', ep.ifname);
    if (!Array.isArray(ep.unicastPeers)) throw argType('endpoint.unicastPeers', 'an array', ep.unicastPeers);
    if (ep.ah && ep.af !== 4) throw argValue('endpoint.ah', 'set only for IPv4 (AH is VRRPv2)', ep.ah);
    for (const p of ep.unicastPeers) addrOf(`unicast peer`, p, ep.af);
    const src = ep.srcAddr === undefined ? undefined : addrOf('endpoint.srcAddr', ep.srcAddr, ep.af);
    if (typeof onDatagram !== 'function') throw argType('onDatagram', 'a function', onDatagram);
    if (typeof onError !== 'function') throw argType('onError', 'a function', onError);
    return new VrrpSocket(this.binding, ep, src, this.interfaceAddrs(ep.ifname), onDatagram, onError);
  }
}

function addrOf(name: string, v: unknown, af: Af): string {
  const c = typeof v === 'string' ? canonicalIp(v) : undefined;
  if (c === undefined || (c.includes(':') ? 6 : 4) !== af) throw argValue(name, `an IPv${af} address`, v);
  return c;
}

function argType(name: string, what: string, v: unknown): VrrpSocketError {
  return new VrrpSocketError('ERR_INVALID_ARG_TYPE', `${name} must be ${what}, got ${typeof v}`);
}

function argValue(name: string, what: string, v: unknown): VrrpSocketError {
  return new VrrpSocketError('ERR_INVALID_ARG_VALUE', `${name} must be ${what}, got ${String(v)}`);
}
