/**
 * Persistence templates (ip_vs_sched_persist, ip_vs_check_template): a template
 * <proto, client-net, 0, vaddr, vport> pins a client network to one dest for the persistence
 * timeout, and every conn scheduled through it is linked to it (n_control).
 */
import { CONN_F, type ConnTable } from './conn-table.js';
import { CONN_COUNT, type Dest } from './dest.js';
import type { Service } from './service.js';
import type { Settings } from './settings.js';

/** FTP control port: persistent FTP services use vport 0 in their template key. */
export const FTP_PORT = 21;
/** IPPROTO_IP: the protocol of fwmark templates. */
export const IPPROTO_IP = 0;

/** Writes `addr & netmask` into `out`: an IPv4 mask or an IPv6 prefix length (ipv6_addr_prefix). */
export function maskClient(af: number, c: Uint32Array, svc: Service, out: Uint32Array): void {
  if (af === 4) {
    out[0] = ((c[0] as number) & svc.mask4) >>> 0;
    out[1] = 0;
    out[2] = 0;
    out[3] = 0;
    return;
  }
  let bits = svc.prefixLen;
  for (let k = 0; k < 4; k++) {
    const w = c[k] as number;
    if (bits >= 32) out[k] = w;
    else if (bits <= 0) out[k] = 0;
    else out[k] = (w & ~(0xffffffff >>> bits)) >>> 0;
    bits -= 32;
  }
}

/**
 * ip_vs_check_template: a template is usable while its dest is linked (AVAILABLE) and, with
 * expire_quiescent_template, has a non-zero weight. An unusable one is neutralised so it never
 * matches again and dies by its own timer.
 */
export function checkTemplate(
  conns: ConnTable,
  t: number,
  dest: Dest | undefined,
  settings: Settings,
): boolean {
  if (!dest?.available || (settings.expireQuiescentTemplate && dest.weight === 0)) {
    conns.neutralise(t);
    return false;
  }
  return true;
}

/** Kernel conn flags a dest contributes (dest->conn_flags): method, INACTIVE, and NOOUTPUT unless replies pass the director. */
export function destConnFlags(dest: Dest): number {
  const fwd = dest.fwd & CONN_F.FWD_MASK;
  // MASQ and our FULLNAT see replies; every other method starts with NOOUTPUT (__ip_vs_update_dest).
  return fwd | CONN_F.INACTIVE | (fwd === 0 || fwd === 5 ? 0 : CONN_F.NOOUTPUT);
}

/** What persistence scheduling needs from the director (kept narrow to avoid an import cycle). */
export interface PersistContext {
  readonly conns: ConnTable;
  readonly settings: Settings;
  destById(id: number): Dest | undefined;
}

/**
 * Finds or creates the template for a new conn and returns its index and dest, or -1 when the
 * scheduler found no dest. `snet`, `tv` are scratch buffers; `v` is the packet's virtual address.
 * The template is created with timeout = persistence timeout; it is re-armed by the caller after
 * the conn is linked, as ip_vs_conn_put(ct) does in the kernel.
 */
export function findOrCreateTemplate(
  ctx: PersistContext,
  svc: Service,
  af: number,
  proto: number,
  c: Uint32Array,
  v: Uint32Array,
  vport: number,
  fwmark: number,
  snet: Uint32Array,
  tv: Uint32Array,
  pick: () => Dest | null,
  now: number,
): number {
  maskClient(af, c, svc, snet);
  let tproto = proto;
  let tvport = 0;
  for (let k = 0; k < 4; k++) tv[k] = v[k] as number;
  if (vport === svc.port) {
    if (svc.port !== FTP_PORT) tvport = vport;
  } else if (svc.fwmark !== 0) {
    tproto = IPPROTO_IP;
    tv[0] = svc.fwmark >>> 0;
    tv[1] = 0;
    tv[2] = 0;
    tv[3] = 0;
  }
  const conns = ctx.conns;
  let t = conns.findTemplate(af, tproto, snet, tv, tvport);
  if (t >= 0 && checkTemplate(conns, t, ctx.destById(conns.destOf(t)), ctx.settings)) return t;
  const dest = pick();
  if (!dest) return -1;
  const tdport = vport === svc.port && svc.port !== FTP_PORT ? dest.port : 0;
  t = conns.create(
    af,
    tproto,
    snet,
    0,
    tv,
    tvport,
    dest.af,
    destWords(dest),
    tdport,
    CONN_F.TEMPLATE | destConnFlags(dest),
    fwmark,
    dest.id,
    svc.id,
    now,
  );
  dest.bind(CONN_COUNT.TEMPLATE);
  conns.setTimeoutSecs(t, Math.max(1, svc.config.timeout));
  return t;
}

const wordsCache = new WeakMap<Dest, Uint32Array>();

/** A dest's address as 4 words (cached per dest; addresses never change). */
export function destWords(dest: Dest): Uint32Array {
  let w = wordsCache.get(dest);
  if (!w) {
    w = new Uint32Array(4);
    bytesToWords(dest.addrBytes, w);
    wordsCache.set(dest, w);
  }
  return w;
}

/** Converts 4 or 16 address bytes to host-order words (IPv4: word 0 only). */
export function bytesToWords(b: Uint8Array, out: Uint32Array): void {
  if (b.length === 4) {
    out[0] =
      (((b[0] as number) << 24) | ((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number)) >>>
      0;
    out[1] = 0;
    out[2] = 0;
    out[3] = 0;
    return;
  }
  for (let k = 0; k < 4; k++) {
    const o = k * 4;
    out[k] =
      (((b[o] as number) << 24) |
        ((b[o + 1] as number) << 16) |
        ((b[o + 2] as number) << 8) |
        (b[o + 3] as number)) >>>
      0;
  }
}

/** The dest's kind for bind/unbind given a conn's flags. */
export function countKind(flags: number): 0 | 1 | 2 {
  if (flags & CONN_F.TEMPLATE) return CONN_COUNT.TEMPLATE;
  return flags & CONN_F.INACTIVE ? CONN_COUNT.INACTIVE : CONN_COUNT.ACTIVE;
}
