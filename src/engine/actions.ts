/**
 * The engine's output: a preallocated list of actions. The engine
 * never sends anything; it appends `tx` (a frame to transmit on an interface) and `drop` (why a
 * frame went nowhere) records, and the driver performs them. A tx action points at bytes the
 * caller's input frame or the engine's own memory holds; all of them stay valid until
 * {@link Engine.flush}, so a driver can handle a whole receive batch and then send once.
 */

/**
 * Action kinds. LOCAL: a frame for the director's own stack (a real server whose address is the
 * host's), which the kernel would hand to LOCAL_IN whatever the method (ip_vs_xmit.c
 * __ip_vs_get_out_rt() with IP_VS_RT_MODE_LOCAL, then ip_vs_send_or_cont() with `local`): the
 * driver injects it into the host on the loopback device (`ifindex` is the one the engine was
 * given, OutputOptions.localIfindex), so a driver that sends it like a tx needs nothing more; its
 * Ethernet header is all zero, as loopback frames carry.
 */
export const ACT = { TX: 1, DROP: 2, LOCAL: 3 } as const;

/** Typed-array action records; appending allocates nothing. */
export class ActionList {
  /** Number of actions. */
  count = 0;
  /** ACT kind per action. */
  readonly kind: Uint8Array;
  /** Egress ifindex of a tx. */
  readonly ifindex: Int32Array;
  /** Offset and length of a tx frame in `bufs[i]`. */
  readonly off: Uint32Array;
  readonly len: Uint32Array;
  /** DROP reason of a drop action (see drops.ts). */
  readonly reason: Uint16Array;
  /** Buffer of each tx frame (references only; no copies). */
  readonly bufs: Uint8Array[];
  private readonly empty = new Uint8Array(0);

  constructor(capacity = 1024) {
    this.kind = new Uint8Array(capacity);
    this.ifindex = new Int32Array(capacity);
    this.off = new Uint32Array(capacity);
    this.len = new Uint32Array(capacity);
    this.reason = new Uint16Array(capacity);
    this.bufs = new Array<Uint8Array>(capacity).fill(this.empty);
  }

  /** Capacity of the list. */
  get capacity(): number {
    return this.kind.length;
  }

  /** Appends a tx action; false when the list is full. */
  tx(buf: Uint8Array, off: number, len: number, ifindex: number): boolean {
    const i = this.count;
    if (i >= this.kind.length) return false;
    this.kind[i] = ACT.TX;
    this.bufs[i] = buf;
    this.off[i] = off;
    this.len[i] = len;
    this.ifindex[i] = ifindex;
    this.count = i + 1;
    return true;
  }

  /** Appends a local-delivery action (see {@link ACT}.LOCAL); false when the list is full. */
  local(buf: Uint8Array, off: number, len: number, ifindex: number): boolean {
    if (!this.tx(buf, off, len, ifindex)) return false;
    this.kind[this.count - 1] = ACT.LOCAL;
    return true;
  }

  /** Appends a drop action; silently ignored when the list is full (the counter still counts it). */
  drop(reason: number): void {
    const i = this.count;
    if (i >= this.kind.length) return;
    this.kind[i] = ACT.DROP;
    this.reason[i] = reason;
    this.bufs[i] = this.empty;
    this.count = i + 1;
  }

  /** The bytes of tx action `i` (a view; allocates, so for tests and tools, not the hot path). */
  frame(i: number): Uint8Array {
    const o = this.off[i]!;
    return this.bufs[i]!.subarray(o, o + this.len[i]!);
  }

  /** Forgets every action (and drops the buffer references). */
  clear(): void {
    for (let i = 0; i < this.count; i++) this.bufs[i] = this.empty;
    this.count = 0;
  }
}
