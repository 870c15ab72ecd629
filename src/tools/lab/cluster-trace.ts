/**
 * `lab trace cluster`: which director carried each flow. The client makes N fresh-connection HTTP
 * requests (each from its own source port, so the router's L4 multipath hash spreads them); then
 * every director's connection table (`lvsadm -Lnc`) is read and each client port is matched to
 * the director that holds its conn and the real server it was sent to. In DR and TUN only the
 * requests pass a director, so its conn table is the record of what it carried.
 */

import { type ClusterLabState, clusterLvsadm, clusterNextHops, planOf } from './cluster-lab.js';
import { CLUSTER_MODE } from './plan.js';
import { labExec } from './topology.js';

/** One traced flow. */
export interface ClusterFlow {
  /** The client's source port. */
  port: number;
  /** The page returned ('' on failure): names the real server that answered. */
  response: string;
  /** Directors whose conn table holds the flow (one, unless ECMP moved it). */
  directors: string[];
  /** The real server each of those directors sent it to. */
  servers: string[];
}

/** The outcome of {@link clusterTrace}. */
export interface ClusterTrace {
  nextHops: string[];
  flows: ClusterFlow[];
  /** Flows per director. */
  perDirector: Record<string, number>;
}

/** N sequential fresh-connection GETs, printing [{port, body}] as JSON (body '' on failure). */
const CLIENT_JS = `
const http = require('node:http');
const [vip, n] = process.argv.slice(1);
const out = [];
const one = (k) => {
  if (k === Number(n)) { process.stdout.write(JSON.stringify(out)); return; }
  let port = 0;
  const req = http.get({ host: vip, port: 80, path: '/', agent: false, timeout: 3000 }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c) => (body += c));
    res.on('end', () => { out.push({ port, body: body.trim() }); one(k + 1); });
  });
  req.on('socket', (s) => s.on('connect', () => { port = s.localPort; }));
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', () => { out.push({ port, body: '' }); one(k + 1); });
};
one(0);
`;

/** Client port -> real server address, from `lvsadm -Lnc` output, for conns to `vip`. */
export function connsByClientPort(lnc: string, vip: string): Map<number, string> {
  const m = new Map<number, string>();
  const re = new RegExp(`\\S+:(\\d+)\\s+${vip.replaceAll('.', '\\.')}:\\d+\\s+(\\S+):\\d+`);
  for (const line of lnc.split('\n')) {
    const x = re.exec(line);
    if (x) m.set(Number(x[1]), x[2]!);
  }
  return m;
}

/** Runs `flows` requests from the client and attributes each to the director that carried it. */
export async function clusterTrace(st: ClusterLabState, flows: number): Promise<ClusterTrace> {
  const p = planOf(st);
  const r = labExec(
    CLUSTER_MODE,
    'client',
    [process.execPath, '-e', CLIENT_JS, p.vip, String(flows)],
    120_000,
  );
  if (r.status !== 0) throw new Error(`client: ${r.stderr.trim()}`);
  const done = JSON.parse(r.stdout) as { port: number; body: string }[];
  const tables = new Map<string, Map<number, string>>();
  for (const d of p.directors) {
    try {
      tables.set(d, connsByClientPort(clusterLvsadm(st, d, ['-Lnc']), p.vip));
    } catch {
      tables.set(d, new Map()); // a failed director has no table to read
    }
  }
  const perDirector: Record<string, number> = {};
  for (const d of p.directors) perDirector[d] = 0;
  const out = done.map((f) => {
    const directors: string[] = [];
    const servers: string[] = [];
    for (const [d, t] of tables) {
      const rs = t.get(f.port);
      if (rs !== undefined) {
        directors.push(d);
        servers.push(rs);
        perDirector[d] = (perDirector[d] ?? 0) + 1;
      }
    }
    return { port: f.port, response: f.body, directors, servers };
  });
  return { nextHops: clusterNextHops(st), flows: out, perDirector };
}

/** The trace as text: the router's next hops, one line per flow, then flows per director. */
export function formatClusterTrace(t: ClusterTrace): string {
  const lines = [`router next hops for the VIP: ${t.nextHops.join(' ') || 'none'}`, ''];
  lines.push('client port  director    real server      answer');
  for (const f of t.flows) {
    lines.push(
      `${String(f.port).padEnd(12)} ${(f.directors.join(',') || '?').padEnd(11)} ${(f.servers.join(',') || '?').padEnd(16)} ${f.response || '(no answer)'}`,
    );
  }
  lines.push('');
  lines.push(
    `flows per director: ${Object.entries(t.perDirector)
      .map(([d, n]) => `${d} ${n}`)
      .join(', ')}`,
  );
  return `${lines.join('\n')}\n`;
}
