/**
 * `lvsd rs-agent --decap --vip VIP [--interface IF] [--tun-port N]`: a user-space tunnel endpoint
 * for real servers whose kernel cannot decapsulate (no ipip module, as on this project's CI
 * kernel). It reads IPIP, GRE and GUE frames (and IPv6-in-IPv6 for IPv6 VIPs: the kernel here has
 * no ip6_tunnel either) from an AF_PACKET socket, strips the outer headers
 * and hands the inner packet to the local stack by transmitting it on `lo`, where the kernel
 * receives it as if it had arrived (loopback_xmit feeds netif_rx). An nftables rule drops the
 * outer packets before local delivery, otherwise the kernel would answer each one with ICMP
 * protocol-unreachable. A real deployment uses the kernel instead: `modprobe ipip` and the VIP
 * on tunl0 (or a fou/GUE or GRE device), which `lvsd rs-setup --mode tun` prints.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { parseIPv4, parseIPv6 } from '../core/addr.js';
import { type RxFrameBatch, TxBatch } from '../io/driver.js';
import { PacketSocket } from '../io/packet-socket/index.js';

/** Where the inner packet of a tunnelled frame starts, or -1 if the frame is not one for us. */
export interface DecapResult {
  /** Offset of the inner IP header. */
  off: number;
  /** Length of the inner IP packet. */
  len: number;
}

/** Default GUE port; the kernel has none, ipvsadm requires --tun-port, so we pick fou's common 6080. */
export const DEFAULT_GUE_PORT = 6080;

/**
 * Finds the inner IPv4 packet of an untagged Ethernet frame carrying IPIP (proto 4), GRE
 * (proto 47, version 0, IPv4 payload) or GUE (UDP to `guePort`, version 0 data message), whose
 * inner destination is one of `vips` (host-order u32). Pure and allocation-free: `out` is reused.
 */
export function findInner(
  buf: Uint8Array,
  len: number,
  vips: Uint32Array,
  guePort: number,
  out: DecapResult,
): boolean {
  if (len < 34 || buf[12] !== 0x08 || buf[13] !== 0x00) return false;
  const l3 = 14;
  if (buf[l3]! >> 4 !== 4) return false;
  const ihl = (buf[l3]! & 15) * 4;
  const total = (buf[l3 + 2]! << 8) | buf[l3 + 3]!;
  const end = l3 + total;
  if (ihl < 20 || end > len || total < ihl) return false;
  // Later fragments carry no inner header; the kernel would reassemble first, we do not.
  if (((buf[l3 + 6]! & 0x3f) | buf[l3 + 7]!) !== 0 || (buf[l3 + 6]! & 0x20) !== 0) return false;
  let inner = l3 + ihl;
  const proto = buf[l3 + 9];
  if (proto === 47) {
    if (inner + 4 > end) return false;
    const flags = buf[inner]!;
    if ((buf[inner + 1]! & 7) !== 0 || buf[inner + 2] !== 0x08 || buf[inner + 3] !== 0x00) return false;
    // RFC 2890: optional checksum (C), key (K) and sequence (S) words follow the base header.
    inner += 4 + (flags & 0x80 ? 4 : 0) + (flags & 0x20 ? 4 : 0) + (flags & 0x10 ? 4 : 0);
  } else if (proto === 17) {
    if (inner + 12 > end || ((buf[inner + 2]! << 8) | buf[inner + 3]!) !== guePort) return false;
    const g = inner + 8;
    // GUE version 0, not a control message; hlen counts 32-bit option words.
    if (buf[g]! >> 6 !== 0 || (buf[g]! & 0x20) !== 0 || buf[g + 1] !== 4) return false;
    inner = g + 4 + (buf[g]! & 0x1f) * 4;
  } else if (proto !== 4) {
    return false;
  }
  if (inner + 20 > end || buf[inner]! >> 4 !== 4) return false;
  const dst =
    ((buf[inner + 16]! << 24) | (buf[inner + 17]! << 16) | (buf[inner + 18]! << 8) | buf[inner + 19]!) >>> 0;
  let ok = false;
  for (let i = 0; i < vips.length; i++) if (vips[i] === dst) ok = true;
  if (!ok) return false;
  const innerLen = (buf[inner + 2]! << 8) | buf[inner + 3]!;
  if (innerLen < 20 || inner + innerLen > end) return false;
  out.off = inner;
  out.len = innerLen;
  return true;
}

/**
 * Finds the inner IPv6 packet of an untagged Ethernet frame carrying IPv6-in-IPv6 (outer next
 * header 41, as ip_vs_tunnel_xmit_v6 sends with the default tunnel type) whose inner destination
 * is one of `vips6` (16 bytes each). Outer extension headers are not stepped over: LVS sends
 * none. Pure and allocation-free.
 */
export function findInner6(buf: Uint8Array, len: number, vips6: Uint8Array, out: DecapResult): boolean {
  if (len < 14 + 80 || buf[12] !== 0x86 || buf[13] !== 0xdd) return false;
  const l3 = 14;
  if (buf[l3]! >> 4 !== 6 || buf[l3 + 6] !== 41) return false;
  const end = l3 + 40 + ((buf[l3 + 4]! << 8) | buf[l3 + 5]!);
  const inner = l3 + 40;
  if (end > len || inner + 40 > end || buf[inner]! >> 4 !== 6) return false;
  const innerLen = 40 + ((buf[inner + 4]! << 8) | buf[inner + 5]!);
  if (inner + innerLen > end) return false;
  let ok = false;
  for (let v = 0; v + 16 <= vips6.length && !ok; v += 16) {
    let same = true;
    for (let k = 0; k < 16 && same; k++) same = vips6[v + k] === buf[inner + 24 + k];
    ok = same;
  }
  if (!ok) return false;
  out.off = inner;
  out.len = innerLen;
  return true;
}

const NFT_TABLE = 'lvs_rs_agent';

function nft(args: string): boolean {
  return spawnSync('nft', [args], { stdio: 'ignore' }).status === 0;
}

/** Running agent counters. */
export interface RsAgentStats {
  decapsulated: number;
  ignored: number;
  injectFailed: number;
}

/** Starts the decapsulator; returns its counters and a stop function. */
export function startRsAgent(opts: { vips: string[]; ifname: string; guePort: number }): {
  stats: RsAgentStats;
  stop(): void;
} {
  const v4 = opts.vips.filter((v) => parseIPv4(v) !== undefined);
  const v6 = opts.vips.flatMap((v) => {
    const b = parseIPv4(v) === undefined ? parseIPv6(v) : undefined;
    return b ? [b] : [];
  });
  const vips = new Uint32Array(v4.map((v) => parseIPv4(v) ?? 0));
  const vips6 = new Uint8Array(v6.length * 16);
  for (const [i, b] of v6.entries()) vips6.set(b, i * 16);
  const rx = new PacketSocket({ blockSize: 1 << 18, blockCount: 32 }).bind(opts.ifname);
  const lo = new PacketSocket({ blockSize: 1 << 16, blockCount: 1 }).bind('lo');
  const tx = new TxBatch(1 << 22, 4096);
  const r: DecapResult = { off: 0, len: 0 };
  const stats: RsAgentStats = { decapsulated: 0, ignored: 0, injectFailed: 0 };
  nft(`delete table ip ${NFT_TABLE}`);
  nft(`delete table ip6 ${NFT_TABLE}`);
  const dropped =
    nft(
      `add table ip ${NFT_TABLE}; add chain ip ${NFT_TABLE} in { type filter hook input priority -150; }; ` +
        `add rule ip ${NFT_TABLE} in ip protocol { 4, 47 } drop; add rule ip ${NFT_TABLE} in udp dport ${opts.guePort} drop`,
    ) &&
    // Without ip6_tunnel the kernel would answer each outer packet with a parameter problem.
    (v6.length === 0 ||
      nft(
        `add table ip6 ${NFT_TABLE}; add chain ip6 ${NFT_TABLE} in { type filter hook input priority -150; }; ` +
          `add rule ip6 ${NFT_TABLE} in meta l4proto 41 drop`,
      ));
  if (!dropped) {
    process.stderr.write(
      'rs-agent: warning: nft unavailable; the kernel will send ICMP protocol-unreachable for each tunnelled packet\n',
    );
  }
  rx.start((batch: RxFrameBatch) => {
    tx.clear();
    for (let i = 0; i < batch.count; i++) {
      const off = batch.offset(i);
      const frame = batch.buffer.subarray(off, off + batch.length(i));
      const six = vips6.length > 0 && findInner6(frame, frame.length, vips6, r);
      if (!six && !findInner(frame, frame.length, vips, opts.guePort, r)) {
        stats.ignored++;
        continue;
      }
      const at = tx.reserve(14 + r.len);
      if (at < 0) {
        stats.injectFailed++;
        continue;
      }
      // lo takes Ethernet framing with zero MACs; only the EtherType matters to eth_type_trans.
      tx.buffer.fill(0, at, at + 12);
      tx.buffer[at + 12] = six ? 0x86 : 0x08;
      tx.buffer[at + 13] = six ? 0xdd : 0x00;
      tx.buffer.set(frame.subarray(r.off, r.off + r.len), at + 14);
      stats.decapsulated++;
    }
    if (tx.count > 0) stats.injectFailed += tx.count - lo.send(tx);
  });
  return {
    stats,
    stop: () => {
      rx.close();
      lo.close();
      nft(`delete table ip ${NFT_TABLE}`);
      if (v6.length > 0) nft(`delete table ip6 ${NFT_TABLE}`);
    },
  };
}

function defaultInterface(): string {
  const r = spawnSync('ip', ['-j', 'route', 'show', 'default'], { encoding: 'utf8' });
  const routes = JSON.parse(r.stdout || '[]') as { dev?: string }[];
  return routes[0]?.dev ?? 'eth0';
}

/** `lvsd rs-agent --help`. */
export const RS_AGENT_USAGE = `Usage: lvsd rs-agent --decap --vip VIP [--vip VIP...] [--interface IF] [--tun-port N]
  A user-space tunnel endpoint for a real server whose kernel cannot decapsulate: takes IPIP,
  GRE, GUE (UDP port N, default ${DEFAULT_GUE_PORT}) and IPv6-in-IPv6 frames for the VIPs on IF
  (default: the default route's interface) and delivers the inner packets (root). Runs until
  SIGTERM or SIGINT.
`;

/** Runs `lvsd rs-agent`; resolves with the exit code when stopped by SIGTERM/SIGINT. */
export function runRsAgent(argv: readonly string[]): Promise<number> {
  let values: { decap?: boolean; vip?: string[]; interface?: string; 'tun-port'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        decap: { type: 'boolean' },
        vip: { type: 'string', multiple: true },
        interface: { type: 'string' },
        'tun-port': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    process.stderr.write(`lvsd rs-agent: ${(e as Error).message}\n${RS_AGENT_USAGE}`);
    return Promise.resolve(2);
  }
  if (values.help) {
    process.stdout.write(RS_AGENT_USAGE);
    return Promise.resolve(0);
  }
  const vips = values.vip ?? [];
  const port = Number(values['tun-port'] ?? DEFAULT_GUE_PORT);
  if (
    !values.decap ||
    vips.length === 0 ||
    vips.some((v) => parseIPv4(v) === undefined && parseIPv6(v) === undefined) ||
    !(port > 0 && port < 65536)
  ) {
    process.stderr.write(RS_AGENT_USAGE);
    return Promise.resolve(2);
  }
  const ifname = values.interface ?? defaultInterface();
  const agent = startRsAgent({ vips, ifname, guePort: port });
  process.stdout.write(
    `rs-agent: decapsulating IPIP/GRE/GUE(${port})/IPv6-in-IPv6 for ${vips.join(', ')} on ${ifname}\n`,
  );
  return new Promise((resolve) => {
    const stop = (): void => {
      agent.stop();
      process.stdout.write(`rs-agent: stopped; ${JSON.stringify(agent.stats)}\n`);
      resolve(0);
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
