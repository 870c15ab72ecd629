import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIPv6 } from '../../src/core/addr.js';
import { type FrameEngine, PLANE_COUNTER, PlaneLoop } from '../../src/dataplane/packet-plane/plane-loop.js';
import { ActionList } from '../../src/engine/actions.js';
import { Engine, FRAME_F } from '../../src/engine/engine.js';
import { StaticRoutes } from '../../src/engine/routes.js';
import { createDirector } from '../../src/index.js';
import { FakeDriver, type InjectedFrameInfo } from '../../src/io/fake-driver.js';
import { decodeArp } from '../../src/packet/arp.js';
import { SIM_IFINDEX } from '../../src/tools/simulate.js';
import { DIR_MAC, GW_MAC, lab, VIP } from '../engine/lab.js';
import { pkt } from '../helpers/packet-builder.js';

const MAC_A = new Uint8Array([2, 0, 0, 0, 0, 0xa]);
const MAC_B = new Uint8Array([2, 0, 0, 0, 0, 0xb]);

/** Forwards every frame out of interface 2 with its first byte set to 0xee; drops frames whose
 * last byte is 0xdd with reason 7; records the flags it saw. */
class ToyEngine implements FrameEngine {
  seen: { flags: number; now: number; ifindex: number }[] = [];
  readonly actions: ActionList;
  constructor(capacity = 1024) {
    this.actions = new ActionList(capacity);
  }
  flushes = 0;
  private readonly out = new Uint8Array(1 << 16);
  private used = 0;
  handleFrame(buf: Uint8Array, off: number, len: number, ifindex: number, flags: number, now: number): void {
    const a = this.actions;
    this.seen.push({ flags, now, ifindex });
    if (buf[off + len - 1] === 0xdd) {
      a.drop(7);
      return;
    }
    this.out.set(buf.subarray(off, off + len), this.used);
    this.out[this.used] = 0xee;
    a.tx(this.out, this.used, len, 2);
    this.used += len;
  }
  handleBatch(
    buf: Uint8Array,
    meta: ArrayLike<number>,
    count: number,
    stride: number,
    offIndex: number,
    lenIndex: number,
    ifindex: number,
    flags: ArrayLike<number>,
    now: number,
  ): void {
    for (let i = 0; i < count; i++)
      this.handleFrame(
        buf,
        meta[offIndex + i * stride]!,
        meta[lenIndex + i * stride]!,
        ifindex,
        flags[i]!,
        now,
      );
  }
  flush(): void {
    this.actions.clear();
    this.flushes++;
    this.used = 0;
  }
}

function setup(txCapacity = Number.POSITIVE_INFINITY) {
  const a = new FakeDriver({ ifindex: 1 });
  const b = new FakeDriver({ ifindex: 2, txCapacity });
  const engine = new ToyEngine();
  const loop = new PlaneLoop(
    engine,
    [
      { ifindex: 1, name: 'eth0', mac: MAC_A, driver: a },
      { ifindex: 2, name: 'eth1', mac: MAC_B, driver: b },
    ],
    () => 1234,
  );
  loop.start();
  return { a, b, engine, loop };
}

const frame = (last: number) => {
  const f = pkt()
    .eth()
    .ipv4({ src: '203.0.113.10', dst: '203.0.113.100' })
    .udp({ sport: 1000, dport: 53 })
    .payload(8)
    .build();
  f[f.length - 1] = last;
  return f;
};

test('a received batch is forwarded in one send on the egress interface with the engine rewrite', () => {
  const { a, b, loop } = setup();
  const frames = [frame(1), frame(2), frame(3)];
  a.inject(frames);
  assert.equal(b.sent.length, 3);
  for (let i = 0; i < 3; i++) {
    assert.equal(b.sent[i]![0], 0xee);
    assert.deepEqual(b.sent[i]!.subarray(1), frames[i]!.subarray(1));
  }
  assert.equal(loop.counters[PLANE_COUNTER.RX_FRAMES], 3);
  assert.equal(loop.counters[PLANE_COUNTER.TX_FRAMES], 3);
  assert.equal(loop.counters[PLANE_COUNTER.BATCHES], 1);
  assert.equal(a.sent.length, 0);
});

test('engine drops are counted by reason and nothing is sent for them', () => {
  const { a, b, loop } = setup();
  a.inject([frame(0xdd), frame(1), frame(0xdd)]);
  assert.equal(b.sent.length, 1);
  assert.equal(loop.counters[PLANE_COUNTER.ENGINE_DROPS], 2);
  assert.equal(loop.dropReasons[7], 2);
});

test('frames the socket refuses are counted as tx drops', () => {
  const { a, loop } = setup(2);
  a.inject([frame(1), frame(2), frame(3), frame(4), frame(5)]);
  assert.equal(loop.counters[PLANE_COUNTER.TX_FRAMES], 2);
  assert.equal(loop.counters[PLANE_COUNTER.TX_DROPPED], 3);
  assert.equal(loop.ifCounters[5 + 4], 3);
});

test('partial-checksum flags become FRAME_F.PARTIAL_CSUM; ifindex and the batch clock reach the engine', () => {
  const { a, engine } = setup();
  a.inject([frame(1), frame(2)], [{ partialChecksum: true }, undefined]);
  assert.equal(engine.seen.length, 2);
  assert.equal(engine.seen[0]!.flags, FRAME_F.PARTIAL_CSUM);
  assert.equal(engine.seen[1]!.flags, 0);
  assert.deepEqual(
    engine.seen.map((s) => [s.ifindex, s.now]),
    [
      [1, 1234],
      [1, 1234],
    ],
  );
});

test('a batch larger than the action list is executed in chunks without losing frames', () => {
  const a = new FakeDriver({ ifindex: 1 });
  const b = new FakeDriver({ ifindex: 2 });
  const engine = new ToyEngine(128);
  const loop = new PlaneLoop(
    engine,
    [
      { ifindex: 1, name: 'eth0', mac: MAC_A, driver: a },
      { ifindex: 2, name: 'eth1', mac: MAC_B, driver: b },
    ],
    () => 0,
  );
  loop.start();
  const frames = Array.from({ length: 500 }, (_, i) => frame(i & 0x7f));
  a.inject(frames);
  assert.equal(b.sent.length, 500);
  assert.ok(engine.flushes >= 500 / 64, `flushes ${engine.flushes}`);
  assert.deepEqual(b.sent[499]!.subarray(1), frames[499]!.subarray(1));
});

/** A loop over a real engine (no services) on the two interfaces of {@link setup}. */
function engineSetup() {
  const a = new FakeDriver({ ifindex: 1 });
  const b = new FakeDriver({ ifindex: 2 });
  const engine = new Engine({
    director: createDirector(),
    routes: new StaticRoutes([]),
    interfaces: [
      { ifindex: 1, mac: MAC_A, mtu: 1500, addr4: 0 },
      { ifindex: 2, mac: MAC_B, mtu: 1500, addr4: 0 },
    ],
  });
  const loop = new PlaneLoop(
    engine,
    [
      { ifindex: 1, name: 'eth0', mac: MAC_A, driver: a },
      { ifindex: 2, name: 'eth1', mac: MAC_B, driver: b },
    ],
    () => 1234,
  );
  loop.start();
  return { a, b, engine, loop };
}

test('announce sends a broadcast gratuitous ARP with sender = target = the VIP', () => {
  const { b, loop } = engineSetup();
  assert.equal(loop.announce(2, 0xc0000264), true);
  assert.equal(b.sent.length, 1);
  const f = b.sent[0]!;
  assert.deepEqual([...f.subarray(0, 6)], [255, 255, 255, 255, 255, 255]);
  assert.deepEqual(f.subarray(6, 12), Buffer.from(MAC_B));
  assert.equal(f.readUInt16BE(12), 0x0806);
  const arp = decodeArp(f, 14);
  assert.equal(arp.op, 1);
  assert.equal(arp.senderIp, 0xc0000264);
  assert.equal(arp.targetIp, 0xc0000264);
  assert.deepEqual(arp.senderMac, MAC_B);
  assert.equal(loop.announce(9, 1), false);
});

test('announce6 sends an unsolicited override advert for the IPv6 VIP to all nodes', () => {
  const { b, loop } = engineSetup();
  const vip = parseIPv6('2001:db8:1::100')!;
  assert.equal(loop.announce6(2, vip), true);
  const mac = [...MAC_B].map((x) => x.toString(16).padStart(2, '0')).join(':');
  const want = pkt()
    .eth({ src: mac, dst: '33:33:00:00:00:01' })
    .ipv6({ src: '2001:db8:1::100', dst: 'ff02::1', hopLimit: 255 })
    .icmpv6({ type: 136, rest: 0x20000000 })
    .payload(Buffer.concat([Buffer.from(vip), Buffer.from([2, 1]), Buffer.from(MAC_B)]))
    .build();
  assert.deepEqual(Buffer.from(b.sent[0]!).toString('hex'), want.toString('hex'));
  assert.equal(loop.counters[PLANE_COUNTER.GARP_SENT], 1);
  assert.equal(loop.announce6(9, vip), false);
});

/** A FakeDriver that also sends straight from a caller's buffer, recording which buffer each
 * frame was sent from and what it held at send time. */
class DirectDriver extends FakeDriver {
  readonly from: { buf: Uint8Array; frame: Buffer }[] = [];
  calls = 0;
  sendFrom(buf: Uint8Array, pairs: Uint32Array, count: number): number {
    this.calls++;
    for (let i = 0; i < count; i++) {
      const o = pairs[i * 2]!;
      const f = Buffer.from(buf.subarray(o, o + pairs[i * 2 + 1]!));
      this.from.push({ buf, frame: f });
      this.sent.push(f);
    }
    return count;
  }
}

/** Rewrites frames in place (first byte 0xee) and sends them from the receive buffer, except
 * frames whose last byte is 0xcc, which it builds in its own memory (like an ARP reply). */
class InPlaceEngine extends ToyEngine {
  readonly own = new Uint8Array(1 << 12);
  private ownUsed = 0;
  override handleFrame(buf: Uint8Array, off: number, len: number): void {
    if (buf[off + len - 1] === 0xcc) {
      this.own.set(buf.subarray(off, off + len), this.ownUsed);
      this.own[this.ownUsed] = 0xaa;
      this.actions.tx(this.own, this.ownUsed, len, 2);
      this.ownUsed += len;
      return;
    }
    buf[off] = 0xee;
    this.actions.tx(buf, off, len, 2);
  }
  override flush(): void {
    super.flush();
    this.ownUsed = 0;
  }
}

function directSetup() {
  const a = new FakeDriver({ ifindex: 1 });
  const b = new DirectDriver({ ifindex: 2 });
  const engine = new InPlaceEngine();
  const loop = new PlaneLoop(
    engine,
    [
      { ifindex: 1, name: 'eth0', mac: MAC_A, driver: a },
      { ifindex: 2, name: 'eth1', mac: MAC_B, driver: b },
    ],
    () => 0,
  );
  loop.start();
  return { a, b, loop };
}

test('frames rewritten in place are sent from the receive buffer itself, one call per batch', () => {
  const { a, b, loop } = directSetup();
  let rxBuffer: Uint8Array | undefined;
  const frames = [frame(1), frame(2), frame(3)];
  // Capture the batch buffer the loop saw, then let the loop handle the batch.
  const orig = loop.onBatch.bind(loop);
  loop.onBatch = (batch) => {
    rxBuffer = batch.buffer;
    orig(batch);
  };
  a.inject(frames);
  assert.equal(b.calls, 1);
  assert.equal(b.from.length, 3);
  for (let i = 0; i < 3; i++) {
    assert.equal(b.from[i]!.buf, rxBuffer, `frame ${i} was copied`);
    assert.equal(b.from[i]!.frame[0], 0xee);
    assert.deepEqual(b.from[i]!.frame.subarray(1), frames[i]!.subarray(1));
  }
  assert.equal(loop.counters[PLANE_COUNTER.TX_FRAMES], 3);
  assert.equal(loop.ifCounters[5 + 2], 3);
});

test('zero-copy runs keep the engine order when frames come from different buffers', () => {
  const { a, b, loop } = directSetup();
  const frames = [frame(1), frame(2), frame(0xcc), frame(3), frame(0xcc), frame(0xcc), frame(4)];
  a.inject(frames);
  assert.equal(b.sent.length, frames.length);
  assert.deepEqual(
    b.sent.map((f) => f[0]),
    [0xee, 0xee, 0xaa, 0xee, 0xaa, 0xaa, 0xee],
  );
  for (let i = 0; i < frames.length; i++) assert.deepEqual(b.sent[i]!.subarray(1), frames[i]!.subarray(1));
  // One call per run of frames from one buffer: [1,2] [cc] [3] [cc,cc] [4].
  assert.equal(b.calls, 5);
  assert.equal(loop.counters[PLANE_COUNTER.TX_FRAMES], frames.length);
});

test('a driver that refuses part of a zero-copy run has the rest counted as tx drops', () => {
  const a = new FakeDriver({ ifindex: 1 });
  const b = new (class extends DirectDriver {
    override sendFrom(buf: Uint8Array, pairs: Uint32Array, count: number): number {
      return Math.min(2, super.sendFrom(buf, pairs, Math.min(count, 2)));
    }
  })({ ifindex: 2 });
  const loop = new PlaneLoop(
    new InPlaceEngine(),
    [
      { ifindex: 1, name: 'eth0', mac: MAC_A, driver: a },
      { ifindex: 2, name: 'eth1', mac: MAC_B, driver: b },
    ],
    () => 0,
  );
  loop.start();
  a.inject([frame(1), frame(2), frame(3), frame(4), frame(5)]);
  assert.equal(loop.counters[PLANE_COUNTER.TX_FRAMES], 2);
  assert.equal(loop.counters[PLANE_COUNTER.TX_DROPPED], 3);
  assert.equal(loop.ifCounters[5 + 4], 3);
});

test('with Engine.handleBatch the loop sends exactly what frame-by-frame handling sends (partial checksums, GSO batches, chunk boundaries)', () => {
  // Two real engines on the lab's rules: one the loop drives through handleBatch, one without it.
  const run = (batched: boolean) => {
    const sim = lab();
    const e = sim.engine;
    const engine: FrameEngine = batched
      ? e
      : {
          actions: e.actions,
          handleBatch: (buf, meta, count, stride, offIndex, lenIndex, ifindex, flags, now) => {
            for (let i = 0; i < count; i++) {
              const o = meta[offIndex + i * stride]!;
              e.handleFrame(buf, o, meta[lenIndex + i * stride]!, ifindex, flags[i]!, now);
            }
          },
          flush: () => e.flush(),
        };
    assert.equal(engine === e, batched);
    const wire = new FakeDriver({ ifindex: SIM_IFINDEX, maxBatch: 150 });
    const loop = new PlaneLoop(
      engine,
      [{ ifindex: SIM_IFINDEX, name: 'eth0', mac: MAC_A, driver: wire }],
      () => 1_000_000,
    );
    loop.start();
    const frames: Buffer[] = [];
    const info: InjectedFrameInfo[] = [];
    for (let i = 0; i < 300; i++) {
      // NAT, DR and TUN SYNs from many clients, every third with a partial checksum.
      const partial = i % 3 === 0;
      frames.push(
        pkt()
          .eth({ src: GW_MAC, dst: DIR_MAC })
          .ipv4({ src: `203.0.113.${1 + (i % 200)}`, dst: VIP })
          .tcp({
            sport: 1024 + i,
            dport: [80, 81, 82][i % 3]!,
            flags: 'S',
            csum: partial ? 'partial' : 'auto',
          })
          .build(),
      );
      info.push({ partialChecksum: partial });
    }
    // A GSO super-frame of frame 1's DR conn in the second batch: that batch goes frame by frame.
    frames[200] = pkt()
      .eth({ src: GW_MAC, dst: DIR_MAC })
      .ipv4({ src: '203.0.113.2', dst: VIP, df: true })
      .tcp({ sport: 1025, dport: 81, flags: 'PA', csum: 'partial' })
      .payload(5000)
      .build();
    info[200] = { partialChecksum: true, gso: true };
    wire.inject(frames, info);
    return wire.sent.map((f) => f.toString('hex'));
  };
  const batched = run(true);
  assert.ok(batched.length >= 300, `${batched.length} frames sent`);
  assert.deepEqual(batched, run(false));
});

/**
 * A ToyEngine with a neighbour queue: `queuedFrames` frames wait, and a frame ending in 0xaa (an
 * ARP reply) releases them all as tx actions; the tx the list refuses are counted as lost.
 */
class QueueEngine extends ToyEngine {
  queuedFrames: number;
  lost = 0;
  private released = false;
  private readonly held = new Uint8Array(64).fill(0x55);
  constructor(capacity: number, queued: number) {
    super(capacity);
    this.queuedFrames = queued;
  }
  override handleFrame(
    buf: Uint8Array,
    off: number,
    len: number,
    ifindex: number,
    flags: number,
    now: number,
  ): void {
    if (buf[off + len - 1] !== 0xaa) {
      super.handleFrame(buf, off, len, ifindex, flags, now);
      return;
    }
    if (this.released) return;
    this.released = true;
    for (let k = 0; k < this.queuedFrames; k++) if (!this.actions.tx(this.held, 0, 64, 2)) this.lost++;
  }
  override flush(): void {
    super.flush();
    // Released slots are reusable (and no longer counted) only after the flush.
    if (this.released) this.queuedFrames = 0;
  }
}

test('an ARP reply that releases a whole neighbour queue never overflows the action list: chunks leave room for every queued frame', () => {
  const a = new FakeDriver({ ifindex: 1 });
  const b = new FakeDriver({ ifindex: 2 });
  // 120 frames wait in a 128-action list; the reply comes twelfth in the batch.
  const engine = new QueueEngine(128, 120);
  const loop = new PlaneLoop(
    engine,
    [
      { ifindex: 1, name: 'eth0', mac: MAC_A, driver: a },
      { ifindex: 2, name: 'eth1', mac: MAC_B, driver: b },
    ],
    () => 0,
  );
  loop.start();
  a.inject([...Array.from({ length: 11 }, (_, i) => frame(i + 1)), frame(0xaa)]);
  assert.equal(engine.lost, 0);
  assert.equal(b.sent.length, 11 + 120);
  assert.equal(loop.counters[PLANE_COUNTER.TX_FRAMES], 131);
});
