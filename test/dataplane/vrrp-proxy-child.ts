/**
 * Child process of vrrp-proxy-plane.test.ts, run inside the director's namespace with
 * `ip netns exec NS node --import tsx test/dataplane/vrrp-proxy-child.ts '<json>'`. It starts the
 * proxy plane (startProxyPlane, the daemon's handle) with a TCP and a UDP service on `vip`:80 and
 * a TCP service on [`vip6`]:80, all relayed to a local backend that answers `hello`, prints `{"ready":true}`, then runs one
 * JSON command per stdin line and prints one JSON reply line for each:
 * `{"op":"own","instance","vips","master"}`, `{"op":"announce","vips"}`, `{"op":"status"}`,
 * `{"op":"close"}` (which exits).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import type { DirectorPort, VrrpVip } from '../../src/control/ports.js';
import { Director } from '../../src/core/director.js';
import { findScheduler } from '../../src/core/schedulers/index.js';
import { startProxyPlane } from '../../src/dataplane/proxy-plane/proxy-plane.js';
import { dest, svcConfig, tcpKey, udpKey } from '../proxy/helpers.js';

const cfg = JSON.parse(process.argv[2] ?? '{}') as { vip: string; vip6: string };
const say = (o: object): void => void process.stdout.write(`${JSON.stringify(o)}\n`);

const tcpBackend = net.createServer((s) => s.end('hello\n'));
await new Promise<void>((r) => tcpBackend.listen(0, '127.0.0.1', r));
const tcpPort = (tcpBackend.address() as net.AddressInfo).port;
const tcpBackend6 = net.createServer((s) => s.end('hello\n'));
await new Promise<void>((r) => tcpBackend6.listen(0, '::1', r));
const tcpPort6 = (tcpBackend6.address() as net.AddressInfo).port;
const udpBackend = dgram.createSocket('udp4');
udpBackend.on('message', (_m, from) => udpBackend.send('hello\n', from.port, from.address));
await new Promise<void>((r) => udpBackend.bind(0, '127.0.0.1', r));
const udpPort = udpBackend.address().port;

const director = new Director({ schedulers: findScheduler });
director.table.addService(tcpKey(80, cfg.vip), svcConfig('rr'));
director.table.addDest(tcpKey(80, cfg.vip), dest(tcpPort));
director.table.addService(udpKey(80, cfg.vip), svcConfig('rr'));
director.table.addDest(udpKey(80, cfg.vip), dest(udpPort));
director.table.addService(tcpKey(80, cfg.vip6), svcConfig('rr', { netmask: '128' }));
director.table.addDest(tcpKey(80, cfg.vip6), dest(tcpPort6, 1, { addr: '::1', af: 6 }));
const quiet = () => {};
const log = { info: quiet, warn: quiet, error: quiet } as unknown as Logger;
const plane = startProxyPlane({ director } as unknown as DirectorPort, log);
say({ ready: true });

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue;
  const cmd = JSON.parse(line) as { op: string; instance?: string; vips?: VrrpVip[]; master?: boolean };
  try {
    if (cmd.op === 'own') {
      await plane.vrrpOwn?.(cmd.instance ?? 'VI_1', cmd.vips ?? [], cmd.master === true);
      say({ ok: true });
    } else if (cmd.op === 'announce') {
      plane.vrrpAnnounce?.(cmd.vips ?? []);
      say({ ok: true });
    } else if (cmd.op === 'status') {
      say({ ok: true, status: plane.vipStatus() });
    } else if (cmd.op === 'close') {
      await plane.close();
      tcpBackend.close();
      tcpBackend6.close();
      udpBackend.close();
      say({ ok: true });
      process.exit(0);
    } else {
      say({ error: `unknown op ${cmd.op}` });
    }
  } catch (e) {
    say({ error: String(e) });
  }
}
