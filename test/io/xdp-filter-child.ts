/**
 * Child of xdp-filter.test.ts, run inside a throw-away namespace: loads lvsd's XDP filter, binds
 * an AF_XDP socket on eth0 (so the XSKMAP has a socket and a redirect shows as XDP_REDIRECT in
 * BPF_PROG_TEST_RUN), fills the maps from a bypass spec, and prints one JSON line: the actions
 * of the crafted frames, and the outcome of a fast-check property comparing the program with
 * the TypeScript model (filterRedirects) on random frames.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { bypassSpecFromServices } from '../../src/io/host/bypass-rules.js';
import { XDP_ACTION } from '../../src/io/packet-socket/xdp-binding.js';
import { filterRedirects } from '../../src/io/packet-socket/xdp-filter-keys.js';
import { XdpProgram } from '../../src/io/packet-socket/xdp-program.js';
import { XdpSocket } from '../../src/io/packet-socket/xdp-socket.js';
import { FILTER_SERVICES, FRAMES, LOCAL, randomFrame } from './xdp-frames.js';

const ifindex = Number(readFileSync('/sys/class/net/eth0/ifindex', 'utf8'));
const prog = new XdpProgram();
prog.load(ifindex);
const sock = new XdpSocket({ binding: prog.binding, chunks: 256, ringSize: 64 }).bind('eth0', ifindex);
prog.setSocket(ifindex, 0, sock.fd);
const spec = bypassSpecFromServices(FILTER_SERVICES, {
  interfaces: ['eth0'],
  localAddrs: LOCAL,
  families: [4],
});
prog.update(spec);
const actions: Record<string, number> = {};
for (const [name, f] of Object.entries(FRAMES)) actions[name] = prog.testRun(ifindex, f);

let property = 'ok';
try {
  fc.assert(
    fc.property(randomFrame, (f) => {
      const got = prog.testRun(ifindex, f);
      const want = filterRedirects(f, prog.entries) ? XDP_ACTION.REDIRECT : XDP_ACTION.PASS;
      return got === want;
    }),
    { numRuns: 2000 },
  );
} catch (e) {
  property = (e as Error).message.slice(0, 2000);
}
// An emptied spec redirects nothing any more.
prog.update({ ...spec, vips: [], lips: [], natReplies: [] });
const afterEmpty = prog.testRun(ifindex, FRAMES.vipTcp!);
sock.close();
prog.close();
console.log(JSON.stringify({ actions, property, afterEmpty, entries: spec.vips.length }));
