import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SVC_F } from '../../src/core/types.js';
import { addProxyService } from '../helpers/proxy-service.js';
import {
  type Backend,
  backend,
  greet,
  names,
  type Rig,
  rig,
  svcConfig,
  tcpKey,
  until,
} from '../proxy/helpers.js';

let r: Rig;
let A: Backend;
let B: Backend;
let C: Backend;

before(async () => {
  r = rig();
  [A, B, C] = await Promise.all([backend('A'), backend('B'), backend('C')]);
});
after(async () => {
  await r.close();
  await Promise.all([A.close(), B.close(), C.close()]);
});

/** Adds a service on a fresh port with dests added in the given order (so the list is reversed). */
function service(sched: string, adds: [Backend, number][], extra = {}): Promise<number> {
  return addProxyService(
    r,
    sched,
    adds.map(([b, w]) => [b.port, w] as const),
    extra,
  );
}

test('rr follows the kernel list order, newest destination first', async () => {
  const port = await service('rr', [
    [A, 1],
    [B, 1],
    [C, 1],
  ]);
  assert.deepEqual(await names(port, 6), ['C', 'B', 'A', 'C', 'B', 'A']);
});

test('wrr with weights 4,3,2 in list order A,B,C picks A A B A B C A B C', async () => {
  // Dests added C, B, A (so the list reads A, B, C), then the scheduler is set with -E: the
  // kernel's init_svc then starts at cw = max weight, which gives the documented sequence.
  const port = await service('rr', [
    [C, 2],
    [B, 3],
    [A, 4],
  ]);
  r.table.editService(tcpKey(port), svcConfig('wrr'));
  assert.deepEqual((await names(port, 18)).join(''), 'AABABCABC'.repeat(2));
});

test('lc balances long-held connections evenly', async () => {
  const port = await service('lc', [
    [A, 1],
    [B, 1],
    [C, 1],
  ]);
  const held: Awaited<ReturnType<typeof greet>>[] = [];
  for (let i = 0; i < 9; i++) held.push(await greet(port));
  const count = (n: string) => held.filter((h) => h.name === n).length;
  assert.deepEqual([count('A'), count('B'), count('C')], [3, 3, 3]);
  // Closing two of A's connections makes A the least loaded once its entries leave ActiveConn.
  const svc = r.table.find(tcpKey(port));
  const dA = svc?.dests.find((d) => d.port === A.port);
  for (const h of held.filter((x) => x.name === 'A').slice(0, 2)) h.sock.destroy();
  assert.ok(await until(() => (dA?.activeConns ?? 0) === 1));
  const next = await greet(port);
  assert.equal(next.name, 'A');
  for (const h of [...held, next]) h.sock.destroy();
});

test('wlc balances held connections by weight', async () => {
  const port = await service('wlc', [
    [A, 1],
    [B, 2],
    [C, 3],
  ]);
  const held: Awaited<ReturnType<typeof greet>>[] = [];
  for (let i = 0; i < 12; i++) held.push(await greet(port));
  const count = (n: string) => held.filter((h) => h.name === n).length;
  assert.deepEqual([count('A'), count('B'), count('C')], [2, 4, 6]);
  for (const h of held) h.sock.destroy();
});

test('sh sends one client address to one server every time', async () => {
  const port = await service('sh', [
    [A, 1],
    [B, 1],
    [C, 1],
  ]);
  const seen = new Set(await names(port, 6));
  assert.equal(seen.size, 1);
});

test('persistence pins a client to one server under rr', async () => {
  const port = await service(
    'rr',
    [
      [A, 1],
      [B, 1],
      [C, 1],
    ],
    { flags: SVC_F.PERSISTENT, timeout: 60 },
  );
  const got = await names(port, 5);
  assert.equal(new Set(got).size, 1);
  const svc = r.table.find(tcpKey(port));
  assert.equal(
    svc?.dests.reduce((n, d) => n + d.persistConns, 0),
    1,
  );
});
