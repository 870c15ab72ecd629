/**
 * Splits one takeover of the failover race into the two parts the bench can see from outside:
 * the election (the kill to the new master's first advert on the wire, which a VRRP router sends
 * as it enters MASTER: RFC 5798 §6.4.2 "Send an ADVERTISEMENT"; keepalived/vrrp/vrrp.c
 * vrrp_state_become_master()) and the hand-over (that advert to the first request answered
 * through the new master: address added, gratuitous ARP, the client's next connection).
 */

/** The split of one takeover, in ms from the kill; `election` is NaN when no advert was seen. */
export interface TakeoverSplit {
  /** Kill → first request answered through the new master. */
  answered: number;
  /** Kill → the new master's first advert. */
  election: number;
  /** First advert → first answered request (answered − election). */
  handover: number;
}

/**
 * The split of a takeover: `adverts` are `[ms since epoch, source]` as heard on the segment,
 * `newMaster` the backup's address; only adverts at or after the kill count (a backup sends none
 * before it takes over).
 */
export function splitTakeover(
  killedAt: number,
  answeredAt: number,
  adverts: readonly (readonly [number, string])[],
  newMaster: string,
): TakeoverSplit {
  const first = adverts.find(([at, src]) => src === newMaster && at >= killedAt)?.[0];
  const election = first === undefined ? Number.NaN : first - killedAt;
  const answered = answeredAt - killedAt;
  return { answered, election, handover: answered - election };
}
