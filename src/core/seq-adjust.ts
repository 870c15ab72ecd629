/**
 * TCP sequence adjustment for a conn whose payload an application helper resized, as
 * net/netfilter/ipvs/ip_vs_app.c keeps it per direction in struct ip_vs_seq (init_seq, delta,
 * previous_delta): vs_fix_seq(), vs_fix_ack_seq() and vs_seq_update(). A record is three int32
 * words at an offset of a caller-owned Int32Array, so nothing is allocated per packet. Sequence
 * numbers are u32 and wrap; comparisons are the kernel's before()/after() (RFC 1982 serial
 * arithmetic on 32 bits).
 */

/** Word of a record: the sequence number (sender's space) of the last resized segment. */
export const SEQ_INIT = 0;
/** Word of a record: bytes added (or, negative, removed) up to and including that segment. */
export const SEQ_DELTA = 1;
/** Word of a record: the delta before that segment, for retransmissions of earlier data. */
export const SEQ_PREV = 2;
/** Words per record. */
export const SEQ_WORDS = 3;

/** after(a, b) of include/net/tcp.h: `a` is later than `b` in 32-bit serial order. */
export function seqAfter(a: number, b: number): boolean {
  return ((b - a) | 0) < 0;
}

/**
 * vs_fix_seq(): the sequence number the receiver should see for `seq` (the sender's): segments
 * after the last resized one move by delta, earlier ones (retransmissions) by previous_delta.
 */
export function fixSeq(r: Int32Array, o: number, seq: number): number {
  const delta = r[o + SEQ_DELTA] as number;
  const prev = r[o + SEQ_PREV] as number;
  if (delta === 0 && prev === 0) return seq >>> 0;
  return (seq + (seqAfter(seq, r[o + SEQ_INIT] as number) ? delta : prev)) >>> 0;
}

/**
 * vs_fix_ack_seq(): the acknowledgement the original sender should see for `ack` (sent in the
 * other direction, in the rewritten space): the compare point is init_seq + delta, since ack_seq
 * names the next byte expected.
 */
export function fixAckSeq(r: Int32Array, o: number, ack: number): number {
  const delta = r[o + SEQ_DELTA] as number;
  const prev = r[o + SEQ_PREV] as number;
  if (delta === 0 && prev === 0) return ack >>> 0;
  const init = r[o + SEQ_INIT] as number;
  return (ack - (seqAfter(ack, (init + delta) | 0) ? delta : prev)) >>> 0;
}

/**
 * vs_seq_update(): a segment whose sender sequence number is `seq` was resized by `diff` bytes.
 * `set` says whether the conn's IN_SEQ/OUT_SEQ flag for this record is already set; the record
 * moves on only for the first resize or a later segment (a retransmission of an already resized
 * one must not count twice). Returns true when the record changed (the caller then sets the flag).
 */
export function seqUpdate(r: Int32Array, o: number, set: boolean, seq: number, diff: number): boolean {
  if (set && !seqAfter(seq, r[o + SEQ_INIT] as number)) return false;
  const delta = r[o + SEQ_DELTA] as number;
  r[o + SEQ_PREV] = delta;
  r[o + SEQ_DELTA] = (delta + diff) | 0;
  r[o + SEQ_INIT] = seq | 0;
  return true;
}
