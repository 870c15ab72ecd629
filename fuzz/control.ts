/**
 * Control-protocol lines through the handler lvsd's socket and HTTP API share (handleLine over a
 * real director): valid requests mutated as JSON (a value replaced by a hostile one, a field
 * dropped or added) and as text. Rules checked: nothing throws; every answer is one line that
 * decodes; a refusal carries a stable ERR_ code; and a refused request changes nothing (the
 * table listing, timeouts and sysctls are the same before and after).
 */

import { decodeResponse } from '../src/control/protocol.js';
import { serviceViews } from '../src/control/snapshot.js';
import { type ControlDeps, handleLine } from '../src/daemon/control-handler.js';
import { createDirectorPort } from '../src/daemon/director-port.js';
import { Rng } from './rng.js';
import { bump, describeThrown, Findings, type FuzzTarget, type TargetResult } from './target.js';

const svc4 = { kind: 'addr', af: 4, protocol: 6, addr: '192.0.2.10', port: 80 };
const svc6 = { kind: 'addr', af: 6, protocol: 17, addr: '2001:db8::10', port: 53 };
const fwm = { kind: 'fwmark', af: 4, fwmark: 7 };
const cfg = { scheduler: 'wlc', flags: 0, timeout: 0, netmask: '255.255.255.255', pe: '' };
const dest = (addr: string, port: number, fwd = 2) => ({
  addr,
  port,
  af: addr.includes(':') ? 6 : 4,
  fwd,
  weight: 1,
  uThreshold: 0,
  lThreshold: 0,
  tunType: 0,
  tunPort: 0,
  tunFlags: 0,
});

/** Valid requests (bodies without v and id). */
const VALID: object[] = [
  { command: { op: 'add-service', service: svc4, config: cfg } },
  { command: { op: 'add-service', service: svc6, config: { ...cfg, scheduler: 'rr' } } },
  {
    command: { op: 'add-service', service: fwm, config: { ...cfg, scheduler: 'sh', flags: 1, timeout: 300 } },
  },
  { command: { op: 'edit-service', service: svc4, config: { ...cfg, scheduler: 'lc' } } },
  { command: { op: 'add-dest', service: svc4, dest: dest('198.51.100.1', 80) } },
  { command: { op: 'add-dest', service: svc4, dest: dest('198.51.100.2', 8080, 0) } },
  { command: { op: 'add-dest', service: svc6, dest: dest('2001:db8::20', 53) } },
  { command: { op: 'edit-dest', service: svc4, dest: { ...dest('198.51.100.1', 80), weight: 5 } } },
  { command: { op: 'del-dest', service: svc4, dest: { addr: '198.51.100.2', port: 8080 } } },
  { command: { op: 'del-service', service: svc6 } },
  { command: { op: 'zero', service: svc4 } },
  { command: { op: 'zero' } },
  { command: { op: 'set-timeouts', tcp: 900, tcpfin: 120, udp: 300 } },
  { command: { op: 'set-sysctl', name: 'expire_nodest_conn', value: 1 } },
  { command: { op: 'set-sysctl', name: 'conn_reuse_mode', value: 2 } },
  { command: { op: 'clear' } },
  { query: { q: 'list' } },
  { query: { q: 'list', service: svc4, conns: true } },
  { query: { q: 'timeouts' } },
  { query: { q: 'status' } },
  { query: { q: 'daemons' } },
  { query: { q: 'sysctls' } },
  { query: { q: 'laddrs' } },
];

const HOSTILE: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  -(2 ** 53),
  1e308,
  '',
  'x',
  'x'.repeat(5000),
  '192.0.2.256',
  '::ffff:192.0.2.1',
  '0.0.0.0',
  '2001:db8::',
  'rr',
  'wlcc',
  '__proto__',
  'constructor',
  [],
  [1, 2],
  {},
  { __proto__: { op: 'clear' } },
  { op: 'clear' },
  '\u0000',
  '\ud800',
  'master',
];

const KEYS = [
  'op',
  'service',
  'config',
  'dest',
  'kind',
  'af',
  'protocol',
  'addr',
  'port',
  'fwmark',
  'weight',
  'scheduler',
  'flags',
  'timeout',
  'netmask',
  'pe',
  'fwd',
  'name',
  'value',
  'q',
  'conns',
  '__proto__',
  'extra',
];

/** Replaces, drops or adds one value somewhere in a JSON tree (a copy). */
function mutateJson(rng: Rng, x: unknown, depth = 0): unknown {
  if (x === null || typeof x !== 'object') return rng.oneIn(2) ? rng.pick(HOSTILE) : x;
  if (Array.isArray(x)) return x.map((v) => (rng.oneIn(3) ? mutateJson(rng, v, depth + 1) : v));
  const o: Record<string, unknown> = { ...(x as Record<string, unknown>) };
  const keys = Object.keys(o);
  const action = rng.int(5);
  if (action === 0 && keys.length > 0) delete o[rng.pick(keys)];
  else if (action === 1) o[rng.pick(KEYS)] = rng.pick(HOSTILE);
  else if (keys.length > 0) {
    const k = rng.pick(keys);
    o[k] = depth < 4 && !rng.oneIn(4) ? mutateJson(rng, o[k], depth + 1) : rng.pick(HOSTILE);
  }
  return o;
}

function mutateText(rng: Rng, s: string): string {
  const at = rng.int(s.length + 1);
  switch (rng.int(4)) {
    case 0:
      return s.slice(0, at) + s.slice(at + 1 + rng.int(8));
    case 1:
      return (
        s.slice(0, at) +
        rng.pick(['{', '}', '"', ',', ':', '[', ']', '\\u0000', '1e999', 'null', '\n']) +
        s.slice(at)
      );
    case 2:
      return s.slice(0, at) + String.fromCharCode(rng.int(0x10000)) + s.slice(at + 1);
    default:
      return s + s.slice(0, rng.int(s.length));
  }
}

function deps(): ControlDeps {
  const d = createDirectorPort(8);
  return {
    target: d,
    connTabSize: d.connTabSize,
    timeouts: () => d.timeouts(),
    sysctls: () => d.director.settings.sysctls(),
    daemons: () => d.daemons(),
    conns: (now) => d.conns(now),
    now: () => 1_000,
    status: () => ({
      version: 'fuzz',
      pid: 1,
      uptimeMs: 0,
      dataplane: 'none',
      connTabSize: d.connTabSize,
      services: d.table.size,
      vips: [],
    }),
  };
}

function state(d: ControlDeps): string {
  return JSON.stringify([serviceViews(d.target.table), d.timeouts(), d.sysctls?.()]);
}

/** The control target. */
export const controlTarget: FuzzTarget = {
  name: 'control',
  run(o, progress): TargetResult {
    const rng = new Rng(o.seed);
    const findings = new Findings(o.maxFindings);
    const counts: Record<string, number> = {};
    const enc = new TextEncoder();
    let d = deps();
    for (let i = 0; i < o.count; i++) {
      if (i % 5_000 === 0) d = deps();
      const base = { v: 1, id: i, ...rng.pick(VALID) };
      let line: string;
      const kind = rng.int(10);
      if (kind < 2) line = JSON.stringify(base);
      else if (kind < 8) line = JSON.stringify(mutateJson(rng, base)) ?? 'null';
      else line = mutateText(rng, JSON.stringify(base));
      progress.begin(i, enc.encode(line));
      try {
        const before = state(d);
        const answer = handleLine(d, line);
        if (!answer.endsWith('\n') || answer.indexOf('\n') !== answer.length - 1)
          findings.add(i, 'answer is not exactly one line', line);
        const r = decodeResponse(answer.slice(0, -1));
        if (r.ok) bump(counts, 'accepted');
        else if (!/^ERR_[A-Z0-9_]+$/.test(r.error.code))
          findings.add(i, `uncoded refusal ${r.error.code}`, line);
        else {
          bump(counts, r.error.code);
          if (state(d) !== before)
            findings.add(i, `refused with ${r.error.code} but the table changed`, line);
        }
      } catch (e) {
        findings.add(i, `threw ${describeThrown(e)}`, line);
        d = deps();
      }
    }
    return { inputs: o.count, findings: findings.list, counts: { ...counts, findings: findings.total } };
  },
};
