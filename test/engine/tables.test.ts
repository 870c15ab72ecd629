import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { NeighbourTable, NUD, QUEUE_SLOTS, UNRES_QLEN } from '../../src/engine/neighbours.js';
import { RouteResult, StaticRoutes } from '../../src/engine/routes.js';

const ip = (s: string) => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);

describe('StaticRoutes', () => {
  const rt = new StaticRoutes([
    { prefix: 0, len: 0, ifindex: 1, gateway: ip('192.0.2.254') },
    { prefix: ip('198.51.100.0'), len: 24, ifindex: 2 },
    { prefix: ip('198.51.100.128'), len: 25, ifindex: 3, src: ip('198.51.100.129'), mtu: 9000 },
    { prefix: ip('203.0.113.9'), len: 32, ifindex: 4 },
  ]);
  const r = new RouteResult();
  const cases: [string, number, number, number][] = [
    ['the default route takes what nothing else matches', ip('8.8.8.8'), 1, ip('192.0.2.254')],
    ['a /24 beats the default', ip('198.51.100.5'), 2, 0],
    ['the longer /25 beats the /24 (addresses above 2^31 included)', ip('198.51.100.200'), 3, 0],
    ['a host route matches only its address', ip('203.0.113.9'), 4, 0],
    ['the host route does not match its neighbour', ip('203.0.113.10'), 1, ip('192.0.2.254')],
  ];
  for (const [desc, dst, ifindex, gw] of cases) {
    it(desc, () => {
      assert.ok(rt.lookup4(dst, r));
      assert.deepEqual([r.ifindex, r.gateway4], [ifindex, gw]);
    });
  }

  it('reports no route when nothing matches', () => {
    assert.equal(
      new StaticRoutes([{ prefix: ip('10.0.0.0'), len: 8, ifindex: 1 }]).lookup4(ip('11.0.0.1'), r),
      false,
    );
  });
});

describe('NeighbourTable', () => {
  it('keeps every remaining entry findable through inserts and removals (backward-shift deletion)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 40 })), { maxLength: 200 }),
        (ops) => {
          // A tiny table so chains wrap and collide.
          const t = new NeighbourTable({ capacity: 8 });
          const live = new Set<number>();
          const mac = new Uint8Array(6);
          for (const [add, k] of ops) {
            const a = (0xc0000200 + k) >>> 0;
            if (add && !live.has(a) && t.size < t.capacity) {
              const s = t.create(a, 1);
              t.learn(s, mac, 0, 0);
              live.add(a);
            } else if (!add && live.has(a)) {
              t.remove(t.find(a));
              live.delete(a);
            }
            for (const x of live) {
              const s = t.find(x);
              assert.ok(s >= 0 && t.ipOf(s) === x && t.state[s] === NUD.REACHABLE);
            }
            assert.equal(t.size, live.size);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses new entries when full', () => {
    const t = new NeighbourTable({ capacity: 2 });
    for (let i = 1; i <= t.capacity; i++) assert.ok(t.create(i, 1) >= 0);
    assert.equal(t.create(1000, 1), -1);
    assert.equal(t.size, t.capacity);
  });

  it("queues the kernel's unres_qlen (101) frames per neighbour in a pool it allocates on first use", () => {
    const t = new NeighbourTable();
    assert.equal(t.qbuf.length, 0, 'no queue memory before a frame waits');
    const a = t.create(ip('192.0.2.10'), 1);
    const b = t.create(ip('192.0.2.11'), 1);
    let queued = 0;
    while (t.enqueue(a, 60) >= 0) queued++;
    assert.equal(queued, UNRES_QLEN);
    assert.equal(t.qbuf.length, QUEUE_SLOTS * t.slotBytes);
    assert.ok(t.enqueue(b, 60) >= 0, "one neighbour's full queue leaves room for the next");
    assert.equal(t.queued, UNRES_QLEN + 1);
  });
});
