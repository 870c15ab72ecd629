/**
 * `lab trace MODE`: sends one HTTP request from the client through the VIP and prints, for every
 * link of the lab, the frames it carried (MACs, addresses, ports), like the per-hop tables of the
 * LVS tutorials, with a legend of which host owns which MAC. On the director's links `in` and
 * `out` are the director's view: in DR its link shows the request twice (in from the client, out
 * to the real server's MAC, `changed: dst-mac ..., ttl ...`) and no reply; in NAT both directions
 * come back through it rewritten.
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { changedFields, formatFrame, isForwardOf } from '../frame-summary.js';
import type { CapturedFrame } from './capture.js';
import { type LabHost, type LabLink, type LabMode, labPlan } from './plan.js';
import { labExec, labSpawn, procArgv } from './topology.js';

/** Frames seen on one link. */
export interface LinkTrace {
  /** `host:ifname -- host:ifname`, the host whose view `dir` gives first. */
  name: string;
  /** The host `in`/`out` are seen from: the director on its links, else the captured host. */
  view: LabHost;
  frames: TracedFrame[];
}

/** A captured frame; a frame the director sent also names the fields it changed. */
export interface TracedFrame extends CapturedFrame {
  /** Set on the director's `out` frames it forwarded: changedFields() against the frame it received. */
  changed?: string[];
}

/** The outcome of one traced request. */
export interface TraceResult {
  /** What curl printed (the real server's page). */
  response: string;
  links: LinkTrace[];
  /** MAC address -> `host:ifname` of every addressed link end (bridge ports carry no frames of their own). */
  legend: Record<string, string>;
}

/** Resolves once a capture child (capture.ts) has bound its socket and said `ready` on stderr. */
export function waitCaptureReady(c: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let err = '';
    // Generous: five captures started at once from src (tsx) took 8-9 s on a loaded 2-CPU test box.
    const t = setTimeout(() => reject(new Error(`capture did not start: ${err}`)), 30_000);
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
  const legend = macLegend(mode, plan.links);
  const caps = plan.links.map((l) => {
    // A link of the director is captured at its far end: with lvsd's AF_XDP path the frames it
    // takes never reach the director's packet taps (XDP runs first) and its AF_XDP transmits skip
    // them too; the peer's taps see the same frames, in the opposite direction, which
    // directorView() turns back into the director's.
    const atDirector = l.a.host === 'director' || l.b.host === 'director';
    const end = l.a.host === 'director' ? l.b : l.a;
    const near = l.a.host === 'director' ? l.a : l.b;
    const c = labSpawn(mode, end.host, procArgv('capture', end.ifname));
    let out = '';
    c.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const view = atDirector ? near : end;
    const other = view === l.a ? l.b : l.a;
    return {
      name: `${view.host}:${view.ifname} -- ${other.host}:${other.ifname}`,
      view,
      atDirector,
      c,
      out: () => out,
    };
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
    const links: LinkTrace[] = caps.map((x) => ({
      name: x.name,
      view: x.view.host,
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
        )
        .map((f) => (x.atDirector ? directorView(f) : f)),
    }));
    markChanges(links);
    return { response: r.stdout, links, legend };
  } finally {
    for (const x of caps) if (x.c.exitCode === null) x.c.kill('SIGKILL');
  }
}

/** A frame captured at the far end of a director link, as the director sees it: in and out swap. */
export function directorView(f: CapturedFrame): CapturedFrame {
  return { ...f, dir: f.dir === 'in' ? 'out' : 'in' };
}

// A forwarded TCP segment keeps its sequence and acknowledgement numbers and flags through NAT,
// DR, TUN and FULLNAT (inside the tunnel for TUN): the key that pairs a frame the director sent
// with the one it received.
function segmentKey(f: CapturedFrame): string | undefined {
  const p = f.inner ?? f.ip;
  if (p?.kind !== 'tcp' || p.seq === undefined) return undefined;
  return `${p.seq}|${p.ack}|${p.flags}`;
}

/** Sets `changed` on every director `out` TCP frame that pairs with a director `in` frame. */
export function markChanges(links: readonly LinkTrace[]): void {
  const dirLinks = links.filter((l) => l.view === 'director');
  const received = new Map<string, CapturedFrame[]>();
  for (const l of dirLinks)
    for (const f of l.frames) {
      const k = f.dir === 'in' ? segmentKey(f) : undefined;
      if (k !== undefined) received.set(k, [...(received.get(k) ?? []), f]);
    }
  for (const l of dirLinks)
    for (const f of l.frames as TracedFrame[]) {
      const k = f.dir === 'out' ? segmentKey(f) : undefined;
      const from = k === undefined ? undefined : received.get(k)?.shift();
      if (from && isForwardOf(from, f)) f.changed = changedFields(from, f);
    }
}

/** MAC -> `host:ifname` for every link end with addresses (read with `ip -j link` in its namespace). */
function macLegend(mode: LabMode, links: readonly LabLink[]): Record<string, string> {
  const legend: Record<string, string> = {};
  for (const e of links.flatMap((l) => [l.a, l.b])) {
    if (e.bridgePort) continue;
    const r = labExec(mode, e.host, ['ip', '-j', 'link', 'show', e.ifname]);
    try {
      const mac = (JSON.parse(r.stdout) as { address?: string }[])[0]?.address;
      if (mac) legend[mac] = `${e.host}:${e.ifname}`;
    } catch {
      // No such link: the legend goes without it.
    }
  }
  legend['ff:ff:ff:ff:ff:ff'] = 'broadcast';
  return legend;
}

/**
 * Formats a trace: the MAC legend, then per link its frames as `lvsd simulate` writes them, `in`
 * and `out` as the director sees them on its links (as the captured host sees them elsewhere), and
 * under each frame the director forwarded the fields it changed.
 */
export function formatTrace(t: TraceResult): string {
  const lines: string[] = [`response: ${t.response.trim() || '(none)'}`, '', 'MACs:'];
  for (const [mac, who] of Object.entries(t.legend)) lines.push(`  ${mac}  ${who}`);
  lines.push('');
  for (const l of t.links) {
    lines.push(`link ${l.name}  (${l.frames.length} frames; in/out as ${l.view} sees them)`);
    for (const f of l.frames as TracedFrame[]) {
      lines.push(`  ${f.dir.padEnd(4)}${formatFrame(f)}`);
      if (f.changed) lines.push(`      changed: ${f.changed.length ? f.changed.join(', ') : 'nothing'}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
