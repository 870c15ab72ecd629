import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ipBytes } from '../../../src/core/addr.js';
import { connViews } from '../../../src/core/conn-views.js';
import { DEFENSE, defenseNames, PAGE_KIB } from '../../../src/core/defense.js';
import { VERDICT } from '../../../src/core/director.js';
import { FWD, SVC_F } from '../../../src/core/types.js';
import { destConfig, svcConfig, tcp, udp } from '../../helpers/table.js';
import { F, pkt, testDirector } from './helpers.js';

const VIP = '203.0.113.10';
const RS = '198.51.100.2';
// amemthresh is 1024 pages by default: 4096 KiB.
const PLENTY_KIB = 1_000_000;
const LOW_KIB = 512 * PAGE_KIB; // 512 pages: half the threshold

function director(o: { persistent?: boolean } = {}) {
  const d = testDirector();
  d.table.addService(tcp(VIP, 80), svcConfig(o.persistent ? { flags: SVC_F.PERSISTENT, timeout: 300 } : {}));
  d.table.addDest(tcp(VIP, 80), destConfig(RS, 80, { fwd: FWD.DROUTE as 0 }));
  d.table.addService(udp(VIP, 53), svcConfig());
  d.table.addDest(udp(VIP, 53), destConfig(RS, 53, { fwd: FWD.DROUTE as 0 }));
  return d;
}

// Client n: a distinct TEST-NET-1 address.
const client = (n: number) => `192.0.2.${1 + (n % 250)}`;
const syn = (n: number) => pkt('tcp', client(n), 10000 + n, VIP, 80, { flags: F.SYN });

describe('update_defense_level: modes 0-3 against amemthresh', () => {
  // [mode, memory low?] → [mode after, in force?], as ip_vs_ctl.c's switch statements.
  const rows: [number, boolean, number, boolean][] = [
    [0, false, 0, false],
    [0, true, 0, false],
    [1, false, 1, false],
    [1, true, 2, true],
    [2, false, 1, false],
    [2, true, 2, true],
    [3, false, 3, true],
    [3, true, 3, true],
  ];
  for (const [mode, low, after, on] of rows) {
    test(`drop_entry ${mode} with memory ${low ? 'below' : 'above'} amemthresh → ${after}, ${on ? 'dropping' : 'off'}`, () => {
      const d = director();
      d.setSysctl('drop_entry', mode);
      d.defenseTick(0, low ? LOW_KIB : PLENTY_KIB);
      assert.equal(d.settings.get('drop_entry'), after);
      assert.equal(d.defense.dropEntry, on);
      assert.equal((d.defense.active & DEFENSE.DROP_ENTRY) !== 0, on);
    });
    test(`secure_tcp ${mode} with memory ${low ? 'below' : 'above'} amemthresh → ${after}, dos table ${on ? 'on' : 'off'}`, () => {
      const d = director();
      d.setSysctl('secure_tcp', mode);
      d.defenseTick(0, low ? LOW_KIB : PLENTY_KIB);
      assert.equal(d.settings.get('secure_tcp'), after);
      assert.equal(d.settings.secureTcp, on);
      assert.equal((d.defense.active & DEFENSE.SECURE_TCP) !== 0, on);
    });
    test(`drop_packet ${mode} with memory ${low ? 'below' : 'above'} amemthresh → ${after}, ${on ? 'dropping' : 'off'}`, () => {
      const d = director();
      d.setSysctl('drop_packet', mode);
      d.defenseTick(0, low ? LOW_KIB : PLENTY_KIB);
      assert.equal(d.settings.get('drop_packet'), after);
      // Modes 1/2: amemthresh / (amemthresh - availmem) = 1024 / 512 = 2; mode 3: am_droprate (10).
      assert.equal(d.defense.dropRate, on ? (mode === 3 ? 10 : 2) : 0);
    });
  }

  test('automatic modes follow memory down and back up, and the active set says so', () => {
    const d = director();
    for (const n of ['drop_entry', 'drop_packet', 'secure_tcp'] as const) d.setSysctl(n, 1);
    const seen: string[] = [];
    for (const kib of [PLENTY_KIB, LOW_KIB, LOW_KIB, 4096, 4095, PLENTY_KIB])
      seen.push(defenseNames(d.defenseTick(0, kib)));
    // 4096 KiB is 1024 pages, not below 1024: off. 4095 KiB is 1023 pages: on.
    assert.deepEqual(seen, [
      '',
      'drop_entry,drop_packet,secure_tcp',
      'drop_entry,drop_packet,secure_tcp',
      '',
      'drop_entry,drop_packet,secure_tcp',
      '',
    ]);
    assert.deepEqual(
      ['drop_entry', 'drop_packet', 'secure_tcp'].map((n) => d.settings.get(n as 'drop_entry')),
      [1, 1, 1],
    );
  });

  test('drop_packet rate is amemthresh / (amemthresh - available), in pages', () => {
    const d = director();
    d.setSysctl('drop_packet', 1);
    const rate = (pages: number) => {
      d.defenseTick(0, pages * PAGE_KIB);
      return d.defense.dropRate;
    };
    assert.deepEqual(
      [rate(0), rate(512), rate(768), rate(1000), rate(1023), rate(1024)],
      [1, 2, 4, 42, 1024, 0],
    );
  });

  test('a mode written takes effect at once against the last measurement (proc_do_defense_mode)', () => {
    const d = director();
    d.defenseTick(0, LOW_KIB);
    d.setSysctl('secure_tcp', 1);
    assert.equal(d.settings.get('secure_tcp'), 2);
    assert.equal(d.settings.secureTcp, true);
    d.defenseTick(0, PLENTY_KIB);
    assert.equal(d.settings.secureTcp, false);
    // Writing 2 while memory is fine is "auto, triggered" and falls back to 1 at once.
    d.setSysctl('secure_tcp', 2);
    assert.equal(d.settings.get('secure_tcp'), 1);
  });

  test('amemthresh 0 never triggers; raising it triggers on the next tick', () => {
    const d = director();
    d.setSysctl('drop_entry', 1);
    d.setSysctl('amemthresh', 0);
    assert.equal(d.defenseTick(0, 0), 0);
    d.setSysctl('amemthresh', 1_000_000);
    assert.equal(d.defenseTick(0, PLENTY_KIB), DEFENSE.DROP_ENTRY);
  });
});

describe('drop_packet: ip_vs_todrop pacing of new connections', () => {
  test('mode 3 drops the first new connection and then one in am_droprate, counted', () => {
    const d = director();
    d.setSysctl('am_droprate', 4);
    d.setSysctl('drop_packet', 3);
    const dropped: number[] = [];
    for (let n = 0; n < 40; n++) if (d.inPacket(syn(n), 0) === VERDICT.DROP_DEFENSE) dropped.push(n);
    assert.deepEqual(dropped, [0, 4, 8, 12, 16, 20, 24, 28, 32, 36]);
    assert.equal(d.defense.droppedPackets, 10);
    assert.equal(d.conns.count, 30);
  });

  test('packets of existing connections and of no service are never dropped', () => {
    const d = director();
    const i = d.inPacket(syn(1), 0);
    assert.ok(i >= 0);
    d.setSysctl('am_droprate', 1);
    d.setSysctl('drop_packet', 3);
    for (let k = 0; k < 5; k++)
      assert.equal(d.inPacket(pkt('tcp', client(1), 10001, VIP, 80, { flags: F.ACK }), 1 + k), i);
    assert.equal(d.inPacket(pkt('tcp', client(2), 1, VIP, 81, { flags: F.SYN }), 1), VERDICT.ACCEPT);
    assert.equal(d.inPacket(syn(3), 1), VERDICT.DROP_DEFENSE);
    assert.equal(d.defense.droppedPackets, 1);
  });

  test('UDP new flows are paced as well; the proxy plane (openConn) goes through the same gate', () => {
    const d = director();
    d.setSysctl('am_droprate', 2);
    d.setSysctl('drop_packet', 3);
    const v = [0, 1, 2, 3].map((n) => d.inPacket(pkt('udp', client(n), 5000, VIP, 53), 0));
    assert.deepEqual(
      v.map((x) => x === VERDICT.DROP_DEFENSE),
      [true, false, true, false],
    );
    const svc = d.table.list().find((s) => s.port === 80);
    assert.ok(svc);
    const o = [0, 1].map((n) => d.openConn(svc, ipBytes(client(n)) as Uint8Array, 7000 + n, 0));
    assert.deepEqual(
      o.map((x) => x === VERDICT.DROP_DEFENSE),
      [true, false],
    );
  });
});

describe('drop_entry: ip_vs_random_dropentry candidates', () => {
  test('removes half-open, idle lightly used and unassured template entries; keeps the rest', () => {
    const d = director();
    d.setSysctl('drop_entry', 3);
    // At t=0: conns that will be idle for 61 s at the check.
    const idleEst = d.inPacket(syn(1), 0);
    d.inPacket(pkt('tcp', client(1), 10001, VIP, 80, { flags: F.ACK }), 0); // ESTABLISHED, 2 packets
    const busyEst = d.inPacket(syn(2), 0);
    for (let k = 0; k < 9; k++) d.inPacket(pkt('tcp', client(2), 10002, VIP, 80, { flags: F.ACK }), 0); // 10 packets
    const udpIdle = d.inPacket(pkt('udp', client(3), 5000, VIP, 53), 0);
    const finWait = d.inPacket(syn(4), 0);
    d.inPacket(pkt('tcp', client(4), 10004, VIP, 80, { flags: F.ACK }), 0);
    d.inPacket(pkt('tcp', client(4), 10004, VIP, 80, { flags: F.FIN | F.ACK }), 0); // FIN_WAIT, 120 s
    // At t=30 s: still half-open at the check (SYN_RECV lasts 60 s), and a recently active one.
    const halfOpen = d.inPacket(syn(5), 30_000);
    const recentEst = d.inPacket(syn(6), 30_000);
    d.inPacket(pkt('tcp', client(6), 10006, VIP, 80, { flags: F.ACK }), 30_000);
    for (const i of [idleEst, busyEst, udpIdle, finWait, halfOpen, recentEst]) assert.ok(i >= 0);
    const keyOf = (i: number) => `${d.conns.cport[i]}`;
    const gone = new Set([idleEst, udpIdle, halfOpen].map(keyOf));
    const kept = new Set([busyEst, finWait, recentEst].map(keyOf));
    // One sample per run on a small table: 300 runs look at every entry many times.
    for (let k = 0; k < 300; k++) d.defenseTick(61_000, PLENTY_KIB);
    const left = new Set(connViews(d, 61_000).map((c) => `${c.cport}`));
    for (const k of gone) assert.ok(!left.has(k), `port ${k} should be dropped`);
    for (const k of kept) assert.ok(left.has(k), `port ${k} should stay`);
    assert.equal(d.defense.droppedEntries, 3);
  });

  test('fewer input packets drop sooner: an entry with p packets goes on its p-th look (todrop_entry)', () => {
    const d = director();
    d.setSysctl('drop_entry', 3);
    // A table of one entry: every sample looks at it. UDP entries live 300 s; at 60 s they are idle enough.
    const looksToDrop = (p: number, n: number) => {
      const i = d.inPacket(pkt('udp', client(n), 6000 + n, VIP, 53), 0);
      assert.equal(i, 0);
      d.conns.setInPkts(i, p);
      let looks = 0;
      while (d.conns.count > 0 && looks < 20) {
        looks++;
        d.defenseTick(60_000, PLENTY_KIB);
      }
      return looks;
    };
    // Each count's counter starts at 0, so the first entry of a count goes at once; later ones after p looks.
    assert.deepEqual([looksToDrop(3, 1), looksToDrop(3, 2), looksToDrop(3, 3)], [1, 3, 3]);
    assert.deepEqual([looksToDrop(1, 4), looksToDrop(1, 5)], [1, 1]);
    assert.deepEqual([looksToDrop(8, 6), looksToDrop(8, 7)], [1, 8]);
    // More than 8 packets, or not idle for 60 s: never.
    assert.equal(looksToDrop(9, 8), 20);
    d.conns.kill(0);
    const i = d.inPacket(pkt('udp', client(9), 7000, VIP, 53), 1);
    for (let k = 0; k < 10; k++) d.defenseTick(60_000, PLENTY_KIB);
    assert.equal(d.conns.kind(i), 1);
  });

  test('with memory above amemthresh in mode 1 nothing is dropped', () => {
    const d = director();
    d.setSysctl('drop_entry', 1);
    d.inPacket(syn(1), 0);
    for (let k = 0; k < 50; k++) d.defenseTick(1000, PLENTY_KIB);
    assert.equal(d.conns.count, 1);
    d.defenseTick(1000, LOW_KIB);
    assert.equal(d.conns.count, 0);
    assert.equal(d.defense.droppedEntries, 1);
  });
});

describe('conn_max: a hard bound on the table', () => {
  test('refuses new connections past conn_max, counted; existing ones keep flowing; room frees on expiry', () => {
    const d = director();
    d.setSysctl('conn_max', 5);
    const v = Array.from({ length: 20 }, (_, n) => d.inPacket(syn(n), 0));
    assert.equal(v.filter((x) => x >= 0).length, 5);
    assert.equal(v.filter((x) => x === VERDICT.CONN_LIMIT).length, 15);
    assert.equal(d.conns.count, 5);
    assert.equal(d.defense.refusedConnMax, 15);
    assert.equal(d.inPacket(pkt('tcp', client(0), 10000, VIP, 80, { flags: F.ACK }), 1), v[0]);
    d.tick(61_000); // SYN_RECV entries expire after 60 s; the one that saw its ACK is ESTABLISHED
    assert.equal(d.conns.count, 1);
    assert.ok(d.inPacket(syn(30), 61_000) >= 0);
  });

  test('counts templates: a persistent service never takes the table past conn_max', () => {
    const d = director({ persistent: true });
    d.setSysctl('conn_max', 3);
    const v = Array.from({ length: 6 }, (_, n) => d.inPacket(syn(n), 0));
    assert.ok((v[0] as number) >= 0);
    assert.deepEqual(v.slice(1), Array(5).fill(VERDICT.CONN_LIMIT));
    assert.ok(d.conns.count <= 3);
    assert.equal(d.defense.refusedConnMax, 5);
  });

  test('0 means no bound', () => {
    const d = director();
    for (let n = 0; n < 300; n++) assert.ok(d.inPacket(syn(n), 0) >= 0);
    assert.equal(d.conns.count, 300);
    assert.equal(d.defense.refusedConnMax, 0);
  });
});

test('any sequence of mode writes and measurements leaves the modes, what is in force and the rate consistent', () => {
  const op = fc.oneof(
    fc.record({
      name: fc.constantFrom('drop_entry', 'drop_packet', 'secure_tcp', 'amemthresh', 'am_droprate'),
      v: fc.nat(3000),
    }),
    fc.record({ kib: fc.nat(8000) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
      const d = director();
      for (const o of ops) {
        if ('kib' in o) d.defenseTick(0, o.kib);
        else if (o.name === 'amemthresh' || o.name === 'am_droprate') d.setSysctl(o.name, o.v);
        else d.setSysctl(o.name, o.v % 4);
        const s = d.settings;
        for (const n of ['drop_entry', 'drop_packet', 'secure_tcp'] as const) {
          assert.ok(s.get(n) >= 0 && s.get(n) <= 3);
        }
        assert.equal(d.defense.dropEntry, s.get('drop_entry') >= 2);
        assert.equal(s.secureTcp, s.get('secure_tcp') >= 2);
        assert.equal((d.defense.active & DEFENSE.SECURE_TCP) !== 0, s.secureTcp);
        const dp = s.get('drop_packet');
        if (dp < 2) assert.equal(d.defense.dropRate, 0);
        // am_droprate and amemthresh are plain values the kernel reads at its next update.
        const fresh = 'kib' in o || (o.name !== 'am_droprate' && o.name !== 'amemthresh');
        if (dp === 3 && fresh) assert.equal(d.defense.dropRate, s.get('am_droprate'));
        if (dp === 2) assert.ok(d.defense.dropRate >= 1);
      }
    }),
  );
});
