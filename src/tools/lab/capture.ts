/**
 * The capture half of `lab trace`: an AF_PACKET socket on one interface (outgoing frames
 * included, so one end of a veth shows both directions) printing one JSON line per frame with
 * the columns of the LVS tutorial tables. IPIP/GRE/GUE frames also carry their inner addresses.
 * It prints `ready` on stderr once bound and exits on SIGTERM.
 */
import { formatIPv4 } from '../../core/addr.js';
import { PACKET_OUTGOING } from '../../io/driver.js';
import { PacketSocket } from '../../io/packet-socket/index.js';
import { formatMac } from '../../packet/ethernet.js';
import { DEFAULT_GUE_PORT, type DecapResult, findInner } from '../rs-agent.js';

/** One captured frame as `lab trace` prints it. */
export interface CapturedFrame {
  /** 'out' when this host sent it, 'in' otherwise. */
  dir: 'in' | 'out';
  srcMac: string;
  dstMac: string;
  /** 'arp', 'tcp', 'udp', 'icmp', 'ipip', 'gre', 'gue' or the EtherType in hex. */
  kind: string;
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  /** TCP flags in tcpdump letters. */
  flags?: string;
  /** ARP: 'who-has' or 'is-at'. */
  arp?: string;
  /** Inner packet of a tunnel frame. */
  inner?: { src: string; dst: string; sport: number; dport: number };
  len: number;
}

const u32 = (b: Uint8Array, o: number): number =>
  ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
const u16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;

function tcpFlags(f: number): string {
  let s = '';
  if (f & 2) s += 'S';
  if (f & 1) s += 'F';
  if (f & 4) s += 'R';
  if (f & 8) s += 'P';
  if (f & 16) s += '.';
  return s;
}

/** Describes one frame (untagged Ethernet); allocation is fine here, it is a debugging tool. */
export function describeFrame(f: Uint8Array, outgoing: boolean): CapturedFrame {
  const base = {
    dir: outgoing ? 'out' : 'in',
    srcMac: formatMac(f, 6),
    dstMac: formatMac(f, 0),
    len: f.length,
  } as const;
  const type = f.length >= 14 ? u16(f, 12) : 0;
  if (type === 0x0806 && f.length >= 42) {
    const op = u16(f, 20);
    return {
      ...base,
      kind: 'arp',
      arp: op === 1 ? 'who-has' : 'is-at',
      src: formatIPv4(u32(f, 28)),
      dst: formatIPv4(u32(f, 38)),
    };
  }
  if (type !== 0x0800 || f.length < 34) return { ...base, kind: `0x${type.toString(16)}`, src: '', dst: '' };
  const ihl = (f[14]! & 15) * 4;
  const l4 = 14 + ihl;
  const proto = f[23]!;
  const src = formatIPv4(u32(f, 26));
  const dst = formatIPv4(u32(f, 30));
  const r: DecapResult = { off: 0, len: 0 };
  if ((proto === 4 || proto === 47 || proto === 17) && findInnerAny(f, r)) {
    const io = r.off;
    const iihl = (f[io]! & 15) * 4;
    const kind = proto === 4 ? 'ipip' : proto === 47 ? 'gre' : 'gue';
    return {
      ...base,
      kind,
      src,
      dst,
      inner: {
        src: formatIPv4(u32(f, io + 12)),
        dst: formatIPv4(u32(f, io + 16)),
        sport: u16(f, io + iihl),
        dport: u16(f, io + iihl + 2),
      },
    };
  }
  if ((proto === 6 || proto === 17) && f.length >= l4 + 4) {
    return {
      ...base,
      kind: proto === 6 ? 'tcp' : 'udp',
      src,
      dst,
      sport: u16(f, l4),
      dport: u16(f, l4 + 2),
      ...(proto === 6 && f.length >= l4 + 14 ? { flags: tcpFlags(f[l4 + 13]!) } : {}),
    };
  }
  return { ...base, kind: proto === 1 ? 'icmp' : `ip${proto}`, src, dst };
}

/** findInner without a VIP filter: any inner destination counts. */
function findInnerAny(f: Uint8Array, r: DecapResult): boolean {
  const ihl = (f[14]! & 15) * 4;
  const proto = f[23];
  let inner = 14 + ihl;
  if (proto === 47)
    inner += 4 + (f[inner]! & 0x80 ? 4 : 0) + (f[inner]! & 0x20 ? 4 : 0) + (f[inner]! & 0x10 ? 4 : 0);
  else if (proto === 17) inner += 12 + (f[inner + 8]! & 0x1f) * 4;
  if (inner + 20 > f.length) return false;
  return findInner(f, f.length, new Uint32Array([u32(f, inner + 16)]), DEFAULT_GUE_PORT, r);
}

/** Captures on `ifname` until SIGTERM, one JSON line per frame on stdout. */
export function runCapture(ifname: string): void {
  const s = new PacketSocket({ blockSize: 1 << 18, blockCount: 16, ignoreOutgoing: false }).bind(ifname);
  s.start((b) => {
    let out = '';
    for (let i = 0; i < b.count; i++) {
      const off = b.offset(i);
      const d = describeFrame(b.buffer.subarray(off, off + b.length(i)), b.packetType(i) === PACKET_OUTGOING);
      if (d.kind.startsWith('0x86dd')) continue;
      out += `${JSON.stringify(d)}\n`;
    }
    if (out) process.stdout.write(out);
  });
  process.once('SIGTERM', () => {
    s.close();
    process.exit(0);
  });
  process.stderr.write('ready\n');
}
