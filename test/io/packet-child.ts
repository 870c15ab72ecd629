/**
 * Child process of packet-socket-netns.test.ts, run inside a namespace with
 * `ip netns exec NS node --import tsx test/io/packet-child.ts '<json>'`. Prints one JSON line
 * `{"ready":true}` once its sockets are open, then one JSON result line, then exits.
 *
 * Modes:
 * - rx:  receive `expect` test frames on `ifname` and verify every byte;
 * - tx:  send `count` test frames on `ifname` in one batch;
 * - fanout: two sockets in one round-robin PACKET_FANOUT group count the test frames each gets;
 * - bind: only try to bind `ifname` and report the error code (run without CAP_NET_RAW);
 * - tcp: run a TCP sink on `port` and watch its traffic on `ifname` with two sockets, one with
 *        ignoreOutgoing (the default) and one without.
 */
import { createServer } from 'node:net';
import { PACKET_OUTGOING, type RxFrameBatch, TxBatch } from '../../src/io/driver.js';
import { PacketSocket } from '../../src/io/packet-socket/packet-socket.js';
import { craftTestFrame, TEST_ETHERTYPE, tagFrame, testVid } from './test-frames.js';

interface Config {
  mode: 'rx' | 'tx' | 'tcp' | 'bind' | 'fanout';
  ifname: string;
  expect?: number;
  count?: number;
  dst?: string;
  src?: string;
  port?: number;
  timeoutMs?: number;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as Config;
const say = (o: object): void => void process.stdout.write(`${JSON.stringify(o)}\n`);

function rx(): void {
  const sock = new PacketSocket().bind(cfg.ifname);
  const expect = cfg.expect ?? 0;
  const seen = new Set<number>();
  let batches = 0;
  let maxBatch = 0;
  let bad = 0;
  let vlanOk = 0;
  let vlanBad = 0;
  let batchView: RxFrameBatch | undefined;
  const finish = (timedOut: boolean): void => {
    sock.close();
    setImmediate(() => {
      // Once the callback has returned the ring is unmapped; the view must read as empty.
      const ringBytesAfterClose = batchView?.buffer.length ?? -1;
      say({ received: seen.size, batches, maxBatch, bad, vlanOk, vlanBad, timedOut, ringBytesAfterClose });
      process.exit(0);
    });
  };
  const timer = setTimeout(() => finish(true), cfg.timeoutMs ?? 5000);
  sock.start((b: RxFrameBatch) => {
    batches++;
    batchView = b;
    maxBatch = Math.max(maxBatch, b.count);
    for (let i = 0; i < b.count; i++) {
      const off = b.offset(i);
      if (b.buffer.readUInt16BE(off + 12) !== TEST_ETHERTYPE) continue;
      const seq = b.buffer.readUInt32BE(off + 14);
      const want = craftTestFrame(seq, b.buffer.subarray(off, off + 6), b.buffer.subarray(off + 6, off + 12));
      if (b.length(i) !== want.length || !b.buffer.subarray(off, off + b.length(i)).equals(want)) bad++;
      const vid = testVid(seq);
      if (vid === undefined ? b.vlanTci(i) === -1 : (b.vlanTci(i) & 0xfff) === vid) vlanOk++;
      else vlanBad++;
      seen.add(seq);
    }
    if (seen.size >= expect) {
      clearTimeout(timer);
      // Closing inside the batch callback: the addon defers the unmap until the blocks are back.
      finish(false);
    }
  });
  say({ ready: true });
}

function tx(): void {
  const sock = new PacketSocket().bind(cfg.ifname);
  const dst = Buffer.from(cfg.dst ?? 'ffffffffffff', 'hex');
  const src = Buffer.from(cfg.src ?? '020000000001', 'hex');
  const batch = new TxBatch(1 << 21, 4096);
  for (let seq = 0; seq < (cfg.count ?? 0); seq++) {
    const f = craftTestFrame(seq, dst, src);
    const vid = testVid(seq);
    batch.push(vid === undefined ? f : tagFrame(f, vid));
  }
  say({ ready: true });
  const sent = sock.send(batch);
  sock.close();
  say({ sent });
}

function tcp(): void {
  const port = cfg.port ?? 8080;
  const main = new PacketSocket().bind(cfg.ifname);
  const observer = new PacketSocket({ ignoreOutgoing: false }).bind(cfg.ifname);
  const r = { toPort: 0, toPortPartial: 0, fromPort: 0, maxWireLen: 0, observerOutgoing: 0, bytes: 0 };
  const isTcp = (b: RxFrameBatch, o: number): boolean =>
    b.buffer.readUInt16BE(o + 12) === 0x0800 && b.buffer[o + 23] === 6;
  const l4 = (b: RxFrameBatch, o: number): number => o + 14 + (b.buffer[o + 14]! & 0x0f) * 4;
  main.start((b) => {
    for (let i = 0; i < b.count; i++) {
      const o = b.offset(i);
      if (!isTcp(b, o)) continue;
      const t = l4(b, o);
      if (b.buffer.readUInt16BE(t + 2) === port) {
        r.toPort++;
        if (b.partialChecksum(i)) r.toPortPartial++;
        r.maxWireLen = Math.max(r.maxWireLen, b.wireLength(i));
      }
      if (b.buffer.readUInt16BE(t) === port) r.fromPort++;
    }
  });
  observer.start((b) => {
    for (let i = 0; i < b.count; i++) {
      if (b.packetType(i) === PACKET_OUTGOING && isTcp(b, b.offset(i))) r.observerOutgoing++;
    }
  });
  const done = (): void => {
    main.close();
    observer.close();
    say(r);
    process.exit(0);
  };
  const server = createServer((c) => {
    c.on('data', (d) => (r.bytes += d.length));
    // The ring's retire timer (1 ms) flushes the last block; 100 ms is ample.
    c.on('end', () => setTimeout(done, 100));
  });
  setTimeout(done, cfg.timeoutMs ?? 10_000);
  server.listen(port, () => say({ ready: true }));
}

function bindOnly(): void {
  say({ ready: true });
  try {
    new PacketSocket().bind(cfg.ifname).close();
    say({ code: 'OK' });
  } catch (e) {
    const err = e as { code?: string; syscall?: string };
    say({ code: err.code, syscall: err.syscall });
  }
}

function fanout(): void {
  const counts = [0, 0];
  let done = false;
  // Ends once `expect` test frames arrived (or at the timeout): a loaded machine may take seconds
  // to start the sender, so a fixed listening window would undercount.
  const finish = (): void => {
    if (done) return;
    done = true;
    for (const s of socks) s.close();
    say({ first: counts[0]!, second: counts[1]! });
    process.exit(0);
  };
  const socks = counts.map((_, k) => {
    const sock = new PacketSocket({ fanout: { group: 42, mode: 'lb' }, promiscuous: true }).bind(cfg.ifname);
    sock.start((b) => {
      for (let i = 0; i < b.count; i++) {
        if (b.buffer.readUInt16BE(b.offset(i) + 12) === TEST_ETHERTYPE) counts[k]!++;
      }
      if (cfg.expect !== undefined && counts[0]! + counts[1]! >= cfg.expect) setImmediate(finish);
    });
    return sock;
  });
  setTimeout(finish, cfg.timeoutMs ?? 1500);
  say({ ready: true });
}

if (cfg.mode === 'rx') rx();
else if (cfg.mode === 'fanout') fanout();
else if (cfg.mode === 'bind') bindOnly();
else if (cfg.mode === 'tx') tx();
else if (cfg.mode === 'tcp') tcp();
else {
  say({ error: `unknown mode ${String(cfg.mode)}` });
  process.exit(2);
}
