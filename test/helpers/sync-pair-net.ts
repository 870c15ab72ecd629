/**
 * The namespaces and director configs of a two-director sync pair (sync-pair.ts), per forwarding
 * method: a client, two lvsd packet-plane directors sharing the VIP through one VRRP instance,
 * and one real server, joined by bridges in a switch namespace. Addresses come only from the
 * documentation ranges.
 */
import { RS_ARP_SYSCTLS } from '../../src/tools/lab/plan.js';
import { createNetns, type Netns } from './netns.js';

/** The forwarding methods a pair runs end to end. */
export const SYNC_PAIR_METHODS = ['DR', 'NAT', 'TUN', 'FULLNAT'] as const;
/** One of {@link SYNC_PAIR_METHODS}. */
export type SyncPairMethod = (typeof SYNC_PAIR_METHODS)[number];

/** Addresses of one method's pair. */
export interface PairAddrs {
  readonly client: string;
  readonly d1: string;
  readonly d2: string;
  readonly rs: string;
  readonly vip: string;
  /** NAT and FULLNAT: the directors' inside addresses (eth1). */
  readonly inside?: { readonly d1: string; readonly d2: string };
  /**
   * NAT: the real server's gateway; FULLNAT: the local address (LIP). Either is a second VRRP
   * address of the pair on eth1, so it moves with the VIP.
   */
  readonly moving?: string;
}

/**
 * DR and TUN: one segment 192.0.2.0/24 for everyone. NAT: client and the directors' eth0 outside
 * (203.0.113.0/24), the directors' eth1 and the real server inside (192.0.2.0/24). FULLNAT:
 * outside as NAT, inside 198.51.100.0/24 where the real server only ever sees the LIP.
 */
export const PAIR_ADDRS: Readonly<Record<SyncPairMethod, PairAddrs>> = {
  DR: { client: '192.0.2.10', d1: '192.0.2.1', d2: '192.0.2.2', rs: '192.0.2.20', vip: '192.0.2.100' },
  TUN: { client: '192.0.2.10', d1: '192.0.2.1', d2: '192.0.2.2', rs: '192.0.2.20', vip: '192.0.2.100' },
  NAT: {
    client: '203.0.113.10',
    d1: '203.0.113.1',
    d2: '203.0.113.2',
    rs: '192.0.2.20',
    vip: '203.0.113.100',
    inside: { d1: '192.0.2.1', d2: '192.0.2.2' },
    moving: '192.0.2.254',
  },
  FULLNAT: {
    client: '203.0.113.10',
    d1: '203.0.113.1',
    d2: '203.0.113.2',
    rs: '198.51.100.20',
    vip: '203.0.113.100',
    inside: { d1: '198.51.100.1', d2: '198.51.100.2' },
    moving: '198.51.100.100',
  },
};

/** True for the methods whose directors also face the real server on a second interface. */
export const twoLegged = (m: SyncPairMethod): boolean => m === 'NAT' || m === 'FULLNAT';

/**
 * keepalived.conf of one director: VI_1 holding the VIP (and on eth1 the NAT gateway or the
 * FULLNAT LIP), the sync daemon following it when `sync`, and the service. keepalived.conf has
 * no FULLNAT method (check_parser.c knows NAT, DR and TUN), so a FULLNAT pair's config carries
 * VRRP and sync only and its service comes from {@link fullnatRules}.
 */
export function pairConf(
  method: SyncPairMethod,
  id: string,
  state: 'MASTER' | 'BACKUP',
  priority: number,
  sync: boolean,
): string {
  const n = PAIR_ADDRS[method];
  const moving = n.moving ? `    ${n.moving}/${method === 'NAT' ? 24 : 32} dev eth1\n` : '';
  const service =
    method === 'FULLNAT'
      ? ''
      : `virtual_server ${n.vip} 80 {
  lvs_sched rr
  lvs_method ${method}
  protocol TCP
  real_server ${n.rs} 80 {
  }
}
`;
  return `global_defs {
  router_id ${id}
${sync ? '  lvs_sync_daemon eth0 inst VI_1\n' : ''}}
vrrp_instance VI_1 {
  state ${state}
  interface eth0
  version 3
  virtual_router_id 51
  priority ${priority}
  advert_int 1
  virtual_ipaddress {
    ${n.vip}/32
${moving}  }
}
${service}`;
}

/**
 * FULLNAT's service as an operator loads it on both directors with lvsadm (ipvsadm-restore
 * lines, DPVS's spellings): the real server by `-b` and the LIP pool by `-P -z`. The LIP is also
 * in VI_1's virtual_ipaddress (`dev eth1`), so only the VRRP master answers ARP for it and it
 * moves with the VIP; the backup holds the same pool, which is what lets it reserve the LIP:lport
 * each synced conn carries.
 */
export function fullnatRules(): string[][] {
  const n = PAIR_ADDRS.FULLNAT;
  return [
    ['-A', '-t', `${n.vip}:80`, '-s', 'rr'],
    ['-a', '-t', `${n.vip}:80`, '-r', `${n.rs}:80`, '-b'],
    ['-P', '-t', `${n.vip}:80`, '-z', n.moving as string],
  ];
}

function sysctl(ns: Netns, label: string, settings: readonly string[]): void {
  const r = ns.exec(label, ['sysctl', '-q', '-w', ...settings]);
  if (r.status !== 0) throw new Error(`sysctl in ${label}: ${r.stderr.trim()}`);
}

/**
 * Builds one method's namespaces `sw`, `c`, `d1`, `d2`, `rs`. DR and TUN: one bridge; the real
 * server holds the VIP on lo and never answers ARP for it (lvs_rs.sh's sysctls). TUN adds
 * loose reverse-path checking there (the decapsulated packet re-enters on lo, see rs-agent.ts)
 * and a client MTU of 1480, so each request plus its 20-byte IPIP header fits the LAN's 1500.
 * NAT and FULLNAT: an outside bridge (client, directors' eth0) and an inside one (directors'
 * eth1, real server); NAT's real server routes via the gateway address, FULLNAT's needs no route
 * (the LIP is on its segment). The directors' kernels neither forward (lvsd does) nor filter by
 * reverse path, as in the lab.
 */
export function pairSegment(method: SyncPairMethod): Netns {
  const n = PAIR_ADDRS[method];
  const to = (label: string, bIf: string, ifname: string, addr: string) => ({
    a: label,
    b: 'sw',
    aIf: ifname,
    bIf,
    aAddrs: [`${addr}/24`],
  });
  const inside = n.inside;
  const ns = createNetns({
    namespaces: ['sw', 'c', 'd1', 'd2', 'rs'],
    links: [
      to('c', 'c', 'eth0', n.client),
      to('d1', 'd1', 'eth0', n.d1),
      to('d2', 'd2', 'eth0', n.d2),
      to('rs', 'rs', 'eth0', n.rs),
      ...(inside ? [to('d1', 'd1i', 'eth1', inside.d1), to('d2', 'd2i', 'eth1', inside.d2)] : []),
    ],
  });
  try {
    const bridge = (br: string, ports: readonly string[]) => {
      ns.ip('sw', 'link', 'add', br, 'type', 'bridge');
      for (const p of ports) ns.ip('sw', 'link', 'set', p, 'master', br);
      ns.ip('sw', 'link', 'set', br, 'up');
    };
    if (inside) {
      bridge('br0', ['c', 'd1', 'd2']);
      bridge('br1', ['d1i', 'd2i', 'rs']);
      if (method === 'NAT') ns.ip('rs', 'route', 'add', 'default', 'via', n.moving as string);
    } else {
      bridge('br0', ['c', 'd1', 'd2', 'rs']);
      ns.ip('rs', 'addr', 'add', `${n.vip}/32`, 'dev', 'lo');
      sysctl(ns, 'rs', RS_ARP_SYSCTLS);
      if (method === 'TUN') {
        sysctl(ns, 'rs', ['net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0']);
        ns.ip('c', 'link', 'set', 'eth0', 'mtu', '1480');
      }
    }
    for (const d of ['d1', 'd2']) sysctl(ns, d, ['net.ipv4.ip_forward=0', 'net.ipv4.conf.all.rp_filter=0']);
    return ns;
  } catch (e) {
    ns.destroy();
    throw e;
  }
}
