/**
 * Imports the `meta mark set N` rules of an `nft list ruleset` dump: rules of base chains hooked
 * at prerouting in `ip`, `ip6` and `inet` tables, with the matches IPVS fwmark setups use —
 * `ip`/`ip6` `daddr`/`saddr` (address or prefix), `tcp`/`udp`/`sctp` `dport`/`sport` (a port, a
 * range, or an anonymous set `{ 80, 443 }`), `meta l4proto`, `iifname` — plus `counter` and
 * `comment`, which change nothing. Any other expression in such a chain (negation, a named set,
 * `ct`, a verdict, a jump) is a finding naming its line: skipping it would classify differently
 * from the kernel. Other chains never mark a packet before IPVS sees it and are skipped. The
 * mark statement does not end the chain (nft_meta_set_eval() sets skb->mark and evaluation goes
 * on), so the last matching rule counts: the rules come back reversed, for first-match evaluation.
 */
import type { Af } from '../../core/addr.js';
import type { MarkPrefix, MarkRule, PortRanges } from '../../core/mark-rule.js';
import { IFNAME, type MarkParse, markRule } from './mark-rules.js';
import { findingsAt, type MarkFinding, parseMark, parsePorts, parsePrefix } from './mark-values.js';
import { type Word, words } from './mark-words.js';

const L4: Record<string, number> = { tcp: 6, udp: 17, sctp: 132 };
const FAMILIES: Record<string, Af | 0> = { ip: 4, ip6: 6, inet: 0 };

/** Whether `text` looks like an `nft list ruleset` dump (a `table FAMILY NAME {` line). */
export function looksLikeNft(text: string): boolean {
  return /^\s*table\s+\S+\s+\S+\s*\{/m.test(text);
}

/** Parses an `nft list ruleset` dump. */
export function parseNftRuleset(text: string, source: string): MarkParse {
  const rules: MarkRule[] = [];
  const findings: MarkFinding[] = [];
  // Block stack: 'table', 'chain', or 'other' (sets, maps, flowtables: skipped whole).
  const stack: string[] = [];
  let family: Af | 0 | undefined;
  let hook = '';
  text.split('\n').forEach((raw, n) => {
    const line = n + 1;
    const ws = words(raw);
    const first = ws[0];
    if (!first) return;
    const last = ws[ws.length - 1]?.text;
    const top = stack[stack.length - 1];
    if (first.text === '}') {
      stack.pop();
      return;
    }
    if (top === 'other') {
      if (last === '{') stack.push('other');
      return;
    }
    if (first.text === 'table' && last === '{' && stack.length === 0) {
      family = FAMILIES[ws[1]?.text ?? ''];
      stack.push('table');
      return;
    }
    if (first.text === 'chain' && last === '{' && top === 'table') {
      hook = '';
      stack.push('chain');
      return;
    }
    if (last === '{') {
      stack.push('other');
      return;
    }
    if (top !== 'chain') return;
    if (first.text === 'type' || first.text === 'policy') {
      const h = ws.findIndex((w) => w.text === 'hook');
      if (h >= 0) hook = ws[h + 1]?.text ?? '';
      return;
    }
    if (hook !== 'prerouting' || family === undefined) return;
    const r = nftRule(ws, line, `${source}:${line}`, family === 0 ? undefined : family);
    if (r === undefined) return;
    if ('code' in r) findings.push(r);
    else rules.push(r);
  });
  return { rules: rules.reverse(), findings };
}

// One rule of a prerouting chain: a MarkRule, a finding, or undefined for a rule that sets no
// mark and decides nothing (only counters).
function nftRule(
  ws: readonly Word[],
  line: number,
  origin: string,
  fam?: Af,
): MarkRule | MarkFinding | undefined {
  const fail = findingsAt(line);
  let proto = 0;
  let af = fam;
  let dst: MarkPrefix | undefined;
  let src: MarkPrefix | undefined;
  let dport: PortRanges | undefined;
  let sport: PortRanges | undefined;
  let iif: string | undefined;
  let mark: number | undefined;
  let i = 0;
  const at = (k: number) => ws[k];
  const txt = (k: number) => ws[k]?.text;
  // A value, or an anonymous set `{ a, b }` joined as `a,b`; advances i past it.
  const value = (): { text: string; w: Word | undefined; set: boolean } | MarkFinding => {
    const w = at(i);
    if (w?.text === '!=') return fail(w, 'ERR_MARK_UNSUPPORTED', 'negated matches (!=) are not supported');
    if (w?.text.startsWith('@')) return fail(w, 'ERR_MARK_UNSUPPORTED', `named set '${w.text}'`);
    if (w?.text === '{') {
      let j = i + 1;
      const parts: string[] = [];
      while (j < ws.length && txt(j) !== '}') parts.push(txt(j++) as string);
      if (j >= ws.length) return fail(w, 'ERR_MARK_SYNTAX', "set without its '}'");
      i = j + 1;
      return { text: parts.join('').replace(/,$/, ''), w, set: true };
    }
    if (!w) return fail(ws[ws.length - 1], 'ERR_MARK_SYNTAX', 'a match without its value');
    i++;
    return { text: w.text.replace(/^"(.*)"$/, '$1'), w, set: false };
  };
  while (i < ws.length) {
    const w = at(i) as Word;
    const k = w.text;
    const k2 = txt(i + 1);
    if (k === 'counter') {
      i++;
      while (txt(i) === 'packets' || txt(i) === 'bytes') i += 2;
      continue;
    }
    if (k === 'comment') {
      i += 2;
      continue;
    }
    if (
      (k === 'meta' && k2 === 'l4proto') ||
      (k === 'ip' && k2 === 'protocol') ||
      (k === 'ip6' && k2 === 'nexthdr')
    ) {
      i += 2;
      const v = value();
      if ('code' in v) return v;
      const p = L4[v.text];
      if (p === undefined || v.set)
        return fail(v.w, 'ERR_MARK_UNSUPPORTED', `protocol '${v.text}' (only one of tcp, udp, sctp)`);
      if (proto !== 0 && proto !== p) return fail(v.w, 'ERR_MARK_UNSUPPORTED', 'two different protocols');
      proto = p;
      continue;
    }
    if ((k === 'ip' || k === 'ip6') && (k2 === 'daddr' || k2 === 'saddr')) {
      const want: Af = k === 'ip' ? 4 : 6;
      if (af !== undefined && af !== want)
        return fail(w, 'ERR_MARK_FAMILY', `'${k}' match in an IPv${af} rule`);
      i += 2;
      const v = value();
      if ('code' in v) return v;
      if (v.set) return fail(v.w, 'ERR_MARK_UNSUPPORTED', 'address sets are not supported');
      const p = parsePrefix(v.text, want);
      if (!p.ok) return fail(v.w, p.code, p.message);
      af = want;
      if (k2 === 'daddr') dst = p.value;
      else src = p.value;
      continue;
    }
    if (L4[k] !== undefined && (k2 === 'dport' || k2 === 'sport')) {
      const p = L4[k] as number;
      if (proto !== 0 && proto !== p) return fail(w, 'ERR_MARK_UNSUPPORTED', 'two different protocols');
      proto = p;
      i += 2;
      const v = value();
      if ('code' in v) return v;
      const r = parsePorts(v.text, '-');
      if (!r.ok) return fail(v.w, r.code, r.message);
      if ((k2 === 'dport' ? dport : sport) !== undefined)
        return fail(w, 'ERR_MARK_UNSUPPORTED', `two ${k2} matches`);
      if (k2 === 'dport') dport = r.value;
      else sport = r.value;
      continue;
    }
    if (k === 'iifname' || (k === 'meta' && k2 === 'iifname')) {
      i += k === 'meta' ? 2 : 1;
      const v = value();
      if ('code' in v) return v;
      if (v.set || !IFNAME.test(v.text) || v.text.includes('*'))
        return fail(v.w, 'ERR_MARK_UNSUPPORTED', `interface '${v.text}' (one name, no wildcard)`);
      iif = v.text;
      continue;
    }
    if ((k === 'meta' && k2 === 'mark' && txt(i + 2) === 'set') || (k === 'mark' && k2 === 'set')) {
      i += k === 'meta' ? 3 : 2;
      const v = value();
      if ('code' in v) return v;
      const r = parseMark(v.text);
      if (!r.ok) return fail(v.w, r.code, r.message);
      if (mark !== undefined) return fail(w, 'ERR_MARK_UNSUPPORTED', 'two mark statements');
      mark = r.value;
      continue;
    }
    return fail(
      w,
      'ERR_MARK_UNSUPPORTED',
      `expression '${k}${k2 !== undefined ? ` ${k2}` : ''}' (lvsd reads ip/ip6 daddr/saddr, tcp/udp/sctp dport/sport, meta l4proto, iifname, counter, comment, meta mark set)`,
    );
  }
  if (mark === undefined) {
    if (dst || src || dport || sport || iif !== undefined || proto !== 0)
      return fail(
        ws[0],
        'ERR_MARK_UNSUPPORTED',
        'a prerouting rule that sets no mark (only counters are skipped)',
      );
    return undefined;
  }
  return markRule({ proto, af, dst, src, dport, sport, iif, mark, origin });
}
