/**
 * Per-service, per-destination and global counters, and the kernel's 2-second rate estimator
 * (ip_vs_core.c `ip_vs_in_stats`/`ip_vs_out_stats`, ip_vs_est.c). Counters are plain numbers: exact
 * up to 2^53, far beyond any u32 wrap a listing would show.
 */
import type { RateView, StatsView } from './views.js';

/** Estimator period: the kernel samples every 2 s (ip_vs_est.c). */
export const EST_PERIOD_MS = 2000;

/** Counters of one stats object, with the zero baseline and the estimator's state. */
export class Stats {
  conns = 0;
  inpkts = 0;
  outpkts = 0;
  inbytes = 0;
  outbytes = 0;
  // Baseline stored by `zero` (the kernel's kstats0): listings show current − baseline.
  private z = [0, 0, 0, 0, 0];
  // Estimator: last sampled values and scaled EWMA averages (cps/pps ×2^10, bps ×2^5).
  private last = [0, 0, 0, 0, 0];
  private avg = [0, 0, 0, 0, 0];

  /** Counts one packet in the client→server direction. */
  countIn(bytes: number): void {
    this.inpkts++;
    this.inbytes += bytes;
  }

  /** Counts one packet in the server→client direction. */
  countOut(bytes: number): void {
    this.outpkts++;
    this.outbytes += bytes;
  }

  /**
   * Takes back one conn counted for a scheduling that did not stand (the proxy plane retried
   * the client on another real server, or could not open a socket for it), so a client counts
   * once, as the kernel counts one conn per scheduled client (ip_vs_conn_stats). Never below
   * the zero baseline, and the estimator's last sample follows so no rate goes negative.
   */
  uncountConn(): void {
    if (this.conns <= (this.z[0] ?? 0)) return;
    this.conns--;
    if ((this.last[0] ?? 0) > this.conns) this.last[0] = this.conns;
  }

  private raw(): number[] {
    return [this.conns, this.inpkts, this.outpkts, this.inbytes, this.outbytes];
  }

  /**
   * One estimator step, run every 2 s: rate = delta << 9 for conns/packets and delta << 4 for
   * bytes (per-second values scaled by 2^10 and 2^5), then avg += (rate − avg) / 4
   * (matches ip_vs_est.c ip_vs_chain_estimation; shifts written as multiplications to stay exact
   * past 2^31).
   */
  estimate(): void {
    const now = this.raw();
    for (let i = 0; i < 5; i++) {
      const delta = (now[i] ?? 0) - (this.last[i] ?? 0);
      this.last[i] = now[i] ?? 0;
      const rate = i >= 3 ? delta * 16 : delta * 512;
      const a = this.avg[i] ?? 0;
      this.avg[i] = a + Math.floor((rate - a) / 4);
    }
  }

  /** Zeroes the counters as `ipvsadm -Z` does: stores a baseline and resets the rates. */
  zero(): void {
    this.z = this.raw();
    this.last = this.raw();
    this.avg = [0, 0, 0, 0, 0];
  }

  /** Counters as listings show them (current minus the zero baseline). */
  view(): StatsView {
    const z = this.z;
    return {
      conns: this.conns - (z[0] ?? 0),
      inpkts: this.inpkts - (z[1] ?? 0),
      outpkts: this.outpkts - (z[2] ?? 0),
      inbytes: this.inbytes - (z[3] ?? 0),
      outbytes: this.outbytes - (z[4] ?? 0),
    };
  }

  /**
   * {@link Stats.view}'s five values written to `out[at..at+4]` without allocating: /metrics reads
   * 10,000 real servers per scrape this way (bench/metrics-scrape.ts).
   */
  writeView(out: Float64Array, at: number): void {
    const z = this.z;
    out[at] = this.conns - (z[0] ?? 0);
    out[at + 1] = this.inpkts - (z[1] ?? 0);
    out[at + 2] = this.outpkts - (z[2] ?? 0);
    out[at + 3] = this.inbytes - (z[3] ?? 0);
    out[at + 4] = this.outbytes - (z[4] ?? 0);
  }

  /** Rates as ipvsadm reads them out: (avg + 0x1FF) >> 10 and (avg + 0xF) >> 5 (ip_vs_read_estimator). */
  rates(): RateView {
    const a = this.avg;
    return {
      cps: pps(a[0] ?? 0),
      inpps: pps(a[1] ?? 0),
      outpps: pps(a[2] ?? 0),
      inbps: bps(a[3] ?? 0),
      outbps: bps(a[4] ?? 0),
    };
  }

  /** {@link Stats.rates}' five values written to `out[at..at+4]` without allocating. */
  writeRates(out: Float64Array, at: number): void {
    const a = this.avg;
    out[at] = pps(a[0] ?? 0);
    out[at + 1] = pps(a[1] ?? 0);
    out[at + 2] = pps(a[2] ?? 0);
    out[at + 3] = bps(a[3] ?? 0);
    out[at + 4] = bps(a[4] ?? 0);
  }
}

/** A scaled conns/packets average read out per second: (avg + 0x1FF) >> 10, never negative. */
function pps(x: number): number {
  return Math.max(0, Math.floor((x + 0x1ff) / 1024));
}

/** A scaled bytes average read out per second: (avg + 0xF) >> 5, never negative. */
function bps(x: number): number {
  return Math.max(0, Math.floor((x + 0xf) / 32));
}
