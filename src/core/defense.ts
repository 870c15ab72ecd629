/**
 * The connection-table defenses of kernel IPVS, as net/netfilter/ipvs/ip_vs_ctl.c
 * update_defense_level() runs them once a second from defense_work_handler(): when available
 * memory falls below `amemthresh` pages, `drop_entry` removes entries (drop-entry.ts,
 * ip_vs_conn.c ip_vs_random_dropentry()), `drop_packet` drops one new connection in `drop_rate`
 * (ip_vs.h ip_vs_todrop()) and `secure_tcp` switches to the stricter TCP state table. Each takes
 * mode 0 (off), 1 (automatic, not triggered: the kernel rewrites it to 2 when memory runs low), 2
 * (automatic, triggered: back to 1 when memory recovers) or 3 (always on; for drop_packet at
 * `am_droprate`).
 *
 * `conn_max` is LVS.ts's own: the kernel has no bound on its table besides memory (ip_vs_conn_new()
 * failing to allocate drops the packet). It defaults to 0 (no bound) so a default install behaves
 * as the kernel's does: a count picked for the operator would refuse legitimate connections on a
 * big director, and the memory-driven defenses above are the kernel's answer to floods. Set it to
 * keep a flood from growing the table (and lvsd's memory) past a known size.
 *
 * Pure: available memory comes in as a number; the daemon reads it (io/meminfo.ts).
 */
import type { Settings } from './settings.js';

/** Bits of {@link Defense.active}: which defenses are in force now. */
export const DEFENSE = {
  /** drop_entry: entries are being dropped each tick. */
  DROP_ENTRY: 1,
  /** drop_packet: new connections are dropped at a rate. */
  DROP_PACKET: 2,
  /** secure_tcp: the "dos" TCP state table is in force. */
  SECURE_TCP: 4,
} as const;

/**
 * KiB in a page: amemthresh counts pages, as si_meminfo() does. 4 KiB is the page of x86-64 and
 * of most arm64 kernels; a 64 KiB-page kernel would count sixteen times fewer.
 */
export const PAGE_KIB = 4;

/** Defense state of one director: the kernel's dropentry, drop_rate, drop_counter, old_secure_tcp. */
export class Defense {
  /** ipvs->dropentry: whether each tick drops entries. */
  dropEntry = false;
  /** ipvs->drop_rate: 0 = drop nothing, N = drop one new connection in N. */
  dropRate = 0;
  /** ipvs->drop_counter: new connections left until the next drop. */
  dropCounter = 0;
  /** Available memory in pages at the last update; -1 before the first measurement (no pressure assumed). */
  availPages = -1;
  /** Whether the last measurement was below amemthresh. */
  nomem = false;
  /** New connections dropped by drop_packet. */
  droppedPackets = 0;
  /** Entries removed by drop_entry. */
  droppedEntries = 0;
  /** New connections refused because the table held conn_max entries. */
  refusedConnMax = 0;
  /** Half-open entries removed to admit a new connection at conn_max (early drop, drop-entry.ts). */
  evictedConnMax = 0;
  private oldSecureTcp = 0;

  /**
   * update_defense_level(): measures `availPages` (omitted: the last measurement, as a sysctl write
   * re-runs it) against amemthresh and moves the three modes, rewriting 1 ↔ 2 in `s` as the kernel
   * rewrites its sysctls.
   */
  update(s: Settings, availPages?: number): void {
    if (availPages !== undefined) this.availPages = Math.max(0, Math.floor(availPages));
    const avail = this.availPages;
    const thresh = Math.max(s.get('amemthresh'), 0);
    const nomem = avail >= 0 && avail < thresh;
    this.nomem = nomem;

    switch (s.get('drop_entry')) {
      case 0:
        this.dropEntry = false;
        break;
      case 1:
        this.dropEntry = nomem;
        if (nomem) s.set('drop_entry', 2);
        break;
      case 2:
        this.dropEntry = nomem;
        if (!nomem) s.set('drop_entry', 1);
        break;
      default:
        this.dropEntry = true;
    }

    switch (s.get('drop_packet')) {
      case 0:
        this.dropRate = 0;
        break;
      case 1:
      case 2:
        if (nomem) {
          // drop_counter = amemthresh / (amemthresh - availmem): 1 (every one) at no memory left.
          this.dropCounter = Math.floor(thresh / (thresh - avail));
          this.dropRate = this.dropCounter;
          s.set('drop_packet', 2);
        } else {
          this.dropRate = 0;
          s.set('drop_packet', 1);
        }
        break;
      default:
        this.dropRate = s.get('am_droprate');
    }

    // secure_tcp: the state table follows sysctl_secure_tcp > 1 (ip_vs_protocol_timeout_change()).
    const st = s.get('secure_tcp');
    if (st === 1 && nomem) s.set('secure_tcp', 2);
    else if (st === 2 && !nomem) s.set('secure_tcp', 1);
    this.oldSecureTcp = s.get('secure_tcp');
  }

  /**
   * ip_vs_todrop(): called for each packet that would create a connection of a known service;
   * true drops it. One in every `dropRate` is dropped, counted.
   */
  todrop(): boolean {
    if (this.dropRate === 0) return false;
    if (--this.dropCounter > 0) return false;
    this.dropCounter = this.dropRate;
    this.droppedPackets++;
    return true;
  }

  /** DEFENSE bits in force now. */
  get active(): number {
    return (
      (this.dropEntry ? DEFENSE.DROP_ENTRY : 0) |
      (this.dropRate !== 0 ? DEFENSE.DROP_PACKET : 0) |
      (this.oldSecureTcp > 1 ? DEFENSE.SECURE_TCP : 0)
    );
  }
}

/** Names of the DEFENSE bits set in `mask`, for log lines and status ("drop_entry,secure_tcp"). */
export function defenseNames(mask: number): string {
  const out: string[] = [];
  if (mask & DEFENSE.DROP_ENTRY) out.push('drop_entry');
  if (mask & DEFENSE.DROP_PACKET) out.push('drop_packet');
  if (mask & DEFENSE.SECURE_TCP) out.push('secure_tcp');
  return out.join(',');
}
