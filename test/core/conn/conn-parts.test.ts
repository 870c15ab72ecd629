import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnAddr6 } from '../../../src/core/conn-addr6.js';
import { fold6 } from '../../../src/core/conn-hash.js';
import { ConnLocalIndex } from '../../../src/core/conn-local.js';
import { ConnWheel, WHEEL_SLOTS, WHEEL_TICK_MS, type WheelOwner } from '../../../src/core/conn-wheel.js';

/** A wheel owner with plain expiry times that frees every due entry and records which. */
class Owner implements WheelOwner {
  readonly exp: number[] = [];
  readonly freed: number[] = [];
  constructor(readonly wheel: ConnWheel) {}
  add(i: number, exp: number): void {
    this.exp[i] = exp;
    this.wheel.insert(i, exp);
  }
  expiresOf(i: number): number {
    return this.exp[i]!;
  }
  expireDue(i: number): boolean {
    this.wheel.unlink(i);
    this.freed.push(i);
    return true;
  }
}

test('the wheel frees entries when their time comes, not before, and a later re-arm is honoured where it was filed', () => {
  const wheel = new ConnWheel(16);
  const o = new Owner(wheel);
  wheel.start(0);
  o.add(0, 1000);
  o.add(1, 3000);
  o.add(2, 1000);
  // Entry 2 is re-armed later without moving: its old slot re-files it.
  o.exp[2] = 5000;
  assert.equal(wheel.due(999), true);
  assert.equal(wheel.advance(999, o), 0);
  assert.deepEqual(o.freed, []);
  assert.equal(wheel.advance(1000, o), 1);
  assert.deepEqual(o.freed, [0]);
  assert.equal(wheel.advance(4999, o), 1);
  assert.deepEqual(o.freed, [0, 1]);
  assert.equal(wheel.advance(5000, o), 1);
  assert.deepEqual(o.freed, [0, 1, 2]);
});

test('the wheel goes round: a timer past its horizon expires at its time after a full turn', () => {
  const wheel = new ConnWheel(4);
  const o = new Owner(wheel);
  wheel.start(0);
  const far = WHEEL_SLOTS * WHEEL_TICK_MS + 100;
  o.add(3, far);
  assert.equal(wheel.advance(far - 1, o), 0);
  assert.equal(wheel.advance(far, o), 1);
  assert.deepEqual(o.freed, [3]);
  assert.equal(wheel.due(far - 5000), false, 'time going backwards finds nothing due');
});

test('the FULLNAT local index finds every entry by its local address and port across bucket growth, and forgets removed ones', () => {
  const L = new ConnLocalIndex();
  const n = 5000;
  const addr = (i: number) => Uint32Array.from([0xc0000200 + (i % 7), 0, 0, 0]);
  for (let i = 0; i < n; i++) L.add(i, addr(i), 1024 + (i % 3000), n, n);
  assert.equal(L.count, n);
  const found = (i: number): boolean => {
    for (let j = L.next(addr(i), 1024 + (i % 3000), -1); j >= 0; j = L.next(addr(i), 1024 + (i % 3000), j))
      if (j === i) return true;
    return false;
  };
  for (let i = 0; i < n; i++) assert.ok(found(i), `entry ${i}`);
  for (let i = 0; i < n; i += 2) L.remove(i);
  assert.equal(L.count, n / 2);
  for (let i = 0; i < n; i++) assert.equal(found(i), i % 2 === 1, `entry ${i}`);
});

test('the IPv6 side table reuses released slots and compares, folds and copies the addresses it holds', () => {
  const t = new ConnAddr6();
  const a = t.alloc();
  const b = t.alloc();
  assert.notEqual(a, b);
  const x = Uint32Array.from([0x20010db8, 1, 2, 3]);
  t.words.set(x, b * 12 + 8);
  assert.equal(t.eq(b, 8, x), true);
  assert.equal(t.eq(b, 0, x), false);
  assert.equal(t.fold(b, 8), fold6(x[0]!, x[1]!, x[2]!, x[3]!));
  const out = new Uint32Array(4);
  t.read(b, 8, out);
  assert.deepEqual(out, x);
  t.release(a);
  assert.equal(t.alloc(), a);
  for (let k = 0; k < 100; k++) t.alloc();
  assert.equal(t.eq(b, 8, x), true, 'growth keeps the addresses');
});
