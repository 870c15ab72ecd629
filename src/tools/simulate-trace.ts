/**
 * The per-frame log of `lvsd simulate`: each captured frame in, each frame the director sent for
 * it with the fields it changed, each drop with its reason in words, and the real servers' direct
 * replies of DR and TUN (which reach the client without the director, so the engine does not take
 * them) called what they are instead of drops; and the counts that follow it.
 */
import { canonicalIp } from '../core/addr.js';
import type { Director } from '../core/director.js';
import { FWD, TUN_TYPE } from '../core/types.js';
import { dropWords } from '../engine/drop-words.js';
import { DROP } from '../engine/drops.js';
import type { EngineCounters } from '../engine/engine.js';
import {
  changedFields,
  type FrameSummary,
  formatFrame,
  isForwardOf,
  summarizeFrame,
} from './frame-summary.js';

/** What one captured frame (or a timer tick, `input` undefined) made the engine do. */
export interface SimStep {
  /** 1-based index of the captured frame, with its bytes. */
  readonly input?: { readonly index: number; readonly frame: Uint8Array };
  /** Milliseconds since the first captured frame. */
  readonly atMs: number;
  /** Frames transmitted, in order. */
  readonly out: readonly Uint8Array[];
  /** Drop reasons (drops.ts codes), in order. */
  readonly drops: readonly number[];
}

/** The log text and how many drops were the real servers' direct replies. */
export interface SimLog {
  readonly text: string;
  /** not_ours drops that were replies from a VIP:port of a DR or TUN service. */
  readonly bypass: number;
}

// Services whose replies go from the real server straight to the client: `proto|addr|port`.
function bypassKeys(director: Director): Set<string> {
  const keys = new Set<string>();
  for (const s of director.table.list()) {
    if (s.key.kind !== 'addr') continue;
    if (!s.dests.some((d) => d.fwd === FWD.DROUTE || d.fwd === FWD.TUNNEL)) continue;
    keys.add(`${s.key.protocol}|${canonicalIp(s.key.addr) ?? s.key.addr}|${s.key.port}`);
  }
  return keys;
}

const PROTO_NUM: Readonly<Record<string, number>> = { tcp: 6, udp: 17 };

function isDirectReply(f: FrameSummary, keys: Set<string>): boolean {
  const p = f.ip;
  if (!p || p.sport === undefined) return false;
  return keys.has(`${PROTO_NUM[p.kind] ?? 0}|${canonicalIp(p.src) ?? p.src}|${p.sport}`);
}

/** Writes the per-frame log; `guePorts` are the UDP ports the rules tunnel GUE to. */
export function formatSimLog(
  director: Director,
  steps: readonly SimStep[],
  guePorts: ReadonlySet<number>,
): SimLog {
  const keys = bypassKeys(director);
  const lines: string[] = [];
  let bypass = 0;
  const sum = (b: Uint8Array) => summarizeFrame(b, { guePorts });
  for (const st of steps) {
    if (st.out.length === 0 && st.drops.length === 0 && !st.input) continue;
    const input = st.input ? sum(st.input.frame) : undefined;
    if (st.input && input) lines.push(`#${st.input.index} in   ${formatFrame(input)}`);
    else lines.push(`timer +${(st.atMs / 1000).toFixed(3)}s`);
    for (const b of st.out) {
      const o = sum(b);
      lines.push(`   out  ${formatFrame(o)}`);
      if (input && isForwardOf(input, o)) {
        const ch = changedFields(input, o);
        lines.push(`        changed: ${ch.length ? ch.join(', ') : 'nothing'}`);
      } else if (input && (input.kind === 'arp' || input.kind === 'icmp6') && o.kind !== input.kind) {
        lines.push('        (a frame that waited for this next hop to resolve)');
      } else {
        lines.push('        (made by the director)');
      }
    }
    for (const d of st.drops) {
      if (d === DROP.NOT_OURS && input && isDirectReply(input, keys)) {
        bypass++;
        lines.push(
          `   bypass: a real server's direct reply from the VIP (DR/TUN): it goes to the client, not through the director`,
        );
      } else lines.push(`   drop ${dropWords(d)}`);
    }
    if (st.input && st.out.length === 0 && st.drops.length === 0)
      lines.push('   nothing sent yet, no drop (a frame waiting for ARP/ND, or an answer learned from)');
  }
  return { text: lines.length ? `${lines.join('\n')}\n` : '', bypass };
}

/** UDP ports the rules send GUE to (the tunnels' --tun-port), so the log can read inside them. */
export function guePortsOf(director: Director): Set<number> {
  const ports = new Set<number>();
  for (const s of director.table.list())
    for (const d of s.dests) if (d.fwd === FWD.TUNNEL && d.tunType === TUN_TYPE.GUE) ports.add(d.tunPort);
  return ports;
}

/**
 * The summary `lvsd simulate` prints. `bypass` not_ours drops were real servers' direct DR/TUN
 * replies: they are counted on their own line, not as drops.
 */
export function formatSummary(framesIn: number, framesOut: number, c: EngineCounters, bypass = 0): string {
  let s = `frames in: ${framesIn}\nframes out: ${framesOut}\n`;
  const drops = { ...c.drops };
  if (bypass > 0) {
    const left = (drops.not_ours ?? 0) - bypass;
    if (left > 0) drops.not_ours = left;
    else delete drops.not_ours;
    s += `direct replies (real server to client, bypassing the director): ${bypass}\n`;
  }
  s += `arp replies: ${c.arpReplies}\narp requests: ${c.arpRequests}\n`;
  s += `echo replies: ${c.echoReplies}\nicmp errors: ${c.icmpErrors}\n`;
  if (c.ndpAdverts + c.ndpSolicits > 0) s += `ndp adverts: ${c.ndpAdverts}\nndp solicits: ${c.ndpSolicits}\n`;
  const names = Object.keys(drops).sort();
  s += `drops: ${names.reduce((a, n) => a + (drops[n] ?? 0), 0)}\n`;
  for (const n of names) s += `  ${n}: ${drops[n]}\n`;
  return s;
}
