/**
 * `lab trace ha`: captures ARP and VRRP on the client's link for a few seconds (optionally failing
 * a director part-way, ha-lab.ts haFail) and prints one line per frame with its time, e.g.
 * `+0.412s director1 > 224.0.0.18 VRRPv3 vrid 51 prio 150 int 1s vip 192.0.2.100`, so the
 * adverts of the master, the silence after it fails and the new master's adverts and gratuitous
 * ARP (RFC 5798 §6.4.2) read in order.
 */
import type { HaCapturedFrame } from './ha-capture.js';
import { HA_DIRECTORS, type HaDirector } from './ha-conf.js';
import { describeHaFrame, formatHaEvent, type HaEvent, type HaNames } from './ha-frame.js';
import { haFail } from './ha-lab.js';
import { HA_MODE, type LabHost, labPlan } from './plan.js';
import { labExec, labSpawn, procArgv } from './topology.js';
import { waitCaptureReady } from './trace.js';

/** Options of {@link haTrace}. */
export interface HaTraceOptions {
  /** How long to capture, in ms. */
  durationMs: number;
  /** Fail this director `failAfterMs` after the capture starts. */
  fail?: HaDirector;
  failAfterMs?: number;
}

/** One decoded frame and when it was captured (ms since the capture started). */
export interface HaTraceLine {
  readonly at: number;
  readonly event: HaEvent;
}

/** The outcome of a trace. */
export interface HaTraceResult {
  readonly lines: readonly HaTraceLine[];
  readonly names: HaNames;
  /** Date.now() when the capture started (`at` 0). */
  readonly startedAt: number;
  /** ms since the start when the failed director was cut off. */
  readonly failedAt?: number;
  readonly failed?: HaDirector;
}

const HOSTS: readonly LabHost[] = ['client', ...HA_DIRECTORS, 'rs1', 'rs2'];

/** MAC and address of every host's eth0, for naming the lines. */
export function haNames(): HaNames {
  const byMac = new Map<string, string>();
  const byIp = new Map<string, string>();
  for (const l of labPlan(HA_MODE).links) {
    const addr = l.a.addrs[0]?.split('/')[0];
    if (addr) byIp.set(addr, l.a.host);
  }
  for (const h of HOSTS) {
    const r = labExec(HA_MODE, h, ['ip', '-j', 'link', 'show', 'eth0']);
    const mac = (JSON.parse(r.stdout || '[]') as { address?: string }[])[0]?.address;
    if (mac) byMac.set(mac, h);
  }
  return { byMac, byIp };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Captures on the client's eth0 for `durationMs`, failing a director on the way if asked. */
export async function haTrace(o: HaTraceOptions): Promise<HaTraceResult> {
  const names = haNames();
  const c = labSpawn(HA_MODE, 'client', procArgv('ha-capture', 'eth0'));
  let out = '';
  c.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  try {
    await waitCaptureReady(c);
    const t0 = Date.now();
    let failedAt: number | undefined;
    if (o.fail) {
      await sleep(o.failAfterMs ?? 1500);
      failedAt = Date.now() - t0;
      haFail(o.fail);
    }
    await sleep(Math.max(0, o.durationMs - (Date.now() - t0)));
    const exited = new Promise<void>((res) => c.once('exit', () => res()));
    c.kill('SIGTERM');
    await Promise.race([exited, sleep(3000)]);
    const lines: HaTraceLine[] = [];
    for (const l of out.split('\n')) {
      if (!l) continue;
      const f = JSON.parse(l) as HaCapturedFrame;
      const event = describeHaFrame(Buffer.from(f.hex, 'hex'));
      if (event) lines.push({ at: f.t - t0, event });
    }
    return { lines, names, startedAt: t0, ...(o.fail ? { failedAt, failed: o.fail } : {}) };
  } finally {
    if (c.exitCode === null) c.kill('SIGKILL');
  }
}

/** Formats a trace: one timed line per frame, the failure where it happened. */
export function formatHaTrace(t: HaTraceResult): string {
  const ts = (ms: number) => `${ms < 0 ? '-' : '+'}${(Math.abs(ms) / 1000).toFixed(3)}s`;
  const rows: { at: number; text: string }[] = t.lines.map((l) => ({
    at: l.at,
    text: `${ts(l.at)} ${formatHaEvent(l.event, t.names)}`,
  }));
  if (t.failed !== undefined && t.failedAt !== undefined)
    rows.push({
      at: t.failedAt,
      text: `${ts(t.failedAt)} *** ${t.failed} fails (processes killed, link down) ***`,
    });
  rows.sort((a, b) => a.at - b.at);
  return `${rows.map((r) => r.text).join('\n')}\n`;
}
