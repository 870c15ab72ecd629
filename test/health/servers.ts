/**
 * Test helper: real servers on loopback for probe tests — nginx (Debian nginx-light, installed by
 * .ci/run) with a temp prefix and config, a self-signed certificate from `openssl`, and a free
 * loopback port finder. Everything is removed by `stop()`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free TCP port on 127.0.0.1 (bound then released). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Waits until host:port accepts TCP connections. */
export async function waitListening(port: number, host = '127.0.0.1', ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((r) => {
      const c = net.connect(port, host, () => {
        c.destroy();
        r(true);
      });
      c.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nothing listening on ${host}:${port}`);
}

/** Which nginx binary to use, or undefined when it is not installed. */
export function nginxPath(): string | undefined {
  for (const p of ['/usr/sbin/nginx', '/usr/bin/nginx']) {
    try {
      execFileSync(p, ['-v'], { stdio: 'ignore' });
      return p;
    } catch {
      // try the next
    }
  }
  return undefined;
}

/** A self-signed certificate and key made with openssl (P-256, one day). */
export function selfSigned(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

/** A running nginx. */
export interface Nginx {
  readonly port: number;
  readonly tlsPort: number;
  readonly root: string;
  /** Kills nginx (SIGKILL: an abrupt real-server death) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same ports. */
  restart(): Promise<void>;
  /** Kills nginx and removes the temp prefix. */
  stop(): Promise<void>;
}

/** Starts nginx serving `files` (path → content) over HTTP and HTTPS on loopback. */
export async function startNginx(files: Record<string, string>, bin = nginxPath()): Promise<Nginx> {
  if (!bin) throw new Error('nginx not installed');
  const dir = mkdtempSync(join(tmpdir(), 'lvs-nginx-'));
  const root = join(dir, 'html');
  mkdirSync(root);
  mkdirSync(join(dir, 'logs'));
  for (const [p, c] of Object.entries(files)) writeFileSync(join(root, p), c);
  const { cert, key } = selfSigned(dir);
  const port = await freePort();
  const tlsPort = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log;
worker_processes 1;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/cb; proxy_temp_path ${dir}/px; fastcgi_temp_path ${dir}/fc;
  uwsgi_temp_path ${dir}/uw; scgi_temp_path ${dir}/sc;
  server {
    listen 127.0.0.1:${port};
    listen 127.0.0.1:${tlsPort} ssl;
    ssl_certificate ${cert};
    ssl_certificate_key ${key};
    root ${root};
  }
}
`,
  );
  let child: ReturnType<typeof spawn> | undefined;
  const launch = async () => {
    child = spawn(bin, ['-p', dir, '-c', conf, '-g', 'daemon off; master_process off;'], { stdio: 'ignore' });
    await waitListening(port);
    await waitListening(tlsPort);
  };
  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((r) => {
      c.once('exit', () => r());
      c.kill('SIGKILL');
    });
  };
  await launch();
  return {
    port,
    tlsPort,
    root,
    kill,
    restart: launch,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
