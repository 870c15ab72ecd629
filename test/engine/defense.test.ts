/**
 * The packet plane under the connection-table defenses: the engine drops a new connection the
 * director refuses (drop_packet, conn_max) with its own counter and sends nothing, keeps
 * forwarding admitted ones, and under a spoofed-source SYN flood the table stays at conn_max
 * while drop_entry reclaims the half-open entries each tick.
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
  it('conn_max: past the bound a SYN is dropped as conn_limit, nothing sent; admitted conns flow', () => {
    const sim = lab();
    sim.director.setSysctl('conn_max', 3);
    const r = Array.from({ length: 5 }, (_, n) => run(sim, spoofed(n)));
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
    assert.deepEqual(run(sim, spoofed(0, 'A')).tx.length, 1);
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
    const syn6 = (sport: number) =>
      fromGw6()
        .ipv6({ src: `2001:db8:99::${sport.toString(16)}`, dst: VIP6 })
        .tcp({ sport, dport: 81, flags: 'S', seq: 1 })
        .build();
    assert.deepEqual(run(sim, syn6(1000)).drops, []);
    assert.deepEqual(run(sim, syn6(1001)).drops, ['conn_limit']);
  });
});

describe('packet plane: a spoofed SYN flood', () => {
  it('keeps the table at conn_max; drop_entry reclaims half-open entries so a new client gets in', () => {
    const sim = lab();
    const d = sim.director;
    d.setSysctl('conn_max', 2000);
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
    // 20 simulated seconds of 5,000 SYNs each (100,000 in all), the defense tick once a second.
    for (let s = 0; s < 20; s++) {
      const now = T0 + s * 1000;
      for (let k = 0; k < 5000; k++) {
        const r = run(sim, spoofed(s * 5000 + k), 0, now);
        if (r.drops[0] === 'conn_limit') refused++;
        peak = Math.max(peak, d.conns.count);
      }
      if (run(sim, legit('A'), 0, now).tx.length === 1) legitOk++;
      d.defenseTick(now, 1 << 30);
    }
    assert.ok(peak <= 2000, `peak ${peak}`);
    assert.equal(legitOk, 20, 'the established client kept flowing');
    assert.equal(refused, d.defense.refusedConnMax);
    assert.ok(refused > 90_000, `refused ${refused}`);
    // Each tick looked at a random 1/32 of the table and dropped the SYN_RECV entries it found.
    assert.ok(d.defense.droppedEntries > 20 * 40, `dropped ${d.defense.droppedEntries}`);
    const after = d.conns.count;
    d.defenseTick(T0 + 20_000, 1 << 30);
    assert.ok(d.conns.count < after, 'the tick freed places');
    const fresh = fromClient()
      .ipv4({ src: '192.0.2.51', dst: VIP })
      .tcp({ sport: 6000, dport: 81, flags: 'S', seq: 1 })
      .build();
    assert.deepEqual(run(sim, fresh, 0, T0 + 20_000).drops, []);
  });
});
