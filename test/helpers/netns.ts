/**
 * Throw-away network namespaces for root-only tests. Every namespace gets a unique name
 * (`lvsts-<pid>-<rand>-<label>`), veth pairs are created directly inside the namespaces (never
 * in the host's), addresses must come from the documentation ranges, and everything is deleted
 * in a finally block, on process exit and on SIGINT/SIGTERM. Namespaces left by a killed run
 * (whose pid is gone) are swept the next time the helper is used.
 */
import { type ChildProcess, type SpawnOptions, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** Prefix of every namespace this helper creates. */
export const NETNS_PREFIX = 'lvsts-';

/** One veth pair between two namespaces (or inside one, when a === b). */
export interface VethSpec {
  /** Label of the namespace holding the first end. */
  a: string;
  /** Label of the namespace holding the second end. */
  b: string;
  /** Interface name of the first end (default `v<index>a`). */
  aIf?: string;
  /** Interface name of the second end (default `v<index>b`). */
  bIf?: string;
  /** CIDR addresses for the first end, e.g. '192.0.2.1/24'. */
  aAddrs?: readonly string[];
  /** CIDR addresses for the second end. */
  bAddrs?: readonly string[];
}

/** What to build: namespace labels and the veth pairs between them. */
export interface NetnsSpec {
  namespaces: readonly string[];
  links?: readonly VethSpec[];
}

/** A built topology. */
export interface Netns {
  /** Real namespace name of a label. */
  name(label: string): string;
  /** Runs `ip -n <ns> args...`; throws on failure; returns stdout. */
  ip(label: string, ...args: string[]): string;
  /** Runs argv inside the namespace, synchronously. */
  exec(
    label: string,
    argv: readonly string[],
    timeoutMs?: number,
  ): { status: number | null; stdout: string; stderr: string };
  /** Starts argv inside the namespace; the child is killed when the topology is destroyed. */
  spawn(label: string, argv: readonly string[], options?: SpawnOptions): ChildProcess;
  /** MAC address of an interface, as 6 bytes. */
  mac(label: string, ifname: string): Buffer;
  /** Kills spawned children and deletes the namespaces. Idempotent. */
  destroy(): void;
}

const live = new Set<string>();
const children = new Set<ChildProcess>();
let hooksInstalled = false;

/** Why root-only tests must skip here, or undefined when they can run. */
export function netnsSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'network namespaces need root (run as root; CI does)';
  if (spawnSync('ip', ['-V']).status !== 0) return 'iproute2 `ip` is not installed';
  return undefined;
}

/** Namespaces of ours that currently exist (optionally only those of one pid). */
export function listTestNamespaces(pid?: number): string[] {
  const out = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  const prefix = pid === undefined ? NETNS_PREFIX : `${NETNS_PREFIX}${pid}-`;
  return out
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(prefix));
}

/** Builds the topology, runs fn, and always tears it down. */
export async function withNetns<T>(spec: NetnsSpec, fn: (ns: Netns) => Promise<T> | T): Promise<T> {
  const ns = createNetns(spec);
  try {
    return await fn(ns);
  } finally {
    ns.destroy();
  }
}

/** Builds the topology; the caller must destroy() it (exit hooks are the safety net). */
export function createNetns(spec: NetnsSpec): Netns {
  installHooks();
  sweepStale();
  const tag = `${NETNS_PREFIX}${process.pid}-${randomBytes(3).toString('hex')}`;
  const names = new Map<string, string>();
  const mine = new Set<ChildProcess>();
  const name = (label: string): string => {
    const n = names.get(label);
    if (!n) throw new Error(`netns: unknown namespace label ${label}`);
    return n;
  };
  const destroy = (): void => {
    for (const c of mine) killChild(c);
    mine.clear();
    for (const n of names.values()) deleteNs(n);
  };
  try {
    for (const label of spec.namespaces) {
      if (!/^[a-z0-9]{1,12}$/.test(label)) throw new Error(`netns: bad label ${label}`);
      const n = `${tag}-${label}`;
      run(['netns', 'add', n]);
      live.add(n);
      names.set(label, n);
      run(['-n', n, 'link', 'set', 'lo', 'up']);
    }
    (spec.links ?? []).forEach((l, i) => {
      const aIf = l.aIf ?? `v${i}a`;
      const bIf = l.bIf ?? `v${i}b`;
      // Both ends are created inside their namespaces: nothing ever appears on the host.
      run([
        'link',
        'add',
        'name',
        aIf,
        'netns',
        name(l.a),
        'type',
        'veth',
        'peer',
        'name',
        bIf,
        'netns',
        name(l.b),
      ]);
      for (const [label, ifname, addrs] of [
        [l.a, aIf, l.aAddrs ?? []],
        [l.b, bIf, l.bAddrs ?? []],
      ] as const) {
        for (const addr of addrs) {
          checkDocAddress(addr);
          const v6 = addr.includes(':');
          run(['-n', name(label), 'addr', 'add', addr, 'dev', ifname, ...(v6 ? ['nodad'] : [])]);
        }
        run(['-n', name(label), 'link', 'set', ifname, 'up']);
      }
    });
    waitRunning(spec, name);
  } catch (e) {
    destroy();
    throw e;
  }
  return {
    name,
    destroy,
    ip: (label, ...args) => run(['-n', name(label), ...args]),
    exec: (label, argv, timeoutMs = 60_000) => {
      const r = spawnSync('ip', ['netns', 'exec', name(label), ...argv], {
        encoding: 'utf8',
        timeout: timeoutMs,
      });
      return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    },
    spawn: (label, argv, options = {}) => {
      const c = spawn('ip', ['netns', 'exec', name(label), ...argv], { stdio: 'pipe', ...options });
      mine.add(c);
      children.add(c);
      c.once('exit', () => {
        mine.delete(c);
        children.delete(c);
      });
      return c;
    },
    mac: (label, ifname) => {
      const m = /link\/ether ([0-9a-f:]{17})/.exec(run(['-n', name(label), 'link', 'show', ifname]));
      if (!m?.[1]) throw new Error(`netns: no MAC on ${ifname}`);
      return Buffer.from(m[1].replaceAll(':', ''), 'hex');
    },
  };
}

/** Only RFC 5737 / RFC 3849 documentation prefixes may be configured by tests. */
function checkDocAddress(cidr: string): void {
  const a = cidr.toLowerCase();
  const ok = ['192.0.2.', '198.51.100.', '203.0.113.', '2001:db8:'].some((p) => a.startsWith(p));
  if (!ok) throw new Error(`netns: ${cidr} is outside the documentation ranges`);
}

/**
 * Waits (up to 3 s) until every veth end is RUNNING. The kernel reports a link's carrier through
 * linkwatch, which may hold the event back up to a second after the last one (net/core/link_watch.c
 * linkwatch_schedule_work()), and until then its operstate is not UP (the link is not RUNNING): Node's
 * os.networkInterfaces() (libuv uv_interface_addresses()) leaves such a link out, so a daemon
 * started at once would see no interface at all. Tests start their daemons on a settled network.
 */
function waitRunning(spec: NetnsSpec, name: (label: string) => string): void {
  const ends = (spec.links ?? []).flatMap((l, i) => [
    [l.a, l.aIf ?? `v${i}a`],
    [l.b, l.bIf ?? `v${i}b`],
  ]);
  const until = Date.now() + 3000;
  for (const [label, ifname] of ends) {
    for (;;) {
      const out = spawnSync(
        'ip',
        ['-n', name(label as string), '-o', 'link', 'show', 'dev', ifname as string],
        {
          encoding: 'utf8',
        },
      ).stdout;
      if (/ state UP /.test(out ?? '') || Date.now() > until) break;
      spawnSync('sleep', ['0.05']);
    }
  }
}

function run(args: string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${(r.stderr ?? '').trim()}`);
  return r.stdout ?? '';
}

function deleteNs(n: string): void {
  spawnSync('ip', ['netns', 'del', n], { stdio: 'ignore', timeout: 10_000 });
  live.delete(n);
}

function killChild(c: ChildProcess): void {
  if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.delete(c);
}

function cleanupAll(): void {
  for (const c of children) killChild(c);
  for (const n of [...live]) deleteNs(n);
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', cleanupAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // Clean up, then die of the same signal (the once() handler is gone by then).
    process.once(sig, () => {
      cleanupAll();
      process.kill(process.pid, sig);
    });
  }
}

/** Deletes namespaces of earlier runs whose process no longer exists (e.g. killed by SIGKILL). */
function sweepStale(): void {
  for (const n of listTestNamespaces()) {
    const pid = Number(n.slice(NETNS_PREFIX.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') deleteNs(n);
    }
  }
}
