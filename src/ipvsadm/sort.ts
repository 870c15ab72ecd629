/**
 * ipvsadm's default ordering (libipvs ipvs_cmp_services / ipvs_cmp_dests under glibc's merge
 * sort). Each key is compared as `(int)(a - b)` on unsigned values, so addresses 2^31 apart sort
 * "backwards" (200.0.0.9 before 10.0.0.9), exactly as the real ipvsadm prints them.
 */

import type { DestView, ServiceView } from '../control/views.js';
import { ipBytes } from '../core/addr.js';

/** C `int r = (u32)a - (u32)b`. */
const isub = (a: number, b: number): number => ((a >>> 0) - (b >>> 0)) | 0;
const AF_NUM = { 4: 2, 6: 10 } as const; // AF_INET, AF_INET6

function words(addr: string): number[] {
  const b = ipBytes(addr) ?? new Uint8Array(4);
  const out: number[] = [];
  for (let i = 0; i + 3 < b.length; i += 4) {
    out.push(
      (((b[i] ?? 0) << 24) | ((b[i + 1] ?? 0) << 16) | ((b[i + 2] ?? 0) << 8) | (b[i + 3] ?? 0)) >>> 0,
    );
  }
  return out;
}

function cmpAddr(a: string, b: string): number {
  const wa = words(a);
  const wb = words(b);
  let r = 0;
  for (let i = 0; r === 0 && i < Math.min(wa.length, wb.length); i++) r = isub(wa[i] ?? 0, wb[i] ?? 0);
  return r;
}

/** ipvs_cmp_services: fwmark, family, protocol, address, port. */
export function cmpServices(x: ServiceView, y: ServiceView): number {
  const a = x.key;
  const b = y.key;
  const fm = (k: typeof a) => (k.kind === 'fwmark' ? k.fwmark : 0);
  let r = isub(fm(a), fm(b));
  if (r) return r;
  r = AF_NUM[a.af] - AF_NUM[b.af];
  if (r) return r;
  const pr = (k: typeof a) => (k.kind === 'addr' ? k.protocol : 6);
  r = pr(a) - pr(b);
  if (r) return r;
  if (a.kind !== 'addr' || b.kind !== 'addr') return 0;
  r = cmpAddr(a.addr, b.addr);
  return r || a.port - b.port;
}

/** ipvs_cmp_dests: address, then port (families compared first for mixed tunnel dests). */
export function cmpDests(a: DestView, b: DestView): number {
  if (a.af !== b.af) return AF_NUM[a.af] - AF_NUM[b.af];
  return cmpAddr(a.addr, b.addr) || a.port - b.port;
}

/** glibc msort: top-down merge sort taking from the left run on ties (matters only for a non-transitive cmp). */
export function msort<T>(xs: readonly T[], cmp: (a: T, b: T) => number): T[] {
  if (xs.length <= 1) return [...xs];
  const n1 = xs.length >> 1;
  const l = msort(xs.slice(0, n1), cmp);
  const r = msort(xs.slice(n1), cmp);
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < l.length && j < r.length) {
    if (cmp(l[i] as T, r[j] as T) <= 0) out.push(l[i++] as T);
    else out.push(r[j++] as T);
  }
  while (i < l.length) out.push(l[i++] as T);
  while (j < r.length) out.push(r[j++] as T);
  return out;
}

/** Services in ipvsadm's default order. */
export const sortServices = (s: readonly ServiceView[]) => msort(s, cmpServices);
/** Destinations in ipvsadm's default order. */
export const sortDests = (d: readonly DestView[]) => msort(d, cmpDests);
