/**
 * The write side of lvsd's HTTP API. Every write is one `Command` (control/commands.ts), checked
 * by control/validate.ts validateCommand plus an unknown-field check, and applied through the
 * daemon's one request path: `POST /api/commands` takes any Command as JSON, and the REST forms
 * build one from the URL and a partial body (fields left out take ipvsadm's defaults on create,
 * and keep their current values on edit, as a read-modify-write of `-E`/`-e`). A rejected write
 * changes nothing. Drain sets a real server's weight to 0 and remembers its weight; undrain
 * restores it (or the health checker's configured weight, or a weight in the body).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Command } from '../../control/commands.js';
import { validateCommand } from '../../control/validate.js';
import { type DestConfig, type DestKey, FWD, type ServiceKey, serviceKeyText } from '../../core/types.js';
import { LOG_LEVELS, type LogLevel } from '../logger.js';
import { type ApiDeps, ask, run } from './api-context.js';
import { destId, parseDestId, parseServiceId, serviceId } from './api-ids.js';
import { type ApiDest, findService, restSegments } from './api-read-routes.js';
import { bodyObject, readJsonBody, rejectUnknownFields } from './http-body.js';
import { HttpError, sendJson } from './http-errors.js';
import type { HttpRoute } from './http-route.js';

/** Forwarding method names the REST forms accept besides the numbers (ipvsadm's -m -g -i, FULLNAT). */
const FWD_NAMES: Readonly<Record<string, number>> = {
  masq: FWD.MASQ,
  local: FWD.LOCALNODE,
  tunnel: FWD.TUNNEL,
  droute: FWD.DROUTE,
  fullnat: FWD.FULLNAT,
};

/** Validates `input` as a Command with no unknown field, applies it, answers with the changes and returns it. */
function applyChecked(deps: ApiDeps, input: unknown, res: ServerResponse, status = 200): Command {
  const cmd = validateCommand(input);
  rejectUnknownFields(input, cmd, 'command');
  sendJson(res, status, { changes: run(deps, cmd) });
  return cmd;
}

/** A REST body: an object that does not name the op itself (the route does). */
function restBody(body: unknown): Record<string, unknown> {
  const b = bodyObject(body);
  if (Object.hasOwn(b, 'op'))
    throw new HttpError(400, 'ERR_LVS_HTTP_UNKNOWN_FIELD', 'body.op: unknown field');
  return b;
}

function serviceKeyOf(x: unknown): unknown {
  // A service may be given by its URL id as well as by its key object.
  return typeof x === 'string' ? parseServiceId(x) : x;
}

/** The body with a `fwd` name replaced by its number. */
function fwdNumber(body: Record<string, unknown>): Record<string, unknown> {
  const f = body.fwd;
  if (typeof f !== 'string') return body;
  const n = FWD_NAMES[f.toLowerCase()];
  if (n === undefined)
    throw new HttpError(400, 'ERR_LVS_BAD_REQUEST', `fwd: expected masq, local, tunnel, droute or fullnat`);
  return { ...body, fwd: n };
}

/** The current DestConfig of a real server (its view minus the counters). */
function destConfigOf(d: ApiDest): DestConfig {
  return {
    addr: d.addr,
    port: d.port,
    af: d.af,
    fwd: d.fwd,
    weight: d.weight,
    uThreshold: d.uThreshold,
    lThreshold: d.lThreshold,
    tunType: d.tunType,
    tunPort: d.tunPort,
    tunFlags: d.tunFlags,
    ...(d.proxyProtocol !== undefined ? { proxyProtocol: d.proxyProtocol } : {}),
  };
}

function findDest(deps: ApiDeps, key: ServiceKey, dk: DestKey): ApiDest {
  const d = findService(deps, key).dests.find((x) => x.addr === dk.addr && x.port === dk.port);
  if (!d) throw new HttpError(404, 'ERR_LVS_NO_DEST', 'no such destination');
  return d;
}

/** The weight the health checker configured for a real server, when it checks that service. */
function configuredWeight(deps: ApiDeps, key: ServiceKey, dk: DestKey): number | undefined {
  let health: ReturnType<typeof ask<'health'>>['health'];
  try {
    health = ask(deps, { q: 'health' }).health;
  } catch {
    return undefined;
  }
  const svc = health.services.find((s) => s.id === serviceKeyText(key));
  return svc?.reals.find((r) => r.addr === dk.addr && r.port === dk.port)?.configuredWeight;
}

/** The write routes; `drained` remembers each drained real server's weight until undrain. */
export function writeRoutes(deps: ApiDeps, drained = new Map<string, number>()): HttpRoute[] {
  const route = (
    method: HttpRoute['method'],
    path: string,
    handle: (req: IncomingMessage, res: ServerResponse, body: unknown) => void,
  ): HttpRoute => ({
    method,
    path,
    write: true,
    handle: async (req, res) => handle(req, res, await readJsonBody(req)),
  });

  // A remembered weight dies with its real server (or service, or the whole table).
  const forget = (cmd: Command): void => {
    if (cmd.op === 'clear') drained.clear();
    if (cmd.op !== 'del-service' && cmd.op !== 'del-dest') return;
    const prefix = `${serviceId(cmd.service)} ${cmd.op === 'del-dest' ? destId(cmd.dest) : ''}`;
    for (const k of drained.keys()) if (k.startsWith(prefix)) drained.delete(k);
  };

  // Returns whatever the branch that answered returned (nothing the caller uses).
  const serviceRoute = (
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    method: string,
  ): unknown => {
    const [sid, sub, did, action, ...more] = restSegments(req, '/api/services/');
    const key = parseServiceId(sid ?? '');
    if (more.length > 0 || (sub !== undefined && sub !== 'dests'))
      throw new HttpError(404, 'ERR_LVS_HTTP_NOT_FOUND', 'no such resource under the service');
    if (sub === undefined) {
      if (method === 'DELETE') {
        applyChecked(deps, { op: 'del-service', service: key }, res);
        return forget({ op: 'del-service', service: key });
      }
      if (method !== 'PUT') throw new HttpError(405, 'ERR_LVS_HTTP_METHOD', 'use PUT or DELETE on a service');
      const b = restBody(body ?? {});
      const current = findService(deps, key).config;
      const input = { op: 'edit-service', service: key, config: { ...current, ...b } };
      return applyChecked(deps, input, res);
    }
    if (did === undefined) {
      if (method !== 'POST') throw new HttpError(405, 'ERR_LVS_HTTP_METHOD', 'use POST to add a real server');
      const b = fwdNumber(restBody(body));
      const dest = {
        fwd: FWD.DROUTE,
        weight: 1,
        uThreshold: 0,
        lThreshold: 0,
        tunType: 0,
        tunPort: 0,
        tunFlags: 0,
        ...b,
      };
      return applyChecked(deps, { op: 'add-dest', service: key, dest }, res, 201);
    }
    const dk = parseDestId(did);
    const memo = `${serviceId(key)} ${destId(dk)}`;
    if (action === undefined && method === 'DELETE') {
      applyChecked(deps, { op: 'del-dest', service: key, dest: dk }, res);
      drained.delete(memo);
      return undefined;
    }
    if (action === undefined && method === 'PUT') {
      const b = fwdNumber(restBody(body ?? {}));
      const current = destConfigOf(findDest(deps, key, dk));
      applyChecked(deps, { op: 'edit-dest', service: key, dest: { ...current, ...b, ...dk } }, res);
      // A weight set explicitly replaces what a drain remembered.
      if (b.weight !== undefined) drained.delete(memo);
      return undefined;
    }
    if (method !== 'POST' || (action !== 'drain' && action !== 'undrain'))
      throw new HttpError(404, 'ERR_LVS_HTTP_NOT_FOUND', 'expected POST .../drain or .../undrain');
    const current = destConfigOf(findDest(deps, key, dk));
    if (action === 'drain') {
      if (body !== undefined) rejectUnknownFields(body, {}, 'body');
      if (current.weight !== 0) drained.set(memo, current.weight);
      const cmd: Command = { op: 'edit-dest', service: key, dest: { ...current, weight: 0 } };
      sendJson(res, 200, { changes: run(deps, cmd), weight: 0, previousWeight: current.weight });
      return undefined;
    }
    const b = body === undefined ? {} : bodyObject(body);
    rejectUnknownFields(b, { weight: 0 }, 'body');
    let weight: number | undefined;
    if (b.weight !== undefined) {
      if (
        typeof b.weight !== 'number' ||
        !Number.isInteger(b.weight) ||
        b.weight < 1 ||
        b.weight > 0x7fffffff
      )
        throw new HttpError(400, 'ERR_LVS_BAD_REQUEST', 'body.weight: expected an integer in 1..2147483647');
      weight = b.weight;
    }
    weight ??= drained.get(memo) ?? (current.weight > 0 ? current.weight : configuredWeight(deps, key, dk));
    if (weight === undefined || weight <= 0)
      throw new HttpError(
        409,
        'ERR_LVS_HTTP_UNDRAIN_WEIGHT',
        'this real server was not drained through the API and its configured weight is unknown: give {"weight": N}',
      );
    const cmd: Command = { op: 'edit-dest', service: key, dest: { ...current, weight } };
    const changes = run(deps, cmd);
    drained.delete(memo);
    return sendJson(res, 200, { changes, weight, previousWeight: current.weight });
  };

  return [
    route('POST', '/api/commands', (_req, res, body) => {
      forget(applyChecked(deps, body, res));
    }),
    route('POST', '/api/services', (_req, res, body) => {
      const b = bodyObject(body);
      const svc = serviceKeyOf(b.service);
      const af = typeof svc === 'object' && svc !== null ? (svc as { af?: unknown }).af : undefined;
      const config = {
        scheduler: 'wlc',
        flags: 0,
        timeout: 0,
        netmask: af === 6 ? '128' : '255.255.255.255',
        pe: '',
        ...(b.config === undefined ? {} : bodyObject(b.config)),
      };
      rejectUnknownFields(b, { service: 0, config: 0 }, 'body');
      applyChecked(deps, { op: 'add-service', service: svc, config }, res, 201);
    }),
    route('PUT', '/api/services/*', (req, res, body) => serviceRoute(req, res, body, 'PUT')),
    route('POST', '/api/services/*', (req, res, body) => serviceRoute(req, res, body, 'POST')),
    route('DELETE', '/api/services/*', (req, res, body) => serviceRoute(req, res, body, 'DELETE')),
    route('POST', '/api/sysctls', (_req, res, body) =>
      applyChecked(deps, { ...restBody(body), op: 'set-sysctl' }, res),
    ),
    route('PUT', '/api/timeouts', (_req, res, body) =>
      applyChecked(deps, { tcp: 0, tcpfin: 0, udp: 0, ...restBody(body), op: 'set-timeouts' }, res),
    ),
    route('POST', '/api/zero', (_req, res, body) => {
      const b = body === undefined ? {} : restBody(body);
      const service = b.service !== undefined ? { service: serviceKeyOf(b.service) } : {};
      applyChecked(deps, { ...b, ...service, op: 'zero' }, res);
    }),
    route('PUT', '/api/log-level', (_req, res, body) => {
      const b = bodyObject(body);
      rejectUnknownFields(b, { level: 0 }, 'body');
      if (typeof b.level !== 'string' || !(LOG_LEVELS as readonly string[]).includes(b.level))
        throw new HttpError(400, 'ERR_LVS_BAD_REQUEST', `body.level: expected ${LOG_LEVELS.join('|')}`);
      const previous = deps.logLevel();
      deps.setLogLevel(b.level as LogLevel);
      sendJson(res, 200, { level: deps.logLevel(), previous });
    }),
  ];
}
