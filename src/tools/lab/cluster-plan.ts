/**
 * The cluster lab as plain data (no I/O): a client behind a router that spreads the VIP's flows
 * over N directors with ECMP, each director announcing the VIP over BGP from its own BIRD while
 * lvsd serves it with a healthy real server (`lvsd --bgp`), four real servers on the directors'
 * LAN answering the client directly (DR, or TUN through the lab's rs-agent). NAT is left out: its
 * replies must pass back through the director that rewrote the request, which ECMP on the
 * forward path alone cannot guarantee (it needs the real servers' return route through the same
 * director, e.g. one director per real-server subnet, or FULLNAT's LIP per director).
 *
 * Addresses come from the documentation ranges only (RFC 5737): client 203.0.113.10, router
 * 203.0.113.1 / 198.51.100.1, director i 198.51.100.(10+i), rs j 198.51.100.(20+j), VIP 192.0.2.100.
 */
import {
  CLUSTER_MODE,
  DIRECTOR_SYSCTLS,
  end,
  type LabHost,
  type LabPlan,
  port,
  RS_ARP_SYSCTLS,
} from './plan.js';

/** Forwarding methods of the cluster lab. */
export const CLUSTER_METHODS = ['dr', 'tun'] as const;
/** One forwarding method of the cluster lab. */
export type ClusterMethod = (typeof CLUSTER_METHODS)[number];
/** Schedulers the cluster lab compares: Maglev hashing (the same choice on every director) or rr. */
export type ClusterSched = 'mh' | 'rr';
/** Most directors a cluster lab has (namespace names director1..director4). */
export const CLUSTER_MAX_DIRECTORS = 4;
/** Real servers of the cluster lab. */
export const CLUSTER_RS = ['rs1', 'rs2', 'rs3', 'rs4'] as const;
/** The VIP the directors announce. */
export const CLUSTER_VIP = '192.0.2.100';
/** The router's address on the directors' LAN, the BGP neighbour of every director. */
export const CLUSTER_ROUTER_IP = '198.51.100.1';
/** The router's AS; director i is AS 65000+i. */
export const CLUSTER_ROUTER_AS = 65000;
/**
 * BGP timers on both sides: a dead director's routes go after the 3 s hold time, and a session
 * that failed is retried after 1-5 s instead of BIRD's default 60-300 s (`error wait time`), so a
 * director that comes back joins within seconds.
 */
export const CLUSTER_BGP_TIMERS =
  'hold time 3; keepalive time 1; connect retry time 1; error wait time 1, 5;';
/** The sync id of the tier (lvsadm --start-daemon --syncid): one per cluster. */
export const CLUSTER_SYNCID = 18;

/** Everything one cluster lab needs. */
export interface ClusterPlan {
  readonly lab: LabPlan;
  readonly method: ClusterMethod;
  readonly directors: readonly LabHost[];
  /** Director address by director, in order. */
  readonly directorIps: readonly string[];
  readonly rss: readonly LabHost[];
  readonly rips: readonly string[];
  readonly vip: string;
  readonly port: number;
}

const directorHost = (i: number): LabHost => `director${i}` as LabHost;

/** The plan of a cluster lab of `directors` (2..4) directors forwarding by `method`. */
export function clusterPlan(directors = 3, method: ClusterMethod = 'dr'): ClusterPlan {
  if (!Number.isInteger(directors) || directors < 2 || directors > CLUSTER_MAX_DIRECTORS)
    throw new Error(`the cluster lab has 2 to ${CLUSTER_MAX_DIRECTORS} directors, not ${directors}`);
  const ds = Array.from({ length: directors }, (_, i) => directorHost(i + 1));
  const directorIps = ds.map((_, i) => `198.51.100.${11 + i}`);
  const rips = CLUSTER_RS.map((_, j) => `198.51.100.${21 + j}`);
  // TUN: the decapsulated packet re-enters through the rs-agent's inject link, not eth0; loose
  // reverse-path checking keeps the kernel from dropping it (as lanPlan does).
  const rsSys = [
    ...RS_ARP_SYSCTLS,
    ...(method === 'tun' ? ['net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0'] : []),
  ];
  const sysctls: Partial<Record<LabHost, readonly string[]>> = {
    // fib_multipath_hash_policy=1: the L4 hash (addresses, protocol, ports) spreads one client's
    // flows; use_neigh skips a next hop whose neighbour entry failed (ip-sysctl.rst).
    router: [
      'net.ipv4.ip_forward=1',
      'net.ipv4.fib_multipath_hash_policy=1',
      'net.ipv4.fib_multipath_use_neigh=1',
    ],
  };
  for (const d of ds) sysctls[d] = DIRECTOR_SYSCTLS;
  for (const r of CLUSTER_RS) sysctls[r] = rsSys;
  const viaRouter = [['default', 'via', CLUSTER_ROUTER_IP]] as const;
  const routes: Partial<Record<LabHost, readonly (readonly string[])[]>> = {
    client: [['default', 'via', '203.0.113.1']],
  };
  for (const r of CLUSTER_RS) routes[r] = viaRouter;
  const lab: LabPlan = {
    mode: CLUSTER_MODE,
    hosts: ['sw', 'client', 'router', ...ds, ...CLUSTER_RS],
    links: [
      { a: end('client', 'eth0', '203.0.113.10/24'), b: end('router', 'eth0', '203.0.113.1/24') },
      { a: end('router', 'eth1', `${CLUSTER_ROUTER_IP}/24`), b: port('router') },
      ...ds.map((d, i) => ({ a: end(d, 'eth0', `${directorIps[i]}/24`), b: port(d) })),
      ...CLUSTER_RS.map((r, j) => ({ a: end(r, 'eth0', `${rips[j]}/24`), b: port(r) })),
    ],
    routes,
    sysctls,
    vip: CLUSTER_VIP,
    port: 80,
    rips: [rips[0]!, rips[1]!],
    directorIfs: ['eth0'],
    clientIf: 'eth0',
    rules: [],
  };
  return { lab, method, directors: ds, directorIps, rss: CLUSTER_RS, rips, vip: CLUSTER_VIP, port: 80 };
}

/**
 * The router's bird.conf: one eBGP session per director importing its routes, and the kernel
 * protocol with `merge paths on` so equal routes from several directors become one multipath
 * route (BIRD 2 doc, "kernel" protocol; BGP routes merge when local-pref, AS path length, origin,
 * MED and IGP metric are equal, bgp_rte_mergable in proto/bgp/attrs.c).
 */
export function clusterRouterBird(p: ClusterPlan): string {
  const sessions = p.directors
    .map(
      (d, i) => `protocol bgp ${d} from directors {
  neighbor ${p.directorIps[i]} as ${CLUSTER_ROUTER_AS + i + 1};
}
`,
    )
    .join('');
  return `router id ${CLUSTER_ROUTER_IP};
protocol device { }
protocol kernel { ipv4 { export all; }; merge paths on; }
template bgp directors {
  local ${CLUSTER_ROUTER_IP} as ${CLUSTER_ROUTER_AS};
  ${CLUSTER_BGP_TIMERS}
  ipv4 { import all; export none; };
}
${sessions}`;
}

/**
 * Director i's bird.conf: the static protocol lvsd writes to `include` (lvsd --bgp) exported into
 * one session to the router with the director's own address as next hop.
 */
export function clusterDirectorBird(p: ClusterPlan, i: number, include: string): string {
  const ip = p.directorIps[i]!;
  return `router id ${ip};
protocol device { }
include "${include}";
protocol bgp router1 {
  local ${ip} as ${CLUSTER_ROUTER_AS + i + 1};
  neighbor ${CLUSTER_ROUTER_IP} as ${CLUSTER_ROUTER_AS};
  ${CLUSTER_BGP_TIMERS}
  ipv4 { import none; export where proto = "lvs_vips"; next hop self; };
}
`;
}

/**
 * The keepalived.conf every director reads (`lvsd --config`), identical on all of them so `mh`
 * builds the same table everywhere: the service with `mh-port` (the kernel's ip_vs_mh hashes the
 * source address only unless IP_VS_SVC_F_SCHED_MH_PORT is set, and the lab has one client) and a
 * TCP_CHECK per real server every second (a director withdraws once none is healthy).
 */
export function clusterKeepalived(p: ClusterPlan, sched: ClusterSched): string {
  const reals = p.rips
    .map(
      (r) => `  real_server ${r} ${p.port} {
    weight 1
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
`,
    )
    .join('');
  return `# Read by lvsd --dataplane packet --config on every director of the cluster lab.
virtual_server ${p.vip} ${p.port} {
  delay_loop 1
  lvs_sched ${sched}
${sched === 'mh' ? '  mh-port\n' : ''}  lvs_method ${p.method === 'dr' ? 'DR' : 'TUN'}
  protocol TCP
${reals}}
`;
}
