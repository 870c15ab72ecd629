/**
 * Builds and removes a lab plan (plan.ts) as real network namespaces with fixed names
 * (`lvslab-<mode>-<host>`, prefix from LVS_LAB_PREFIX), so `lab down` works from any later shell. Processes started in the
 * namespaces (HTTP real servers, rs-agent, lvsd) are detached; their pids and logs live in a
 * state directory. Teardown kills every process still inside a lab namespace (`ip netns pids`),
 * then deletes the namespaces, so nothing is left behind even after a crash.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareOffloadLinks } from './offload-links.js';
import { type LabHost, type LabMode, type LabPlan, labNamespace, labPlan, labPrefix } from './plan.js';

/** Who does the director's job: lvsd on the packet plane, or the kernel with nftables (a
 * stand-in used to validate the topologies and as the benchmark's kernel baseline). */
export type DirectorKind = 'lvsd' | 'kernel';

/** Options of {@link labUp}. */
export interface LabUpOptions {
  director?: DirectorKind;
  /** Extra lvsd arguments (e.g. --log-level). */
  lvsdArgs?: readonly string[];
  /** State directory root (default /run/lvs-ts/lab). */
  stateRoot?: string;
  /**
   * Make the links carry lvsd's XDP flow offload as a wire would (offload-links.ts): an
   * XDP_PASS program on the far end of each director link, full checksums from every host.
   */
  offloadLinks?: boolean;
}

/** A running lab. */
export interface LabState {
  mode: LabMode;
  director: DirectorKind;
  stateDir: string;
  /** Control socket of the lab's lvsd. */
  socket: string;
  pids: Record<string, number>;
}

/** Default root of lab state directories. */
export const LAB_STATE_ROOT = '/run/lvs-ts/lab';

const here = dirname(fileURLToPath(import.meta.url));

/** argv that runs a lab helper role with this installation's node (tsx when running from src). */
export function procArgv(role: string, ...args: string[]): string[] {
  const ts = import.meta.url.endsWith('.ts');
  return [
    process.execPath,
    ...(ts ? ['--import', 'tsx'] : []),
    join(here, ts ? 'proc.ts' : 'proc.js'),
    role,
    ...args,
  ];
}

function ip(args: readonly string[], allowFail = false): string {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 15_000 });
  if (r.status !== 0 && !allowFail) throw new Error(`ip ${args.join(' ')}: ${(r.stderr ?? '').trim()}`);
  return r.stdout ?? '';
}

/** Runs argv inside a lab host's namespace, synchronously. */
export function labExec(
  mode: LabMode,
  host: LabHost,
  argv: readonly string[],
  timeoutMs = 30_000,
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('ip', ['netns', 'exec', labNamespace(mode, host), ...argv], {
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 256 << 20,
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Starts argv inside a lab namespace, attached (for captures and load generators). */
export function labSpawn(mode: LabMode, host: LabHost, argv: readonly string[]): ChildProcess {
  return spawn('ip', ['netns', 'exec', labNamespace(mode, host), ...argv], { stdio: 'pipe' });
}

/**
 * A lab's state directory: `<root>/<prefix>-<mode>`, named like its namespaces, so two labs of one
 * mode under different LVS_LAB_PREFIX values never share (or overwrite) pids, logs and sockets.
 */
export function labStateDir(mode: LabMode, root = LAB_STATE_ROOT, prefix = labPrefix()): string {
  return join(root, `${prefix}-${mode}`);
}

const stateDir = (mode: LabMode, root: string): string => labStateDir(mode, root);

/** Reads a running lab's state (of `prefix`, the current one by default), or undefined when it is down. */
export function readLabState(
  mode: LabMode,
  root = LAB_STATE_ROOT,
  prefix = labPrefix(),
): LabState | undefined {
  const f = join(labStateDir(mode, root, prefix), 'state.json');
  if (!existsSync(f)) return undefined;
  return JSON.parse(readFileSync(f, 'utf8')) as LabState;
}

/** Namespaces of a lab that exist right now. */
export function labNamespacesPresent(mode: LabMode): string[] {
  const out = ip(['netns', 'list'], true);
  const prefix = `${labPrefix()}-${mode}-`;
  return out
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(prefix));
}

/** Creates a plan's namespaces, links, addresses, routes and sysctls. */
export function buildNamespaces(plan: LabPlan): void {
  for (const h of plan.hosts) {
    const ns = labNamespace(plan.mode, h);
    ip(['netns', 'add', ns]);
    ip(['-n', ns, 'link', 'set', 'lo', 'up']);
  }
  if (plan.hosts.includes('sw')) {
    const sw = labNamespace(plan.mode, 'sw');
    ip(['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', sw, 'link', 'set', 'br0', 'up']);
  }
  for (const l of plan.links) {
    const na = labNamespace(plan.mode, l.a.host);
    const nb = labNamespace(plan.mode, l.b.host);
    // Both ends are created inside their namespaces; nothing ever appears on the host.
    ip([
      'link',
      'add',
      'name',
      l.a.ifname,
      'netns',
      na,
      'type',
      'veth',
      'peer',
      'name',
      l.b.ifname,
      'netns',
      nb,
    ]);
    for (const [ns, e] of [
      [na, l.a],
      [nb, l.b],
    ] as const) {
      for (const a of e.addrs) ip(['-n', ns, 'addr', 'add', a, 'dev', e.ifname]);
      if (e.bridgePort) ip(['-n', ns, 'link', 'set', e.ifname, 'master', 'br0']);
      ip(['-n', ns, 'link', 'set', e.ifname, 'up']);
    }
  }
  // TUN: the encapsulated request is 20 bytes longer than the client's packet; a client MTU of
  // 1480 (so MSS 1440) keeps every tunnelled segment within the LAN's 1500.
  if (plan.mode === 'tun') ip(['-n', labNamespace('tun', 'client'), 'link', 'set', 'eth0', 'mtu', '1480']);
  for (const [h, list] of Object.entries(plan.routes)) {
    for (const r of list ?? []) ip(['-n', labNamespace(plan.mode, h as LabHost), 'route', 'add', ...r]);
  }
  for (const [h, list] of Object.entries(plan.sysctls)) {
    const r = labExec(plan.mode, h as LabHost, ['sysctl', '-q', '-w', ...(list ?? [])]);
    if (r.status !== 0) throw new Error(`sysctl in ${h}: ${r.stderr.trim()}`);
  }
  if (plan.mode === 'dr' || plan.mode === 'tun' || plan.mode === 'ha') {
    for (const h of ['rs1', 'rs2'] as const)
      ip(['-n', labNamespace(plan.mode, h), 'addr', 'add', `${plan.vip}/32`, 'dev', 'lo']);
  }
}

/** nftables rules that make the director's kernel do the job (stand-in; no TUN: no ipip). */
export function kernelDirectorSetup(plan: LabPlan): {
  addrs: [string, string][];
  sysctls: string[];
  nft: string;
} {
  const [r1, r2] = plan.rips;
  const map = `{ 0 : ${r1}, 1 : ${r2} }`;
  const pick = `jhash ip saddr . th sport mod 2 map ${map}`;
  const vipIf = plan.directorIfs[0]!;
  if (plan.mode === 'tun')
    throw new Error('the kernel stand-in cannot do TUN here: this kernel has no ipip module');
  if (plan.mode === 'dr') {
    // netdev ingress forwards to the chosen RS's MAC without touching the IP header: DR.
    return {
      addrs: [[vipIf, `${plan.vip}/32`]],
      sysctls: [],
      nft: `table netdev lab {\n chain in {\n  type filter hook ingress device ${vipIf} priority 0;\n  ip daddr ${plan.vip} meta l4proto { tcp, udp } fwd ip to ${pick} device ${vipIf}\n }\n}\n`,
    };
  }
  const snat =
    plan.mode === 'fullnat'
      ? ` chain post {\n  type nat hook postrouting priority 100;\n  ip daddr { ${r1}, ${r2} } snat to ${plan.lip}\n }\n`
      : '';
  return {
    addrs: [
      [vipIf, `${plan.vip}/32`],
      ...(plan.lip ? ([[plan.directorIfs[1]!, `${plan.lip}/32`]] as [string, string][]) : []),
    ],
    sysctls: ['net.ipv4.ip_forward=1'],
    nft: `table ip lab {\n chain pre {\n  type nat hook prerouting priority -100;\n  ip daddr ${plan.vip} dnat to numgen inc mod 2 map ${map}\n }\n${snat}}\n`,
  };
}

/** Starts argv detached in a lab host's namespace, its output in `<name>.log`, its pid in st.pids. */
export function startDetached(st: LabState, name: string, host: LabHost, argv: string[]): void {
  const log = openSync(join(st.stateDir, `${name}.log`), 'a');
  const c = spawn('ip', ['netns', 'exec', labNamespace(st.mode, host), ...argv], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  c.unref();
  st.pids[name] = c.pid ?? -1;
}

/** Polls `cond` every 50 ms (synchronously) until true; throws after timeoutMs. */
export function waitFor(what: string, cond: () => boolean, timeoutMs = 15_000): void {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`lab: timed out waiting for ${what}`);
    spawnSync('sleep', ['0.05']);
  }
}

/** Builds a lab and starts its processes; throws (after tearing down) on failure. */
export function labUp(mode: LabMode, o: LabUpOptions = {}): LabState {
  const root = o.stateRoot ?? LAB_STATE_ROOT;
  if (labNamespacesPresent(mode).length > 0 || readLabState(mode, root)) {
    throw new Error(`lab ${mode} is already up (run: lvsadm lab down ${mode})`);
  }
  const plan = labPlan(mode);
  const dir = stateDir(mode, root);
  mkdirSync(dir, { recursive: true });
  const st: LabState = {
    mode,
    director: o.director ?? 'lvsd',
    stateDir: dir,
    socket: join(dir, 'lvsd.sock'),
    pids: {},
  };
  try {
    buildNamespaces(plan);
    if (o.offloadLinks) prepareOffloadLinks(plan, dir);
    for (const h of ['rs1', 'rs2'] as const) {
      startDetached(st, h, h, procArgv('rs-http', h, String(plan.port)));
      if (mode === 'tun')
        startDetached(
          st,
          `${h}-agent`,
          h,
          procArgv('rs-agent', '--decap', '--vip', plan.vip, '--interface', 'eth0'),
        );
    }
    if (st.director === 'kernel') {
      const k = kernelDirectorSetup(plan);
      const d = labNamespace(mode, 'director');
      for (const [dev, a] of k.addrs) ip(['-n', d, 'addr', 'add', a, 'dev', dev]);
      if (k.sysctls.length) labExec(mode, 'director', ['sysctl', '-q', '-w', ...k.sysctls]);
      writeFileSync(join(dir, 'director.nft'), k.nft);
      const r = labExec(mode, 'director', ['nft', '-f', join(dir, 'director.nft')]);
      if (r.status !== 0) throw new Error(`nft in director: ${r.stderr.trim()}`);
    } else {
      writeFileSync(join(dir, 'rules'), `${plan.rules.join('\n')}\n`);
      const ifs = plan.directorIfs.flatMap((i) => ['--interface', i]);
      startDetached(
        st,
        'lvsd',
        'director',
        procArgv(
          'lvsd',
          ...ifs,
          '--socket',
          st.socket,
          '--restore',
          join(dir, 'rules'),
          ...(o.lvsdArgs ?? []),
        ),
      );
    }
    writeFileSync(join(dir, 'state.json'), JSON.stringify(st, null, 2));
    for (const h of ['rs1', 'rs2']) waitFor(`${h} HTTP server`, () => logHas(st, h, 'ready'));
    if (mode === 'tun')
      for (const h of ['rs1', 'rs2'])
        waitFor(`${h} rs-agent`, () => logHas(st, `${h}-agent`, 'decapsulating'));
    if (st.director === 'lvsd')
      waitFor('lvsd control socket', () => existsSync(st.socket) || !alive(st.pids.lvsd));
    if (st.director === 'lvsd' && !alive(st.pids.lvsd)) throw new Error(`lvsd exited: ${tail(st, 'lvsd')}`);
    return st;
  } catch (e) {
    labDown(mode, root);
    throw e;
  }
}

/** True when a lab process's log contains `text`. */
export function logHas(st: LabState, name: string, text: string): boolean {
  try {
    return readFileSync(join(st.stateDir, `${name}.log`), 'utf8').includes(text);
  } catch {
    return false;
  }
}

/** The last lines of a lab process's log. */
export function tail(st: LabState, name: string, lines = 10): string {
  try {
    return readFileSync(join(st.stateDir, `${name}.log`), 'utf8')
      .trim()
      .split('\n')
      .slice(-lines)
      .join('\n');
  } catch {
    return '(no log)';
  }
}

function alive(pid: number | undefined): boolean {
  if (!pid || pid < 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops every process in the lab's namespaces and deletes them; returns the namespaces removed. */
export function labDown(mode: LabMode, root = LAB_STATE_ROOT): string[] {
  const present = labNamespacesPresent(mode);
  const st = readLabState(mode, root);
  // SIGTERM first so lvsd and rs-agent remove their sockets and nft tables, then SIGKILL.
  for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
    let any = false;
    for (const ns of present) {
      for (const p of ip(['netns', 'pids', ns], true).split('\n').filter(Boolean)) {
        try {
          process.kill(Number(p), sig);
          any = true;
        } catch {
          /* already gone */
        }
      }
    }
    if (any && sig === 'SIGTERM') {
      try {
        waitFor(
          'lab processes',
          () => present.every((ns) => ip(['netns', 'pids', ns], true).trim() === ''),
          3000,
        );
      } catch {
        // Still running after 3 s: the SIGKILL round follows.
      }
    }
  }
  for (const ns of present) ip(['netns', 'del', ns], true);
  if (st) rmSync(st.stateDir, { recursive: true, force: true });
  else rmSync(stateDir(mode, root), { recursive: true, force: true });
  return present;
}
