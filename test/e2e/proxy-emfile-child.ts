/**
 * Child of proxy-emfile.test.ts, run under a low RLIMIT_NOFILE: a proxy plane with no budget
 * (so EMFILE really reaches the relay), one TCP service to the parent's healthy backend, then
 * every free descriptor but one taken. The parent's client is accepted on that one; the socket
 * toward the real server cannot be opened (EMFILE). Commands are JSON lines: `fill`, then
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
import { dest, svcConfig, tcpKey } from '../proxy/helpers.js';

const [vport, bport] = process.argv.slice(2).map(Number) as [number, number];
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
plane.sync();

const filler: number[] = [];
const rl = createInterface({ input: process.stdin });
process.stdout.write(`${JSON.stringify({ served: plane.status()[0]?.served })}\n`);
rl.on('line', (text) => {
  const { cmd } = JSON.parse(text) as { cmd: string };
  if (cmd === 'fill') {
    for (;;) {
      try {
        filler.push(openSync('/dev/null', 'r'));
      } catch {
        break;
      }
    }
    // One descriptor free: the client's accept takes it, nothing is left for the server socket.
    closeSync(filler.pop() as number);
    process.stdout.write(`${JSON.stringify({ filled: filler.length })}\n`);
    return;
  }
  for (const fd of filler.splice(0)) closeSync(fd);
  const svc = director.table.find(tcpKey(vport));
  process.stdout.write(
    `${JSON.stringify({
      relay: plane.tcp.counters,
      svcConns: svc?.stats.view().conns,
      destConns: svc?.dests[0]?.stats.view().conns,
      logs,
    })}\n`,
  );
  void plane.close().then(() => process.exit(0));
});
