/**
 * One instance's adverts on its channel: received datagrams through every receive check
 * (src/vrrp/vrrp-receive.ts, keepalived's order), each discard counted by reason, and sent
 * adverts encoded with the checksum of the source the kernel will use.
 */
import type { VrrpAction, VrrpEvent } from '../../vrrp/vrrp-instance-types.js';
import { buildVrrpAdvert } from '../../vrrp/vrrp-packet.js';
import { checkAdvert, VRRP_RX } from '../../vrrp/vrrp-receive.js';
import type { VrrpDatagram } from '../../vrrp/vrrp-transport.js';
import { ahAfterAccept, ahCheckOf, ahHeaderLen, ahKeyOf, sendAhAdvert } from './vrrp-ah-wire.js';
import type { InstanceRt } from './vrrp-state.js';

function count(rt: InstanceRt, code: string): void {
  rt.rxErrors.set(code, (rt.rxErrors.get(code) ?? 0) + 1);
}

/**
 * Checks one datagram for `rt`: the advert event to feed its state machine, or undefined when it
 * was discarded (and counted, unless `ownsVrid` says another of our instances on the link owns
 * that VRID, as keepalived's one socket per interface would dispatch it there).
 */
export function receiveAdvert(
  rt: InstanceRt,
  d: VrrpDatagram,
  ownsVrid: (vrid: number | undefined) => boolean,
): VrrpEvent | undefined {
  // An AH instance's datagrams carry the AH header between the IP header and the advert.
  const hl = d.ipHeaderLen + ahHeaderLen(rt);
  let len = d.data.length - hl;
  // IPv4 raw sockets hand over the IP header: its total length bounds the VRRP bytes.
  if (d.ipHeaderLen > 0 && d.data.length >= 4) {
    const total = (d.data[2]! << 8) | d.data[3]!;
    if (total >= hl && total <= d.data.length) len = total - hl;
  }
  const master = rt.m.master;
  // A backup with skip_check_adv_addr compares addresses only when the master changes (vrrp.c).
  const checkVips = rt.m.state === 'MASTER' || !(rt.b.skipCheckAdvAddr && master?.addr === d.src);
  const facts = {
    src: d.src,
    dst: d.dst,
    ttl: d.ttl,
    ipHeaderLen: hl,
    effectivePriority: rt.m.priority,
    checkVips,
    ...(ahKeyOf(rt) ? { ah: ahCheckOf(rt, d, hl + len) } : {}),
  };
  const r = checkAdvert(facts, d.data, hl, len, rt.b.rx);
  if (!r.ok) {
    if (r.reason !== VRRP_RX.UNKNOWN_VRID || !ownsVrid(d.data[hl + 1])) count(rt, r.reason);
    return undefined;
  }
  rt.received++;
  for (const n of r.notes) count(rt, n);
  ahAfterAccept(rt, d, r.advert);
  return { type: 'advert', advert: r.advert, src: d.src };
}

/** Sends one advert to each destination of `rt`; `onError` hears a failed send. */
export function sendAdvert(
  rt: InstanceRt,
  advert: Extract<VrrpAction, { type: 'send' }>['advert'],
  onError: (dst: string, e: unknown) => void,
): void {
  const ch = rt.ch;
  if (!ch) return;
  const { af } = rt.b.instance;
  if (ahKeyOf(rt)) {
    sendAhAdvert(rt, ch, (src, dst) => buildVrrpAdvert(advert, { af, src, dst }), onError);
    return;
  }
  for (const dst of rt.b.destinations) {
    // The v3 checksum covers the source the kernel will use (RFC 5798 §5.2.8).
    const src = ch.sourceFor(dst) ?? rt.b.instance.primaryAddr;
    try {
      ch.send(buildVrrpAdvert(advert, { af, src, dst, asV2: rt.b.rx.v3ChecksumAsV2 }), dst);
      rt.sent++;
    } catch (e) {
      onError(dst, e);
    }
  }
}
