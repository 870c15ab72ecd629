/** Test helpers for the scheduler tests: real ServiceTable services, loads via Dest.bind. */
import { CONN_COUNT, type Dest } from '../../../src/core/dest.js';
import { findScheduler } from '../../../src/core/schedulers/index.js';
import type { SchedPacket, SchedulerOptions } from '../../../src/core/schedulers/scheduler.js';
import type { Service } from '../../../src/core/service.js';
import { ServiceTable } from '../../../src/core/service-table.js';
import type { ServiceKey } from '../../../src/core/types.js';
import { destConfig, svcConfig, tcp } from '../../helpers/table.js';

/** One dest of a test service. */
export interface D {
  addr: string;
  weight?: number;
  port?: number;
  u?: number;
  l?: number;
}

/** A service built through the real ServiceTable. */
export interface Built {
  table: ServiceTable;
  svc: Service;
  key: ServiceKey;
  /** Dests by address. */
  by: Record<string, Dest>;
}

/** The VIP every test service uses. */
export const VIP = '192.0.2.1';

/** Builds a service whose dest LIST order is `list` (so they are added last to first). */
export function build(
  scheduler: string,
  list: D[],
  opts: {
    flags?: number;
    schedulerOptions?: SchedulerOptions;
    key?: ServiceKey;
    mhTableSize?: number;
    /** Add the dests under `none`, then switch scheduler with editService (one init with all dests). */
    viaEdit?: boolean;
  } = {},
): Built {
  const table = new ServiceTable({
    schedulers: findScheduler,
    ...(opts.schedulerOptions ? { schedulerOptions: opts.schedulerOptions } : {}),
  });
  const key = opts.key ?? tcp(VIP, 80);
  const cfg = svcConfig({
    scheduler,
    ...(key.af === 6 ? { netmask: '128' } : {}),
    flags: opts.flags ?? 0,
    ...(opts.mhTableSize ? { mhTableSize: opts.mhTableSize } : {}),
  });
  const svc = table.addService(key, opts.viaEdit ? { ...cfg, scheduler: 'none' } : cfg);
  const by: Record<string, Dest> = {};
  for (const d of [...list].reverse()) {
    by[d.addr] = table.addDest(
      key,
      destConfig(d.addr, d.port ?? 80, { weight: d.weight ?? 1, uThreshold: d.u ?? 0, lThreshold: d.l ?? 0 }),
    );
  }
  if (opts.viaEdit) table.editService(key, cfg);
  return { table, svc, key, by };
}

/** Gives a dest `active` more active and `inact` more inactive connections through Dest.bind. */
export function load(d: Dest, active: number, inact = 0): void {
  for (let i = 0; i < active; i++) d.bind(CONN_COUNT.ACTIVE);
  for (let i = 0; i < inact; i++) d.bind(CONN_COUNT.INACTIVE);
}

/** A packet from `src`:`sport` to `dst`:80 over `protocol`. */
export function pkt(src = '10.0.0.1', sport = 1234, dst = VIP, protocol = 6): SchedPacket {
  return { srcAddr: bytes(src), srcPort: sport, dstAddr: bytes(dst), dstPort: 80, protocol };
}

/** Address bytes of an IPv4 or IPv6 literal. */
export function bytes(a: string): Uint8Array {
  if (!a.includes(':')) return new Uint8Array(a.split('.').map(Number));
  const [h, t] = a.split('::') as [string, string | undefined];
  const hp = h ? h.split(':') : [];
  const tp = t ? t.split(':') : [];
  const words = [...hp, ...Array(8 - hp.length - tp.length).fill('0'), ...tp].map((x) =>
    Number.parseInt(x, 16),
  );
  const b = new Uint8Array(16);
  words.forEach((w, i) => {
    b[2 * i] = w >> 8;
    b[2 * i + 1] = w & 255;
  });
  return b;
}

/** Schedules `n` times with the same packet; returns picked addresses ('-' for none). */
export function picks(b: Built, n: number, p: SchedPacket = pkt(), now = 0): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(b.svc.sched?.schedule(b.svc, p, now)?.addr ?? '-');
  return out;
}

/** One pick's address ('-' for none). */
export function pick(b: Built, p: SchedPacket = pkt(), now = 0): string {
  return b.svc.sched?.schedule(b.svc, p, now)?.addr ?? '-';
}

/** A deterministic u32 source (xorshift32) for twos. */
export function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** A u32 source that replays `values` in a loop. */
export function replay(values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] as number;
}
