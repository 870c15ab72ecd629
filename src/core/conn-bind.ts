/**
 * Binding a connection that arrived without a destination (a conn created by the sync backup) to
 * a dest of the local table: ip_vs_find_dest() (net/netfilter/ipvs/ip_vs_ctl.c), the SYNC rules of
 * ip_vs_bind_dest() and ip_vs_try_bind_dest() (net/netfilter/ipvs/ip_vs_conn.c). Off the hot path:
 * the backup calls it per received entry.
 */
import { CONN_F } from './conn-table.js';
import type { Dest } from './dest.js';
import type { Director } from './director.js';
import { countKind, destConnFlags, destWords } from './persistence.js';
import type { Service } from './service.js';

const vbytes4 = new Uint8Array(4);
const vbytes16 = new Uint8Array(16);

// The service lookup takes address bytes; conns keep host-order words.
function wordsToBytes(af: number, w: Uint32Array): Uint8Array {
  const b = af === 6 ? vbytes16 : vbytes4;
  const n = af === 6 ? 4 : 1;
  for (let k = 0; k < n; k++) {
    const x = w[k] as number;
    b[k * 4] = x >>> 24;
    b[k * 4 + 1] = (x >>> 16) & 255;
    b[k * 4 + 2] = (x >>> 8) & 255;
    b[k * 4 + 3] = x & 255;
  }
  return b;
}

function sameAddr(af: number, a: Uint32Array, b: Uint32Array): boolean {
  if (a[0] !== b[0]) return false;
  return af !== 6 || (a[1] === b[1] && a[2] === b[2] && a[3] === b[3]);
}

// ip_vs_lookup_dest(): a linked dest of the service with this family, address and port.
function lookupDest(dests: readonly Dest[], af: number, daddr: Uint32Array, port: number): Dest | undefined {
  for (const d of dests) if (d.af === af && d.port === port && sameAddr(af, destWords(d), daddr)) return d;
  return undefined;
}

/**
 * ip_vs_find_dest(): the service of (af, fwmark, protocol, vaddr, vport) in ip_vs_service_find's
 * order, then its dest daddr:dport. A fwmark service that does not NAT has dest port 0 (ports are
 * not rewritten), so the lookup tries port 0 and then the conn's dport, the other way round for
 * every other service.
 */
export function findSyncDest(
  director: Director,
  af: 4 | 6,
  fwmark: number,
  protocol: number,
  vaddr: Uint32Array,
  vport: number,
  daddr: Uint32Array,
  dport: number,
  flags: number,
): Dest | undefined {
  const svc = director.table.lookup(af, protocol, wordsToBytes(af, vaddr), vport, fwmark);
  if (!svc) return undefined;
  const port = fwmark !== 0 && (flags & CONN_F.FWD_MASK) !== 0 ? 0 : dport;
  return lookupDest(svc.dests, af, daddr, port) ?? lookupDest(svc.dests, af, daddr, port ^ dport);
}

/**
 * The conn flags a SYNC conn gets when bound to `dest` (ip_vs_bind_dest()): the forwarding method
 * and NOOUTPUT come from the local dest, not from the master; a conn (not a template) keeps the
 * activity the master reported instead of starting INACTIVE.
 */
export function syncBoundFlags(flags: number, dest: Dest): number {
  let cf = destConnFlags(dest);
  if ((flags & CONN_F.TEMPLATE) === 0) cf &= ~CONN_F.INACTIVE;
  return (flags & ~(CONN_F.FWD_MASK | CONN_F.NOOUTPUT)) | cf;
}

/**
 * Binds unbound conn `idx` to `dest` as ip_vs_bind_dest() does for a SYNC conn: flags from
 * {@link syncBoundFlags}, the dest's active/inactive/persistent count, and the conn's service.
 */
export function bindSyncDest(director: Director, idx: number, dest: Dest): void {
  const conns = director.conns;
  const flags = syncBoundFlags(conns.flagsOf(idx), dest);
  conns.setFlags(idx, flags);
  conns.setDest(idx, dest.id);
  // A dest's owner is always a Service (DestService is its narrow view, to avoid an import cycle).
  conns.svc[idx] = (dest.svc as Service).id;
  dest.bind(countKind(flags));
}

/**
 * ip_vs_try_bind_dest(): binds unbound conn `idx` to the dest its tuple names now, if the local
 * table has one. Returns the dest (the conn's own when it was already bound) or undefined.
 */
export function tryBindDest(director: Director, idx: number): Dest | undefined {
  const conns = director.conns;
  const own = director.destOf(idx);
  if (own) return own;
  const af = conns.af(idx);
  const v = new Uint32Array(4);
  const d = new Uint32Array(4);
  conns.readAddr(idx, 4, v);
  conns.readAddr(idx, 8, d);
  const dest = findSyncDest(
    director,
    af,
    conns.fwmark[idx] as number,
    conns.proto[idx] as number,
    v,
    conns.vport[idx] as number,
    d,
    conns.dportOf(idx),
    conns.flagsOf(idx),
  );
  if (!dest) return undefined;
  bindSyncDest(director, idx, dest);
  return dest;
}
