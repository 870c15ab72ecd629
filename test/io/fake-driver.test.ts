/** FakeDriver and the batch shapes it shares with the AF_PACKET driver. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type RxFrameBatch, TxBatch } from '../../src/io/driver.js';
import { FakeDriver } from '../../src/io/fake-driver.js';

const frame = (n: number, len = 60) => Buffer.alloc(len, n);

describe('FakeDriver receive', () => {
  it('delivers injected frames in batches no larger than maxBatch', () => {
    const d = new FakeDriver({ maxBatch: 4, ifindex: 9 });
    const counts: number[] = [];
    const firstBytes: number[] = [];
    d.start((b: RxFrameBatch) => {
      counts.push(b.count);
      assert.equal(b.ifindex, 9);
      for (let i = 0; i < b.count; i++) firstBytes.push(b.buffer[b.offset(i)]!);
    });
    assert.equal(d.inject([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => frame(n))), 10);
    assert.deepEqual(counts, [4, 4, 2]);
    assert.deepEqual(firstBytes, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(d.batches, 3);
  });

  it('reports per-frame partial checksum, VLAN tag and lengths like the ring does', () => {
    const d = new FakeDriver();
    let got: { partial: boolean[]; vlan: number[]; len: number[]; copy: Buffer } | undefined;
    d.start((b) => {
      got = {
        partial: [0, 1, 2].map((i) => b.partialChecksum(i)),
        vlan: [0, 1, 2].map((i) => b.vlanTci(i)),
        len: [0, 1, 2].map((i) => b.length(i)),
        copy: b.copyFrame(1),
      };
    });
    d.inject(
      [frame(1, 60), frame(2, 70), frame(3, 80)],
      [{ partialChecksum: true }, { vlanTci: 42 }, undefined],
    );
    assert.deepEqual(got?.partial, [true, false, false]);
    assert.deepEqual(got?.vlan, [-1, 42, -1]);
    assert.deepEqual(got?.len, [60, 70, 80]);
    assert.ok(got?.copy.equals(frame(2, 70)));
  });

  it('drops injected frames before start and after close', () => {
    const d = new FakeDriver();
    assert.equal(d.inject([frame(1)]), 0);
    d.start(() => {});
    d.close();
    assert.equal(d.inject([frame(1)]), 0);
    assert.equal(d.isClosed, true);
  });
});

describe('FakeDriver transmit', () => {
  it('captures copies, so later changes to the caller buffer do not alter them', () => {
    const d = new FakeDriver();
    const f = frame(5);
    assert.equal(d.send([f]), 1);
    f[0] = 99;
    assert.equal(d.sent[0]![0], 5);
  });

  it('accepts a packed TxBatch frame by frame', () => {
    const d = new FakeDriver();
    const tx = new TxBatch(1024, 4);
    tx.push(frame(1, 60));
    tx.push(frame(2, 61));
    assert.equal(d.send(tx), 2);
    assert.deepEqual(
      d.sent.map((b) => [b[0], b.length]),
      [
        [1, 60],
        [2, 61],
      ],
    );
  });

  it('counts frames beyond txCapacity as dropped', () => {
    const d = new FakeDriver({ txCapacity: 2 });
    assert.equal(d.send([frame(1), frame(2), frame(3)]), 2);
    assert.equal(d.txDropped, 1);
  });
});

describe('TxBatch', () => {
  it('refuses frames once bytes or slots run out, and reuses its memory after clear', () => {
    const tx = new TxBatch(128, 2);
    assert.equal(tx.reserve(60), 0);
    assert.equal(tx.reserve(60), 64, 'next frame starts 8-byte aligned');
    assert.equal(tx.reserve(1), -1, 'no slot left');
    tx.clear();
    assert.equal(tx.count, 0);
    assert.equal(tx.push(Buffer.alloc(129)), false, 'larger than the buffer');
    assert.equal(tx.push(Buffer.alloc(100, 3)), true);
    assert.ok(tx.frame(0).equals(Buffer.alloc(100, 3)));
  });
});
