/**
 * `lvsd simulate`: runs the packet engine offline over a capture and writes every frame it would
 * transmit, so a rule set can be checked against real traffic without root, and tests can drive
 * the whole data path from pcap files.
 *
 *   lvsd simulate --rules FILE --in IN.pcap --director-mac MAC --director-ip IP [--out OUT.pcap]
 *                 [--summary] [--neighbours FILE] [--laddr IP ...] [--gateway IP] [--mtu N]
 *                 [--no-toa] [--director-ip6 IP6[/LEN]] [--gateway6 IP6]
 *
 * The director has one interface (ifindex 1) with the given MAC and address (`IP[/LEN]`, /24 by
 * default): its subnet is on-link, and other destinations too unless `--gateway` names a next hop. Next hops not in the neighbours file
 * (`IP MAC` per line, `#` comments) are resolved by ARP, which a capture can answer. `--laddr`
 * gives FULLNAT services without local addresses of their own these LIPs. A TCP frame larger than
 * the MTU is taken for a GSO super-frame (captures on veth with offloads hold them). IPv6 works the
 * same way with `--director-ip6` (/64 by default) and `--gateway6`, IPv6 lines in the neighbours
 * file, and neighbour discovery for next hops the file does not name. Prints every frame in and
 * out with what changed, every drop with its reason (simulate-trace.ts), then the counts; a rule
 * the table refuses is an error at FILE:LINE. Exit 0, 1 on unreadable input or refused rules, 2 on
 * usage errors.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { apply } from '../control/apply.js';
import { parseIPv4, parseIPv6 } from '../core/addr.js';
import { Director } from '../core/director.js';
import { ConfigError, LvsError } from '../core/errors.js';
import { findScheduler } from '../core/schedulers/index.js';
import { FWD } from '../core/types.js';
import { loadMarks } from '../daemon/mark-source.js';
import { ACT } from '../engine/actions.js';
import { Engine, FRAME_F } from '../engine/engine.js';
import { MarkTable } from '../engine/mark-table.js';
import { StaticRoutes } from '../engine/routes.js';
import { type StaticRoute6, StaticRoutes6 } from '../engine/routes6.js';
import { parseRulesLines } from '../ipvsadm/rules.js';
import { ETHERTYPE, parseMac } from '../packet/ethernet.js';
import { decodePcap, encodePcap, LINKTYPE_ETHERNET, type PcapRecord } from '../packet/pcap.js';
import { formatSimLog, formatSummary, guePortsOf, type SimStep } from './simulate-trace.js';

/** What an offline simulation needs. */
export interface SimulationConfig {
  /** Rules in ipvsadm-save format (FULLNAT extensions included). */
  readonly rules: string;
  /** Name of the rules file in errors (`FILE:LINE: ...`); `<rules>` by default. */
  readonly rulesFile?: string;
  readonly directorMac: string;
  readonly directorIp: string;
  /** `IP MAC` lines. */
  readonly neighbours?: string;
  /** LIPs for FULLNAT services that have none. */
  readonly laddrs?: readonly string[];
  readonly gateway?: string;
  /** The director's IPv6 address, `IP6[/LEN]` (/64 by default). */
  readonly directorIp6?: string;
  /** IPv6 next hop for destinations off the director's IPv6 subnet. */
  readonly gateway6?: string;
  readonly mtu?: number;
  readonly toa?: boolean;
  /** Start time in ms (the first frame's time is typical). */
  readonly now?: number;
}

/** A configured director and engine. */
export interface Simulation {
  readonly director: Director;
  readonly engine: Engine;
  readonly mtu: number;
}

/** The ifindex of the simulated director's one interface. */
export const SIM_IFINDEX = 1;

/** The name of that interface, for `iif` mark rules. */
export const SIM_IFNAME = 'eth0';

/** Builds a director from rules and an engine around it; throws ConfigError/LvsError on bad input. */
export function createSimulation(c: SimulationConfig): Simulation {
  const now = c.now ?? 0;
  const [ipText = '', lenText = '24'] = c.directorIp.split('/');
  const ip = parseIPv4(ipText);
  const prefixLen = Number(lenText);
  if (!Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > 32) {
    throw new LvsError('ERR_LVS_SIMULATE_USAGE', `bad --director-ip prefix ${c.directorIp}`);
  }
  if (ip === undefined) throw new LvsError('ERR_LVS_SIMULATE_USAGE', `bad --director-ip ${c.directorIp}`);
  const mac = macOf(c.directorMac, '--director-mac');
  const director = new Director({ schedulers: findScheduler });
  const target = {
    table: director.table,
    setTimeouts: (tcp: number, fin: number, udp: number) => director.settings.setTimeouts(tcp, fin, udp),
    setSysctl: (n: Parameters<Director['setSysctl']>[0], v: number) => director.setSysctl(n, v),
    zeroGlobal: () => director.stats.zero(),
  };
  const file = c.rulesFile ?? '<rules>';
  for (const { line, command } of parseRulesLines(c.rules, file)) {
    try {
      apply(target, command, now);
    } catch (e) {
      // A rule the table refuses (unknown scheduler, duplicate service...) names its line, as a
      // syntax error does; `lvsd --restore` reports the same refusals.
      if (e instanceof LvsError) throw new ConfigError(e.code, e.message, file, line);
      throw e;
    }
  }
  for (const svc of director.table.list()) {
    if (svc.laddrs.length === 0 && svc.dests.some((d) => d.fwd === FWD.FULLNAT)) {
      for (const l of c.laddrs ?? []) svc.laddrs.push(l);
      director.table.generation++;
    }
  }
  const mtu = c.mtu ?? 1500;
  const gw = c.gateway === undefined ? 0 : parseIPv4(c.gateway);
  if (gw === undefined) throw new LvsError('ERR_LVS_SIMULATE_USAGE', `bad --gateway ${c.gateway}`);
  // The director's subnet is on-link; everything else goes to the gateway (on-link without one).
  // The director's own address and the loopback network are local, as the kernel's local table
  // holds them: a real server there is the director itself (ACT.LOCAL).
  const routes = new StaticRoutes([
    { prefix: ip, len: 32, ifindex: SIM_IFINDEX, local: true },
    { prefix: 0x7f000000, len: 8, ifindex: SIM_IFINDEX, local: true },
    { prefix: ip, len: prefixLen, ifindex: SIM_IFINDEX },
    { prefix: 0, len: 0, ifindex: SIM_IFINDEX, gateway: gw },
  ]);
  const v6 = ipv6Setup(c);
  const engine = new Engine({
    director,
    routes,
    routes6: new StaticRoutes6(v6.routes),
    interfaces: [{ ifindex: SIM_IFINDEX, mac, mtu, addr4: ip, ...(v6.addr ? { addr6: v6.addr } : {}) }],
    toa: c.toa ?? true,
  });
  for (const [n, line] of (c.neighbours ?? '').split('\n').entries()) {
    const t = line.replace(/#.*/, '').trim();
    if (t === '') continue;
    const [a, m] = t.split(/\s+/);
    const addr = parseIPv4(a ?? '');
    const addr6 = addr === undefined ? parseIPv6(a ?? '') : undefined;
    if ((addr === undefined && addr6 === undefined) || m === undefined) {
      throw new LvsError('ERR_LVS_SIMULATE_USAGE', `neighbours line ${n + 1}: expected "IP MAC"`);
    }
    const hw = macOf(m, `neighbours line ${n + 1}`);
    if (addr6) engine.addNeighbour6(addr6, hw, SIM_IFINDEX, now);
    else engine.addNeighbour(addr as number, hw, SIM_IFINDEX, now);
  }
  return { director, engine, mtu };
}

// The IPv6 side of the one interface: its address and prefix on-link, the rest via --gateway6.
function ipv6Setup(c: SimulationConfig): { addr?: Uint8Array; routes: StaticRoute6[] } {
  if (c.directorIp6 === undefined) return { routes: [] };
  const [text = '', lenText = '64'] = c.directorIp6.split('/');
  const addr = parseIPv6(text);
  const len = Number(lenText);
  if (addr === undefined || !Number.isInteger(len) || len < 0 || len > 128) {
    throw new LvsError('ERR_LVS_SIMULATE_USAGE', `bad --director-ip6 ${c.directorIp6}`);
  }
  const gw = c.gateway6 === undefined ? undefined : parseIPv6(c.gateway6);
  if (c.gateway6 !== undefined && gw === undefined) {
    throw new LvsError('ERR_LVS_SIMULATE_USAGE', `bad --gateway6 ${c.gateway6}`);
  }
  const routes: StaticRoute6[] = [
    { prefix: addr, len, ifindex: SIM_IFINDEX },
    { prefix: new Uint8Array(16), len: 0, ifindex: SIM_IFINDEX, ...(gw ? { gateway: gw } : {}) },
  ];
  return { addr, routes };
}

function macOf(s: string, what: string): Uint8Array {
  try {
    return parseMac(s);
  } catch {
    throw new LvsError('ERR_LVS_SIMULATE_USAGE', `${what}: bad MAC ${s}`);
  }
}

/** Runs the engine over captured records; returns the frames it transmitted, stamped like their cause. */
export function simulateRecords(
  sim: Simulation,
  records: readonly PcapRecord[],
  nanos = false,
): PcapRecord[] {
  return simulateSteps(sim, records, nanos).frames;
}

/** The frames transmitted (stamped like their cause) and what each input frame or timer tick did. */
export function simulateSteps(
  sim: Simulation,
  records: readonly PcapRecord[],
  nanos = false,
): { frames: PcapRecord[]; steps: SimStep[] } {
  const frames: PcapRecord[] = [];
  const steps: SimStep[] = [];
  const { engine, mtu } = sim;
  let last = 0;
  let first: number | undefined;
  const collect = (tsSec: number, tsFrac: number, now: number, input?: SimStep['input']) => {
    const a = engine.actions;
    const out: Uint8Array[] = [];
    const drops: number[] = [];
    for (let i = 0; i < a.count; i++) {
      // A frame for the director's own stack (ACT.LOCAL) is listed and written like a sent one:
      // its all-zero MACs are how the loopback device carries it.
      if (a.kind[i] !== ACT.TX && a.kind[i] !== ACT.LOCAL) {
        drops.push(a.reason[i]!);
        continue;
      }
      const data = Uint8Array.from(a.frame(i));
      out.push(data);
      frames.push({ tsSec, tsFrac, data, origLen: data.length });
    }
    engine.flush();
    steps.push({ ...(input ? { input } : {}), atMs: now - (first ?? now), out, drops });
  };
  for (const [i, r] of records.entries()) {
    const now = r.tsSec * 1000 + (nanos ? r.tsFrac / 1e6 : r.tsFrac / 1e3);
    first ??= now;
    last = Math.max(last, now);
    engine.tick(now);
    collect(r.tsSec, r.tsFrac, now);
    // Copy: the engine rewrites frames in place and the capture stays untouched.
    const frame = Uint8Array.from(r.data);
    engine.handleFrame(frame, 0, frame.length, SIM_IFINDEX, gsoFlag(frame, mtu), now);
    collect(r.tsSec, r.tsFrac, now, { index: i + 1, frame: r.data });
  }
  // Let unanswered ARP run its course so frames waiting on it are counted.
  for (let k = 1; k <= 4; k++) {
    const t = last + k * 1000;
    engine.tick(t);
    collect(Math.floor(t / 1000), nanos ? (t % 1000) * 1e6 : (t % 1000) * 1e3, t);
  }
  return { frames, steps };
}

// A TCP frame above the MTU can only be a GSO super-frame from a capture with offloads on.
function gsoFlag(f: Uint8Array, mtu: number): number {
  if (f.length <= mtu + 14 || f.length < 34) return 0;
  let o = 12;
  let et = (f[o]! << 8) | f[o + 1]!;
  if (et === ETHERTYPE.VLAN) {
    o += 4;
    et = (f[o]! << 8) | f[o + 1]!;
  }
  return et === ETHERTYPE.IPV4 && f[o + 2 + 9] === 6 ? FRAME_F.GSO : 0;
}

/** The summary `lvsd simulate` prints (simulate-trace.ts). */
export { formatSummary } from './simulate-trace.js';

const USAGE = `Usage: lvsd simulate --rules FILE --in IN.pcap --director-mac MAC --director-ip IP
                    [--out OUT.pcap] [--summary] [--neighbours FILE] [--laddr IP ...]
                    [--gateway IP] [--mtu N] [--no-toa] [--director-ip6 IP6[/LEN]] [--gateway6 IP6]
                    [--mark RULE ...] [--mark-file FILE]
  Prints each frame in, each frame sent with the fields it changed, each drop with its reason,
  then a summary (--summary: the summary only). --out writes the frames sent as a pcap.
  --mark/--mark-file classify as lvsd's do (fwmark services); the interface is named eth0.
`;

/** `lvsd simulate ...` (argv after the word `simulate`); resolves to the exit code. */
export async function runSimulate(argv: readonly string[]): Promise<number> {
  let v: Record<string, string | boolean | string[] | undefined>;
  try {
    v = parseArgs({
      args: [...argv],
      options: {
        rules: { type: 'string' },
        in: { type: 'string' },
        out: { type: 'string' },
        'director-mac': { type: 'string' },
        'director-ip': { type: 'string' },
        neighbours: { type: 'string' },
        laddr: { type: 'string', multiple: true },
        gateway: { type: 'string' },
        'director-ip6': { type: 'string' },
        gateway6: { type: 'string' },
        mtu: { type: 'string' },
        'no-toa': { type: 'boolean' },
        mark: { type: 'string', multiple: true },
        'mark-file': { type: 'string' },
        summary: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`lvsd simulate: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (v.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const need = ['rules', 'in', 'director-mac', 'director-ip'] as const;
  const missing = need.filter((k) => typeof v[k] !== 'string');
  if (missing.length > 0) {
    process.stderr.write(`lvsd simulate: missing --${missing.join(', --')}\n${USAGE}`);
    return 2;
  }
  const mtu = v.mtu === undefined ? 1500 : Number(v.mtu);
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
    process.stderr.write(`lvsd simulate: bad --mtu ${String(v.mtu)}\n`);
    return 2;
  }
  const marks = loadMarks({
    marks: (v.mark as string[] | undefined) ?? [],
    ...(typeof v['mark-file'] === 'string' ? { markFile: v['mark-file'] } : {}),
  });
  if (!marks.ok) {
    for (const l of marks.lines) process.stderr.write(`lvsd simulate: ${l}\n`);
    return 1;
  }
  try {
    const read = (f: string) => readFileSync(f);
    const cap = decodePcap(read(v.in as string));
    if (cap.linktype !== LINKTYPE_ETHERNET) {
      process.stderr.write(`lvsd simulate: ${String(v.in)}: not an Ethernet capture\n`);
      return 1;
    }
    const sim = createSimulation({
      rules: read(v.rules as string).toString('utf8'),
      rulesFile: v.rules as string,
      directorMac: v['director-mac'] as string,
      directorIp: v['director-ip'] as string,
      neighbours: typeof v.neighbours === 'string' ? read(v.neighbours).toString('utf8') : '',
      laddrs: (v.laddr as string[] | undefined) ?? [],
      mtu,
      toa: v['no-toa'] !== true,
      ...(typeof v.gateway === 'string' ? { gateway: v.gateway } : {}),
      ...(typeof v['director-ip6'] === 'string' ? { directorIp6: v['director-ip6'] } : {}),
      ...(typeof v.gateway6 === 'string' ? { gateway6: v.gateway6 } : {}),
      now: cap.records[0] ? cap.records[0].tsSec * 1000 : 0,
    });
    if (marks.rules.length)
      sim.engine.setMarks(new MarkTable(marks.rules, (n) => (n === SIM_IFNAME ? SIM_IFINDEX : undefined)));
    const { frames, steps } = simulateSteps(sim, cap.records, cap.nanos);
    if (typeof v.out === 'string') {
      writeFileSync(
        v.out,
        encodePcap({ linktype: LINKTYPE_ETHERNET, snaplen: 262144, nanos: cap.nanos, records: frames }),
      );
    }
    const log = formatSimLog(sim.director, steps, guePortsOf(sim.director));
    if (v.summary !== true) process.stdout.write(`${log.text}\n`);
    process.stdout.write(formatSummary(cap.records.length, frames.length, sim.engine.counters(), log.bypass));
    return 0;
  } catch (e) {
    const code = (e as { code?: string }).code;
    const usage = code === 'ERR_LVS_SIMULATE_USAGE';
    process.stderr.write(`lvsd simulate: ${(e as Error).message}\n`);
    return usage ? 2 : 1;
  }
}
