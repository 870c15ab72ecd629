/**
 * `lab trace MODE`: sends one HTTP request from the client through the VIP and prints, for every
 * link of the lab, the frames it carried (MACs, addresses, ports), like the per-hop tables of the
 * LVS tutorials: in DR the director's link shows the request twice (in from the client, out to
 * the real server's MAC) and no reply; in NAT it shows both directions rewritten.
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import type { CapturedFrame } from './capture.js';
import { type LabMode, labPlan } from './plan.js';
import { labExec, labSpawn, procArgv } from './topology.js';

/** Frames seen on one link. */
export interface LinkTrace {
  /** `host:ifname -- host:ifname`. */
  name: string;
  frames: CapturedFrame[];
}

/** The outcome of one traced request. */
export interface TraceResult {
  /** What curl printed (the real server's page). */
  response: string;
  links: LinkTrace[];
}

/** Resolves once a capture child (capture.ts) has bound its socket and said `ready` on stderr. */
export function waitCaptureReady(c: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let err = '';
    const t = setTimeout(() => reject(new Error(`capture did not start: ${err}`)), 10_000);
    c.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('ready')) {
        clearTimeout(t);
        resolve();
      }
    });
    c.once('exit', () => reject(new Error(`capture exited: ${err}`)));
  });
}

/**
 * Runs one request with captures on every link, the client's neighbour cache flushed once the
 * captures run so the trace always shows the VIP's ARP resolution; `path` is the URL path requested.
 */
export async function traceRequest(mode: LabMode, path = '/'): Promise<TraceResult> {
  const plan = labPlan(mode);
  const caps = plan.links.map((l) => {
    // A link is captured at its far end from the director: with lvsd's AF_XDP path the frames
    // it takes never reach the director's packet taps (XDP runs first) and its AF_XDP transmits
    // skip them too; the peer's taps see the same frames either way.
    const end = l.a.host === 'director' ? l.b : l.a;
    const c = labSpawn(mode, end.host, procArgv('capture', end.ifname));
    let out = '';
    c.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    return { l, c, out: () => out };
  });
  try {
    await Promise.all(caps.map((x) => waitCaptureReady(x.c)));
    // The client resolves the VIP afresh inside the capture: flushed any earlier, an ARP request
    // from the director (sender address the VIP) could teach it the VIP's MAC before the taps run.
    labExec(mode, 'client', ['ip', 'neigh', 'flush', 'dev', plan.clientIf]);
    const r = labExec(mode, 'client', ['curl', '-s', '-m', '5', `http://${plan.vip}:${plan.port}${path}`]);
    // Let the FIN exchange and any late frame reach the rings (retired within 1 ms).
    spawnSync('sleep', ['0.3']);
    const done = caps.map((x) => new Promise<void>((res) => x.c.once('exit', () => res())));
    for (const x of caps) x.c.kill('SIGTERM');
    await Promise.all(done);
    const links = caps.map((x) => ({
      name: `${x.l.a.host}:${x.l.a.ifname} -- ${x.l.b.host}:${x.l.b.ifname}`,
      frames: x
        .out()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as CapturedFrame)
        .filter(
          (f) =>
            f.kind === 'arp' ||
            f.kind === 'ipip' ||
            f.kind === 'gre' ||
            f.kind === 'gue' ||
            f.dport === plan.port ||
            f.sport === plan.port,
        ),
    }));
    return { response: r.stdout, links };
  } finally {
    for (const x of caps) if (x.c.exitCode === null) x.c.kill('SIGKILL');
  }
}

const pad = (s: string, n: number): string => (s.length >= n ? `${s} ` : s + ' '.repeat(n - s.length));
const ep = (ip: string, port?: number): string => (port === undefined ? ip : `${ip}:${port}`);

/** Formats a trace as per-link tables. */
export function formatTrace(t: TraceResult): string {
  const lines: string[] = [`response: ${t.response.trim() || '(none)'}`, ''];
  for (const l of t.links) {
    lines.push(`link ${l.name}  (${l.frames.length} frames)`);
    lines.push(
      `  ${pad('dir', 4)}${pad('src MAC', 18)}${pad('dst MAC', 18)}${pad('kind', 5)}${pad('src', 22)}${pad('dst', 22)}detail`,
    );
    for (const f of l.frames) {
      let detail = f.flags ?? '';
      if (f.arp) detail = f.arp;
      if (f.inner) detail = `inner ${ep(f.inner.src, f.inner.sport)} > ${ep(f.inner.dst, f.inner.dport)}`;
      lines.push(
        `  ${pad(f.dir, 4)}${pad(f.srcMac, 18)}${pad(f.dstMac, 18)}${pad(f.kind, 5)}${pad(ep(f.src, f.sport), 22)}${pad(ep(f.dst, f.dport), 22)}${detail}`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}
