/**
 * The conn table's application-helper side (ip_vs_app.c's bind by vport, ip_vs_conn.c's
 * n_control for a non-template controller, NO_CPORT conns and ip_vs_conn_fill_cport).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONN_F, ConnTable, KIND } from '../../../src/core/conn-table.js';

const w = (...x: number[]) => Uint32Array.from([...x, 0, 0, 0, 0].slice(0, 4));
const C = w(0xcb007107);
const V = w(0xc0000264);
const D = w(0xc000020a);

function ftpTable(): ConnTable {
  const t = new ConnTable();
  t.app.setPorts([21]);
  return t;
}

test('the helper binds to NAT TCP conns to its ports only: not UDP, not DR, not templates, not other ports', () => {
  const t = ftpTable();
  const bound = (proto: number, vport: number, flags: number) =>
    (t.flagsOf(t.create(4, proto, C, 40000 + vport, V, vport, 4, D, vport, flags, 0, 1, 1, 0)) &
      CONN_F.APP) !==
    0;
  assert.equal(bound(6, 21, 0), true);
  assert.equal(bound(17, 21, 0), false);
  assert.equal(bound(6, 21, 3), false, 'DR');
  assert.equal(bound(6, 21, CONN_F.TEMPLATE), false);
  assert.equal(bound(6, 80, 0), false);
  t.app.setPorts([]);
  assert.equal(bound(6, 21, 0), false, 'unloaded');
});

test('a NO_CPORT conn is found with cport 0 until filled, then by its client port only', () => {
  const t = ftpTable();
  const d = t.create(4, 6, C, 0, V, 50000, 4, D, 50000, CONN_F.NO_CPORT, 0, 1, 1, 0);
  assert.equal(t.noCport, 1);
  assert.equal(t.findIn(4, 6, C, 40001, V, 50000), -1);
  assert.equal(t.findIn(4, 6, C, 0, V, 50000), d);
  t.fillCport(d, 40001);
  assert.deepEqual([t.noCport, t.flagsOf(d) & CONN_F.NO_CPORT, t.cport[d]], [0, 0, 40001]);
  assert.equal(t.findIn(4, 6, C, 40001, V, 50000), d);
  assert.equal(t.findIn(4, 6, C, 0, V, 50000), -1);
  assert.equal(t.findOut(4, 6, D, 50000, C, 40001), d);
  assert.equal(t.checkIndex() >= 0, true);
});

test('a control conn is kept (re-armed 60 s) while it controls a data conn, and expires after it', () => {
  const t = ftpTable();
  const ctl = t.create(4, 6, C, 40000, V, 21, 4, D, 21, 0, 0, 1, 1, 0);
  const d = t.create(4, 6, C, 0, V, 50000, 4, D, 50000, CONN_F.NO_CPORT, 0, 1, 1, 0);
  t.setControl(d, ctl);
  assert.equal(t.nControl(ctl), 1);
  t.setTimeoutSecs(d, 100);
  t.touch(d, 0);
  t.expire(10_000);
  assert.equal(t.kind(ctl), KIND.LIVE, 'expire_later');
  assert.equal(t.timeoutOf(ctl), 60);
  t.expire(200_000);
  assert.equal(t.kind(d), KIND.FREE);
  assert.equal(t.nControl(ctl), 0);
  t.expire(300_000);
  assert.equal(t.kind(ctl), KIND.FREE);
  assert.equal(t.noCport, 0);
});

test('a control conn killed while it controls conns leaves them uncontrolled, never pointing at a reused slot', () => {
  const t = ftpTable();
  const ctl = t.create(4, 6, C, 40000, V, 21, 4, D, 21, 0, 0, 1, 1, 0);
  const d = t.create(4, 6, C, 40001, V, 20, 4, D, 20, 0, 0, 1, 1, 0);
  t.setControl(d, ctl);
  t.kill(ctl);
  assert.equal(t.ctl[d], -1);
  const again = t.create(4, 6, C, 40002, V, 21, 4, D, 21, 0, 0, 1, 1, 0);
  assert.equal(again, ctl, 'the slot is reused');
  t.kill(d);
  assert.equal(t.nControl(again), 0);
});
