import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipBytes } from '../../../src/core/addr.js';
import { KIND } from '../../../src/core/conn-table.js';
import { CONN_EVENT } from '../../../src/core/director.js';
import { FWD } from '../../../src/core/types.js';
import { destConfig, svcConfig, tcp } from '../../helpers/table.js';
import { testDirector } from './helpers.js';

const VIP = '203.0.113.10';
const A = '198.51.100.1';
const B = '198.51.100.2';
const CL = ipBytes('192.0.2.7') as Uint8Array;

function proxied(scheduler = 'first') {
  const d = testDirector();
  const svc = d.table.addService(tcp(VIP, 80), svcConfig({ scheduler }));
  d.table.addDest(tcp(VIP, 80), destConfig(B, 80, { fwd: FWD.MASQ }));
  d.table.addDest(tcp(VIP, 80), destConfig(A, 80, { fwd: FWD.MASQ }));
  const freed: number[] = [];
  d.onConnExpire((i) => freed.push(i));
  const open = (cport: number, now: number) => {
    const i = d.openConn(svc, CL, cport, now);
    d.connEvent(i, CONN_EVENT.ESTABLISHED, now);
    return i;
  };
  return { d, svc, freed, open };
}

test('onConnExpire reports an ESTABLISHED entry once, when its 900 s timer runs out', () => {
  const { d, freed, open } = proxied();
  const i = open(1000, 0);
  const j = open(1001, 0);
  d.tick(899_000);
  assert.deepEqual(freed, []);
  d.tick(901_000);
  assert.deepEqual(
    freed.sort((x, y) => x - y),
    [i, j].sort((x, y) => x - y),
  );
  d.tick(2_000_000);
  assert.equal(freed.length, 2, 'each entry is reported once');
});

test('countBytes with now re-arms the timer like a packet; without it the entry idles out', () => {
  const { d, freed, open } = proxied();
  const busy = open(1000, 0);
  const quiet = open(1001, 0);
  d.countBytes(busy, 0, 100, 1, 800_000);
  d.countBytes(quiet, 0, 100, 1); // counted only: no re-arm
  d.tick(901_000);
  assert.deepEqual(freed, [quiet]);
  assert.equal(d.conns.kind(busy), KIND.LIVE);
  d.tick(1_699_000);
  assert.equal(d.conns.kind(busy), KIND.LIVE, 'still inside 900 s of its last traffic');
  d.tick(1_701_000);
  assert.deepEqual(freed, [quiet, busy]);
});

test('onConnExpire reports entries flushed by expire_nodest_conn, with the dest still readable', () => {
  const { d, freed, open } = proxied();
  d.setSysctl('expire_nodest_conn', 1);
  const i = open(1000, 0);
  const x = d.destOf(i);
  assert.ok(x);
  const seen: (string | undefined)[] = [];
  d.onConnExpire((k) => {
    freed.push(k);
    seen.push(d.destOf(k)?.addr);
  });
  d.table.delDest(tcp(VIP, 80), { addr: x.addr, port: 80 }, 1);
  d.tick(2);
  assert.deepEqual(freed, [i]);
  assert.deepEqual(seen, [x.addr], 'the handler runs before the entry is cleared');
});

test('a conn killed for rescheduling is reported before a new conn can take its slot', () => {
  const { d, svc, freed, open } = proxied();
  const i = open(1000, 0);
  d.connEvent(i, CONN_EVENT.CLIENT_FIN, 1);
  d.connEvent(i, CONN_EVENT.SERVER_FIN, 2); // TIME_WAIT: conn_reuse_mode 1 expires it on a new SYN
  const order: string[] = [];
  d.onConnExpire((k) => order.push(`free ${k}`));
  const j = d.openConn(svc, CL, 1000, 3);
  order.push(`open ${j}`);
  assert.deepEqual(order, [`free ${i}`, `open ${j}`]);
  assert.equal(j, i, 'the freed slot is reused by the next connection');
  assert.deepEqual(freed, []);
});

test('onConnExpire(null) stops the reports', () => {
  const { d, freed, open } = proxied();
  open(1000, 0);
  d.onConnExpire(null);
  d.tick(1_000_000);
  assert.equal(d.conns.count, 0);
  assert.deepEqual(freed, []);
});
