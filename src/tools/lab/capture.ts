/**
 * The capture half of `lab trace`: an AF_PACKET socket on one interface (outgoing frames
 * included, so one end of a veth shows both directions) printing one JSON line per frame: the
 * frame summary of `lvsd simulate` (frame-summary.ts; tunnels with their inner packet) and whether
 * the capturing host sent or received it.
 * It prints `ready` on stderr once bound and exits on SIGTERM.
 */
import { PACKET_OUTGOING } from '../../io/driver.js';
import { PacketSocket } from '../../io/packet-socket/index.js';
import { type FrameSummary, summarizeFrame } from '../frame-summary.js';
import { DEFAULT_GUE_PORT } from '../rs-agent.js';

/** One captured frame as `lab trace` prints it: the shared frame summary and its direction. */
export interface CapturedFrame extends FrameSummary {
  /** 'out' when the capturing host sent it, 'in' otherwise (trace.ts turns this into the director's view). */
  dir: 'in' | 'out';
}

/** Describes one frame (untagged Ethernet); allocation is fine here, it is a debugging tool. */
export function describeFrame(f: Uint8Array, outgoing: boolean): CapturedFrame {
  return { dir: outgoing ? 'out' : 'in', ...summarizeFrame(f, { guePorts: GUE_PORTS }) };
}

const GUE_PORTS = new Set([DEFAULT_GUE_PORT]);

/** Captures on `ifname` until SIGTERM, one JSON line per frame on stdout. */
export function runCapture(ifname: string): void {
  const s = new PacketSocket({ blockSize: 1 << 18, blockCount: 16, ignoreOutgoing: false }).bind(ifname);
  s.start((b) => {
    let out = '';
    for (let i = 0; i < b.count; i++) {
      const off = b.offset(i);
      const d = describeFrame(b.buffer.subarray(off, off + b.length(i)), b.packetType(i) === PACKET_OUTGOING);
      // IPv6 on the lab links is only the kernel's own chatter (router solicitations, MLD).
      if (d.ip?.af === 6 || d.kind === '0x86dd') continue;
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
