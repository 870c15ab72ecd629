import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseIPv4 } from '../../src/core/addr.js';
import { ACT } from '../../src/engine/actions.js';
import { Engine, FRAME_F } from '../../src/engine/engine.js';
import { TUN_HEADROOM } from '../../src/engine/ip-path.js';
import { StaticRoutes } from '../../src/engine/routes.js';
import { parseMac } from '../../src/packet/ethernet.js';
import { SIM_IFINDEX, type Simulation } from '../../src/tools/simulate.js';
import { fromClient, fromRs } from '../forward/fixtures.js';
import {
  CLIENT,
  collect,
  DIR_IP,
  DIR_MAC,
  GW,
  GW_MAC,
  hex,
  lab,
  RS1,
  RS1_MAC,
  RS2,
  RS2_MAC,
  VIP,
} from './lab.js';

// The established-conn fast path (IpPath.fastRequest, parseFlow's IPv4 path, the transmit cache,
// translate4) must send exactly the bytes the general path sends and leave the director in the
// same state. Two lab directors see the same frames: one engine with the fast path, one without.

const ip = (s: string) => parseIPv4(s) as number;

function engineOn(sim: Simulation, fastPath: boolean, mtu: number, headroom = 0): Simulation {
  const engine = new Engine({
    director: sim.director,
    routes: new StaticRoutes([
      { prefix: ip('192.0.2.0'), len: 24, ifindex: SIM_IFINDEX },
      { prefix: 0, len: 0, ifindex: SIM_IFINDEX, gateway: ip(GW) },
    ]),
    interfaces: [{ ifindex: SIM_IFINDEX, mac: parseMac(DIR_MAC), mtu, addr4: ip(DIR_IP) }],
    fastPath,
    headroom,
  });
  for (const [a, m] of [
    [GW, GW_MAC],
    [RS1, RS1_MAC],
    [RS2, RS2_MAC],
  ] as const)
    engine.addNeighbour(ip(a), parseMac(m), SIM_IFINDEX, 0);
  return { director: sim.director, engine, mtu };
}

// The lab's services: 80 NAT (8080), 53/udp NAT, 81 DR, 82 IPIP, 83/udp GUE, 84 GRE, 85 FULLNAT.
const SERVICES = [
  { port: 80, udp: false },
  { port: 53, udp: true },
  { port: 81, udp: false },
  { port: 82, udp: false },
  { port: 83, udp: true },
  { port: 84, udp: false },
  { port: 85, udp: false },
];

const frame = fc.record({
  svc: fc.nat(SERVICES.length - 1),
  sport: fc.constantFrom(40000, 40001),
  flags: fc.constantFrom('S', 'A', 'A', 'PA', 'PA', 'FA', 'R', 'SA', ''),
  ttl: fc.constantFrom(64, 64, 2, 1),
  tos: fc.constantFrom(0, 3),
  df: fc.boolean(),
  payload: fc.constantFrom(0, 0, 9, 10, 11, 200, 1400),
  noUdpCsum: fc.boolean(),
  ack: fc.constantFrom(0, 5001, 77),
  dt: fc.constantFrom(0, 0, 10, 1000, 200_000),
  reply: fc.boolean(),
  // CHECKSUM_PARTIAL as AF_PACKET delivers veth and local traffic.
  partial: fc.boolean(),
});

type Frame = typeof frame extends fc.Arbitrary<infer T> ? T : never;

// Payload bytes that are never all zero, so a byte left uncopied shows.
const fill = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff);

function build(f: Frame, sim: Simulation): Buffer {
  const s = SERVICES[f.svc]!;
  // A FULLNAT reply (SYN-ACK arms TOA for the client's next segment) goes to the conn's LIP:lport.
  if (f.reply && f.svc === 6) {
    const c = new Uint32Array([ip(CLIENT), 0, 0, 0]);
    const v = new Uint32Array([ip(VIP), 0, 0, 0]);
    const conns = sim.director.conns;
    const idx = conns.findIn(4, 6, c, f.sport, v, 85);
    const l = new Uint32Array(4);
    const lport = idx >= 0 ? conns.readLocal(idx, l) : -1;
    if (lport >= 0) {
      const lip = [l[0]! >>> 24, (l[0]! >>> 16) & 255, (l[0]! >>> 8) & 255, l[0]! & 255].join('.');
      return Buffer.from(
        fromRs(RS2_MAC)
          .ipv4({ src: RS2, dst: lip, ttl: f.ttl, df: f.df })
          .tcp({ sport: 8085, dport: lport, flags: f.flags, seq: 5000, ack: 1001 })
          .payload(fill(f.payload))
          .build(),
      );
    }
  }
  // A NAT reply from the real server exercises the general path in between.
  if (f.reply && f.svc <= 1) {
    const b = fromRs(RS1_MAC).ipv4({ src: RS1, dst: CLIENT, ttl: f.ttl, df: f.df });
    const l4 = s.udp
      ? b.udp({ sport: s.port === 80 ? 8080 : 5353, dport: f.sport })
      : b.tcp({ sport: 8080, dport: f.sport, flags: f.flags, seq: 7, ack: f.ack });
    return Buffer.from(l4.payload(fill(f.payload)).build());
  }
  const b = fromClient().ipv4({ src: CLIENT, dst: VIP, ttl: f.ttl, tos: f.tos, df: f.df });
  const csum = f.partial
    ? ('partial' as const)
    : f.noUdpCsum && s.udp
      ? ('zero' as const)
      : ('auto' as const);
  const l4 = s.udp
    ? b.udp({ sport: f.sport, dport: s.port, csum })
    : b.tcp({ sport: f.sport, dport: s.port, flags: f.flags, seq: 1000, ack: f.ack, csum });
  return Buffer.from(l4.payload(fill(f.payload)).build());
}

function state(sim: Simulation): unknown {
  const d = sim.director;
  const t = d.conns;
  const entries: unknown[] = [];
  for (let i = 0; i < t.limit; i++)
    entries.push([
      t.kind(i),
      t.stateOf(i),
      t.flagsOf(i),
      t.timeoutOf(i),
      t.expiresOf(i),
      t.inPktsOf(i),
      t.cport[i],
    ]);
  return { entries, stats: { ...d.stats }, counters: sim.engine.counters() };
}

describe('engine fast path', () => {
  for (const mtu of [1500, 600]) {
    it(`sends the bytes the general path sends and leaves the same state (MTU ${mtu})`, () => {
      // Most runs stay on one service, so handshakes, replies and data of one conn meet.
      const runs = fc.tuple(
        fc.option(fc.nat(SERVICES.length - 1), { freq: 4 }),
        fc.array(frame, { minLength: 1, maxLength: 60, size: 'large' }),
      );
      fc.assert(
        fc.property(runs, ([only, all]) => {
          const frames = only === null ? all : all.map((f) => ({ ...f, svc: only }));
          const fast = engineOn(lab(), true, mtu);
          const slow = engineOn(lab(), false, mtu);
          // The fast path again with driver headroom: frames lie after TUN_HEADROOM junk bytes,
          // and tunnels are built in place over them.
          const roomy = engineOn(lab(), true, mtu, TUN_HEADROOM);
          let now = 1_000_000;
          for (const f of frames) {
            now += f.dt;
            const outs = [fast, slow, roomy].map((sim) => {
              const b0 = build(f, sim);
              const room = sim === roomy ? TUN_HEADROOM : 0;
              const b = Buffer.alloc(room + b0.length, 0xee);
              b0.copy(b, room);
              const partial = f.partial && !(f.reply && (f.svc <= 1 || f.svc === 6));
              sim.engine.handleFrame(
                b,
                room,
                b0.length,
                SIM_IFINDEX,
                partial ? FRAME_F.PARTIAL_CSUM : 0,
                now,
              );
              const r = collect(sim);
              return { tx: r.tx.map(hex), drops: r.drops };
            });
            assert.deepEqual(outs[0], outs[1]);
            assert.deepEqual(outs[2], outs[1]);
          }
          assert.deepEqual(state(fast), state(slow));
          assert.deepEqual(state(roomy), state(slow));
        }),
        { numRuns: 150 },
      );
    });
  }

  it('handles a batch longer than one warm chunk (WARM_CHUNK) exactly as frame by frame', () => {
    // 700 frames: a SYN and then an ACK per client port, in two batches, over NAT, DR and FULLNAT.
    const sims = [engineOn(lab(), true, 1500), engineOn(lab(), true, 1500)] as const;
    sims[0].director.conns.warmMinSlots = 0;
    sims[0].director.conns.warmEntries = true;
    const outs = sims.map((sim, which) => {
      const res: unknown[] = [];
      for (const flags of ['S', 'A']) {
        const frames = Array.from({ length: 700 }, (_, i) =>
          Buffer.from(
            fromClient()
              .ipv4({ src: CLIENT, dst: VIP })
              .tcp({
                sport: 20000 + i,
                dport: [80, 81, 85][i % 3]!,
                flags,
                seq: 1000,
                ack: flags === 'A' ? 1 : 0,
              })
              .build(),
          ),
        );
        const meta = new Uint32Array(frames.length * 2);
        let off = 0;
        frames.forEach((b, k) => {
          meta[2 * k] = off;
          meta[2 * k + 1] = b.length;
          off += b.length + 10;
        });
        const buf = Buffer.alloc(off);
        for (let k = 0; k < frames.length; k++) frames[k]!.copy(buf, meta[2 * k]!);
        if (which === 0) sim.engine.handleBatch(buf, meta, frames.length, 2, 0, 1, SIM_IFINDEX, 0, 2_000_000);
        else
          for (let k = 0; k < frames.length; k++)
            sim.engine.handleFrame(buf, meta[2 * k]!, meta[2 * k + 1]!, SIM_IFINDEX, 0, 2_000_000);
        const r = collect(sim);
        res.push(r.tx.map(hex), r.drops);
      }
      return res;
    });
    assert.equal((outs[0]![2] as string[]).length, 700, 'every ACK forwarded');
    assert.deepEqual(outs[0], outs[1]);
    assert.deepEqual(state(sims[0]), state(sims[1]));
  });

  it('handles a batch through handleBatch exactly as frame by frame through handleFrame', () => {
    // Batches of random frames packed into one buffer at gaps, as a ring holds them.
    const batches = fc.array(fc.array(frame, { minLength: 1, maxLength: 12 }), {
      minLength: 1,
      maxLength: 8,
    });
    fc.assert(
      fc.property(fc.nat(SERVICES.length - 1), batches, (svc, all) => {
        const byBatch = engineOn(lab(), true, 1500);
        const byFrame = engineOn(lab(), true, 1500);
        // Warm even this small index, so the pass runs before every batch.
        byBatch.director.conns.warmMinSlots = 0;
        let now = 1_000_000;
        for (const fs of all) {
          now += fs[0]!.dt;
          const outs = [byBatch, byFrame].map((sim, which) => {
            const frames = fs.map((f) => build({ ...f, svc, partial: false }, sim));
            const meta = new Uint32Array(frames.length * 2);
            let off = 8;
            for (let k = 0; k < frames.length; k++) {
              meta[2 * k] = off;
              meta[2 * k + 1] = frames[k]!.length;
              off += frames[k]!.length + 24;
            }
            const buf = Buffer.alloc(off);
            for (let k = 0; k < frames.length; k++) frames[k]!.copy(buf, meta[2 * k]!);
            if (which === 0) sim.engine.handleBatch(buf, meta, frames.length, 2, 0, 1, SIM_IFINDEX, 0, now);
            else
              for (let k = 0; k < frames.length; k++)
                sim.engine.handleFrame(buf, meta[2 * k]!, meta[2 * k + 1]!, SIM_IFINDEX, 0, now);
            const r = collect(sim);
            return { tx: r.tx.map(hex), drops: r.drops };
          });
          assert.deepEqual(outs[0], outs[1]);
        }
        assert.deepEqual(state(byBatch), state(byFrame));
      }),
      { numRuns: 100 },
    );
  });

  it('builds TUN outer headers in front of the received frame when the headroom allows, else in the arena', () => {
    // IPIP (82), GUE (83/udp), GRE (84): a handshake, then one ACK taken by the fast path.
    for (const [port, udp] of [
      [82, false],
      [83, true],
      [84, false],
    ] as const) {
      for (const room of [0, 19, 20, TUN_HEADROOM]) {
        const sim = engineOn(lab(), true, 1500, room);
        const send = (flags: string) => {
          const b = fromClient().ipv4({ src: CLIENT, dst: VIP });
          const f = Buffer.from(
            (udp
              ? b.udp({ sport: 40000, dport: port })
              : b.tcp({ sport: 40000, dport: port, flags, seq: 1000, ack: flags === 'S' ? 0 : 1 })
            ).build(),
          );
          const buf = Buffer.alloc(room + f.length);
          f.copy(buf, room);
          sim.engine.handleFrame(buf, room, f.length, SIM_IFINDEX, 0, 1_000_000);
          const a = sim.engine.actions;
          assert.equal(a.count, 1);
          assert.equal(a.kind[0], ACT.TX);
          const r = { inPlace: a.bufs[0] === buf, off: a.off[0], bytes: hex(a.frame(0)) };
          sim.engine.flush();
          return r;
        };
        send('S');
        const r = send('A');
        const over = port === 82 ? 20 : port === 83 ? 32 : 28; // the lab's GRE has checksums
        const fits = room >= over;
        assert.equal(r.inPlace, fits, `port ${port} headroom ${room}`);
        if (fits) assert.equal(r.off, room - over);
        // Same bytes as without headroom.
        const ref = engineOn(lab(), false, 1500);
        for (const flags of ['S', 'A']) {
          const b = fromClient().ipv4({ src: CLIENT, dst: VIP });
          const f = Buffer.from(
            (udp
              ? b.udp({ sport: 40000, dport: port })
              : b.tcp({ sport: 40000, dport: port, flags, seq: 1000, ack: flags === 'S' ? 0 : 1 })
            ).build(),
          );
          ref.engine.handleFrame(f, 0, f.length, SIM_IFINDEX, 0, 1_000_000);
          const out = collect(ref).tx.map(hex);
          if (flags === 'A') assert.deepEqual(out, [r.bytes]);
        }
      }
    }
  });
});
