/**
 * ip_vs_ftp on the packet plane, for NAT (masquerading) IPv4 conns the helper is bound to
 * (CONN_F.APP; the ports are ConnApp's), and FULLNAT ones in passive mode: what ip_vs_app.c's app_tcp_pkt_in/app_tcp_pkt_out and
 * ip_vs_ftp.c's ip_vs_ftp_in/ip_vs_ftp_out do to a control-conn segment before its addresses are
 * rewritten.
 *
 * - Both ways, the sequence numbers of a conn whose server replies were resized are adjusted
 *   (vs_fix_seq / vs_fix_ack_seq with in_seq and out_seq).
 * - Client → server: `PASV` / `EPSV` arm the conn for the reply; `PORT` / `EPRT` create the
 *   expected active data conn client:port ← VIP:vport-1 → RS:dport-1, so the real server's
 *   connection from port 20 is masqueraded as coming from VIP:20. Nothing is rewritten.
 * - Server → client, on an armed conn: the `227` reply's address (the real server's) becomes the
 *   VIP's and the expected passive data conn client:0 → VIP:port → RS:port is created; a `229`
 *   reply is written back as `|||port|`. The length change is recorded in out_seq
 *   (vs_seq_update), as the kernel did before it left the adjustment to conntrack's seqadj.
 *
 * Only segments of an ESTABLISHED conn are looked at, as the kernel does. Nothing is allocated per
 * packet; non-helper traffic never comes here (one flag test in the engine).
 */
import { APP_IN_SEQ, APP_MODE, APP_OUT_SEQ, APP_W } from '../core/conn-app.js';
import { CONN_F } from '../core/conn-table.js';
import type { Director } from '../core/director.js';
import { TCP_S } from '../core/proto/tcp.js';
import { fixAckSeq, fixSeq, seqUpdate } from '../core/seq-adjust.js';
import { FWD } from '../core/types.js';
import { moveFrame } from '../forward/frame.js';
import {
  FTP_MODE,
  FTP_TEXT_MAX,
  FtpMatch,
  ftpScanClient,
  ftpScanServer,
  ftpWriteAddr,
} from '../forward/ftp.js';
import { fillL4Checksum, IPPROTO, updateChecksum16, updateChecksum32 } from '../packet/checksum.js';
import type { Flow } from '../packet/flow.js';
import { DROP } from './drops.js';
import type { Output } from './output.js';

/** Counters of the helper (what it saw and did). */
export class FtpCounters {
  /** PORT/EPRT commands that created (or found) an active data conn. */
  active = 0;
  /** 227/229 replies rewritten with a passive data conn. */
  passive = 0;
  /** Replies that could not be rewritten (no arena room, conn_max): sent unchanged. */
  failed = 0;
}

/** The FTP helper of the IPv4 path. */
export class FtpHelper {
  readonly counters = new FtpCounters();
  private readonly m = new FtpMatch();
  private readonly text = new Uint8Array(FTP_TEXT_MAX);
  private readonly c = new Uint32Array(4);
  private readonly v = new Uint32Array(4);
  private readonly d = new Uint32Array(4);

  constructor(
    private readonly director: Director,
    private readonly out: Output,
  ) {}

  /** app_tcp_pkt_in(): a client segment of helper conn `idx`, before its DNAT. */
  clientSegment(buf: Uint8Array, flow: Flow, idx: number, now: number): void {
    if (flow.proto !== IPPROTO.TCP || !flow.hasL4) return;
    const conns = this.director.conns;
    const flags = conns.flagsOf(idx);
    const rec = conns.app.rec;
    const o = idx * APP_W;
    if (flags & CONN_F.IN_SEQ) this.setSeq(buf, flow, fixSeq(rec, o + APP_IN_SEQ, this.seq(buf, flow)));
    if (flags & CONN_F.OUT_SEQ) this.setAck(buf, flow, fixAckSeq(rec, o + APP_OUT_SEQ, this.ack(buf, flow)));
    if (conns.stateOf(idx) !== TCP_S.ESTABLISHED) return;
    const m = this.m;
    const mode = ftpScanClient(buf, flow.payloadOff, flow.ipEnd, m);
    if (mode < 0) return;
    if (mode === FTP_MODE.PASV || mode === FTP_MODE.EPSV) {
      rec[o + APP_MODE] = mode;
      return;
    }
    // PORT / EPRT: passive mode off; the real server will connect from its port vport-1.
    rec[o + APP_MODE] = FTP_MODE.ACTIVE;
    // FULLNAT: the real server sees a local address, not the client, so an active data conn would
    // need the command rewritten to a LIP and a port reserved there; not done (passive only).
    if ((flags & CONN_F.FWD_MASK) === FWD.FULLNAT) return;
    const c = this.c;
    const v = this.v;
    const d = this.d;
    c.fill(0);
    c[0] = m.addr;
    conns.readAddr(idx, 4, v);
    const vport = ((conns.vport[idx] as number) - 1) & 0xffff;
    if (conns.findIn(4, IPPROTO.TCP, c, m.port, v, vport) >= 0) {
      this.counters.active++;
      return;
    }
    conns.readAddr(idx, 8, d);
    const dport = (conns.dportOf(idx) - 1) & 0xffff;
    if (this.director.expectConn(idx, c, m.port, v, vport, d, dport, 0, now) >= 0) this.counters.active++;
  }

  /**
   * app_tcp_pkt_out(): a server segment of helper conn `idx`, before its SNAT. Returns the buffer
   * the segment is in afterwards (the output arena when a rewrite made it grow); `flow` follows it.
   */
  serverSegment(buf: Uint8Array, flow: Flow, idx: number, now: number): Uint8Array {
    if (flow.proto !== IPPROTO.TCP || !flow.hasL4) return buf;
    const conns = this.director.conns;
    const flags = conns.flagsOf(idx);
    const rec = conns.app.rec;
    const o = idx * APP_W;
    const seq = this.seq(buf, flow);
    if (flags & CONN_F.OUT_SEQ) this.setSeq(buf, flow, fixSeq(rec, o + APP_OUT_SEQ, seq));
    if (flags & CONN_F.IN_SEQ) this.setAck(buf, flow, fixAckSeq(rec, o + APP_IN_SEQ, this.ack(buf, flow)));
    const mode = rec[o + APP_MODE] as number;
    if (conns.stateOf(idx) !== TCP_S.ESTABLISHED || (mode !== FTP_MODE.PASV && mode !== FTP_MODE.EPSV))
      return buf;
    const m = this.m;
    if (!ftpScanServer(buf, flow.payloadOff, flow.ipEnd, mode, conns.daddrOf(idx), m)) return buf;
    // The data conn: found by its reply tuple RS:port → client:0, else created.
    const c = this.c;
    const v = this.v;
    const d = this.d;
    conns.readAddr(idx, 0, c);
    conns.readAddr(idx, 4, v);
    d.fill(0);
    d[0] = m.addr;
    let n = conns.findOut(4, IPPROTO.TCP, d, m.port, c, 0);
    if (n < 0) n = this.director.expectConn(idx, c, 0, v, m.port, d, m.port, CONN_F.NO_CPORT, now);
    if (n < 0) {
      this.counters.failed++;
      return buf;
    }
    const len = ftpWriteAddr(this.text, 0, mode, conns.vaddr[n] as number, conns.vport[n] as number);
    const b = this.replace(buf, flow, m.start, m.end, len);
    if (b === null) {
      this.counters.failed++;
      return buf;
    }
    const diff = len - (m.end - m.start);
    if (diff !== 0 && seqUpdate(rec, o + APP_OUT_SEQ, (flags & CONN_F.OUT_SEQ) !== 0, seq, diff))
      conns.setFlags(idx, conns.flagsOf(idx) | CONN_F.OUT_SEQ);
    rec[o + APP_MODE] = FTP_MODE.ACTIVE;
    this.counters.passive++;
    return b;
  }

  // Puts this.text[0, len) in place of [start, end) of the payload, moving the frame to the arena
  // when it grows; fixes the IP length and both checksums. Null when the arena is full.
  private replace(buf: Uint8Array, flow: Flow, start: number, end: number, len: number): Uint8Array | null {
    const diff = len - (end - start);
    let b = buf;
    let s = start;
    let e = end;
    if (diff > 0) {
      const out = this.out;
      const at = out.reserve(flow.ipEnd - flow.base + diff);
      if (at < 0) {
        out.drop(DROP.TX_FULL);
        return null;
      }
      const shift = flow.base;
      moveFrame(buf, flow, out.arena, at);
      b = out.arena;
      s += flow.base - shift;
      e += flow.base - shift;
    }
    if (diff !== 0) b.copyWithin(e + diff, e, flow.ipEnd);
    const t = this.text;
    for (let k = 0; k < len; k++) b[s + k] = t[k] as number;
    if (diff !== 0) {
      const l3 = flow.l3Off;
      const oldLen = ((b[l3 + 2] as number) << 8) | (b[l3 + 3] as number);
      const newLen = oldLen + diff;
      b[l3 + 2] = newLen >>> 8;
      b[l3 + 3] = newLen & 0xff;
      updateChecksum16(b, l3 + 10, oldLen, newLen);
      flow.ipEnd += diff;
      flow.l4Len += diff;
    }
    fillL4Checksum(b, flow.l3Off, flow.l4Off, flow.ipEnd, IPPROTO.TCP);
    return b;
  }

  private seq(buf: Uint8Array, flow: Flow): number {
    return rd32(buf, flow.l4Off + 4);
  }

  private ack(buf: Uint8Array, flow: Flow): number {
    return rd32(buf, flow.l4Off + 8);
  }

  // The TCP checksum follows every field change (RFC 1624), so the NAT rewrite after stays right.
  private setSeq(buf: Uint8Array, flow: Flow, v: number): void {
    const at = flow.l4Off + 4;
    updateChecksum32(buf, flow.l4Off + 16, rd32(buf, at), v);
    wr32(buf, at, v);
  }

  private setAck(buf: Uint8Array, flow: Flow, v: number): void {
    const at = flow.l4Off + 8;
    updateChecksum32(buf, flow.l4Off + 16, rd32(buf, at), v);
    wr32(buf, at, v);
  }
}

function rd32(b: Uint8Array, at: number): number {
  return (
    (((b[at] as number) << 24) |
      ((b[at + 1] as number) << 16) |
      ((b[at + 2] as number) << 8) |
      (b[at + 3] as number)) >>>
    0
  );
}

function wr32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}
