/**
 * A scripted stand-in for the native addon: records every call and returns the -errno values a
 * test sets, so the wrapper's validation, states and error mapping run without root.
 */
import type { PacketBinding, PacketHandle } from '../../src/io/packet-socket/addon.js';

/** One recorded call: method name and its arguments after the handle. */
export interface BindingCall {
  fn: string;
  args: unknown[];
}

/** Fake binding with settable results; `deliver()` plays the readable-event callback. */
export class FakeBinding implements PacketBinding {
  readonly abiVersion = 1;
  readonly metaWords = 6;
  readonly calls: BindingCall[] = [];
  bindResult = 0;
  readStartResult = 0;
  sendResult: number | undefined;
  statsResult = 0;
  stats3: [number, number, number] = [0, 0, 0];
  drainResult = 0;
  private cb: ((count: number, err: number) => void) | undefined;
  private readonly ringBuf = new ArrayBuffer(4096);

  private rec(fn: string, args: unknown[]): void {
    this.calls.push({ fn, args });
  }

  /** Names of the recorded calls, in order. */
  names(): string[] {
    return this.calls.map((c) => c.fn);
  }

  /** Plays one native batch callback. */
  deliver(count: number, err = 0): void {
    this.cb?.(count, err);
  }

  createHandle(): PacketHandle {
    this.rec('createHandle', []);
    return {};
  }
  bind(_h: PacketHandle, ...args: unknown[]): number {
    this.rec('bind', args);
    return this.bindResult;
  }
  ring(): ArrayBuffer {
    return this.ringBuf;
  }
  readStart(_h: PacketHandle, meta: Uint32Array, cb: (count: number, err: number) => void): number {
    this.rec('readStart', [meta.length]);
    if (this.readStartResult === 0) this.cb = cb;
    return this.readStartResult;
  }
  readStop(): number {
    this.rec('readStop', []);
    this.cb = undefined;
    return 0;
  }
  drain(): number {
    this.rec('drain', []);
    return this.drainResult;
  }
  send(_h: PacketHandle, buf: Uint8Array, pairs: Uint32Array, count: number): number {
    this.rec('send', [buf.length, Array.from(pairs.subarray(0, count * 2)), count]);
    return this.sendResult ?? count;
  }
  sendv(_h: PacketHandle, frames: readonly Uint8Array[]): number {
    this.rec('sendv', [frames.length]);
    return this.sendResult ?? frames.length;
  }
  stats(_h: PacketHandle, out: Uint32Array): number {
    this.rec('stats', []);
    out.set(this.stats3);
    return this.statsResult;
  }
  ifindex(): number {
    return 7;
  }
  close(): number {
    this.rec('close', []);
    this.cb = undefined;
    return 0;
  }
}
