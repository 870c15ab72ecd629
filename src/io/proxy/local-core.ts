/**
 * A small stand-alone {@link ProxyCore} over a ServiceTable: TCP states from the kernel's
 * transition table, per-state timeouts from Settings (`--set` changes them), Active/InAct counts
 * and OVERLOAD through Dest.bind/unbind, persistence templates keyed by the client's masked
 * address, and expire_nodest_conn / expire_quiescent_template. It lets the proxy data plane run
 * embedded or in tests without the packet director's connection table; lvsd uses the core's
 * Director instead. Expiry scans every live entry once per tick, which is fine for the tens of
 * thousands of connections a socket proxy holds, not for the packet plane's millions.
 */
import { CONN_COUNT, type Dest } from '../../core/dest.js';
import { DIR, TCP_EV, TCP_S, TCP_STATE_ACTIVE, tcpNextState } from '../../core/proto/tcp.js';
import type { SchedPacket } from '../../core/schedulers/scheduler.js';
import type { Service } from '../../core/service.js';
import type { ServiceTable } from '../../core/service-table.js';
import { Settings } from '../../core/settings.js';
import { Stats } from '../../core/stats.js';
import { PROTO } from '../../core/types.js';
import { CONN_EV, type ConnEvent, DIR_IN, type ProxyCore } from './core.js';

/** A template that still controls conns is re-armed for this long (ip_vs_conn_expire). */
const TEMPLATE_REARM_MS = 60_000;

class Entry {
  svc: Service;
  dest: Dest;
  state = 0;
  expires = 0;
  tmpl: Template | null = null;
  constructor(svc: Service, dest: Dest) {
    this.svc = svc;
    this.dest = dest;
  }
}

class Template {
  readonly key: string;
  readonly dest: Dest;
  ctl = 0;
  expires = 0;
  constructor(key: string, dest: Dest) {
    this.key = key;
    this.dest = dest;
  }
}

/** Stand-alone proxy core: see the file comment. */
export class LocalProxyCore implements ProxyCore {
  readonly settings = new Settings();
  /** Global counters (what `--stats` shows in its totals). */
  readonly stats = new Stats();
  private readonly entries: (Entry | undefined)[] = [];
  private readonly free: number[] = [];
  private readonly templates = new Map<string, Template>();
  private expireFn: (idx: number) => void = () => {};
  private lastEstimate = -1;
  private readonly pkt: SchedPacket = {
    srcAddr: new Uint8Array(4),
    srcPort: 0,
    dstAddr: new Uint8Array(4),
    dstPort: 0,
    protocol: 6,
  };

  constructor(readonly table: ServiceTable) {}

  /** Live connection entries (for listings and tests). */
  get liveCount(): number {
    return this.entries.length - this.free.length;
  }

  openConn(
    svc: Service,
    caddr: Uint8Array,
    cport: number,
    vaddr: Uint8Array,
    vport: number,
    now: number,
  ): number {
    let tmpl: Template | null = null;
    let dest: Dest | null = null;
    if (svc.persistent) {
      const key = `${svc.id}|${maskedKey(svc, caddr)}`;
      tmpl = this.templates.get(key) ?? null;
      // ip_vs_check_template: a template whose dest left (or is quiesced, when asked) is dropped.
      if (
        tmpl &&
        (!tmpl.dest.available || (this.settings.expireQuiescentTemplate && tmpl.dest.weight === 0))
      ) {
        this.dropTemplate(tmpl);
        tmpl = null;
      }
      if (!tmpl) {
        dest = this.schedule(svc, caddr, cport, vaddr, vport, now);
        if (!dest) return -1;
        tmpl = new Template(key, dest);
        dest.bind(CONN_COUNT.TEMPLATE);
        this.templates.set(key, tmpl);
      }
      dest = tmpl.dest;
      tmpl.expires = now + svc.config.timeout * 1000;
    } else {
      dest = this.schedule(svc, caddr, cport, vaddr, vport, now);
      if (!dest) return -1;
    }
    const e = new Entry(svc, dest);
    const tcp = svc.protocol === PROTO.TCP;
    // A SYN moves NONE → SYN_RECV (active); UDP is one state, always inactive (ipvs.md §4.5).
    e.state = tcp ? tcpNextState(false, DIR.INPUT, TCP_EV.SYN, TCP_S.NONE) : 0;
    e.expires = now + this.timeoutMs(e);
    e.tmpl = tmpl;
    if (tmpl) tmpl.ctl++;
    dest.bind(tcp && TCP_STATE_ACTIVE[e.state] ? CONN_COUNT.ACTIVE : CONN_COUNT.INACTIVE);
    svc.stats.conns++;
    dest.stats.conns++;
    this.stats.conns++;
    const idx = this.free.pop() ?? this.entries.length;
    this.entries[idx] = e;
    return idx;
  }

  connDest(idx: number): Dest | undefined {
    return this.entries[idx]?.dest;
  }

  connEvent(idx: number, ev: ConnEvent, now: number): void {
    const e = this.entries[idx];
    if (!e || e.svc.protocol !== PROTO.TCP) return;
    const secure = this.settings.secureTcp;
    let s = e.state;
    switch (ev) {
      case CONN_EV.ESTABLISHED:
        s = tcpNextState(secure, DIR.OUTPUT, TCP_EV.SYN, s);
        s = tcpNextState(secure, DIR.INPUT, TCP_EV.ACK, s);
        break;
      case CONN_EV.CLIENT_FIN:
        s = tcpNextState(secure, DIR.INPUT, TCP_EV.FIN, s);
        break;
      case CONN_EV.SERVER_FIN:
        s = tcpNextState(secure, DIR.OUTPUT, TCP_EV.FIN, s);
        break;
      case CONN_EV.CLIENT_RST:
        s = tcpNextState(secure, DIR.INPUT, TCP_EV.RST, s);
        break;
      case CONN_EV.SERVER_RST:
        s = tcpNextState(secure, DIR.OUTPUT, TCP_EV.RST, s);
        break;
    }
    e.dest.setActivity(TCP_STATE_ACTIVE[e.state] === true, TCP_STATE_ACTIVE[s] === true);
    e.state = s;
    e.expires = now + this.timeoutMs(e);
  }

  countBytes(idx: number, dir: number, bytes: number, pkts: number, now: number): void {
    const e = this.entries[idx];
    if (!e) return;
    if (dir === DIR_IN) {
      e.svc.stats.inpkts += pkts;
      e.svc.stats.inbytes += bytes;
      e.dest.stats.inpkts += pkts;
      e.dest.stats.inbytes += bytes;
      this.stats.inpkts += pkts;
      this.stats.inbytes += bytes;
    } else {
      e.svc.stats.outpkts += pkts;
      e.svc.stats.outbytes += bytes;
      e.dest.stats.outpkts += pkts;
      e.dest.stats.outbytes += bytes;
      this.stats.outpkts += pkts;
      this.stats.outbytes += bytes;
    }
    e.expires = now + this.timeoutMs(e);
  }

  dropConn(idx: number, _now: number): void {
    this.freeEntry(idx);
  }

  onExpire(fn: (idx: number) => void): void {
    this.expireFn = fn;
  }

  udpTimeoutMs(): number {
    return (this.settings.udpTimeouts[0] ?? 300) * 1000;
  }

  tick(now: number): void {
    const nodest = this.settings.expireNodestConn;
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (!e) continue;
      // expire_nodest_conn flushes conns whose dest was deleted (ip_vs_expire_nodest_conn_flush).
      if (e.expires <= now || (nodest && !e.dest.available)) {
        this.freeEntry(i);
        this.expireFn(i);
      }
    }
    for (const t of this.templates.values()) {
      if (t.expires > now) continue;
      if (t.ctl > 0) t.expires = now + TEMPLATE_REARM_MS;
      else this.dropTemplate(t);
    }
    if (this.lastEstimate < 0) this.lastEstimate = now;
    while (now - this.lastEstimate >= 2000) {
      this.lastEstimate += 2000;
      this.stats.estimate();
      for (const s of this.table.list()) {
        s.stats.estimate();
        for (const d of s.dests) d.stats.estimate();
      }
    }
    this.table.expireTrash(now);
  }

  /** Timeout of an entry's current state in ms. */
  private timeoutMs(e: Entry): number {
    const t = this.settings;
    if (e.svc.protocol === PROTO.TCP) return (t.tcpTimeouts[e.state] ?? 60) * 1000;
    return (t.udpTimeouts[0] ?? 300) * 1000;
  }

  private schedule(
    svc: Service,
    caddr: Uint8Array,
    cport: number,
    vaddr: Uint8Array,
    vport: number,
    now: number,
  ): Dest | null {
    if (!svc.sched) return null;
    const p = this.pkt;
    p.srcAddr = caddr;
    p.srcPort = cport;
    p.dstAddr = vaddr;
    p.dstPort = vport;
    p.protocol = svc.protocol;
    return svc.sched.schedule(svc, p, now);
  }

  private freeEntry(idx: number): void {
    const e = this.entries[idx];
    if (!e) return;
    const tcp = e.svc.protocol === PROTO.TCP;
    e.dest.unbind(tcp && TCP_STATE_ACTIVE[e.state] ? CONN_COUNT.ACTIVE : CONN_COUNT.INACTIVE);
    if (e.tmpl) e.tmpl.ctl--;
    this.entries[idx] = undefined;
    this.free.push(idx);
  }

  private dropTemplate(t: Template): void {
    this.templates.delete(t.key);
    t.dest.unbind(CONN_COUNT.TEMPLATE);
  }
}

/** The client address under the service's persistence mask, as a string key (one per new conn). */
function maskedKey(svc: Service, caddr: Uint8Array): string {
  if (caddr.length === 4) {
    const v = (((caddr[0]! << 24) | (caddr[1]! << 16) | (caddr[2]! << 8) | caddr[3]!) & svc.mask4) >>> 0;
    return v.toString(16);
  }
  let out = '';
  let bits = svc.prefixLen;
  for (let i = 0; i < 16; i++) {
    const keep = bits >= 8 ? 0xff : bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff;
    out += ((caddr[i]! & keep) | 0x100).toString(16).slice(1);
    bits -= 8;
  }
  return out;
}
