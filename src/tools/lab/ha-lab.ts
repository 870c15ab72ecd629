/**
 * Builds, fails and describes the HA lab (plan.ts haPlan): the DR LAN with two directors that
 * share the VIP through VRRP. Each director runs `lvsd --dataplane packet --interface eth0
 * --config keepalived.conf` (the packet plane answers ARP for the VIP and forwards only while
 * MASTER, src/dataplane/packet-plane/vrrp-ownership.ts), or, with peer `keepalived`, director2
 * runs Debian's `keepalived --vrrp` on the same kind of file with an nftables DR stand-in doing
 * the forwarding (this kernel has no IPVS). director1 starts first and becomes MASTER before
 * director2 starts, as a backup joins a running pair; both files stay in the state directory.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HA_DIRECTORS, type HaDirector, haKeepalivedConf } from './ha-conf.js';
import { HA_MODE, labNamespace, labPlan } from './plan.js';
import {
  buildNamespaces,
  LAB_STATE_ROOT,
  type LabState,
  labDown,
  labExec,
  labNamespacesPresent,
  labStateDir,
  logHas,
  procArgv,
  readLabState,
  startDetached,
  tail,
  waitFor,
} from './topology.js';

/** What runs director2: lvsd like director1, or keepalived 2.2.7. */
export type HaPeer = 'lvsd' | 'keepalived';

/** A running HA lab (state.json). */
export interface HaLabState extends LabState {
  peer: HaPeer;
  /** Program per director. */
  runs: Record<HaDirector, 'lvsd' | 'keepalived'>;
  /** keepalived.conf path per director. */
  confs: Record<HaDirector, string>;
  /** lvsd control socket per lvsd director. */
  sockets: Partial<Record<HaDirector, string>>;
}

/** Options of {@link haUp}. */
export interface HaUpOptions {
  peer?: HaPeer;
  /** State directory root (default /run/lvs-ts/lab). */
  stateRoot?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
/** bin/lvsd of this checkout (src/tools/lab and dist/tools/lab are both three levels down); it runs dist/. */
const LVSD_BIN = join(here, '..', '..', '..', 'bin', 'lvsd');

/** Time a director gets to reach its first state (its first adverts, or a 3.6 s down timer). */
const STATE_TIMEOUT_MS = 15_000;

function alive(pid: number | undefined): boolean {
  if (!pid || pid < 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Reads the HA lab's state, or undefined when it is down. */
export function readHaState(root = LAB_STATE_ROOT): HaLabState | undefined {
  return readLabState(HA_MODE, root) as HaLabState | undefined;
}

/**
 * The DR forwarding of a keepalived director (the kernel stand-in of topology.ts, netdev ingress
 * `fwd` to a real server's MAC), limited to frames sent to this host's MAC (`meta pkttype host`):
 * when the master's link goes down the switch floods frames still addressed to it, and a backup
 * must not forward those. Only the master's MAC is known to the client for the VIP.
 */
export function haStandInNft(): string {
  const plan = labPlan(HA_MODE);
  const [r1, r2] = plan.rips;
  const pick = `jhash ip saddr . th sport mod 2 map { 0 : ${r1}, 1 : ${r2} }`;
  return `table netdev lab {\n chain in {\n  type filter hook ingress device eth0 priority 0;\n  meta pkttype host ip daddr ${plan.vip} meta l4proto { tcp, udp } fwd ip to ${pick} device eth0\n }\n}\n`;
}

function startDirector(st: HaLabState, d: HaDirector): void {
  const conf = st.confs[d];
  if (st.runs[d] === 'keepalived') {
    const nft = join(st.stateDir, `${d}.nft`);
    writeFileSync(nft, haStandInNft());
    const r = labExec(HA_MODE, d, ['nft', '-f', nft]);
    if (r.status !== 0) throw new Error(`nft in ${d}: ${r.stderr.trim()}`);
    const pid = (n: string) => join(st.stateDir, `${d}-keepalived-${n}.pid`);
    startDetached(st, d, d, [
      'keepalived',
      '--dont-fork',
      '--log-console',
      '--log-detail',
      '--no-syslog',
      '--vrrp',
      '-f',
      conf,
      '-p',
      pid('parent'),
      '-r',
      pid('vrrp'),
      '-c',
      pid('checkers'),
      '-b',
      pid('bfd'),
    ]);
    return;
  }
  const socket = join(st.stateDir, `${d}.sock`);
  st.sockets[d] = socket;
  startDetached(st, d, d, [
    process.execPath,
    LVSD_BIN,
    '--socket',
    socket,
    '--dataplane',
    'packet',
    '--interface',
    'eth0',
    '--xdp',
    'off',
    '--config',
    conf,
  ]);
}

/** Builds the HA lab and waits for director1 MASTER and director2 BACKUP; tears down on failure. */
export function haUp(o: HaUpOptions = {}): HaLabState {
  const root = o.stateRoot ?? LAB_STATE_ROOT;
  if (labNamespacesPresent(HA_MODE).length > 0 || readLabState(HA_MODE, root))
    throw new Error('lab ha is already up (run: lvsadm lab down ha)');
  if (!existsSync(LVSD_BIN) || !existsSync(join(here, '..', '..', '..', 'dist')))
    throw new Error(`lab ha runs ${LVSD_BIN}, which needs a build (npm run build)`);
  const plan = labPlan(HA_MODE);
  const dir = labStateDir(HA_MODE, root);
  mkdirSync(dir, { recursive: true });
  const peer = o.peer ?? 'lvsd';
  const runs: HaLabState['runs'] = { director1: 'lvsd', director2: peer };
  const st: HaLabState = {
    mode: HA_MODE,
    director: 'lvsd',
    stateDir: dir,
    socket: join(dir, 'director1.sock'),
    pids: {},
    peer,
    runs,
    confs: { director1: join(dir, 'director1.conf'), director2: join(dir, 'director2.conf') },
    sockets: {},
  };
  try {
    buildNamespaces(plan);
    for (const d of HA_DIRECTORS) writeFileSync(st.confs[d], haKeepalivedConf(d, runs[d]));
    for (const h of ['rs1', 'rs2'] as const)
      startDetached(st, h, h, procArgv('rs-http', h, String(plan.port)));
    writeFileSync(join(dir, 'state.json'), JSON.stringify(st, null, 2));
    for (const h of ['rs1', 'rs2']) waitFor(`${h} HTTP server`, () => logHas(st, h, 'ready'));
    for (const [d, want] of [
      ['director1', 'MASTER'],
      ['director2', 'BACKUP'],
    ] as const) {
      startDirector(st, d);
      writeFileSync(join(dir, 'state.json'), JSON.stringify(st, null, 2));
      try {
        waitFor(`${d} ${want}`, () => logHas(st, d, `Entering ${want} STATE`), STATE_TIMEOUT_MS);
      } catch (e) {
        throw new Error(`${(e as Error).message}; ${d} said:\n${tail(st, d)}`);
      }
    }
    return st;
  } catch (e) {
    labDown(HA_MODE, root);
    throw e;
  }
}

/**
 * Fails a director as a power cut would: SIGKILL every process in its namespace (no priority-0
 * advert, RFC 5798 §6.4.3 is never reached) and take its link down, so it neither advertises nor
 * answers ARP nor forwards. The other director takes over after its Master_Down_Interval.
 */
export function haFail(d: HaDirector): void {
  const ns = labNamespace(HA_MODE, d);
  const r = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`lab ha is not up (${(r.stderr ?? '').trim()})`);
  for (const p of (r.stdout ?? '').split('\n').filter(Boolean)) {
    try {
      process.kill(Number(p), 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  const l = labExec(HA_MODE, d, ['ip', 'link', 'set', 'eth0', 'down']);
  if (l.status !== 0) throw new Error(`${d}: ip link set eth0 down: ${l.stderr.trim()}`);
}

/**
 * The last VRRP state a director logged (`Entering X STATE`), INIT before any, '?' without a log,
 * `stopped (...)` once its process is gone (e.g. after {@link haFail}).
 */
export function haDirectorState(st: HaLabState, d: HaDirector): string {
  let log = '';
  try {
    log = readFileSync(join(st.stateDir, `${d}.log`), 'utf8');
  } catch {
    return '?';
  }
  const all = [...log.matchAll(/Entering (\w+) STATE/g)];
  const last = all[all.length - 1]?.[1] ?? 'INIT';
  return alive(st.pids[d]) ? last : `stopped (last logged ${last})`;
}
