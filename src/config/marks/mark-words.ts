/**
 * Splits one line of a mark-rule source into words with their 1-based columns, stopping at a
 * `#` comment: the lexer of lvsd's rule language and of the netfilter imports alike.
 */

/** One word and the column it starts at. */
export interface Word {
  readonly text: string;
  readonly column: number;
}

/** The words of `line` (whitespace-separated; `#` starts a comment outside quotes). */
export function words(line: string): Word[] {
  const out: Word[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    const c = line[i] as string;
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') break;
    const start = i;
    let text = '';
    while (i < n) {
      const d = line[i] as string;
      if (d === ' ' || d === '\t' || d === '\r') break;
      if (d === '"') {
        // iptables-save quotes comments: keep the quoted text as one word.
        const end = line.indexOf('"', i + 1);
        const stop = end < 0 ? n : end + 1;
        text += line.slice(i, stop);
        i = stop;
        continue;
      }
      text += d;
      i++;
    }
    out.push({ text, column: start + 1 });
  }
  return out;
}
