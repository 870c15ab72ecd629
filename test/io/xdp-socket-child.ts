/**
 * Child of xdp-socket.test.ts, inside a namespace holding the veth pair eth0/eth1: lvsd's filter
 * on eth0 sends UDP to 192.0.2.10:9 to an AF_XDP socket; frames crafted on eth1 (an AF_PACKET
 * socket) arrive there in batches, each is rewritten in place (MACs swapped, a marker byte) and
 * sent back out of its own UMEM chunk, plus one copy from a foreign buffer per batch; eth1 counts
 * what returns. Other traffic (a frame to another port) must not reach the AF_XDP socket.
 * Three more frames (source ports 2001-2003) check the receive checksum classification: the
 * partial-checksum seed in the UDP field (marked CSUMNOTREADY), a correct checksum and a wrong
 * non-seed one (both unmarked); they are reported, not sent back.
 */
import { readFileSync } from 'node:fs';
import { META_STATUS, TP_STATUS_CSUMNOTREADY } from '../../src/io/driver.js';
import { bypassSpecFromServices } from '../../src/io/host/bypass-rules.js';
import { PacketSocket } from '../../src/io/packet-socket/packet-socket.js';
import { XdpProgram } from '../../src/io/packet-socket/xdp-program.js';
import { XdpSocket } from '../../src/io/packet-socket/xdp-socket.js';
import { frame } from './xdp-frames.js';

const N = Number(process.argv[2] ?? 500);
const idx = (i: string) => Number(readFileSync(`/sys/class/net/${i}/ifindex`, 'utf8'));
const prog = new XdpProgram();
prog.load(idx('eth0'));
const xsk = new XdpSocket({ binding: prog.binding }).bind('eth0', idx('eth0'));
prog.setSocket(idx('eth0'), 0, xsk.fd);
prog.update(
  bypassSpecFromServices(
    [{ key: { kind: 'addr', af: 4, protocol: 17, addr: '192.0.2.10', port: 9 }, laddrs: [], dests: [] }],
    { interfaces: ['eth0'], localAddrs: [], families: [4] },
  ),
);
const mode = prog.attach(idx('eth0'));
const peer = new PacketSocket().bind('eth1');

let rx = 0;
let wrongPort = 0;
/** Receive status of the checksum probes, by source port. */
const csumStatus: Record<number, number> = {};
let batches = 0;
const pairs = new Uint32Array(2 * 4096);
const foreign = new Uint8Array(60);
xsk.start((b) => {
  let k = 0;
  for (let i = 0; i < b.count; i++) {
    const off = b.offset(i);
    const f = b.buffer;
    const sport = f.readUInt16BE(off + 34);
    if (sport >= 2001 && sport <= 2003) {
      csumStatus[sport] = (b.meta[i * 6 + META_STATUS] ?? 0) & TP_STATUS_CSUMNOTREADY;
      continue;
    }
    if (f.readUInt16BE(off + 36) !== 9) wrongPort++;
    rx++;
    // Swap the MACs and mark the frame, in the chunk it arrived in.
    const tmp = Buffer.from(f.subarray(off, off + 6));
    f.copy(f, off, off + 6, off + 12);
    tmp.copy(f, off + 6);
    f[off + 59] = 0xaa;
    pairs[k * 2] = off;
    pairs[k * 2 + 1] = b.length(i);
    k++;
  }
  if (k === 0) return;
  // Batches that carried test frames (each gets one foreign copy below).
  batches++;
  xsk.sendFrom(b.buffer, pairs, k);
  foreign.set(b.buffer.subarray(b.offset(0), b.offset(0) + 60));
  foreign[59] = 0xbb;
  xsk.sendFrom(foreign, Uint32Array.of(0, 60), 1);
});

let back = 0;
let backCopied = 0;
peer.start((b) => {
  for (let i = 0; i < b.count; i++) {
    const f = b.copyFrame(i);
    if (f.length >= 60 && f[59] === 0xaa) back++;
    if (f.length >= 60 && f[59] === 0xbb) backCopied++;
  }
});

const src = [203, 0, 113, 7];
const send = (dport: number) => {
  const f = frame({ src, dst: [192, 0, 2, 10], proto: 17, sport: 1000, dport });
  f.set(Buffer.from(readFileSync('/sys/class/net/eth0/address', 'utf8').trim().replace(/:/g, ''), 'hex'), 0);
  f.set(Buffer.from(readFileSync('/sys/class/net/eth1/address', 'utf8').trim().replace(/:/g, ''), 'hex'), 6);
  return f;
};
const frames = Array.from({ length: N }, () => send(9));
let sent = 0;
for (let i = 0; i < N; i += 100) sent += peer.send(frames.slice(i, i + 100));
peer.send([send(10)]);
/** Ones' complement sum of 16-bit words (RFC 1071), unfolded. */
const sum16 = (f: Uint8Array, from: number, to: number, acc = 0) => {
  for (let i = from; i < to; i += 2) acc += ((f[i] ?? 0) << 8) | (i + 1 < to ? (f[i + 1] ?? 0) : 0);
  return acc;
};
const fold = (x: number) => {
  while (x > 0xffff) x = (x & 0xffff) + (x >>> 16);
  return x;
};
// UDP over 20-byte IPv4 in a 60-byte frame: 26 bytes of UDP.
const probe = (sport: number, kind: 'seed' | 'good' | 'bad') => {
  const f = send(9);
  const b = Buffer.from(f.buffer);
  b.writeUInt16BE(sport, 34);
  b.writeUInt16BE(26, 38);
  const seed = fold(sum16(f, 26, 34) + 17 + 26);
  const full = fold(sum16(f, 34, 60, seed));
  b.writeUInt16BE(kind === 'seed' ? seed : kind === 'good' ? 0xffff - full || 0xffff : seed ^ 0x0101, 40);
  return f;
};
peer.send([probe(2001, 'seed'), probe(2002, 'good'), probe(2003, 'bad')]);
setTimeout(() => {
  const st = xsk.stats();
  xsk.close();
  peer.close();
  prog.close();
  console.log(
    JSON.stringify({
      mode,
      sent,
      rx,
      wrongPort,
      batches,
      back,
      backCopied,
      csumSeed: csumStatus[2001] ?? -1,
      csumGood: csumStatus[2002] ?? -1,
      csumBad: csumStatus[2003] ?? -1,
      ...st,
    }),
  );
}, 1500);
