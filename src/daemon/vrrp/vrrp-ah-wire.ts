/**
 * The AH side of one instance's adverts (VRRPv2 `auth_type AH`, src/vrrp/vrrp-ah.ts): the
 * instance's one sequence counter, the AH check run inside the receive checks, and whole IPv4
 * packets sent over the channel's IP_HDRINCL socket, as keepalived/vrrp/vrrp.c does it.
 */
import { parseIPv4 } from '../../core/addr.js';
import { AH_LEN, type AhRxReason, buildAhPacket, checkAh, decodeAh } from '../../vrrp/vrrp-ah.js';
import { AhSequence } from '../../vrrp/vrrp-ah-seq.js';
import type { VrrpAdvert } from '../../vrrp/vrrp-packet.js';
import type { VrrpChannel, VrrpDatagram } from '../../vrrp/vrrp-transport.js';
import type { InstanceRt } from './vrrp-state.js';

const sequences = new WeakMap<InstanceRt, AhSequence>();
/** The state each instance was in at its last AH advert, to see it become master. */
const sentAs = new WeakMap<InstanceRt, string>();

/** The instance's AH counter (created at its first advert; a reload's new instance starts afresh). */
export function ahSequence(rt: InstanceRt): AhSequence {
  let s = sequences.get(rt);
  if (!s) {
    s = new AhSequence();
    sequences.set(rt, s);
  }
  return s;
}

/** The AH key when `rt` is an AH instance. */
export function ahKeyOf(rt: InstanceRt): Uint8Array | undefined {
  return rt.b.rx.ahKey;
}

/** Bytes of AH header between the IP header and the advert of `rt`'s datagrams. */
export function ahHeaderLen(rt: InstanceRt): number {
  return ahKeyOf(rt) ? AH_LEN : 0;
}

/** The AH check of datagram `d` (packet bytes up to `end`), moving the counter when it passes. */
export function ahCheckOf(rt: InstanceRt, d: VrrpDatagram, end: number): () => AhRxReason | undefined {
  return () => {
    const key = ahKeyOf(rt);
    if (!key) return undefined;
    const seq = ahSequence(rt);
    const r = checkAh(d.data, d.ipHeaderLen, end, rt.b.rx.unicast, key, seq.seq);
    if (!r.ok) return r.reason;
    seq.accepted(r.seq);
    return undefined;
  };
}

/**
 * After an accepted advert: a master hearing a lower-priority one moves its counter past that
 * advert's number, so the other side accepts its next adverts (vrrp.c vrrp_state_master_rx(),
 * "IPSEC-AH : Syncing seq_num").
 */
export function ahAfterAccept(rt: InstanceRt, d: VrrpDatagram, advert: VrrpAdvert): void {
  if (!ahKeyOf(rt) || rt.m.state !== 'MASTER') return;
  const ours = rt.m.priority;
  const lower =
    advert.priority < ours ||
    (advert.priority === ours && (parseIPv4(d.src) ?? 0) < (parseIPv4(rt.b.instance.primaryAddr) ?? 0));
  if (lower) ahSequence(rt).syncPast(decodeAh(d.data, d.ipHeaderLen).seq);
}

/** Sends `vrrp(src, dst)` wrapped in AH to every destination; one sequence number per advert. */
export function sendAhAdvert(
  rt: InstanceRt,
  ch: VrrpChannel,
  vrrp: (src: string, dst: string) => Uint8Array,
  onError: (dst: string, e: unknown) => void,
): void {
  const key = ahKeyOf(rt);
  if (!key) return;
  const counter = ahSequence(rt);
  // The first advert as master follows the transition: a cycled counter restarts there
  // (vrrp.c vrrp_state_goto_master()).
  if (rt.m.state === 'MASTER' && sentAs.get(rt) !== 'MASTER') counter.becomeMaster();
  sentAs.set(rt, rt.m.state);
  const { seq, id } = counter.nextSend();
  const unicast = rt.b.rx.unicast;
  for (const dst of rt.b.destinations) {
    const src = ch.sourceFor(dst) ?? rt.b.instance.primaryAddr;
    try {
      if (!ch.sendIp) throw new Error('the channel cannot send AH packets');
      ch.sendIp(buildAhPacket({ src, dst, ttl: 255, id, seq, unicast }, vrrp(src, dst), key), dst);
      rt.sent++;
    } catch (e) {
      onError(dst, e);
    }
  }
}
