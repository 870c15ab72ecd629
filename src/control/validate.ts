/**
 * Validation of commands and queries that arrive as untrusted JSON (control socket, HTTP API).
 * Anything malformed becomes a RequestError with a stable code; nothing reaches `apply` unchecked.
 */
import { canonicalIp, ipFamily } from '../core/addr.js';
import { LvsError } from '../core/errors.js';
import type { DestConfig, DestKey, ServiceConfig, ServiceKey } from '../core/types.js';
import { type Command, type Query, SYSCTLS, type SyncDaemonConfig, type SysctlName } from './commands.js';

/** A malformed request: code ERR_LVS_BAD_REQUEST and the path of the offending field. */
export class RequestError extends LvsError {
  constructor(message: string) {
    super('ERR_LVS_BAD_REQUEST', message);
    this.name = 'RequestError';
  }
}

type Obj = Record<string, unknown>;

function obj(x: unknown, path: string): Obj {
  if (typeof x !== 'object' || x === null || Array.isArray(x))
    throw new RequestError(`${path}: expected an object`);
  return x as Obj;
}

function int(o: Obj, k: string, path: string, min: number, max: number): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new RequestError(`${path}.${k}: expected an integer in ${min}..${max}`);
  }
  return v;
}

function optInt(o: Obj, k: string, path: string, min: number, max: number): number | undefined {
  return o[k] === undefined ? undefined : int(o, k, path, min, max);
}

function str(o: Obj, k: string, path: string, maxLen = 255): string {
  const v = o[k];
  if (typeof v !== 'string' || v.length > maxLen) throw new RequestError(`${path}.${k}: expected a string`);
  return v;
}

function ip(o: Obj, k: string, path: string): string {
  const c = canonicalIp(str(o, k, path, 64));
  if (!c) throw new RequestError(`${path}.${k}: expected an IP address`);
  return c;
}

function af(o: Obj, path: string): 4 | 6 {
  const v = o.af;
  if (v !== 4 && v !== 6) throw new RequestError(`${path}.af: expected 4 or 6`);
  return v;
}

/** Validates a ServiceKey. */
export function validateServiceKey(x: unknown, path = 'service'): ServiceKey {
  const o = obj(x, path);
  const fam = af(o, path);
  if (o.kind === 'fwmark') return { kind: 'fwmark', af: fam, fwmark: int(o, 'fwmark', path, 1, 0xffffffff) };
  if (o.kind !== 'addr') throw new RequestError(`${path}.kind: expected "addr" or "fwmark"`);
  const protocol = o.protocol;
  if (protocol !== 6 && protocol !== 17 && protocol !== 132)
    throw new RequestError(`${path}.protocol: expected 6, 17 or 132`);
  const addr = ip(o, 'addr', path);
  if (ipFamily(addr) !== fam) throw new RequestError(`${path}.addr: address family mismatch`);
  return { kind: 'addr', af: fam, protocol, addr, port: int(o, 'port', path, 0, 65535) };
}

function serviceConfig(x: unknown, path: string): ServiceConfig {
  const o = obj(x, path);
  const mh = optInt(o, 'mhTableSize', path, 0, 131071);
  return {
    scheduler: str(o, 'scheduler', path, 15),
    flags: int(o, 'flags', path, 0, 0xffff),
    timeout: int(o, 'timeout', path, 0, 0xffffffff),
    netmask: str(o, 'netmask', path, 40),
    pe: o.pe === undefined ? '' : str(o, 'pe', path, 16),
    ...(mh !== undefined ? { mhTableSize: mh } : {}),
  };
}

function destKey(x: unknown, path: string): DestKey {
  const o = obj(x, path);
  return { addr: ip(o, 'addr', path), port: int(o, 'port', path, 0, 65535) };
}

function destConfig(x: unknown, path: string): DestConfig {
  const o = obj(x, path);
  const fwd = int(o, 'fwd', path, 0, 5);
  if (fwd === 4) throw new RequestError(`${path}.fwd: bypass is internal`);
  const pp = optInt(o, 'proxyProtocol', path, 0, 2);
  const addr = ip(o, 'addr', path);
  return {
    addr,
    port: int(o, 'port', path, 0, 65535),
    af: ipFamily(addr) === 6 ? 6 : 4,
    fwd: fwd as DestConfig['fwd'],
    weight: int(o, 'weight', path, -0x80000000, 0x7fffffff),
    uThreshold: int(o, 'uThreshold', path, 0, 0xffffffff),
    lThreshold: int(o, 'lThreshold', path, 0, 0xffffffff),
    tunType: int(o, 'tunType', path, 0, 2),
    tunPort: int(o, 'tunPort', path, 0, 65535),
    tunFlags: int(o, 'tunFlags', path, 0, 3),
    ...(pp !== undefined ? { proxyProtocol: pp as 0 | 1 | 2 } : {}),
  };
}

function daemonConfig(x: unknown, path: string): SyncDaemonConfig {
  const o = obj(x, path);
  const state = o.state;
  if (state !== 'master' && state !== 'backup')
    throw new RequestError(`${path}.state: expected master or backup`);
  const maxLen = optInt(o, 'syncMaxLen', path, 1, 65535);
  const port = optInt(o, 'mcastPort', path, 1, 65535);
  const ttl = optInt(o, 'mcastTtl', path, 1, 255);
  return {
    state,
    mcastInterface: str(o, 'mcastInterface', path, 15),
    syncId: int(o, 'syncId', path, 0, 255),
    ...(maxLen !== undefined ? { syncMaxLen: maxLen } : {}),
    ...(o.mcastGroup !== undefined ? { mcastGroup: ip(o, 'mcastGroup', path) } : {}),
    ...(port !== undefined ? { mcastPort: port } : {}),
    ...(ttl !== undefined ? { mcastTtl: ttl } : {}),
  };
}

/** Validates an untrusted value as a Command, or throws RequestError. */
export function validateCommand(x: unknown): Command {
  const o = obj(x, 'command');
  const p = 'command';
  switch (o.op) {
    case 'add-service':
    case 'edit-service':
      return {
        op: o.op,
        service: validateServiceKey(o.service),
        config: serviceConfig(o.config, `${p}.config`),
      };
    case 'del-service':
      return { op: 'del-service', service: validateServiceKey(o.service) };
    case 'clear':
      return { op: 'clear' };
    case 'add-dest':
    case 'edit-dest':
      return { op: o.op, service: validateServiceKey(o.service), dest: destConfig(o.dest, `${p}.dest`) };
    case 'del-dest':
      return { op: 'del-dest', service: validateServiceKey(o.service), dest: destKey(o.dest, `${p}.dest`) };
    case 'zero':
      return o.service === undefined
        ? { op: 'zero' }
        : { op: 'zero', service: validateServiceKey(o.service) };
    case 'set-timeouts':
      return {
        op: 'set-timeouts',
        tcp: int(o, 'tcp', p, 0, 2678400),
        tcpfin: int(o, 'tcpfin', p, 0, 2678400),
        udp: int(o, 'udp', p, 0, 2678400),
      };
    case 'start-daemon':
      return { op: 'start-daemon', daemon: daemonConfig(o.daemon, `${p}.daemon`) };
    case 'stop-daemon': {
      if (o.state !== 'master' && o.state !== 'backup')
        throw new RequestError(`${p}.state: expected master or backup`);
      return { op: 'stop-daemon', state: o.state };
    }
    case 'add-laddr':
    case 'del-laddr':
      return { op: o.op, service: validateServiceKey(o.service), addr: ip(o, 'addr', p) };
    case 'set-sysctl': {
      const name = o.name;
      if (typeof name !== 'string' || !(SYSCTLS as readonly string[]).includes(name)) {
        throw new RequestError(`${p}.name: unknown sysctl`);
      }
      return { op: 'set-sysctl', name: name as SysctlName, value: int(o, 'value', p, 0, 0x7fffffff) };
    }
    case 'bgp-drain':
    case 'bgp-undrain':
      return o.vip === undefined ? { op: o.op } : { op: o.op, vip: ip(o, 'vip', p) };
    default:
      throw new RequestError(`${p}.op: unknown operation`);
  }
}

/** Validates an untrusted value as a Query, or throws RequestError. */
export function validateQuery(x: unknown): Query {
  const o = obj(x, 'query');
  switch (o.q) {
    case 'list': {
      const conns = o.conns === undefined ? undefined : o.conns === true;
      return {
        q: 'list',
        ...(o.service !== undefined ? { service: validateServiceKey(o.service) } : {}),
        ...(conns !== undefined ? { conns } : {}),
      };
    }
    case 'laddrs':
      return { q: 'laddrs', ...(o.service !== undefined ? { service: validateServiceKey(o.service) } : {}) };
    case 'timeouts':
    case 'daemons':
    case 'status':
    case 'health':
    case 'availability':
    case 'vrrp':
    case 'sysctls':
    case 'bgp':
      return { q: o.q };
    default:
      throw new RequestError('query.q: unknown query');
  }
}
