/**
 * The peers of the proxy race and the processes around them: installing Debian's haproxy,
 * nginx with the stream module, wrk and iperf3 when missing, writing their configs into a
 * temporary directory, and starting/stopping every process the bench owns (by pid only).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

/** nginx's dynamic stream module on Debian (package libnginx-mod-stream). */
export const STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';

function have(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Installs the peers with apt-get when one is missing (Debian/Ubuntu, as root). */
export function ensurePeers(): void {
  const missing: string[] = [];
  if (!have('haproxy')) missing.push('haproxy');
  if (!have('nginx')) missing.push('nginx-light');
  if (!existsSync(STREAM_MODULE)) missing.push('libnginx-mod-stream');
  if (!have('wrk')) missing.push('wrk');
  if (!have('iperf3')) missing.push('iperf3');
  if (missing.length === 0) return;
  console.log(`installing peers: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-q', ...missing], { stdio: 'inherit', env });
}

/** Versions of the peers, for the results file. */
export function peerVersions(): Record<string, string> {
  const v = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
        .split('\n')[0]
        ?.trim();
    } catch (e) {
      return String((e as { stderr?: string }).stderr ?? '').split('\n')[0];
    }
  };
  return {
    haproxy: v('haproxy', ['-v']) ?? '',
    nginx: (v('sh', ['-c', 'nginx -v 2>&1']) ?? '').replace('nginx version: ', ''),
    wrk: v('sh', ['-c', 'wrk -v 2>&1 | head -1']) ?? '',
    iperf3: v('iperf3', ['-v']) ?? '',
    node: process.version,
  };
}

/** A process started by the bench. */
export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  /** The pid whose RSS is the proxy's (nginx: its single worker). */
  rssPid(): number;
  stop(): Promise<void>;
}

/** Starts `cmd args` in the foreground of a child process with a high fd limit. */
export function start(
  name: string,
  cmd: string,
  args: string[],
  rssChild = false,
  env: Record<string, string> = {},
): Proc {
  const child = spawn('sh', ['-c', 'ulimit -n 20000; exec "$0" "$@"', cmd, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (err.length < 4000) err += d.toString();
  });
  child.on('exit', (code) => {
    if (code && code !== 0 && code !== 143) console.error(`${name} exited ${code}: ${err}`);
  });
  return {
    name,
    child,
    rssPid: () => {
      const pid = child.pid as number;
      if (!rssChild) return pid;
      const kids = execFileSync('sh', ['-c', `pgrep -P ${pid} || true`], { encoding: 'utf8' })
        .trim()
        .split('\n');
      return Number(kids[0]) || pid;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}

/** Resident set size of a pid in bytes (VmRSS). */
export function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

/** CPU time (user + system) a pid has used so far, in microseconds (/proc/PID/stat, USER_HZ = 100). */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the ")" that ends the command name: state is field 3, utime 14, stime 15.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10_000;
}

/** Waits until 127.0.0.1:port accepts a connection. */
export async function waitPort(port: number, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((res) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('connect', () => {
        s.destroy();
        res(true);
      });
      s.on('error', () => res(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} never opened`);
}

/** Ports used by one run: backends and one (http, bulk) pair per proxy. */
export interface Ports {
  httpBackend: number;
  iperf: number;
  haproxy: [number, number];
  nginx: [number, number];
  lvs: [number, number];
}

/** The HTTP backend: nginx, one worker, a 28-byte body. */
export function backendNginxConf(dir: string, port: number): string {
  const f = join(dir, 'backend.conf');
  writeFileSync(
    f,
    `worker_processes 1;
worker_rlimit_nofile 20000;
daemon off;
pid ${dir}/backend.pid;
error_log ${dir}/backend.err warn;
events { worker_connections 20000; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  client_header_timeout 300s;
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / { default_type text/plain; return 200 "0123456789abcdefghijklmnopq\\n"; }
  }
}
`,
  );
  return f;
}

/** HAProxy, mode tcp, one thread. */
export function haproxyConf(dir: string, p: Ports): string {
  const f = join(dir, 'haproxy.cfg');
  writeFileSync(
    f,
    `global
  nbthread 1
  maxconn 9000
defaults
  mode tcp
  timeout connect 5s
  timeout client 300s
  timeout server 300s
frontend http
  bind 127.0.0.1:${p.haproxy[0]}
  default_backend http
backend http
  server s1 127.0.0.1:${p.httpBackend}
frontend bulk
  bind 127.0.0.1:${p.haproxy[1]}
  default_backend bulk
backend bulk
  server s1 127.0.0.1:${p.iperf}
`,
  );
  return f;
}

/** nginx stream, one worker. */
export function nginxStreamConf(dir: string, p: Ports): string {
  const f = join(dir, 'stream.conf');
  writeFileSync(
    f,
    `load_module ${STREAM_MODULE};
worker_processes 1;
worker_rlimit_nofile 20000;
daemon off;
pid ${dir}/stream.pid;
error_log ${dir}/stream.err warn;
events { worker_connections 20000; }
stream {
  server { listen 127.0.0.1:${p.nginx[0]} backlog=4096; proxy_pass 127.0.0.1:${p.httpBackend}; }
  server { listen 127.0.0.1:${p.nginx[1]} backlog=4096; proxy_pass 127.0.0.1:${p.iperf}; }
}
`,
  );
  return f;
}

/** lvsd's rules in ipvsadm-save format: two rr services with one masq real server each. */
export function lvsRules(dir: string, p: Ports, name = 'lvs.rules'): string {
  const f = join(dir, name);
  writeFileSync(
    f,
    `-A -t 127.0.0.1:${p.lvs[0]} -s rr
-a -t 127.0.0.1:${p.lvs[0]} -r 127.0.0.1:${p.httpBackend} -m -w 1
-A -t 127.0.0.1:${p.lvs[1]} -s rr
-a -t 127.0.0.1:${p.lvs[1]} -r 127.0.0.1:${p.iperf} -m -w 1
`,
  );
  return f;
}
