/**
 * Child of xdp-socket.test.ts, inside a namespace holding the veth pair eth0/eth1: lvsd's filter
 * on eth0 sends UDP to 192.0.2.10:9 to an AF_XDP socket; frames crafted on eth1 (an AF_PACKET
 * socket) arrive there in batches, each is rewritten in place (MACs swapped, a marker byte) and
 * sent back out of its own UMEM chunk, plus one copy from a foreign buffer per batch; eth1 counts
 * what returns. Other traffic (a frame to another port) must not reach the AF_XDP socket.
 */
import { readFileSync } from 'node:fs';
import { bypassSpecFromServices } from '../../src/io/packet-plane/bypass-rules.js';
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
let batches = 0;
const pairs = new Uint32Array(2 * 4096);
const foreign = new Uint8Array(60);
xsk.start((b) => {
  batches++;
  for (let i = 0; i < b.count; i++) {
    const off = b.offset(i);
    const f = b.buffer;
    if (f.readUInt16BE(off + 36) !== 9) wrongPort++;
    rx++;
    // Swap the MACs and mark the frame, in the chunk it arrived in.
    const tmp = Buffer.from(f.subarray(off, off + 6));
    f.copy(f, off, off + 6, off + 12);
    tmp.copy(f, off + 6);
    f[off + 59] = 0xaa;
    pairs[i * 2] = off;
    pairs[i * 2 + 1] = b.length(i);
  }
  xsk.sendFrom(b.buffer, pairs, b.count);
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
setTimeout(() => {
  const st = xsk.stats();
  xsk.close();
  peer.close();
  prog.close();
  console.log(JSON.stringify({ mode, sent, rx, wrongPort, batches, back, backCopied, ...st }));
}, 1500);
