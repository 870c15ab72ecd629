/**
 * A scrape body kept from scrape to scrape: the lines of a {@link SeriesLayout} written once into
 * blocks of about {@link BLOCK_BYTES}, each block two halves of one buffer. While the layout holds
 * (the same families, series and order), a scrape rewrites only the values that changed: it
 * copies the runs of bytes between them from the block's current half to its other half with
 * `copyWithin` (one memmove, no allocation: both halves are one ArrayBuffer) and writes the new
 * digits in between; a block whose values did not change is sent as it is. A new layout (a
 * service or real server added or removed) writes the blocks afresh from the layout's label bytes.
 * Either way the work runs in steps, a few blocks at a time, so a caller yields to the event loop
 * between them (a rebuild of 150,000 lines is never one block of the loop).
 *
 * A half handed to the socket is not written again until its write completes (node:net sends from
 * the buffer itself): {@link BodyChunks.release} ends each such hold, and a block whose other half
 * is still held moves to a new buffer.
 */

import { setImmediate as nextTurn } from 'node:timers/promises';

/** Bytes a block is filled to before the next line starts a new one (what one socket write takes). */
export const BLOCK_BYTES = 256 * 1024;

/** Room one value takes at most: String() of a double is at most 24 characters. */
export const VALUE_ROOM = 25;

/** One run of lines in a layout: a family header, or one line per entity of a family. */
export type LayoutPart =
  | { readonly header: Buffer }
  | {
      /** The family name, the start of each line. */
      readonly name: Buffer;
      /** Every entity's `{labels}` (with a trailing space), back to back. */
      readonly labels: Buffer;
      /** End offset of each entity's labels in `labels`. */
      readonly ends: Uint32Array;
      /** Value index of the first line; line r reads `first + r * stride`. */
      readonly first: number;
      readonly stride: number;
    };

/** The lines of a body without their values. Compared by identity: a new object is a new layout. */
export interface SeriesLayout {
  /**
   * The lines' bytes, needed when the body is written afresh: undefined while they are still being
   * worked out, a share of the work per call (so each call is a short step of its own).
   */
  parts(): readonly LayoutPart[] | undefined;
  /** Lines (headers count as one each). */
  readonly segments: number;
  /** Length of the value array a scrape reads for this layout. */
  readonly nValues: number;
}

/** Writes a non-negative safe integer's digits at `at`; returns the new end. */
function writeUint(buf: Buffer, at: number, v: number): number {
  if (v < 10) {
    buf[at] = 48 + v;
    return at + 1;
  }
  let len = 0;
  for (let x = v; x >= 1; x = Math.floor(x / 10)) len++;
  let x = v;
  for (let i = at + len - 1; i >= at; i--) {
    const q = Math.floor(x / 10);
    buf[i] = 48 + (x - q * 10);
    x = q;
  }
  return at + len;
}

/** Formats a sample value as the exposition spells it (exposition.ts formatValue), at `at`. */
export function writeValue(buf: Buffer, at: number, v: number): number {
  if (v >= 0 && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v) && !Object.is(v, -0))
    return writeUint(buf, at, v);
  let s: string;
  if (Number.isNaN(v)) s = 'NaN';
  else if (v === Number.POSITIVE_INFINITY) s = '+Inf';
  else if (v === Number.NEGATIVE_INFINITY) s = '-Inf';
  else s = String(v);
  return at + buf.write(s, at, 'latin1');
}

/** Whether two values print differently (NaN equals NaN; -0 prints as 0, like +0). */
function differ(a: number, b: number): boolean {
  return a !== b && !(Number.isNaN(a) && Number.isNaN(b));
}

class Block {
  /** Lines [first, end) of the layout. */
  constructor(
    public buf: Buffer,
    public cap: number,
    readonly first: number,
    readonly end: number,
    public len: number,
  ) {}
  /** Which half holds the current bytes. */
  cur = 0;
  /** Sends not yet completed, per half of `buf` (a new array with a new buffer). */
  held = [0, 0];
  /** The current bytes. */
  view(): Buffer {
    return this.buf.subarray(this.cur * this.cap, this.cur * this.cap + this.len);
  }
}

/** One scrape's table lines, ready to send: one buffer per block, each held until released. */
export interface BodyChunks {
  readonly chunks: readonly Buffer[];
  /** Ends the hold on chunk `i` (after its socket write completed, or if it is never sent). */
  release(i: number): void;
}

/** A preparation in progress: call {@link BodyPrep.step} until it returns the chunks. */
export interface BodyPrep {
  /** Does some blocks' work (about `budgetMs` of it); the chunks once every block is ready. */
  step(budgetMs: number): BodyChunks | undefined;
}

/** The kept body of one layout's lines; see the file comment. */
export class SeriesBody {
  private layout: SeriesLayout | undefined;
  private blocks: Block[] = [];
  private prev: Float64Array = new Float64Array(0);
  /** Per line: value slot (-1 for a header), value start and end offsets in its block's half. */
  private slot = new Int32Array(0);
  private vAt = new Uint32Array(0);
  private vEnd = new Uint32Array(0);
  private busy = false;
  /** The last stepped preparation (settled), which the next one waits for. */
  private queue: Promise<unknown> = Promise.resolve();

  /** `blockBytes`: how full a block is written before the next starts (smaller in tests). */
  constructor(private readonly blockBytes = BLOCK_BYTES) {}

  /** Starts preparing the body of `layout` with `values`; one preparation at a time. */
  prepare(layout: SeriesLayout, values: Float64Array): BodyPrep {
    if (this.busy) throw new Error('SeriesBody: a preparation is already in progress');
    this.busy = true;
    const inner = layout === this.layout ? this.update(values) : this.rebuild(layout, values);
    return {
      step: (budgetMs) => {
        try {
          return inner.step(budgetMs);
        } catch (e) {
          // Blocks may be half rewritten: the next preparation writes them afresh.
          this.layout = undefined;
          this.busy = false;
          throw e;
        }
      },
    };
  }

  /**
   * Prepares in steps of about `stepMs` with a turn of the event loop between them, so a scrape
   * never holds the loop for a whole rebuild; calls queue and run one at a time, in call order.
   */
  prepareStepped(layout: SeriesLayout, values: Float64Array, stepMs: number): Promise<BodyChunks> {
    const run = this.queue.then(async () => {
      const p = this.prepare(layout, values);
      for (;;) {
        const c = p.step(stepMs);
        if (c) return c;
        await nextTurn();
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Prepares at once (tests, callers that do not stream). */
  prepareNow(layout: SeriesLayout, values: Float64Array): BodyChunks {
    const p = this.prepare(layout, values);
    for (;;) {
      const c = p.step(Number.POSITIVE_INFINITY);
      if (c) return c;
    }
  }

  private finish(values: Float64Array): BodyChunks {
    this.prev = values;
    this.busy = false;
    const blocks = this.blocks;
    const halves = blocks.map((b) => b.cur);
    const holds = blocks.map((b) => b.held);
    const chunks = blocks.map((b) => b.view());
    for (const b of blocks) b.held[b.cur] = (b.held[b.cur] ?? 0) + 1;
    const released = new Uint8Array(blocks.length);
    return {
      chunks,
      release(i: number) {
        const held = holds[i];
        if (!held || released[i]) return;
        released[i] = 1;
        const h = halves[i] as number;
        held[h] = (held[h] ?? 1) - 1;
      },
    };
  }

  private update(values: Float64Array): BodyPrep {
    let bi = 0;
    return {
      step: (budgetMs) => {
        const t0 = performance.now();
        while (bi < this.blocks.length) {
          this.updateBlock(this.blocks[bi++] as Block, values);
          if (performance.now() - t0 >= budgetMs) return undefined;
        }
        return this.finish(values);
      },
    };
  }

  /** Rewrites the block's changed values into its other half, copying the runs between them. */
  private updateBlock(b: Block, values: Float64Array): void {
    const { slot, prev, vAt, vEnd } = this;
    let changed = 0;
    for (let i = b.first; i < b.end; i++) {
      const k = slot[i] as number;
      if (k >= 0 && differ(values[k] as number, prev[k] as number)) changed++;
    }
    if (changed === 0) return;
    const need = b.len + changed * VALUE_ROOM;
    if (need > b.cap || (b.held[1 - b.cur] ?? 0) > 0) {
      // Move to a buffer of its own: the other half is still being sent, or the block outgrew it.
      const cap = Math.max(b.cap, need + (need >> 2));
      const buf = Buffer.allocUnsafeSlow(2 * cap);
      b.view().copy(buf, 0);
      b.buf = buf;
      b.cap = cap;
      b.cur = 0;
      // Sends of the old buffer release the old counts, not these.
      b.held = [0, 0];
    }
    const buf = b.buf;
    const src = b.cur * b.cap;
    const dst = (1 - b.cur) * b.cap;
    let out = dst;
    let run = 0; // start of the bytes not yet copied, relative to the source half
    let shift = 0; // how far the lines after the last changed value moved
    for (let i = b.first; i < b.end; i++) {
      const k = slot[i] as number;
      if (k < 0) continue;
      const v = values[k] as number;
      const at = vAt[i] as number;
      const end = vEnd[i] as number;
      if (!differ(v, prev[k] as number)) {
        vAt[i] = at + shift;
        vEnd[i] = end + shift;
        continue;
      }
      buf.copyWithin(out, src + run, src + at);
      out += at - run;
      const e = writeValue(buf, out, v);
      vAt[i] = out - dst;
      vEnd[i] = e - dst;
      shift = e - dst - end;
      out = e;
      run = end;
    }
    buf.copyWithin(out, src + run, src + b.len);
    out += b.len - run;
    b.len = out - dst;
    b.cur = 1 - b.cur;
  }

  private rebuild(layout: SeriesLayout, values: Float64Array): BodyPrep {
    let parts: readonly LayoutPart[] | undefined;
    let cap = 0;
    const full = this.blockBytes;
    const n = layout.segments;
    const slot = new Int32Array(n);
    const vAt = new Uint32Array(n);
    const vEnd = new Uint32Array(n);
    const blocks: Block[] = [];
    let pi = 0; // part
    let r = 0; // line within the part
    let seg = 0;
    const spare: Buffer[] = [];
    return {
      step: (budgetMs) => {
        while (parts === undefined) {
          // The label bytes are worked out in steps of their own (SeriesLayout.parts).
          parts = layout.parts();
          if (parts === undefined) {
            if (budgetMs !== Number.POSITIVE_INFINITY) return undefined;
            continue;
          }
          let maxLine = 0;
          for (const p of parts) {
            if ('header' in p) maxLine = Math.max(maxLine, p.header.length);
            else {
              let start = 0;
              let longest = 0;
              for (let k = 0; k < p.ends.length; k++) {
                const end = p.ends[k] as number;
                longest = Math.max(longest, end - start);
                start = end;
              }
              maxLine = Math.max(maxLine, p.name.length + longest);
            }
          }
          // Room to grow: values gain digits; a block that outgrows its halves moves to a bigger buffer.
          cap = full + (full >> 4) + maxLine + VALUE_ROOM + 1;
          // The old body's buffers that no send holds are reused: 35 MB of new buffers per rebuild
          // at 1,000 × 10 made V8 collect for the external memory. No send can start on them
          // before this preparation ends (sends hold their halves from the end of theirs).
          for (const b of this.blocks)
            if (b.held[0] === 0 && b.held[1] === 0 && b.buf.length === 2 * cap) spare.push(b.buf);
          if (budgetMs !== Number.POSITIVE_INFINITY) return undefined;
        }
        const ready = parts;
        const t0 = performance.now();
        while (pi < ready.length) {
          const buf = spare.pop() ?? Buffer.allocUnsafeSlow(2 * cap);
          // The other half is scratch while the block is first written: the part's name and a window
          // of its labels are copied there once, and each line is assembled from it with copyWithin
          // (no allocation, unlike a Buffer.copy per line from another buffer).
          const scratch = cap;
          const first = seg;
          let at = 0;
          while (pi < ready.length && at < full) {
            const p = ready[pi] as LayoutPart;
            if ('header' in p) {
              at += p.header.copy(buf, at);
              slot[seg] = -1;
              vAt[seg] = at;
              vEnd[seg++] = at;
              pi++;
              continue;
            }
            const { name, labels, ends, first: f0, stride } = p;
            const nameLen = name.length;
            const room = cap - nameLen;
            name.copy(buf, scratch);
            let start = r === 0 ? 0 : (ends[r - 1] as number);
            let win = start; // labels offset at scratch + nameLen
            let winEnd =
              start + labels.copy(buf, scratch + nameLen, start, Math.min(labels.length, start + room));
            for (; r < ends.length && at < full; r++) {
              const end = ends[r] as number;
              if (end > winEnd) {
                win = start;
                winEnd =
                  start + labels.copy(buf, scratch + nameLen, start, Math.min(labels.length, start + room));
              }
              buf.copyWithin(at, scratch, scratch + nameLen);
              at += nameLen;
              buf.copyWithin(at, scratch + nameLen + start - win, scratch + nameLen + end - win);
              at += end - start;
              start = end;
              const k = f0 + r * stride;
              slot[seg] = k;
              vAt[seg] = at;
              at = writeValue(buf, at, values[k] as number);
              vEnd[seg++] = at;
              buf[at++] = 10;
            }
            if (r === ends.length) {
              r = 0;
              pi++;
            }
          }
          blocks.push(new Block(buf, cap, first, seg, at));
          if (performance.now() - t0 >= budgetMs) return undefined;
        }
        this.layout = layout;
        this.blocks = blocks;
        this.slot = slot;
        this.vAt = vAt;
        this.vEnd = vEnd;
        return this.finish(values);
      },
    };
  }
}
