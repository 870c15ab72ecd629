/**
 * The failover race's topology and directors: a client and two directors on one bridged segment
 * (a "sw" namespace holding br0). A director is one of
 * - `lvsd`: `--dataplane proxy --config keepalived.conf`, its virtual_server on the VIP proxying
 *   to an HTTP server on the director's own address;
 * - `kh` (keepalived+haproxy): Debian's keepalived (`--vrrp`) moving the VIP and Debian's HAProxy
 *   in `mode tcp` bound to the VIP forwarding to the same director-local HTTP server, the classic
 *   pairing where the kernel has no IPVS (this one has no /proc/net/ip_vs, so keepalived cannot
 *   balance by itself): the same job as lvsd, with the same hops;
 * - `keepalived`: keepalived alone with the HTTP server listening on the VIP itself (through
 *   net.ipv4.ip_nonlocal_bind), a director that balances nothing: the floor of a takeover, kept
 *   as a second baseline.
 * Each director's server answers with the director's name, so the client can tell who answered.
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnKeepalived } from '../../test/helpers/keepalived.js';
import { createNetns, type Netns } from '../../test/helpers/netns.js';
import { haproxyConf } from './haproxy-conf.js';

/** The VIP, on the segment's subnet so the client ARPs for it directly. */
export const VIP = '198.51.100.100';
/** Client and director addresses on the segment. */
export const ADDR = { cl: '198.51.100.2', d1: '198.51.100.11', d2: '198.51.100.12' } as const;
/** What runs a director: lvsd, keepalived+haproxy, or keepalived serving on the VIP itself. */
export type Impl = 'lvsd' | 'kh' | 'keepalived';
/** The director-local HTTP server's port (lvsd's real_server, HAProxy's backend server). */
const SERVER_PORT = 8080;
/** A director's namespace label. */
export type DirectorLabel = 'd1' | 'd2';

/** One side's `vrrp_instance VI_1`. */
export interface VrrpSettings {
  state: 'MASTER' | 'BACKUP';
  priority: number;
  version: 2 | 3;
  /** Seconds (keepalived accepts 0.01 steps with version 3). */
  advertInt: number;
}

/** Builds client, switch and two directors; the bridge forwards at once (no STP). */
export function buildFailoverLab(): Netns {
  const ns = createNetns({
    namespaces: ['cl', 'sw', 'd1', 'd2'],
    links: (['cl', 'd1', 'd2'] as const).map((n) => ({
      a: n,
      b: 'sw',
      aIf: 'eth0',
      bIf: `p-${n}`,
      aAddrs: [`${ADDR[n]}/24`],
    })),
  });
  try {
    ns.ip('sw', 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0');
    for (const n of ['cl', 'd1', 'd2']) ns.ip('sw', 'link', 'set', `p-${n}`, 'master', 'br0');
    ns.ip('sw', 'link', 'set', 'br0', 'up');
    for (const d of ['d1', 'd2']) {
      const r = ns.exec(d, ['sysctl', '-qw', 'net.ipv4.ip_nonlocal_bind=1']);
      if (r.status !== 0) throw new Error(`sysctl in ${d}: ${r.stderr}`);
    }
  } catch (e) {
    ns.destroy();
    throw e;
  }
  return ns;
}

/** keepalived.conf of a director; lvsd reads the virtual_server, keepalived --vrrp skips it. */
function conf(label: DirectorLabel, s: VrrpSettings, impl: Impl): string {
  const vs =
    impl === 'lvsd'
      ? `virtual_server ${VIP} 80 {
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  real_server ${ADDR[label]} ${SERVER_PORT} {
  }
}
`
      : '';
  return `global_defs {
  router_id bench-${label}
}
vrrp_instance VI_1 {
  state ${s.state}
  interface eth0
  version ${s.version}
  virtual_router_id 51
  priority ${s.priority}
  advert_int ${s.advertInt}
  virtual_ipaddress {
    ${VIP}/32
  }
}
${vs}`;
}

/** A running director: its log (stdout and stderr) and its SIGKILL. */
export interface Director {
  readonly label: DirectorLabel;
  readonly impl: Impl;
  log(): string;
  /**
   * True once the director could serve on the VIP: its HTTP server said it listens and, for kh,
   * HAProxy has bound VIP:80. The backup must be ready before the kill, or a takeover would time
   * a slow-starting server (node + tsx under load) instead of the hand-over.
   */
  ready(): boolean;
  /** When `text` first showed up in the log at or after `from` (Date.now() of its arrival). */
  seenAt(text: string, from: number): Promise<number>;
  /** Dies without a word (no priority-0 advert), as a crashed machine would. */
  crash(): void;
  /** Kills whatever is left of it. */
  stop(): Promise<void>;
}

const tsxNode = (script: string, ...args: string[]) => [
  process.execPath,
  '--import',
  'tsx',
  join('bench', 'lib', script),
  ...args,
];

/** A process's log, and the arrival time of each chunk so a log line can be timed. */
function collect(procs: ChildProcess[]): Pick<Director, 'log' | 'seenAt'> {
  let log = '';
  const arrivals: [number, number][] = [];
  const add = (d: Buffer | string) => {
    log += d;
    arrivals.push([Date.now(), log.length]);
  };
  for (const p of procs) {
    p.stdout?.on('data', add);
    p.stderr?.on('data', add);
  }
  return {
    log: () => log,
    async seenAt(text, from) {
      for (let i = 0; i < 2000; i++) {
        const at = log.indexOf(text, from);
        if (at >= 0) {
          const end = at + text.length;
          return arrivals.find(([, len]) => len >= end)?.[0] ?? Number.NaN;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      return Number.NaN;
    },
  };
}

function exited(p: ChildProcess, ms: number): Promise<unknown> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return Promise.race([new Promise((r) => p.once('exit', r)), new Promise((r) => setTimeout(r, ms))]);
}

/** Starts a director's HTTP server and VRRP router (lvsd or keepalived) in its namespace. */
export function startDirector(
  ns: Netns,
  dir: string,
  label: DirectorLabel,
  impl: Impl,
  s: VrrpSettings,
): Director {
  const file = join(dir, `${label}.conf`);
  writeFileSync(file, conf(label, s, impl));
  const server = ns.spawn(
    label,
    impl === 'keepalived'
      ? tsxNode('failover-http.ts', 'serve', label, VIP, '80')
      : tsxNode('failover-http.ts', 'serve', label, ADDR[label], String(SERVER_PORT)),
    { cwd: process.cwd() },
  );
  let serving = false;
  server.stdout?.on('data', (d: Buffer) => {
    if (d.toString().includes('listening')) serving = true;
  });
  if (impl === 'lvsd') {
    const socket = join(dir, `${label}.sock`);
    const proc = ns.spawn(
      label,
      [process.execPath, 'bin/lvsd', '--socket', socket, '--dataplane', 'proxy', '--config', file],
      { cwd: process.cwd(), env: { ...process.env, LVSD_SOCKET: '' } },
    );
    return {
      label,
      impl,
      ...collect([proc]),
      ready: () => serving,
      crash: () => proc.kill('SIGKILL'),
      async stop() {
        for (const p of [proc, server]) p.kill('SIGKILL');
        await Promise.all([exited(proc, 3000), exited(server, 3000)]);
      },
    };
  }
  const k = spawnKeepalived(ns, label, file, join(dir, `${label}-`), []);
  // -db: stay in the foreground, so the child is HAProxy itself and SIGKILL reaches it.
  const haproxy =
    impl === 'kh' ? ns.spawn(label, ['haproxy', '-db', '-f', writeHaproxyConf(dir, label)]) : undefined;
  return {
    label,
    impl,
    // HAProxy's own output only shows up in the log when something is wrong (e.g. a bind error).
    ...collect(haproxy ? [k.proc, haproxy] : [k.proc]),
    ready: () => serving && (impl !== 'kh' || listensOn(ns, label, `${VIP}:80`)),
    crash() {
      // The whole balancer dies, as lvsd's crash takes its proxy plane with it.
      k.crash();
      haproxy?.kill('SIGKILL');
    },
    async stop() {
      await k.stop();
      for (const p of [server, haproxy]) p?.kill('SIGKILL');
      await Promise.all([exited(server, 3000), haproxy ? exited(haproxy, 3000) : undefined]);
    },
  };
}

/** True when a TCP socket in the namespace listens on `addrPort` (`ss -Hltn`). */
function listensOn(ns: Netns, label: DirectorLabel, addrPort: string): boolean {
  const r = ns.exec(label, ['ss', '-Hltn']);
  return r.stdout.split('\n').some((l) => l.split(/\s+/)[3] === addrPort);
}

function writeHaproxyConf(dir: string, label: DirectorLabel): string {
  const file = join(dir, `${label}-haproxy.cfg`);
  writeFileSync(file, haproxyConf({ vip: VIP, port: 80, server: { host: ADDR[label], port: SERVER_PORT } }));
  return file;
}

/** Removes the VIP a killed master left on its interface. */
export function dropVip(ns: Netns, label: DirectorLabel): void {
  spawnSync('ip', ['-n', ns.name(label), 'addr', 'del', `${VIP}/32`, 'dev', 'eth0'], { stdio: 'ignore' });
}

/** The client's answers so far, as `[ms since epoch, director name]`. */
export interface Client {
  answers(): readonly (readonly [number, string])[];
  stop(): Promise<void>;
}

/** Starts the client: one request to the VIP every 10 ms, for at most `maxMs`. */
export function startClient(ns: Netns, maxMs: number): Client {
  const p = ns.spawn('cl', tsxNode('failover-http.ts', 'client', `http://${VIP}/`, String(maxMs)), {
    cwd: process.cwd(),
  });
  const got = timedLines(p);
  return {
    answers: got,
    async stop() {
      p.kill('SIGKILL');
      await exited(p, 3000);
    },
  };
}

/** The adverts heard on the segment so far, as `[ms since epoch, source address]`. */
export interface AdvertWatch {
  adverts(): readonly (readonly [number, string])[];
  stop(): Promise<void>;
}

/** Starts watching VRRP adverts from the client's namespace, for at most `maxMs`. */
export function watchAdverts(ns: Netns, maxMs: number): AdvertWatch {
  const p = ns.spawn('cl', tsxNode('failover-adverts.ts', String(maxMs)), { cwd: process.cwd() });
  const lines = timedLines(p);
  return {
    adverts: lines,
    async stop() {
      p.kill('SIGKILL');
      await exited(p, 3000);
    },
  };
}

/** Parses `<ms> <word>` lines of a child's stdout as they come. */
function timedLines(p: ChildProcess): () => readonly (readonly [number, string])[] {
  const got: [number, string][] = [];
  let buf = '';
  p.stdout?.setEncoding('utf8');
  p.stdout?.on('data', (d: string) => {
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const l of lines) {
      const [t, word] = l.split(' ');
      if (t && word) got.push([Number(t), word]);
    }
  });
  return () => got;
}
