/**
 * lvsd's mark-rule language (`lvsd --mark RULE`, one rule a line in `--mark-file`):
 *
 *     [tcp|udp|sctp|any] [dst ADDR[/LEN]] [src ADDR[/LEN]] [dport PORTS] [sport PORTS] [iif NAME] mark N
 *
 * PORTS is `80`, `80,443`, `8000-8100` or a mix; N is 1..4294967295 (decimal or 0x hex). The
 * protocol defaults to `any` (TCP, UDP and SCTP). The first rule that matches a packet sets its
 * mark, as the fwmark table then chooses the service (ip_vs_ctl.c ip_vs_service_find()).
 * Parsing never throws: every problem is a {@link MarkFinding} with a stable code and line:column.
 */
import type { Af } from '../../core/addr.js';
import { MARK_PROTOS, type MarkPrefix, type MarkRule, type PortRanges } from '../../core/mark-rule.js';
import {
  findingsAt,
  type MarkFinding,
  type Parsed,
  parseMark,
  parsePorts,
  parsePrefix,
} from './mark-values.js';
import { type Word, words } from './mark-words.js';

/** Rules parsed from a source, and the findings of the lines that did not parse. */
export interface MarkParse {
  readonly rules: MarkRule[];
  readonly findings: MarkFinding[];
}

/** Interface names as Linux accepts them (IFNAMSIZ 16 with the NUL; dev_valid_name()). */
export const IFNAME = /^[^\s/:]{1,15}$/;

/** The matches one rule collected, any of them absent; {@link markRule} drops the absent ones. */
export interface MarkRuleFields {
  readonly proto: number;
  readonly af: Af | undefined;
  readonly dst: MarkPrefix | undefined;
  readonly src: MarkPrefix | undefined;
  readonly dport: PortRanges | undefined;
  readonly sport: PortRanges | undefined;
  readonly iif: string | undefined;
  readonly mark: number;
  readonly origin: string;
}

/** A MarkRule from the fields every rule source (lvsd's language, iptables, nft) collects. */
export function markRule(f: MarkRuleFields): MarkRule {
  return {
    proto: f.proto,
    ...(f.af !== undefined ? { af: f.af } : {}),
    ...(f.dst ? { dst: f.dst } : {}),
    ...(f.src ? { src: f.src } : {}),
    ...(f.dport ? { dport: f.dport } : {}),
    ...(f.sport ? { sport: f.sport } : {}),
    ...(f.iif !== undefined ? { iif: f.iif } : {}),
    mark: f.mark,
    origin: f.origin,
  };
}

/** Parses one rule of `ws` (a line's words); `origin` names it in log lines. */
export function parseRuleWords(ws: readonly Word[], line: number, origin: string): MarkRule | MarkFinding {
  const finding = findingsAt(line);
  const at = (w: Word | undefined, p: { code: MarkFinding['code']; message: string }): MarkFinding =>
    finding(w, p.code, p.message);
  let proto = MARK_PROTOS.any as number;
  let af: Af | undefined;
  let dst: MarkPrefix | undefined;
  let src: MarkPrefix | undefined;
  let dport: PortRanges | undefined;
  let sport: PortRanges | undefined;
  let iif: string | undefined;
  let mark: number | undefined;
  const seen = new Set<string>();
  let i = 0;
  const first = ws[0];
  if (first && Object.hasOwn(MARK_PROTOS, first.text)) {
    proto = MARK_PROTOS[first.text as keyof typeof MARK_PROTOS];
    i = 1;
  }
  for (; i < ws.length; i += 2) {
    const key = ws[i] as Word;
    const val = ws[i + 1];
    const k = key.text;
    if (!['dst', 'src', 'dport', 'sport', 'iif', 'mark'].includes(k)) {
      const hint = Object.hasOwn(MARK_PROTOS, k) ? ' (the protocol comes first)' : '';
      return at(key, {
        code: 'ERR_MARK_SYNTAX',
        message: `unknown word '${k}'${hint}: expected dst, src, dport, sport, iif or mark`,
      });
    }
    if (seen.has(k)) return at(key, { code: 'ERR_MARK_DUPLICATE', message: `'${k}' given twice` });
    seen.add(k);
    if (!val) return at(key, { code: 'ERR_MARK_SYNTAX', message: `'${k}' needs a value` });
    let r: Parsed<unknown>;
    if (k === 'dst' || k === 'src') {
      const p = parsePrefix(val.text, af);
      if (!p.ok) return at(val, p);
      af = p.value.af;
      if (k === 'dst') dst = p.value;
      else src = p.value;
      continue;
    }
    if (k === 'dport' || k === 'sport') {
      r = parsePorts(val.text);
      if (!r.ok) return at(val, r);
      if (k === 'dport') dport = r.value as PortRanges;
      else sport = r.value as PortRanges;
      continue;
    }
    if (k === 'iif') {
      if (!IFNAME.test(val.text))
        return at(val, { code: 'ERR_MARK_SYNTAX', message: `'${val.text}' is not an interface name` });
      iif = val.text;
      continue;
    }
    r = parseMark(val.text);
    if (!r.ok) return at(val, r);
    mark = r.value as number;
  }
  if (mark === undefined)
    return at(ws[ws.length - 1], { code: 'ERR_MARK_MISSING', message: "the rule sets no 'mark N'" });
  return markRule({ proto, af, dst, src, dport, sport, iif, mark, origin });
}

/** Parses a `--mark-file` in lvsd's language: one rule a line, `#` comments and blank lines skipped. */
export function parseMarkRules(text: string, source: string): MarkParse {
  const rules: MarkRule[] = [];
  const findings: MarkFinding[] = [];
  text.split('\n').forEach((l, n) => {
    const ws = words(l);
    if (ws.length === 0) return;
    const r = parseRuleWords(ws, n + 1, `${source}:${n + 1}`);
    if ('code' in r) findings.push(r);
    else rules.push(r);
  });
  return { rules, findings };
}

/** Parses the `--mark RULE` arguments, the n-th reported as line n. */
export function parseMarkArgs(args: readonly string[]): MarkParse {
  const rules: MarkRule[] = [];
  const findings: MarkFinding[] = [];
  args.forEach((a, n) => {
    const ws = words(a.replace(/\n/g, ' '));
    const r = ws.length
      ? parseRuleWords(ws, n + 1, `--mark #${n + 1}`)
      : { code: 'ERR_MARK_MISSING' as const, line: n + 1, column: 1, message: 'empty rule' };
    if ('code' in r) findings.push(r);
    else rules.push(r);
  });
  return { rules, findings };
}
