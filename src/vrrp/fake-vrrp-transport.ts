/**
 * An in-memory VRRP network for tests: channels opened on the same interface name share one
 * segment, a multicast send reaches every other channel of the segment and a unicast send the
 * channel whose source address is the destination. Delivery is synchronous, in send order, and
 * a test can cut or restore a channel to stage failures.
 */
import type { Af } from '../core/addr.js';
import {
  type VrrpChannel,
  type VrrpDatagram,
  type VrrpEndpoint,
  type VrrpTransport,
  vrrpGroup,
} from './vrrp-transport.js';

interface Member {
  readonly ep: VrrpEndpoint;
  readonly addr: string;
  readonly on: (d: VrrpDatagram) => void;
  cut: boolean;
  closed: boolean;
}

/** One fake transport per simulated router, all sharing one {@link FakeVrrpNetwork}. */
export class FakeVrrpNetwork {
  private readonly members: Member[] = [];
  /** Every datagram sent, in order, for assertions. */
  readonly sent: { from: string; dst: string; ttl: number; vrrp: Uint8Array }[] = [];

  /** A transport for the router whose address on every segment is `addr`. */
  transport(addr: string): VrrpTransport & { cut(on: boolean): void } {
    const mine: Member[] = [];
    return {
      open: (ep, onDatagram) => {
        const m: Member = { ep, addr: ep.srcAddr ?? addr, on: onDatagram, cut: false, closed: false };
        this.members.push(m);
        mine.push(m);
        return this.channel(m);
      },
      cut: (on) => {
        for (const m of mine) m.cut = on;
      },
    };
  }

  private deliver(m: Member, dst: string, d: VrrpDatagram): void {
    if (m.cut) return;
    const group = vrrpGroup(m.ep.af);
    for (const o of this.members) {
      if (o === m || o.closed || o.cut || o.ep.ifname !== m.ep.ifname || o.ep.af !== m.ep.af) continue;
      // An AH socket is IP protocol 51, a plain one 112: each hears only its own protocol.
      if (Boolean(o.ep.ah) !== Boolean(m.ep.ah)) continue;
      if (dst !== group && o.addr !== dst) continue;
      o.on({ ...d, data: d.data.slice() });
    }
  }

  private channel(m: Member): VrrpChannel {
    return {
      send: (vrrp, dst) => {
        if (m.closed) return;
        this.sent.push({ from: m.addr, dst, ttl: 255, vrrp: vrrp.slice() });
        this.deliver(m, dst, datagram(m.ep.af, m.addr, dst, vrrp));
      },
      sendIp: (packet, dst) => {
        if (m.closed) return;
        const ihl = (packet[0]! & 15) * 4;
        const ttl = packet[8] ?? 0;
        this.sent.push({ from: m.addr, dst, ttl, vrrp: packet.slice() });
        this.deliver(m, dst, { ...datagram(m.ep.af, m.addr, dst, packet), ttl, ipHeaderLen: ihl });
      },
      sourceFor: () => m.addr,
      close: () => {
        m.closed = true;
      },
    };
  }
}

function datagram(af: Af, src: string, dst: string, vrrp: Uint8Array): VrrpDatagram {
  return { af, src, dst, ttl: 255, ifindex: 1, data: vrrp.slice(), ipHeaderLen: 0 };
}
