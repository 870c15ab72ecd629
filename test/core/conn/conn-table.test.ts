import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONN_F, ConnTable, KIND } from '../../../src/core/conn-table.js';

const w = (...x: number[]) => Uint32Array.from([...x, 0, 0, 0, 0].slice(0, 4));
const C = w(0xc0000201);
const V = w(0xcb007101);
const D = w(0xc6336401);

function mk(t: ConnTable, cport: number, now = 0, flags = 0): number {
  return t.create(4, 6, C, cport, V, 80, 4, D, 8080, flags, 0, 7, 1, now);
}

test('the reported size is 2^conn_tab_bits, default 4096', () => {
  assert.equal(new ConnTable().size, 4096);
  assert.equal(new ConnTable({ tabBits: 16 }).size, 65536);
  assert.equal(new ConnTable({ tabBits: 2 }).size, 256);
});

test('an inbound lookup finds a conn by client and virtual address; the reply lookup by real server and client', () => {
  const t = new ConnTable();
  const i = mk(t, 40000);
  assert.equal(t.findIn(4, 6, C, 40000, V, 80), i);
  assert.equal(t.findIn(4, 6, C, 40001, V, 80), -1);
  assert.equal(t.findIn(4, 17, C, 40000, V, 80), -1);
  assert.equal(t.findIn(4, 6, C, 40000, V, 81), -1);
  assert.equal(t.findOut(4, 6, D, 8080, C, 40000), i);
  assert.equal(t.findOut(4, 6, D, 80, C, 40000), -1);
  assert.equal(t.dportOf(i), 8080);
  assert.equal(t.stateOf(i), 0);
  assert.equal(t.timeoutOf(i), 3);
  assert.ok((t.flagsOf(i) & CONN_F.HASHED) !== 0);
});

test('templates are found only by the template lookup, and a neutralised template never again', () => {
  const t = new ConnTable();
  const tpl = t.create(4, 6, C, 0, V, 80, 4, D, 80, CONN_F.TEMPLATE, 0, 1, 1, 0);
  assert.equal(t.findIn(4, 6, C, 0, V, 80), -1);
  assert.equal(t.findTemplate(4, 6, C, V, 80), tpl);
  t.neutralise(tpl);
  assert.equal(t.findTemplate(4, 6, C, V, 80), -1);
  assert.equal(t.vport[tpl], 0xffff);
});

test('IPv6 conns are stored and found with full 128-bit addresses', () => {
  const t = new ConnTable();
  const c6 = w(0x20010db8, 0, 0, 1);
  const v6 = w(0x20010db8, 0, 0, 0x100);
  const d6 = w(0x20010db8, 1, 0, 2);
  const i = t.create(6, 6, c6, 5000, v6, 443, 6, d6, 443, 0, 0, 1, 1, 0);
  assert.equal(t.findIn(6, 6, c6, 5000, v6, 443), i);
  assert.equal(t.findIn(6, 6, w(0x20010db8, 0, 0, 2), 5000, v6, 443), -1);
  assert.equal(t.findIn(4, 6, w(0x20010db8), 5000, w(0x20010db8), 443), -1);
  assert.equal(t.findOut(6, 6, d6, 443, c6, 5000), i);
  const out = new Uint32Array(4);
  t.readAddr(i, 8, out);
  assert.deepEqual([...out], [...d6]);
  assert.equal(t.af(i), 6);
});

test('an IPv4 conn with an IPv6 tunnel dest keeps IPv4 lookups working', () => {
  const t = new ConnTable();
  const d6 = w(0x20010db8, 0, 0, 9);
  const i = t.create(4, 6, C, 1234, V, 80, 6, d6, 80, 2, 0, 1, 1, 0);
  assert.equal(t.findIn(4, 6, C, 1234, V, 80), i);
  const out = new Uint32Array(4);
  t.readAddr(i, 8, out);
  assert.deepEqual([...out], [...d6]);
  t.readAddr(i, 0, out);
  assert.equal(out[0], C[0]);
  assert.equal(t.daf(i), 6);
});

test('a new conn expires exactly 3 s after creation unless re-armed', () => {
  const freed: number[] = [];
  const t = new ConnTable({ onFree: (i) => freed.push(i) });
  const i = mk(t, 1, 1000);
  assert.equal(t.expire(3999), 0);
  assert.equal(t.findIn(4, 6, C, 1, V, 80), i);
  assert.equal(t.expire(4000), 1);
  assert.deepEqual(freed, [i]);
  assert.equal(t.findIn(4, 6, C, 1, V, 80), -1);
  assert.equal(t.count, 0);
});

test('re-arming later postpones expiry and re-arming earlier is honoured at once', () => {
  const t = new ConnTable();
  const i = mk(t, 1, 0);
  t.setTimeoutSecs(i, 900);
  t.touch(i, 1000);
  assert.equal(t.expire(500_000), 0);
  t.setTimeoutSecs(i, 10);
  t.touch(i, 500_000);
  assert.equal(t.expire(509_999), 0);
  assert.equal(t.expire(510_000), 1);
});

test('a template that still controls conns is re-armed for 60 s instead of expiring', () => {
  const t = new ConnTable();
  const tpl = t.create(4, 6, C, 0, V, 80, 4, D, 80, CONN_F.TEMPLATE, 0, 1, 1, 0);
  t.setTimeoutSecs(tpl, 10);
  t.touch(tpl, 0);
  const c = mk(t, 5, 0);
  t.setControl(c, tpl);
  t.setTimeoutSecs(c, 100);
  t.touch(c, 0);
  t.expire(10_000);
  assert.equal(t.kind(tpl), KIND.LIVE);
  assert.equal(t.timeoutOf(tpl), 60);
  assert.equal(t.expiresOf(tpl), 70_000);
  t.expire(70_000);
  assert.equal(t.kind(tpl), KIND.LIVE, 'still controlling at 70 s');
  t.expire(100_000); // the conn goes, n_control drops to 0
  assert.equal(t.ctl[tpl], 0);
  t.expire(130_000);
  assert.equal(t.kind(tpl), KIND.FREE);
});

test('one-packet conns are neither hashed nor timed; kill frees them', () => {
  const t = new ConnTable();
  const i = mk(t, 9, 0, CONN_F.ONE_PACKET);
  assert.equal(t.kind(i), KIND.OPS);
  assert.equal(t.findIn(4, 6, C, 9, V, 80), -1);
  assert.equal(t.expire(100_000), 0);
  t.kill(i);
  assert.equal(t.count, 0);
});

test('a time jump beyond the wheel horizon still expires every due entry and keeps the rest', () => {
  const t = new ConnTable();
  const a = mk(t, 1, 0);
  const b = mk(t, 2, 0);
  t.setTimeoutSecs(b, 100_000);
  t.touch(b, 0);
  assert.equal(t.expire(3 * 3600_000), 1);
  assert.equal(t.kind(a), KIND.FREE);
  assert.equal(t.kind(b), KIND.LIVE);
  assert.equal(t.expire(100_000_000), 1);
});

test('growth and rehashing keep every entry findable and freed slots are reused', () => {
  const t = new ConnTable({ initialCapacity: 16, tabBits: 8 });
  const n = 50_000;
  for (let k = 0; k < n; k++) t.create(4, 17, w(k), k & 0xffff, V, 53, 4, D, 53, 0, 0, 1, 1, 0);
  assert.equal(t.count, n);
  assert.ok(t.capacity >= n);
  for (let k = 0; k < n; k += 997) assert.ok(t.findIn(4, 17, w(k), k & 0xffff, V, 53) >= 0);
  const limit = t.limit;
  assert.equal(t.expire(3000), n);
  assert.equal(t.count, 0);
  t.create(4, 17, w(1), 1, V, 53, 4, D, 53, 0, 0, 1, 1, 3000);
  assert.equal(t.limit, limit, 'a freed index was reused');
});

test('FULLNAT conns are found by the local address a reply is sent to', () => {
  const t = new ConnTable();
  const i = mk(t, 40000);
  const l = w(0xc0000264);
  t.setLocal(i, l, 61000);
  assert.equal(t.findOutLocal(6, D, 8080, l, 61000), i);
  assert.equal(t.findOutLocal(6, D, 8080, l, 61001), -1);
  t.kill(i);
  assert.equal(t.findOutLocal(6, D, 8080, l, 61000), -1);
  assert.equal(t.localCount, 0);
});
