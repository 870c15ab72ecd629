/**
 * `GET /api/events`: Server-Sent Events (WHATWG HTML "Server-sent events") of what changes in
 * lvsd — table commands (`table`), health transitions (`health`) and VRRP transitions (`vrrp`) —
 * taken from the diagnostics channels the logger also reads (control/channels.ts). With
 * `?stats=1` a client also gets a `stats` event every 2 s (the rate estimator's period, kernel
 * ip_vs_est.c) carrying each service's and real server's counters and rates, which the dashboard
 * draws as sparklines. A client that stops reading is dropped rather than buffered without bound,
 * and a comment line every 15 s keeps proxies from timing out.
 *
 * `GET /api/events/recent`: the last RECENT_EVENTS events, kept from the moment the HTTP server
 * starts (so the dashboard shows health history from before it was opened); the channels stay
 * subscribed until the server closes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type HealthTransitionMessage,
  healthTransitionChannel,
  type TableChangeMessage,
  tableChangeChannel,
  type VrrpTransitionMessage,
  vrrpTransitionChannel,
} from '../../control/channels.js';
import { serviceKeyText } from '../../core/types.js';
import { serviceId } from './api-ids.js';
import { HttpError, sendJson } from './http-errors.js';
import type { HttpRoute } from './http-route.js';

/** Most concurrent event streams. */
export const MAX_EVENT_CLIENTS = 32;
/** A client with more than this queued unread is dropped. */
export const MAX_EVENT_BACKLOG_BYTES = 1024 * 1024;
/** Interval of the keep-alive comment, ms. */
export const EVENT_PING_MS = 15_000;

/** One event as the stream carries it. */
export interface ApiEvent {
  readonly type: 'table' | 'health' | 'vrrp';
  readonly data: Readonly<Record<string, unknown>>;
}

/** The event for a table change (the command and its changes, as JSON). */
export function tableEvent(m: TableChangeMessage): ApiEvent {
  const key = 'service' in m.cmd ? m.cmd.service : undefined;
  return {
    type: 'table',
    data: {
      at: m.at,
      origin: m.origin,
      op: m.cmd.op,
      ...(key ? { service: serviceId(key), serviceText: serviceKeyText(key) } : {}),
      command: m.cmd,
      changes: m.changes,
    },
  };
}

/** The event for a health transition. */
export function healthEvent(m: HealthTransitionMessage): ApiEvent {
  return {
    type: 'health',
    data: {
      at: m.at,
      service: m.svc,
      ...(m.rs !== undefined ? { real: m.rs } : {}),
      up: m.up,
      message: m.message,
    },
  };
}

/** The event for a VRRP transition. */
export function vrrpEvent(m: VrrpTransitionMessage): ApiEvent {
  return {
    type: 'vrrp',
    data: { at: m.at, instance: m.instance, from: m.from, to: m.to, priority: m.priority },
  };
}

/** How many past events GET /api/events/recent keeps. */
export const RECENT_EVENTS = 500;
/** Period of the `stats` event, ms: the kernel's rate estimator period (ip_vs_est.c, 2 s). */
export const STATS_EVENT_MS = 2000;

/** One past event as GET /api/events/recent answers it: the stream's id, type and data. */
export interface RecordedEvent extends ApiEvent {
  readonly id: number;
}

/** What the event routes need: the table source to filter on and the `stats` payload. */
export interface EventDeps {
  /** The daemon's table source; table changes of other daemons in the process are left out. */
  readonly source?: object;
  /** The payload of one `stats` event (GET /api/events?stats=1); without it the query is refused. */
  readonly stats?: () => unknown;
}

/**
 * The event stream and the recent-event routes. They subscribe to the channels when created and
 * unsubscribe when the server closes (HttpRoute.close), so events before any client are kept.
 */
export function eventRoutes(deps: EventDeps = {}): HttpRoute[] {
  const { source } = deps;
  const clients = new Set<ServerResponse>();
  const statsClients = new Set<ServerResponse>();
  const recent: RecordedEvent[] = [];
  let seq = 0;
  let ping: NodeJS.Timeout | undefined;
  let statsTimer: NodeJS.Timeout | undefined;
  const write = (res: ServerResponse, frame: string): void => {
    if (res.writableLength > MAX_EVENT_BACKLOG_BYTES) res.destroy();
    else res.write(frame);
  };
  const send = (e: ApiEvent): void => {
    const id = ++seq;
    recent.push({ id, ...e });
    if (recent.length > RECENT_EVENTS) recent.shift();
    if (clients.size === 0) return;
    const frame = `id: ${id}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`;
    for (const res of clients) write(res, frame);
  };
  const onTable = (m: TableChangeMessage) => {
    if (source === undefined || m.source === source) send(tableEvent(m));
  };
  const onHealth = (m: HealthTransitionMessage) => send(healthEvent(m));
  const onVrrp = (m: VrrpTransitionMessage) => send(vrrpEvent(m));
  tableChangeChannel.subscribe(onTable);
  healthTransitionChannel.subscribe(onHealth);
  vrrpTransitionChannel.subscribe(onVrrp);
  const close = (): void => {
    tableChangeChannel.unsubscribe(onTable);
    healthTransitionChannel.unsubscribe(onHealth);
    vrrpTransitionChannel.unsubscribe(onVrrp);
    clearInterval(ping);
    clearInterval(statsTimer);
  };
  // Stats frames are not numbered or kept: each replaces the last, and a reconnecting client
  // needs the next one, not a replay.
  const sendStats = (): void => {
    if (!deps.stats) return;
    const frame = `event: stats\ndata: ${JSON.stringify(deps.stats())}\n\n`;
    for (const res of statsClients) write(res, frame);
  };
  const stream: HttpRoute = {
    method: 'GET',
    path: '/api/events',
    write: false,
    close,
    handle(req: IncomingMessage, res: ServerResponse) {
      const q = new URL(req.url ?? '/', 'http://lvsd').searchParams;
      for (const k of q.keys())
        if (k !== 'stats')
          throw new HttpError(400, 'ERR_LVS_HTTP_BAD_QUERY', `${k}: unknown query parameter`);
      const stats = q.get('stats');
      if (stats !== null && stats !== '0' && stats !== '1')
        throw new HttpError(400, 'ERR_LVS_HTTP_BAD_QUERY', 'stats: expected 0 or 1');
      const wantsStats = stats === '1';
      if (wantsStats && !deps.stats)
        throw new HttpError(404, 'ERR_LVS_HTTP_NOT_FOUND', 'this server keeps no stats to stream');
      if (clients.size >= MAX_EVENT_CLIENTS)
        throw new HttpError(503, 'ERR_LVS_HTTP_TOO_MANY', `at most ${MAX_EVENT_CLIENTS} event streams`);
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      // Sent at once so a client knows it is subscribed before the first change.
      res.write(': lvsd events\nretry: 2000\n\n');
      if (clients.size === 0) {
        ping = setInterval(() => {
          for (const c of clients) c.write(': ping\n\n');
        }, EVENT_PING_MS);
        ping.unref();
      }
      clients.add(res);
      if (wantsStats) {
        if (statsClients.size === 0) {
          statsTimer = setInterval(sendStats, STATS_EVENT_MS);
          statsTimer.unref();
        }
        statsClients.add(res);
        // The first frame at once, so a page has its numbers without waiting a period.
        write(res, `event: stats\ndata: ${JSON.stringify(deps.stats?.())}\n\n`);
      }
      const done = () => {
        if (statsClients.delete(res) && statsClients.size === 0) clearInterval(statsTimer);
        if (!clients.delete(res)) return;
        if (clients.size === 0) clearInterval(ping);
      };
      req.on('close', done);
      res.on('close', done);
      res.on('error', done);
    },
  };
  const recentRoute: HttpRoute = {
    method: 'GET',
    path: '/api/events/recent',
    write: false,
    handle(req: IncomingMessage, res: ServerResponse) {
      const q = new URL(req.url ?? '/', 'http://lvsd').searchParams;
      for (const k of q.keys())
        if (k !== 'after')
          throw new HttpError(400, 'ERR_LVS_HTTP_BAD_QUERY', `${k}: unknown query parameter`);
      const a = q.get('after');
      if (a !== null && !/^\d{1,15}$/.test(a))
        throw new HttpError(400, 'ERR_LVS_HTTP_BAD_QUERY', 'after: expected an event id');
      const after = a === null ? 0 : Number(a);
      sendJson(res, 200, { last: seq, events: recent.filter((e) => e.id > after) });
    },
  };
  return [stream, recentRoute];
}
