/**
 * The capture half of `lab trace ha`: an AF_PACKET socket on one interface printing one JSON line
 * `{"t": ms, "hex": frame}` per ARP or VRRP frame (decoded by the parent with ha-frame.ts, so the
 * decoding stays testable without a socket). It prints `ready` on stderr once bound and exits on
 * SIGTERM, like capture.ts.
 */
import { PacketSocket } from '../../io/packet-socket/index.js';
import { isHaFrame } from './ha-frame.js';

/** One captured frame: when (the host's Date.now()) and its bytes in hex. */
export interface HaCapturedFrame {
  readonly t: number;
  readonly hex: string;
}

/** Captures ARP and VRRP on `ifname` until SIGTERM. */
export function runHaCapture(ifname: string): void {
  const s = new PacketSocket({ blockSize: 1 << 16, blockCount: 8, ignoreOutgoing: false }).bind(ifname);
  s.start((b) => {
    const t = Date.now();
    let out = '';
    for (let i = 0; i < b.count; i++) {
      const off = b.offset(i);
      const f = b.buffer.subarray(off, off + b.length(i));
      if (isHaFrame(f)) out += `${JSON.stringify({ t, hex: Buffer.from(f).toString('hex') })}\n`;
    }
    if (out) process.stdout.write(out);
  });
  process.once('SIGTERM', () => {
    s.close();
    process.exit(0);
  });
  process.stderr.write('ready\n');
}
