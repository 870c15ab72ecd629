/**
 * The classic LVS teaching topologies as plain data (no I/O): which namespaces exist, which veth
 * links join them, their addresses, routes and sysctls, and the rules lvsd runs. topology.ts turns
 * a plan into namespaces; tests and `lab status` read the same plan, so there is one description
 * of every lab. Addresses come only from the documentation ranges (RFC 5737).
 */

/** Lab modes, one per forwarding method. */
export const LAB_MODES = ['nat', 'dr', 'tun', 'fullnat'] as const;
/** The HA lab (ha-plan.ts): two directors sharing the VIP through VRRP, DR to the real servers. */
export const HA_MODE = 'ha';
/** The cluster lab (cluster-plan.ts): directors behind a BGP/ECMP router, each announcing the VIP. */
export const CLUSTER_MODE = 'cluster';
/** A lab mode: a forwarding method, the HA lab or the cluster lab. */
export type LabMode = (typeof LAB_MODES)[number] | typeof HA_MODE | typeof CLUSTER_MODE;

/**
 * Hosts of a lab; `sw` is the Ethernet switch (a bridge), `router` only exists in FULLNAT and the
 * cluster lab, `director1`/`director2` only in the HA and cluster labs, `director3`/`director4` and
 * `rs3`/`rs4` only in the cluster lab.
 */
export type LabHost =
  | 'client'
  | 'director'
  | 'director1'
  | 'director2'
  | 'director3'
  | 'director4'
  | 'rs1'
  | 'rs2'
  | 'rs3'
  | 'rs4'
  | 'sw'
  | 'router';

/** One end of a link: a host and the interface name inside it. */
export interface LinkEnd {
  readonly host: LabHost;
  readonly ifname: string;
  /** CIDR addresses on this end (none for bridge ports). */
  readonly addrs: readonly string[];
  /** True when this end is a port of the host's bridge br0. */
  readonly bridgePort?: boolean;
}

/** A veth pair; trace captures on end `a`. */
export interface LabLink {
  readonly a: LinkEnd;
  readonly b: LinkEnd;
}

/** Everything one lab needs. */
export interface LabPlan {
  readonly mode: LabMode;
  readonly hosts: readonly LabHost[];
  readonly links: readonly LabLink[];
  /** `ip route` argument lists per host. */
  readonly routes: Readonly<Partial<Record<LabHost, readonly (readonly string[])[]>>>;
  /** sysctl key=value per host (applied with `sysctl -w` inside the namespace). */
  readonly sysctls: Readonly<Partial<Record<LabHost, readonly string[]>>>;
  /** The virtual IP the client connects to. */
  readonly vip: string;
  /** Service port. */
  readonly port: number;
  /** Real server addresses, rs1 then rs2. */
  readonly rips: readonly [string, string];
  /** FULLNAT local address (held by lvsd, never by the director's kernel). */
  readonly lip?: string;
  /** Director interfaces lvsd binds, in --interface order. */
  readonly directorIfs: readonly string[];
  /** Client interface (where the who-has VIP question is asked). */
  readonly clientIf: string;
  /** Rules in ipvsadm-save format that lvsd starts with. */
  readonly rules: readonly string[];
}

const MASK24 = '/24';
/** A link end on `host` with the given CIDR addresses. */
export const end = (host: LabHost, ifname: string, ...addrs: string[]): LinkEnd => ({ host, ifname, addrs });
/** A port `ifname` of the switch's bridge br0. */
export const port = (ifname: string): LinkEnd => ({ host: 'sw', ifname, addrs: [], bridgePort: true });

/**
 * arp_ignore=1 / arp_announce=2 on the real servers, exactly as the lvs_rs.sh script of the LVS
 * tutorials sets them, so a real server never answers or announces the VIP it holds on lo.
 */
export const RS_ARP_SYSCTLS: readonly string[] = [
  'net.ipv4.conf.all.arp_ignore=1',
  'net.ipv4.conf.all.arp_announce=2',
  'net.ipv4.conf.lo.arp_ignore=1',
  'net.ipv4.conf.lo.arp_announce=2',
  'net.ipv4.conf.eth0.arp_ignore=1',
  'net.ipv4.conf.eth0.arp_announce=2',
];

/**
 * The director's kernel must not forward (lvsd does) and must not hold the VIP (lvsd answers ARP
 * for it), so both stay off; rp_filter off because replies to LIPs arrive for addresses the
 * kernel does not know.
 */
export const DIRECTOR_SYSCTLS = ['net.ipv4.ip_forward=0', 'net.ipv4.conf.all.rp_filter=0'];

/** One switched LAN 192.0.2.0/24 with client, director and both real servers (DR and TUN). */
function lanPlan(mode: 'dr' | 'tun'): LabPlan {
  const vip = '192.0.2.100';
  const rsSys = [
    ...RS_ARP_SYSCTLS,
    // The decapsulated packet re-enters through the agent's inject link, not eth0; loose
    // reverse-path checking keeps the kernel from dropping it (the rs-setup warning).
    ...(mode === 'tun' ? ['net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0'] : []),
  ];
  const fwd = mode === 'dr' ? '-g' : '-i';
  return {
    mode,
    hosts: ['sw', 'client', 'director', 'rs1', 'rs2'],
    links: [
      { a: end('client', 'eth0', `192.0.2.10${MASK24}`), b: port('client') },
      { a: end('director', 'eth0', `192.0.2.2${MASK24}`), b: port('director') },
      { a: end('rs1', 'eth0', `192.0.2.11${MASK24}`), b: port('rs1') },
      { a: end('rs2', 'eth0', `192.0.2.12${MASK24}`), b: port('rs2') },
    ],
    routes: {},
    sysctls: { director: DIRECTOR_SYSCTLS, rs1: rsSys, rs2: rsSys },
    vip,
    port: 80,
    rips: ['192.0.2.11', '192.0.2.12'],
    directorIfs: ['eth0'],
    clientIf: 'eth0',
    rules: [
      `-A -t ${vip}:80 -s rr`,
      `-a -t ${vip}:80 -r 192.0.2.11:80 ${fwd} -w 1`,
      `-a -t ${vip}:80 -r 192.0.2.12:80 ${fwd} -w 1`,
    ],
  };
}

/**
 * HA: the DR LAN with two directors (director1 192.0.2.2, director2 192.0.2.3) that share the VIP
 * through one vrrp_instance (ha-conf.ts writes their keepalived.conf); only the VRRP master
 * answers ARP for the VIP and forwards.
 */
function haPlan(): LabPlan {
  const dr = lanPlan('dr');
  return {
    ...dr,
    mode: HA_MODE,
    hosts: ['sw', 'client', 'director1', 'director2', 'rs1', 'rs2'],
    links: [
      { a: end('client', 'eth0', `192.0.2.10${MASK24}`), b: port('client') },
      { a: end('director1', 'eth0', `192.0.2.2${MASK24}`), b: port('director1') },
      { a: end('director2', 'eth0', `192.0.2.3${MASK24}`), b: port('director2') },
      { a: end('rs1', 'eth0', `192.0.2.11${MASK24}`), b: port('rs1') },
      { a: end('rs2', 'eth0', `192.0.2.12${MASK24}`), b: port('rs2') },
    ],
    sysctls: {
      director1: DIRECTOR_SYSCTLS,
      director2: DIRECTOR_SYSCTLS,
      rs1: RS_ARP_SYSCTLS,
      rs2: RS_ARP_SYSCTLS,
    },
  };
}

/** NAT: client outside on 203.0.113.0/24, real servers inside on 192.0.2.0/24 via the director. */
function natPlan(): LabPlan {
  const vip = '203.0.113.100';
  const rsRoutes = [['default', 'via', '192.0.2.1']] as const;
  return {
    mode: 'nat',
    hosts: ['sw', 'client', 'director', 'rs1', 'rs2'],
    links: [
      {
        a: end('client', 'eth0', `203.0.113.10${MASK24}`),
        b: end('director', 'eth0', `203.0.113.2${MASK24}`),
      },
      { a: end('director', 'eth1', `192.0.2.1${MASK24}`), b: port('director') },
      { a: end('rs1', 'eth0', `192.0.2.11${MASK24}`), b: port('rs1') },
      { a: end('rs2', 'eth0', `192.0.2.12${MASK24}`), b: port('rs2') },
    ],
    routes: { rs1: rsRoutes, rs2: rsRoutes },
    sysctls: { director: DIRECTOR_SYSCTLS },
    vip,
    port: 80,
    rips: ['192.0.2.11', '192.0.2.12'],
    directorIfs: ['eth0', 'eth1'],
    clientIf: 'eth0',
    rules: [
      `-A -t ${vip}:80 -s rr`,
      `-a -t ${vip}:80 -r 192.0.2.11:80 -m -w 1`,
      `-a -t ${vip}:80 -r 192.0.2.12:80 -m -w 1`,
    ],
  };
}

/** FULLNAT: the real servers live in 192.0.2.0/24 behind a router; they only ever see the LIP. */
function fullnatPlan(): LabPlan {
  const vip = '203.0.113.100';
  const lip = '198.51.100.100';
  const rsRoutes = [['default', 'via', '192.0.2.1']] as const;
  return {
    mode: 'fullnat',
    hosts: ['sw', 'client', 'director', 'router', 'rs1', 'rs2'],
    links: [
      {
        a: end('client', 'eth0', `203.0.113.10${MASK24}`),
        b: end('director', 'eth0', `203.0.113.2${MASK24}`),
      },
      {
        a: end('director', 'eth1', `198.51.100.2${MASK24}`),
        b: end('router', 'eth0', `198.51.100.1${MASK24}`),
      },
      { a: end('router', 'eth1', `192.0.2.1${MASK24}`), b: port('router') },
      { a: end('rs1', 'eth0', `192.0.2.11${MASK24}`), b: port('rs1') },
      { a: end('rs2', 'eth0', `192.0.2.12${MASK24}`), b: port('rs2') },
    ],
    routes: { director: [['192.0.2.0/24', 'via', '198.51.100.1']], rs1: rsRoutes, rs2: rsRoutes },
    sysctls: { director: DIRECTOR_SYSCTLS, router: ['net.ipv4.ip_forward=1'] },
    vip,
    port: 80,
    rips: ['192.0.2.11', '192.0.2.12'],
    lip,
    directorIfs: ['eth0', 'eth1'],
    clientIf: 'eth0',
    rules: [
      `-A -t ${vip}:80 -s rr`,
      `-a -t ${vip}:80 -r 192.0.2.11:80 -b -w 1`,
      `-a -t ${vip}:80 -r 192.0.2.12:80 -b -w 1`,
      `-P -t ${vip}:80 -z ${lip}`,
    ],
  };
}

/** The plan of one lab mode; the cluster lab's is sized by its options (cluster-plan.ts clusterPlan). */
export function labPlan(mode: LabMode): LabPlan {
  switch (mode) {
    case 'cluster':
      throw new Error('the cluster lab has no fixed plan: cluster-plan.ts clusterPlan(directors, method)');
    case 'ha':
      return haPlan();
    case 'nat':
      return natPlan();
    case 'fullnat':
      return fullnatPlan();
    default:
      return lanPlan(mode);
  }
}

/** True for a known lab mode name. */
export function isLabMode(s: string): s is LabMode {
  return (LAB_MODES as readonly string[]).includes(s);
}

/**
 * Prefix of lab namespace names: `lvslab` unless LVS_LAB_PREFIX says otherwise. Fixed by default,
 * so `lab down` works from any shell after `lab up`; tests and benchmarks set their own so
 * concurrent runs never share a namespace.
 */
export function labPrefix(env: NodeJS.ProcessEnv = process.env): string {
  const p = env.LVS_LAB_PREFIX;
  if (p === undefined || p === '') return 'lvslab';
  if (!/^[a-z0-9][a-z0-9-]{0,23}$/.test(p))
    throw new Error(`LVS_LAB_PREFIX must match [a-z0-9][a-z0-9-]{0,23}, got '${p}'`);
  return p;
}

/** Namespace name of a lab host: `<prefix>-<mode>-<host>`. */
export function labNamespace(mode: LabMode, host: LabHost): string {
  return `${labPrefix()}-${mode}-${host}`;
}
