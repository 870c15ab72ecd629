/**
 * An in-memory flow map with the BPF hash's bound and the program's per-segment counting, the
 * fake beside {@link FlowMapPort} for tests of flow-offload.ts.
 */
import { FLOW_MAP_FULL, FLOW_V, type FlowMapPort } from './flow-offload.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** An in-memory {@link FlowMapPort} with the BPF hash's bound, for tests. */
export class FakeFlowMap implements FlowMapPort {
  /** Entries by key (hex). */
  readonly entries = new Map<string, Uint8Array>();
  constructor(readonly maxEntries: number) {}

  insert(key: Uint8Array, value: Uint8Array): number {
    const k = hex(key);
    if (this.entries.has(k)) return -17;
    if (this.entries.size >= this.maxEntries) return FLOW_MAP_FULL;
    this.entries.set(k, Uint8Array.from(value));
    return 0;
  }

  lookup(key: Uint8Array, value: Uint8Array): number {
    const v = this.entries.get(hex(key));
    if (!v) return -2;
    value.set(v);
    return 0;
  }

  remove(key: Uint8Array): number {
    return this.entries.delete(hex(key)) ? 0 : -2;
  }

  /** What the program does per forwarded segment: counters and last-seen (test seam). */
  hit(key: Uint8Array, ipLen: number, monoNs: number): boolean {
    const v = this.entries.get(hex(key));
    if (!v) return false;
    const d = new DataView(v.buffer, v.byteOffset, v.byteLength);
    d.setBigUint64(FLOW_V.PACKETS, d.getBigUint64(FLOW_V.PACKETS, true) + 1n, true);
    d.setBigUint64(FLOW_V.BYTES, d.getBigUint64(FLOW_V.BYTES, true) + BigInt(ipLen), true);
    d.setBigUint64(FLOW_V.SEEN, BigInt(monoNs), true);
    return true;
  }
}
