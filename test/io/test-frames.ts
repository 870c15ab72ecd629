/**
 * Deterministic test frames for the packet-socket tests: frame `seq` has a length and payload
 * derived from seq alone, so the receiver can verify every byte without being told what was sent.
 */

/** Local experimental EtherType (IEEE 802 "local experimental 1"): the stacks ignore it. */
export const TEST_ETHERTYPE = 0x88b5;

/** Length of test frame `seq` (untagged): spread over 60..1514. */
export function testFrameLength(seq: number): number {
  return 60 + ((seq * 97) % 1455);
}

/** The untagged test frame `seq` from `src` to `dst`. */
export function craftTestFrame(seq: number, dst: Uint8Array, src: Uint8Array): Buffer {
  const len = testFrameLength(seq);
  const f = Buffer.alloc(len);
  f.set(dst, 0);
  f.set(src, 6);
  f.writeUInt16BE(TEST_ETHERTYPE, 12);
  f.writeUInt32BE(seq, 14);
  for (let i = 18; i < len; i++) f[i] = (seq * 7 + i) & 0xff;
  return f;
}

/** The same frame carrying an 802.1Q tag with VLAN id `vid` after the MAC addresses. */
export function tagFrame(frame: Buffer, vid: number): Buffer {
  const t = Buffer.alloc(frame.length + 4);
  frame.copy(t, 0, 0, 12);
  t.writeUInt16BE(0x8100, 12);
  t.writeUInt16BE(vid & 0x0fff, 14);
  frame.copy(t, 16, 12);
  return t;
}

/** VLAN id the test uses for frame `seq` when it is tagged (every 10th frame). */
export function testVid(seq: number): number | undefined {
  return seq % 10 === 3 ? 100 + (seq % 7) : undefined;
}
