/**
 * Imports `iptables-save` / `ip6tables-save` output: the mangle table's
 * `-A PREROUTING ... -j MARK --set-mark N` rules (printed by iptables 1.8 as
 * `--set-xmark 0xN/0xffffffff`) with `-p`, `-d`, `-s`, `-i`, `--dport`, `--sport` and
 * `-m multiport --dports/--sports`, the matches IPVS fwmark setups use (ipvsadm(8), "-f").
 * Every other rule of the mangle table's PREROUTING chain (another target, a negation, a match
 * lvsd cannot evaluate, a jump to a user chain) is a finding naming its line, since skipping it
 * would classify differently from the kernel. Rules of other tables and other chains never set a
 * mark on forwarded traffic before IPVS sees it and are skipped. MARK does not end the chain
 * (xt_mark.c mark_tg() returns XT_CONTINUE), so the last matching rule's mark is the one that
 * counts: the rules come back in reverse order, for lvsd's first-match evaluation.
 */
import type { Af } from '../../core/addr.js';
import type { MarkPrefix, MarkRule, PortRanges } from '../../core/mark-rule.js';
import { IFNAME, type MarkParse, markRule } from './mark-rules.js';
import { findingsAt, type MarkFinding, parseMark, parsePorts, parsePrefix } from './mark-values.js';
import { type Word, words } from './mark-words.js';

const PROTOS: Record<string, number> = { tcp: 6, '6': 6, udp: 17, '17': 17, sctp: 132, '132': 132 };
// `-m NAME` modules whose options this importer reads (comment's text is ignored).
const MODULES = new Set(['tcp', 'udp', 'sctp', 'multiport', 'comment']);

/** Whether `text` looks like iptables-save output (a `*table` line or `-A CHAIN` rules). */
export function looksLikeIptablesSave(text: string): boolean {
  return /^(\*[a-z]+|-A \S+ .*)\s*$/m.test(text) && !/^\s*table\s+\S+/m.test(text);
}

/** Parses iptables-save or ip6tables-save text (`af` 6 for ip6tables-save's tables). */
export function parseIptablesSave(text: string, source: string, af?: Af): MarkParse {
  const rules: MarkRule[] = [];
  const findings: MarkFinding[] = [];
  let table = '';
  text.split('\n').forEach((l, n) => {
    const line = n + 1;
    const ws = words(l);
    const first = ws[0];
    if (!first) return;
    if (first.text.startsWith('*')) {
      table = first.text.slice(1);
      return;
    }
    if (first.text.startsWith(':') || first.text === 'COMMIT') return;
    if (first.text !== '-A' && first.text !== '-I') {
      findings.push({
        code: 'ERR_MARK_SYNTAX',
        line,
        column: first.column,
        message: `unexpected '${first.text}' in iptables-save output`,
      });
      return;
    }
    if (table !== 'mangle' || ws[1]?.text !== 'PREROUTING') return;
    const r = iptablesRule(ws.slice(2), line, `${source}:${line}`, af);
    if ('code' in r) findings.push(r);
    else rules.push(r);
  });
  return { rules: rules.reverse(), findings };
}

function iptablesRule(ws: readonly Word[], line: number, origin: string, fam?: Af): MarkRule | MarkFinding {
  const fail = findingsAt(line);
  let proto = 0;
  let af = fam;
  let dst: MarkPrefix | undefined;
  let src: MarkPrefix | undefined;
  let dport: PortRanges | undefined;
  let sport: PortRanges | undefined;
  let iif: string | undefined;
  let mark: number | undefined;
  let target = '';
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i] as Word;
    const v = ws[i + 1];
    const o = w.text;
    if (o === '!') return fail(w, 'ERR_MARK_UNSUPPORTED', 'negated matches (!) are not supported');
    if (!v) return fail(w, 'ERR_MARK_SYNTAX', `'${o}' needs a value`);
    i++;
    switch (o) {
      case '-p':
      case '--protocol': {
        const p = PROTOS[v.text];
        if (p === undefined)
          return fail(v, 'ERR_MARK_UNSUPPORTED', `protocol '${v.text}' (only tcp, udp, sctp)`);
        proto = p;
        break;
      }
      case '-d':
      case '--destination':
      case '-s':
      case '--source': {
        if (v.text.includes(',')) return fail(v, 'ERR_MARK_UNSUPPORTED', 'address lists are not supported');
        const p = parsePrefix(v.text, af);
        if (!p.ok) return fail(v, p.code, p.message);
        af = p.value.af;
        if (o === '-d' || o === '--destination') dst = p.value;
        else src = p.value;
        break;
      }
      case '-i':
      case '--in-interface':
        if (!IFNAME.test(v.text) || v.text.endsWith('+'))
          return fail(v, 'ERR_MARK_UNSUPPORTED', `interface '${v.text}' (wildcards are not supported)`);
        iif = v.text;
        break;
      case '-m':
      case '--match':
        if (!MODULES.has(v.text)) return fail(v, 'ERR_MARK_UNSUPPORTED', `match module '${v.text}'`);
        break;
      case '--comment':
        break;
      case '--dport':
      case '--destination-port':
      case '--sport':
      case '--source-port':
      case '--dports':
      case '--destination-ports':
      case '--sports':
      case '--source-ports': {
        if (proto === 0) return fail(w, 'ERR_MARK_SYNTAX', `'${o}' without -p`);
        const p = parsePorts(v.text, ':');
        if (!p.ok) return fail(v, p.code, p.message);
        const isDst = o.startsWith('--d');
        if ((isDst ? dport : sport) !== undefined)
          return fail(w, 'ERR_MARK_UNSUPPORTED', 'two port matches of one kind');
        if (isDst) dport = p.value;
        else sport = p.value;
        break;
      }
      case '-j':
      case '--jump':
        target = v.text;
        if (target !== 'MARK') return fail(v, 'ERR_MARK_UNSUPPORTED', `target '${target}' (only -j MARK)`);
        break;
      case '--set-mark':
      case '--set-xmark': {
        const [m, mask] = v.text.split('/');
        if (mask !== undefined && !/^0x0*ffffffff$/i.test(mask) && mask !== '4294967295')
          return fail(v, 'ERR_MARK_UNSUPPORTED', `mask '${mask}' (only a whole mark, /0xffffffff)`);
        const p = parseMark(m ?? '');
        if (!p.ok) return fail(v, p.code, p.message);
        mark = p.value;
        break;
      }
      default:
        return fail(w, 'ERR_MARK_UNSUPPORTED', `option '${o}'`);
    }
  }
  if (target !== 'MARK' || mark === undefined)
    return fail(ws[0], 'ERR_MARK_MISSING', 'a PREROUTING rule that sets no mark (-j MARK --set-mark N)');
  return markRule({ proto, af, dst, src, dport, sport, iif, mark, origin });
}
