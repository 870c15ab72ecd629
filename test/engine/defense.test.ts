/**
 * The packet plane under the connection-table defenses: the engine drops a new connection the
 * director refuses (drop_packet, conn_max) with its own counter and sends nothing, keeps
 * forwarding admitted ones, and under a spoofed-source SYN flood the table stays at conn_max
 * while a new conn at the bound evicts a half-open entry (early drop) and drop_entry reclaims
 * half-open entries each tick.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromClient } from '../forward/fixtures.js';
import { lab, run, VIP } from './lab.js';
import { fromGw6, lab6, VIP6 } from './lab6.js';

const T0 = 1_000_000;
// DR service 81; sources spoofed from TEST-NET-2 (198.51.100.0/24) and TEST-NET-3.
const spoofed = (n: number, flags = 'S') =>
  fromClient()
    .ipv4({ src: `${n & 1 ? '198.51.100' : '203.0.113'}.${1 + ((n >> 1) % 250)}`, dst: VIP })
    .tcp({ sport: 1024 + (n % 60000), dport: 81, flags, seq: 1 })
    .build();

describe('packet plane: refused new connections', () => {
  it('conn_max: past a bound of established conns a SYN is dropped as conn_limit, nothing sent; admitted conns flow', () => {
    const sim = lab();
    sim.director.setSysctl('conn_max', 3);
    const r = Array.from({ length: 5 }, (_, n) => {
      const syn = run(sim, spoofed(n));
      if (n < 3) run(sim, spoofed(n, 'A')); // established: not evictable
      return syn;
    });
    assert.deepEqual(
      r.map((x) => [x.tx.length, x.drops]),
      [
        [1, []],
        [1, []],
        [1, []],
        [0, ['conn_limit']],
        [0, ['conn_limit']],
      ],
    );
    assert.equal(sim.director.conns.count, 3);
    assert.equal(sim.director.defense.evictedConnMax, 0);
    assert.deepEqual(run(sim, spoofed(0, 'A')).tx.length, 1);
  });

  it('conn_max: a SYN at a table full of half-open entries idle ≥ 1 s evicts one and is forwarded (early drop)', () => {
    const sim = lab();
    sim.director.setSysctl('conn_max', 3);
    // The first three at T0; the fourth at T0 + 999 ms finds none idle long enough.
    const r = Array.from({ length: 3 }, (_, n) => run(sim, spoofed(n), 0, T0));
    assert.deepEqual(run(sim, spoofed(3), 0, T0 + 999).drops, ['conn_limit']);
    assert.equal(sim.director.defense.refusedConnMax, 1);
    r.push(...Array.from({ length: 3 }, (_, n) => run(sim, spoofed(4 + n), 0, T0 + 1000)));
    assert.deepEqual(
      r.map((x) => [x.tx.length, x.drops]),
      Array.from({ length: 6 }, () => [1, []]),
    );
    assert.equal(sim.director.conns.count, 3);
    assert.equal(sim.director.defense.evictedConnMax, 3);
    assert.equal(sim.director.defense.refusedConnMax, 1);
  });

  it('drop_packet 3: one new connection in am_droprate is dropped as defense_drop_packet', () => {
    const sim = lab();
    sim.director.setSysctl('am_droprate', 3);
    sim.director.setSysctl('drop_packet', 3);
    const drops = Array.from({ length: 9 }, (_, n) => run(sim, spoofed(n)).drops.join());
    assert.deepEqual(drops, [
      'defense_drop_packet',
      '',
      '',
      'defense_drop_packet',
      '',
      '',
      'defense_drop_packet',
      '',
      '',
    ]);
    assert.equal(sim.director.defense.droppedPackets, 3);
  });

  it('IPv6 new connections are refused the same way', () => {
    const sim = lab6();
    sim.director.setSysctl('conn_max', 1);
    const syn6 = (sport: number, flags = 'S') =>
      fromGw6()
        .ipv6({ src: `2001:db8:99::${sport.toString(16)}`, dst: VIP6 })
        .tcp({ sport, dport: 81, flags, seq: 1 })
        .build();
    assert.deepEqual(run(sim, syn6(1000), 0, T0).drops, []);
    // Half-open and idle 1 s: the next SYN takes its place.
    assert.deepEqual(run(sim, syn6(1001), 0, T0 + 1000).drops, []);
    assert.equal(sim.director.defense.evictedConnMax, 1);
    run(sim, syn6(1001, 'A'), 0, T0 + 1000);
    assert.deepEqual(run(sim, syn6(1002), 0, T0 + 3000).drops, ['conn_limit']);
  });
});

describe('packet plane: a spoofed SYN flood', () => {
  it('keeps the table at conn_max; new clients get in by evicting half-open entries; drop_entry reclaims more', () => {
    const sim = lab();
    const d = sim.director;
    // A bound above a second of the flood (5,000 SYNs), so entries reach the 1 s early drop waits for.
    d.setSysctl('conn_max', 20_000);
    d.setSysctl('drop_entry', 3);
    // A legitimate client's established connection, before the flood.
    const legit = (flags: string) =>
      fromClient()
        .ipv4({ src: '192.0.2.50', dst: VIP })
        .tcp({ sport: 5555, dport: 81, flags, seq: 1 })
        .build();
    run(sim, legit('S'), 0, T0);
    run(sim, legit('A'), 0, T0);
    let peak = 0;
    let refused = 0;
    let legitOk = 0;
    let freshOk = 0;
    // 20 simulated seconds of 5,000 SYNs each, spread over the second (100,000 in all), the
    // defense tick once a second.
    for (let s = 0; s < 20; s++) {
      const now = T0 + s * 1000 + 999;
      for (let k = 0; k < 5000; k++) {
        const r = run(sim, spoofed(s * 5000 + k), 0, T0 + s * 1000 + Math.floor(k / 5));
        if (r.drops[0] === 'conn_limit') refused++;
        peak = Math.max(peak, d.conns.count);
      }
      if (run(sim, legit('A'), 0, now).tx.length === 1) legitOk++;
      // A new legitimate client each second, in the middle of the flood: its SYN and ACK flow.
      const c = (flags: string) =>
        fromClient()
          .ipv4({ src: '192.0.2.60', dst: VIP })
          .tcp({ sport: 7000 + s, dport: 81, flags, seq: 1 })
          .build();
      if (run(sim, c('S'), 0, now).tx.length === 1 && run(sim, c('A'), 0, now).tx.length === 1) freshOk++;
      d.defenseTick(now, 1 << 30);
    }
    assert.ok(peak <= 20_000, `peak ${peak}`);
    assert.equal(legitOk, 20, 'the established client kept flowing');
    assert.equal(freshOk, 20, 'every new client during the flood got in');
    assert.equal(refused, d.defense.refusedConnMax);
    // Each SYN past the bound evicted a half-open entry idle ≥ 1 s (8 random looks find one).
    assert.ok(d.defense.evictedConnMax > 60_000, `evicted ${d.defense.evictedConnMax}`);
    assert.ok(refused < 100, `refused ${refused}`);
    // Each tick looked at a random 1/32 of the table and dropped the SYN_RECV entries it found.
    assert.ok(d.defense.droppedEntries > 20 * 400, `dropped ${d.defense.droppedEntries}`);
    const after = d.conns.count;
    d.defenseTick(T0 + 21_000, 1 << 30);
    assert.ok(d.conns.count < after, 'the tick freed places');
    const fresh = fromClient()
      .ipv4({ src: '192.0.2.51', dst: VIP })
      .tcp({ sport: 6000, dport: 81, flags: 'S', seq: 1 })
      .build();
    assert.deepEqual(run(sim, fresh, 0, T0 + 21_000).drops, []);
  });
});
