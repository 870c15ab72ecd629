/**
 * lvsd's Prometheus metrics: GET /metrics answers the text exposition 0.0.4 built, at each scrape,
 * from the same queries lvsadm sends (`-L`, `--status`, `--health`, `--availability`, `--vrrp`),
 * answered in-process by the daemon, plus prom-client's registry for the process metrics and
 * the channel-fed event counters. The per-service and per-real-server counters, 140,000 values at
 * 10,000 real servers, are read from the core's Stats without building views (table-writer.ts);
 * their labels are rebuilt only when a service or real server is added or removed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Query } from '../../control/commands.js';
import type { QueryResult } from '../../control/protocol.js';
import type { Snapshot, StatsView } from '../../control/views.js';
import { LvsError } from '../../core/errors.js';
import type { HttpRoute } from '../http/http-route.js';
import { writeBgpFamilies } from './bgp-families.js';
import { streamBody } from './chunk-stream.js';
import { subscribeEventCounters } from './event-counters.js';
import { EXPOSITION_CONTENT_TYPE, Exposition } from './exposition.js';
import { HealthWriter } from './health-writer.js';
import { writeIpvsTotals } from './ipvs-families.js';
import type { BodyChunks } from './series-body.js';
import { writeStatusFamilies, writeVrrpFamilies } from './status-families.js';
import { writeTableCounts } from './table-families.js';
import { type CountedTable, concatChunks, type TableScrape, TableWriter } from './table-writer.js';

/**
 * What the metrics read: the daemon's query answerer (daemon.ts `Daemon.query`) and, when there
 * is one, its director's service table for the counters (without it they come from `list` views).
 */
export interface MetricsSource {
  query(q: Query): QueryResult;
  readonly director?: { readonly table: CountedTable };
}

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /** prom-client's process and Node.js metrics (process_*, nodejs_*); default true. */
  readonly processMetrics?: boolean;
}

/** The metrics of one daemon: its routes, a render for tests and benchmarks, and close. */
export interface Metrics {
  /** `GET /metrics`. */
  readonly routes: readonly HttpRoute[];
  /** The exposition a scrape returns, as bytes (UTF-8). */
  renderBytes(): Promise<Buffer>;
  /** The same, as text (tests). */
  render(): Promise<string>;
  /** Unsubscribes the event counters and stops the process collectors. */
  close(): void;
}

/** Answers `q`, or undefined when the daemon runs no such thing (ERR_LVS_NO_HEALTH, ERR_LVS_NO_VRRP). */
function optional<R extends QueryResult>(source: MetricsSource, q: Query): R | undefined {
  try {
    return source.query(q) as R;
  } catch (e) {
    if (e instanceof LvsError) return undefined;
    throw e;
  }
}

function sumStats(list: readonly { readonly stats: StatsView }[]): StatsView {
  const t = { conns: 0, inpkts: 0, outpkts: 0, inbytes: 0, outbytes: 0 };
  for (const { stats: s } of list) {
    t.conns += s.conns;
    t.inpkts += s.inpkts;
    t.outpkts += s.outpkts;
    t.inbytes += s.inbytes;
    t.outbytes += s.outbytes;
  }
  return t;
}

/** Builds the metrics of `source`; event counters count from now on. */
export function createMetrics(source: MetricsSource, o: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (o.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const unsubscribe = subscribeEventCounters(registry);

  const writer = new TableWriter();
  const healthWriter = new HealthWriter();
  const noTable: Snapshot = { connTabSize: 0, services: [] };
  const list = (): Snapshot => {
    const r = source.query({ q: 'list' });
    return r.q === 'list' ? r.snapshot : noTable;
  };

  /**
   * One scrape: every value read now, synchronously; the table and health families' bodies are
   * then prepared in steps with turns of the event loop between them (table-writer.ts,
   * health-writer.ts).
   */
  const scrape = async (): Promise<(Buffer | BodyChunks)[]> => {
    const head = new Exposition();
    const status = optional<Extract<QueryResult, { q: 'status' }>>(source, { q: 'status' })?.status;
    let table: TableScrape;
    const t = source.director?.table;
    if (t && status?.totals) {
      table = writer.read(t);
      writeIpvsTotals(head, status.totals);
    } else {
      const snapshot = list();
      table = writer.readViews(snapshot);
      writeIpvsTotals(head, status?.totals ?? sumStats(snapshot.services));
    }
    const out = new Exposition();
    writeTableCounts(out, table.layout.nSvc, table.layout.nDest);
    if (status) writeStatusFamilies(out, status);
    const health = optional<Extract<QueryResult, { q: 'health' }>>(source, { q: 'health' });
    const avail = optional<Extract<QueryResult, { q: 'availability' }>>(source, { q: 'availability' });
    const healthScrape = healthWriter.read(health?.health, avail?.availability);
    const rest = new Exposition();
    const vrrp = optional<Extract<QueryResult, { q: 'vrrp' }>>(source, { q: 'vrrp' });
    if (vrrp) writeVrrpFamilies(rest, vrrp.vrrp);
    const bgp = optional<Extract<QueryResult, { q: 'bgp' }>>(source, { q: 'bgp' });
    if (bgp) writeBgpFamilies(rest, bgp.bgp);
    rest.raw(await registry.metrics());
    const tableBody = await writer.prepare(table);
    let healthBody: BodyChunks;
    try {
      healthBody = await healthWriter.prepare(healthScrape);
    } catch (e) {
      for (let i = 0; i < tableBody.chunks.length; i++) tableBody.release(i);
      throw e;
    }
    return [
      Buffer.from(head.text()),
      tableBody,
      Buffer.from(out.text()),
      healthBody,
      Buffer.from(rest.text()),
    ];
  };
  const renderBytes = async (): Promise<Buffer> =>
    Buffer.concat((await scrape()).map((p) => (Buffer.isBuffer(p) ? p : concatChunks(p))));

  const handle = async (_req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let body: (Buffer | BodyChunks)[];
    try {
      body = await scrape();
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`metrics unavailable: ${e instanceof LvsError ? e.code : 'ERR_LVS_INTERNAL'}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': EXPOSITION_CONTENT_TYPE });
    await streamBody(res, body);
  };

  return {
    routes: [{ method: 'GET', path: '/metrics', write: false, handle }],
    renderBytes,
    render: async () => (await renderBytes()).toString('utf8'),
    close() {
      unsubscribe();
      registry.clear();
    },
  };
}
