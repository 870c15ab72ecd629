/**
 * Connection-table listings: turns live entries into ConnView rows as `ipvsadm -Lc` and
 * /proc/net/ip_vs_conn show them (ip_vs_conn.c `ip_vs_conn_seq_show`). Off the hot path: allocates freely.
 */

import { formatIPv4, formatIPv6 } from './addr.js';
import { CONN_F, CTPL_S, KIND } from './conn-table.js';
import type { Director } from './director.js';
import { SCTP_STATE_NAMES } from './proto/sctp.js';
import { TCP_STATE_NAMES } from './proto/tcp.js';
import { UDP_STATE_NAMES } from './proto/udp.js';
import { PROTO } from './types.js';
import type { ConnView } from './views.js';

/** Listing options. */
export interface ConnViewOptions {
  /** Include persistence templates (ipvsadm -Lc lists them). Default true. */
  templatesToo?: boolean;
}

/** The state name the kernel prints for a conn (ip_vs_state_name): templates NONE/ASSURED. */
export function connStateName(protocol: number, flags: number, state: number): string {
  if (flags & CONN_F.TEMPLATE) return state === CTPL_S.ASSURED ? 'ASSURED' : 'NONE';
  if (protocol === PROTO.TCP) return TCP_STATE_NAMES[state] ?? 'ERR!';
  if (protocol === PROTO.UDP) return UDP_STATE_NAMES[state] ?? 'ERR!';
  if (protocol === PROTO.SCTP) return SCTP_STATE_NAMES[state] ?? 'ERR!';
  return 'NONE';
}

function fmt(af: number, w: Uint32Array): string {
  if (af === 4) return formatIPv4(w[0] as number);
  const b = new Uint8Array(16);
  for (let k = 0; k < 4; k++) {
    const x = w[k] as number;
    b[k * 4] = x >>> 24;
    b[k * 4 + 1] = (x >>> 16) & 255;
    b[k * 4 + 2] = (x >>> 8) & 255;
    b[k * 4 + 3] = x & 255;
  }
  return formatIPv6(b);
}

/** Live conns (and templates) as ConnView rows, in table order; one-packet conns are never listed. */
export function connViews(director: Director, now: number, opts: ConnViewOptions = {}): ConnView[] {
  const t = director.conns;
  const out: ConnView[] = [];
  const w = new Uint32Array(4);
  const withTemplates = opts.templatesToo ?? true;
  for (let i = 0; i < t.limit; i++) {
    if (t.kind(i) !== KIND.LIVE) continue;
    const flags = t.flagsOf(i);
    const template = (flags & CONN_F.TEMPLATE) !== 0;
    if (template && !withTemplates) continue;
    const af = t.af(i);
    const protocol = t.proto[i] as number;
    t.readAddr(i, 0, w);
    const caddr = fmt(af, w);
    t.readAddr(i, 4, w);
    // fwmark templates (protocol IP) carry the mark where the address would be.
    const vaddr = template && protocol === 0 && af === 6 ? formatIPv4(w[0] as number) : fmt(af, w);
    t.readAddr(i, 8, w);
    const daddr = fmt(t.daf(i), w);
    out.push({
      protocol,
      af,
      caddr,
      cport: t.cport[i] as number,
      vaddr,
      vport: t.vport[i] as number,
      daddr,
      dport: t.dportOf(i),
      state: connStateName(protocol, flags, t.stateOf(i)),
      expiresMs: Math.max(0, t.expiresOf(i) - now),
      flags,
      fwmark: t.fwmark[i] as number,
      template,
    });
  }
  return out;
}
