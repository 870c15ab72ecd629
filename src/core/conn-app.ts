/**
 * Application-helper state of the conns an application helper is bound to (the kernel's
 * cp->app, cp->app_data, cp->in_seq, cp->out_seq and, for a non-template, cp->n_control; see
 * net/netfilter/ipvs/ip_vs_app.c and ip_vs_ftp.c), and the helper's port list (ip_vs_ftp's
 * `ports=` module parameter, default 21). One record of {@link APP_W} int32 words per entry,
 * allocated on first use like the FULLNAT local index: a table without helper conns carries none.
 */
import { SEQ_WORDS } from './seq-adjust.js';

/** Int32 words per record. */
export const APP_W = 8;
/** Word: the helper's private state (ip_vs_ftp's app_data: FTP_MODE). */
export const APP_MODE = 0;
/** Word: start of in_seq (client → server resizes), {@link SEQ_WORDS} words. */
export const APP_IN_SEQ = 1;
/** Word: start of out_seq (server → client resizes), {@link SEQ_WORDS} words. */
export const APP_OUT_SEQ = APP_IN_SEQ + SEQ_WORDS;
/** Word: n_control, the conns (FTP data conns) this conn controls. */
export const APP_N_CONTROL = APP_OUT_SEQ + SEQ_WORDS;

/** IP_VS_APP_MAX_PORTS: how many ports one helper may watch. */
export const APP_MAX_PORTS = 8;

/** The per-entry records and the port set. */
export class ConnApp {
  /** The records, {@link APP_W} words per entry; replaced on growth, so never cache it. */
  rec: Int32Array = new Int32Array(0);
  /** One byte per TCP port, 1 where the helper is bound (null: no helper loaded). */
  private ports: Uint8Array | null = null;
  private list: readonly number[] = [];

  /** Bytes held by the records and the port set. */
  bytes(): number {
    return this.rec.byteLength + (this.ports?.byteLength ?? 0);
  }

  /**
   * Loads the helper on `ports` (register_ip_vs_app_inc() per port; zeros are skipped as the
   * module skips them); an empty list unloads it. Conns bound before keep their records.
   */
  setPorts(ports: readonly number[]): void {
    const list = [...new Set(ports.filter((p) => p > 0 && p <= 0xffff))].sort((a, b) => a - b);
    this.list = list;
    if (list.length === 0) {
      this.ports = null;
      return;
    }
    const set = new Uint8Array(65536);
    for (const p of list) set[p] = 1;
    this.ports = set;
  }

  /** The ports the helper watches, ascending (empty: not loaded). */
  get portList(): readonly number[] {
    return this.list;
  }

  /** Whether a conn to virtual port `vport` gets the helper (tcp_app_conn_bind()'s lookup). */
  watches(vport: number): boolean {
    const p = this.ports;
    return p !== null && p[vport] === 1;
  }

  /**
   * Entry `i`'s sequence record `which` (APP_IN_SEQ or APP_OUT_SEQ) as u32 words
   * [init_seq, delta, previous_delta]: what the SEQ_DATA option of a sync message carries.
   */
  readSeq(i: number, which: number, out: Uint32Array): void {
    const o = i * APP_W + which;
    const r = this.rec;
    for (let k = 0; k < SEQ_WORDS; k++) out[k] = (r[o + k] as number) >>> 0;
  }

  /** Sets entry `i`'s sequence record `which` from u32 words (a sync backup's ip_vs_proc_conn()). */
  writeSeq(i: number, which: number, init: number, delta: number, prev: number): void {
    const o = i * APP_W + which;
    const r = this.rec;
    r[o] = init | 0;
    r[o + 1] = delta | 0;
    r[o + 2] = prev | 0;
  }

  /** Clears entry `i`'s record for a newly bound conn; `capacity` is the table's. */
  bind(i: number, capacity: number): void {
    if (this.rec.length < capacity * APP_W) this.growTo(capacity);
    this.rec.fill(0, i * APP_W, (i + 1) * APP_W);
  }

  /** Resizes the records to `capacity` entries once in use (the table grew). */
  grow(capacity: number): void {
    if (this.rec.length === 0) return;
    this.growTo(capacity);
  }

  private growTo(capacity: number): void {
    const r = new Int32Array(capacity * APP_W);
    r.set(this.rec);
    this.rec = r;
  }
}
