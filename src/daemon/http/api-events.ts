/**
 * `GET /api/events`: Server-Sent Events (WHATWG HTML "Server-sent events") of what changes in
 * lvsd — table commands (`table`), health transitions (`health`) and VRRP transitions (`vrrp`) —
 * taken from the diagnostics channels the logger also reads (control/channels.ts). The channels
 * are subscribed while at least one client listens. A client that stops reading is dropped
 * rather than buffered without bound, and a comment line every 15 s keeps proxies from timing out.
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
import { HttpError } from './http-errors.js';
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

/** The event stream route; `source`, when given, keeps table changes of other daemons out. */
export function eventsRoute(source?: object): HttpRoute {
  const clients = new Set<ServerResponse>();
  let seq = 0;
  let ping: NodeJS.Timeout | undefined;
  const send = (e: ApiEvent): void => {
    const frame = `id: ${++seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`;
    for (const res of clients) {
      if (res.writableLength > MAX_EVENT_BACKLOG_BYTES) res.destroy();
      else res.write(frame);
    }
  };
  const onTable = (m: TableChangeMessage) => {
    if (source === undefined || m.source === source) send(tableEvent(m));
  };
  const onHealth = (m: HealthTransitionMessage) => send(healthEvent(m));
  const onVrrp = (m: VrrpTransitionMessage) => send(vrrpEvent(m));
  const subscribe = () => {
    tableChangeChannel.subscribe(onTable);
    healthTransitionChannel.subscribe(onHealth);
    vrrpTransitionChannel.subscribe(onVrrp);
    ping = setInterval(() => {
      for (const res of clients) res.write(': ping\n\n');
    }, EVENT_PING_MS);
    ping.unref();
  };
  const unsubscribe = () => {
    tableChangeChannel.unsubscribe(onTable);
    healthTransitionChannel.unsubscribe(onHealth);
    vrrpTransitionChannel.unsubscribe(onVrrp);
    clearInterval(ping);
  };
  return {
    method: 'GET',
    path: '/api/events',
    write: false,
    handle(req: IncomingMessage, res: ServerResponse) {
      if (clients.size >= MAX_EVENT_CLIENTS)
        throw new HttpError(503, 'ERR_LVS_HTTP_TOO_MANY', `at most ${MAX_EVENT_CLIENTS} event streams`);
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      // Sent at once so a client knows it is subscribed before the first change.
      res.write(': lvsd events\nretry: 2000\n\n');
      if (clients.size === 0) subscribe();
      clients.add(res);
      const done = () => {
        if (!clients.delete(res)) return;
        if (clients.size === 0) unsubscribe();
      };
      req.on('close', done);
      res.on('close', done);
      res.on('error', done);
    },
  };
}
