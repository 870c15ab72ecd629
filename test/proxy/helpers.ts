/** Loopback fixtures for the proxy data plane tests: a table, a core, the plane and named backends. */
import net from 'node:net';
import { Director } from '../../src/core/director.js';
import { findScheduler } from '../../src/core/schedulers/index.js';
import type { ServiceTable } from '../../src/core/service-table.js';
import type { DestConfig, ServiceConfig, ServiceKey } from '../../src/core/types.js';
import { subscribeLogger } from '../../src/daemon/log-subscriber.js';
import { DirectorProxyCore } from '../../src/dataplane/proxy-plane/director-core.js';
import { ProxyDataPlane } from '../../src/dataplane/proxy-plane/proxy-data-plane.js';

/** A running plane over a fresh table. */
export interface Rig {
  table: ServiceTable;
  director: Director;
  core: DirectorProxyCore;
  plane: ProxyDataPlane;
  logs: string[];
  close(): Promise<void>;
}

/** Builds a Director, its proxy adapter and a started ProxyDataPlane that ticks it every second. */
export function rig(opts: { connectTimeoutMs?: number } = {}): Rig {
  const director = new Director({ schedulers: findScheduler });
  const core = new DirectorProxyCore(director);
  const logs: string[] = [];
  const plane = new ProxyDataPlane({
    core,
    connectTimeoutMs: opts.connectTimeoutMs ?? 2000,
    retryMs: 200,
    tickCore: true,
    log: (_l, m, f) => logs.push(`${m} ${JSON.stringify(f)}`),
  });
  // Faults reach the log through lvs:dataplane:fault, as in lvsd.
  const line = (f: object, m: string) => logs.push(`${m} ${JSON.stringify(f)}`);
  const unsubscribe = subscribeLogger({ info: line, warn: line, error: line }, (s) => s === plane);
  plane.start();
  const close = async (): Promise<void> => {
    await plane.close();
    unsubscribe();
  };
  return { table: director.table, director, core, plane, logs, close };
}

/** A TCP service key on 127.0.0.1. */
export function tcpKey(port: number, addr = '127.0.0.1'): ServiceKey {
  return { kind: 'addr', af: addr.includes(':') ? 6 : 4, protocol: 6, addr, port };
}

/** A UDP service key on 127.0.0.1. */
export function udpKey(port: number, addr = '127.0.0.1'): ServiceKey {
  return { kind: 'addr', af: addr.includes(':') ? 6 : 4, protocol: 17, addr, port };
}

/** Service settings with a scheduler and optional flags/persistence. */
export function svcConfig(scheduler: string, extra: Partial<ServiceConfig> = {}): ServiceConfig {
  return { scheduler, flags: 0, timeout: 360, netmask: '255.255.255.255', pe: '', ...extra };
}

/** A masq destination on 127.0.0.1:port. */
export function dest(port: number, weight = 1, extra: Partial<DestConfig> = {}): DestConfig {
  return {
    addr: '127.0.0.1',
    port,
    af: 4,
    fwd: 0,
    weight,
    uThreshold: 0,
    lThreshold: 0,
    tunType: 0,
    tunPort: 0,
    tunFlags: 0,
    ...extra,
  };
}

/** A named backend: greets each connection with `name\n`, then echoes. */
export interface Backend {
  name: string;
  port: number;
  server: net.Server;
  sockets: Set<net.Socket>;
  close(): Promise<void>;
}

/** Starts a named echo backend on an ephemeral loopback port. */
export async function backend(name: string, onConn?: (s: net.Socket) => void): Promise<Backend> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    if (onConn) return onConn(s);
    s.write(`${name}\n`);
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    name,
    port,
    server,
    sockets,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A free loopback TCP port (bound then released). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

/** Connects to the VIP and resolves with the socket and the backend's greeting line. */
export function greet(port: number, host = '127.0.0.1'): Promise<{ sock: net.Socket; name: string }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host, allowHalfOpen: true });
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        sock.off('data', onData);
        resolve({ sock, name: buf.slice(0, nl) });
      }
    };
    sock.on('data', onData);
    sock.on('error', reject);
    sock.on('close', () => reject(new Error(`closed before greeting (got ${JSON.stringify(buf)})`)));
  });
}

/** Opens `n` connections one after another and returns the backend names in order, closing each. */
export async function names(port: number, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const { sock, name } = await greet(port);
    out.push(name);
    sock.removeAllListeners('close');
    sock.destroy();
  }
  return out;
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `fn` until it returns true or `ms` pass. */
export async function until(fn: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (fn()) return true;
    await sleep(20);
  }
  return fn();
}
