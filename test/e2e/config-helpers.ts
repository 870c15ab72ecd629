/**
 * Shared pieces of the `lvsd --config` end-to-end tests: named HTTP real servers that can be
 * killed and brought back on the same port, an lvsd started on a generated config file, plain
 * HTTP requests through the VIP, lvsadm runs and polling.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import type net from 'node:net';
import { join } from 'node:path';
import { type LvsdProc, spawnLvsd, tempDir, waitReady } from '../daemon/lvsd-process.js';
import { freePort } from '../proxy/helpers.js';

/** A named HTTP real server on 127.0.0.1: `/health` answers `OK`, every other path its name. */
export interface RealHttp {
  readonly name: string;
  readonly port: number;
  /** Stops listening and resets every open connection, as a crashed server would. */
  kill(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/** Starts a named HTTP real server on an ephemeral port. */
export async function realHttp(name: string): Promise<RealHttp> {
  const sockets = new Set<net.Socket>();
  const make = () => {
    const s = http.createServer((req, res) => {
      const body = req.url === '/health' ? 'OK' : name;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    s.keepAliveTimeout = 60_000;
    s.on('connection', (c) => {
      sockets.add(c);
      c.on('close', () => sockets.delete(c));
    });
    return s;
  };
  let server = make();
  const port = await listen(server, 0);
  let up = true;
  const kill = async () => {
    if (!up) return;
    up = false;
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const c of sockets) c.resetAndDestroy();
    await closed;
  };
  return {
    name,
    port,
    kill,
    async restore() {
      if (up) return;
      server = make();
      await listen(server, port);
      up = true;
    },
    close: kill,
  };
}

/** GET `path` from 127.0.0.1:port on a fresh connection; resolves with the body. */
export function get(port: number, path = '/', timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Result of one lvsadm run. */
export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node bin/<prog> args` without blocking the event loop (the real servers live here). */
export function runBin(prog: 'lvsadm' | 'lvsd', args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [`bin/${prog}`, ...args],
      { env: { ...process.env, LVSD_SOCKET: '' }, timeout: 20_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 255) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** `lvsadm --socket S args`. */
export function lvsadm(socket: string, ...args: string[]): Promise<Run> {
  return runBin('lvsadm', ['--socket', socket, ...args]);
}

/** One `-Ln` real-server line as `addr:port weight`, or undefined when the server is absent. */
export function destWeight(listing: string, port: number): number | undefined {
  const m = new RegExp(`-> 127\\.0\\.0\\.1:${port}\\s+\\S+\\s+(\\d+)`).exec(listing);
  return m ? Number(m[1]) : undefined;
}

/** The table part of `-Ln`: each line without the connection counters, which move on their own. */
export function tableShape(listing: string): string {
  return listing
    .split('\n')
    .map((l) => (l.includes('->') ? l.replace(/\s+\d+\s+\d+\s*$/, '') : l.trimEnd()))
    .join('\n');
}

/** Polls `fn` until it returns true or `ms` pass; resolves with the elapsed time, or rejects. */
export async function until(fn: () => Promise<boolean>, ms: number, what: string): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await fn()) return Date.now() - t0;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** An lvsd running on a config file that names loopback real servers and a free virtual port. */
export interface ConfigLab {
  /** The config file (tests edit it to check reloads). */
  readonly conf: string;
  readonly d: LvsdProc;
  /** The real servers, in the order their names were given. */
  readonly servers: readonly RealHttp[];
  readonly vport: number;
  /** `lvsadm -Ln` output. */
  list(): Promise<string>;
  /** Stops lvsd and every real server. */
  stop(): Promise<void>;
}

/** What {@link startConfigLab} starts. */
export interface ConfigLabSpec {
  /** Config file name inside the lab's temporary directory. */
  readonly confName: string;
  /** Real server names (each answers its name over HTTP). */
  readonly servers: readonly string[];
  /** Writes the config file (and anything it includes) once the ports are known. */
  write(lab: { dir: string; conf: string; vport: number; servers: readonly RealHttp[] }): void;
  /** lvsd arguments after `--config FILE`. */
  readonly args?: readonly string[];
}

/** Starts the real servers, picks the virtual port, writes the config and waits for lvsd. */
export async function startConfigLab(spec: ConfigLabSpec): Promise<ConfigLab> {
  const dir = tempDir();
  const conf = join(dir, spec.confName);
  const servers = await Promise.all(spec.servers.map((n) => realHttp(n)));
  let d: LvsdProc | undefined;
  const stop = async () => {
    await d?.stop();
    await Promise.all(servers.map((x) => x.close()));
  };
  try {
    const vport = await freePort();
    spec.write({ dir, conf, vport, servers });
    const lvsd = spawnLvsd(['--config', conf, ...(spec.args ?? [])], { dir });
    d = lvsd;
    await waitReady(lvsd);
    return {
      conf,
      d: lvsd,
      servers,
      vport,
      list: async () => (await lvsadm(lvsd.socket, '-Ln')).stdout,
      stop,
    };
  } catch (e) {
    await stop(); // a failed start must not leave lvsd or the servers running
    throw e;
  }
}
