/**
 * `lvsadm --bgp` (ours, issue 18): what lvsd --bgp announces through BIRD. Each VIP's state says
 * what BIRD holds against what lvsd wants: `announced`, `withheld` (with the reason), `pending`
 * (wanted, BIRD not yet reloaded) or `withdrawing` (unwanted, still in BIRD); then BIRD's own
 * `show protocols` rows for its BGP sessions and lvsd's static protocols.
 */
import type { BgpView, BgpVipView } from '../control/bgp-views.js';

function state(v: BgpVipView, announced: ReadonlySet<string>): string {
  const has = announced.has(v.prefix);
  if (v.announce) return has ? 'announced' : 'pending';
  return has ? 'withdrawing' : 'withheld';
}

function ago(now: number, at: number): string {
  return `${new Date(at).toISOString()} (${Math.max(0, Math.round((now - at) / 1000))}s ago)`;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) => `${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 2))).join('')}\n`)
    .join('');
}

/** The `--bgp` text. */
export function formatBgp(v: BgpView): string {
  let out = `BGP through BIRD: include ${v.include}, socket ${v.socket}, protocols ${v.protocols.join(' ')}\n`;
  const drained = v.drainedAll ? 'every VIP' : v.drained.length > 0 ? v.drained.join(' ') : 'none';
  out += `Drained: ${drained}\n`;
  out += `Last reload: ${v.configuredAt === null ? 'never' : ago(v.now, v.configuredAt)}${v.pending ? ' (a reload is due)' : ''}\n`;
  if (v.error)
    out += `Error: ${v.error.message} (${v.error.code}) since ${new Date(v.error.since).toISOString()}\n`;
  const announced = new Set(v.announced);
  const rows = v.vips.map((x) => [
    x.prefix,
    state(x, announced),
    x.announce ? x.services.join(', ') : (x.reason ?? ''),
  ]);
  out +=
    rows.length === 0
      ? 'No virtual address in the table.\n'
      : table([['VIP', 'State', 'Services / why not'], ...rows]);
  if (v.birdAt === null) return `${out}BIRD protocols: not read yet\n`;
  out += `BIRD protocols (read ${ago(v.now, v.birdAt)}):\n`;
  if (v.bird.length === 0) return `${out}  none\n`;
  return (
    out +
    table([
      ['Name', 'Proto', 'Table', 'State', 'Since', 'Info'],
      ...v.bird.map((r) => [r.name, r.proto, r.table, r.state, r.since, r.info]),
    ])
  );
}
