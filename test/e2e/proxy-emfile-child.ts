/**
 * Child of proxy-emfile.test.ts, run under a low RLIMIT_NOFILE: a proxy plane with no budget
 * (so EMFILE really reaches the relay), one TCP service to the parent's healthy backend, then
 * every free descriptor but one taken. The parent's client is accepted on that one; the socket
 * toward the real server cannot be opened (EMFILE). Likewise a UDP service whose new flow finds
 * no descriptor for its socket. Commands are JSON lines: `fill`, then
 * `report`, which frees the descriptors and
 * prints what the relay counted, what the table counted, and what the log said, as one line.
 */
import { closeSync, openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Director } from '../../src/core/director.js';
import { findScheduler } from '../../src/core/schedulers/index.js';
import { subscribeLogger } from '../../src/daemon/log-subscriber.js';
import { DirectorProxyCore } from '../../src/dataplane/proxy-plane/director-core.js';
import { ProxyDataPlane } from '../../src/dataplane/proxy-plane/proxy-data-plane.js';
import { dest, svcConfig, tcpKey, udpKey } from '../proxy/helpers.js';

const [vport, bport, uport, ubport] = process.argv.slice(2).map(Number) as [number, number, number, number];
const director = new Director({ schedulers: findScheduler });
const plane = new ProxyDataPlane({
  core: new DirectorProxyCore(director),
  tickCore: true,
  // A budget far above the real limit: this child is about what happens when EMFILE is reached.
  fdLimit: 1_000_000,
});
const logs: string[] = [];
const line = (f: object, m: string) => logs.push(`${m} ${JSON.stringify(f)}`);
subscribeLogger({ info: line, warn: line, error: line }, (s) => s === plane);
plane.start();
director.table.addService(tcpKey(vport), svcConfig('rr'));
director.table.addDest(tcpKey(vport), dest(bport, 1));
director.table.addService(udpKey(uport), svcConfig('rr'));
director.table.addDest(udpKey(uport), dest(ubport, 1));
plane.sync();

const filler: number[] = [];
const rl = createInterface({ input: process.stdin });
const ready = setInterval(() => {
  if (!plane.status().every((s) => s.served)) return;
  clearInterval(ready);
  process.stdout.write(`${JSON.stringify({ served: true })}\n`);
}, 50);
const conns = (key: ReturnType<typeof tcpKey>) => {
  const svc = director.table.find(key);
  return { svc: svc?.stats.view().conns, dest: svc?.dests[0]?.stats.view().conns };
};
rl.on('line', (text) => {
  const { cmd, free } = JSON.parse(text) as { cmd: string; free?: number };
  if (cmd === 'fill') {
    for (;;) {
      try {
        filler.push(openSync('/dev/null', 'r'));
      } catch {
        break;
      }
    }
    // `free` descriptors left: 1 for a client's accept (then nothing for the server socket),
    // 0 for a datagram (nothing for its flow socket).
    for (let i = 0; i < (free ?? 0); i++) closeSync(filler.pop() as number);
    process.stdout.write(`${JSON.stringify({ filled: filler.length })}\n`);
    return;
  }
  for (const fd of filler.splice(0)) closeSync(fd);
  process.stdout.write(
    `${JSON.stringify({ relay: plane.tcp.counters, tcp: conns(tcpKey(vport)), udp: conns(udpKey(uport)), logs })}\n`,
  );
});
