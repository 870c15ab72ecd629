/** Director test helpers: a director with a first-eligible scheduler, and packet builders. */
import { ipBytes } from '../../../src/core/addr.js';
import { Director, PacketInfo } from '../../../src/core/director.js';
import type { Scheduler } from '../../../src/core/schedulers/scheduler.js';
import { PROTO } from '../../../src/core/types.js';

/** First eligible dest in list order (weight > 0, not OVERLOAD): deterministic picks for tests. */
export function firstScheduler(): Scheduler {
  return {
    name: 'first',
    init() {},
    destChanged() {},
    schedule(svc) {
      return svc.dests.find((d) => d.weight > 0 && !d.overloaded) ?? null;
    },
  };
}

/** Round robin over eligible dests (enough for spreading tests). */
export function rrScheduler(): Scheduler {
  let n = 0;
  return {
    name: 'rr',
    init() {},
    destChanged() {},
    schedule(svc) {
      const ok = svc.dests.filter((d) => d.weight > 0 && !d.overloaded);
      if (ok.length === 0) return null;
      return ok[n++ % ok.length] ?? null;
    },
  };
}

/** A director whose schedulers are the test ones (`first`, `wlc` → first, `rr`). */
export function testDirector(opts: { tabBits?: number; initialCapacity?: number } = {}): Director {
  return new Director({
    ...opts,
    schedulers: (n) => (n === 'first' || n === 'wlc' ? firstScheduler : n === 'rr' ? rrScheduler : undefined),
  });
}

/** Builds a packet. Flags: TCP flag byte; for SCTP pass the first chunk type as `chunk`. */
export function pkt(
  proto: 'tcp' | 'udp' | 'sctp',
  src: string,
  sport: number,
  dst: string,
  dport: number,
  o: { flags?: number; chunk?: number; next?: number; len?: number; mark?: number; fragment?: boolean } = {},
): PacketInfo {
  const p = new PacketInfo();
  p.protocol = proto === 'tcp' ? PROTO.TCP : proto === 'udp' ? PROTO.UDP : PROTO.SCTP;
  p.srcAddr = ipBytes(src) as Uint8Array;
  p.dstAddr = ipBytes(dst) as Uint8Array;
  p.af = p.srcAddr.length === 16 ? 6 : 4;
  p.srcPort = sport;
  p.dstPort = dport;
  p.tcpFlags = o.flags ?? 0;
  p.sctpChunk = o.chunk ?? -1;
  p.sctpNextChunk = o.next ?? -1;
  p.length = o.len ?? 60;
  p.fwmark = o.mark ?? 0;
  p.fragment = o.fragment ?? false;
  return p;
}

/** TCP flag shorthands. */
export const F = { FIN: 0x01, SYN: 0x02, RST: 0x04, ACK: 0x10 } as const;
