/**
 * A small imitation of libpopt's option scanner as ipvsadm 1.31 uses it: short clusters (`-Ln`),
 * attached values (`-t1.2.3.4:80`, `-p=100`, `--tcp-service=…`), exact long names only,
 * optional values that skip a following `-…` word, `--` ending options, and non-option words
 * collected for poptGetArg. Errors carry popt's wording and the whole offending word.
 */

/** How an option takes its value. */
export type Arity = 'none' | 'required' | 'optional';

/** One entry of the option table. */
export interface OptDef {
  readonly id: string;
  readonly long?: string;
  readonly short?: string;
  readonly arity: Arity;
}

/** What one scanner step yields. */
export type PoptEvent =
  | { readonly type: 'opt'; readonly def: OptDef; readonly arg: string | undefined; readonly token: string }
  | { readonly type: 'error'; readonly message: string; readonly token: string }
  | { readonly type: 'end' };

/** Scans argv one option at a time; the table may change between steps (ipvsadm's `-b`). */
export class PoptScanner {
  private next = 0;
  private cluster: { token: string; rest: string } | undefined;
  private endOfOptions = false;
  /** Non-option words in order, for poptGetArg. */
  readonly leftovers: string[] = [];

  constructor(
    private readonly argv: readonly string[],
    public lookup: (key: { short?: string; long?: string }) => OptDef | undefined,
  ) {}

  /**
   * The argv element consumed last: what popt's poptBadOption(POPT_BADOPTION_NOALIAS) names
   * (`os->argv[os->next - 1]`), so the value of an option that took one, not the option itself.
   */
  get lastConsumed(): string {
    return this.argv[this.next - 1] ?? '';
  }

  /** Returns the next option, an error, or the end. */
  step(): PoptEvent {
    if (this.cluster && this.cluster.rest !== '') return this.shortStep(this.cluster);
    this.cluster = undefined;
    for (;;) {
      if (this.next >= this.argv.length) return { type: 'end' };
      const tok = this.argv[this.next++] ?? '';
      if (this.endOfOptions || tok === '-' || !tok.startsWith('-')) {
        this.leftovers.push(tok);
        continue;
      }
      if (tok === '--') {
        this.endOfOptions = true;
        continue;
      }
      if (tok.startsWith('--')) return this.longStep(tok);
      this.cluster = { token: tok, rest: tok.slice(1) };
      return this.shortStep(this.cluster);
    }
  }

  private longStep(tok: string): PoptEvent {
    const eq = tok.indexOf('=');
    const name = eq >= 0 ? tok.slice(2, eq) : tok.slice(2);
    const def = this.lookup({ long: name });
    if (!def) return { type: 'error', message: 'unknown option', token: tok };
    if (def.arity === 'none') {
      if (eq >= 0) return { type: 'error', message: 'option does not take an argument', token: tok };
      return { type: 'opt', def, arg: undefined, token: tok };
    }
    if (eq >= 0) return { type: 'opt', def, arg: tok.slice(eq + 1), token: tok };
    return this.valueFromNext(def, tok);
  }

  private shortStep(c: { token: string; rest: string }): PoptEvent {
    const ch = c.rest[0] ?? '';
    c.rest = c.rest.slice(1);
    const def = this.lookup({ short: ch });
    if (!def) {
      c.rest = '';
      return { type: 'error', message: 'unknown option', token: c.token };
    }
    if (def.arity === 'none') return { type: 'opt', def, arg: undefined, token: c.token };
    if (c.rest !== '') {
      // popt takes the rest of the cluster as the value, dropping one leading '='.
      const v = c.rest.startsWith('=') ? c.rest.slice(1) : c.rest;
      c.rest = '';
      return { type: 'opt', def, arg: v, token: c.token };
    }
    return this.valueFromNext(def, c.token);
  }

  private valueFromNext(def: OptDef, tok: string): PoptEvent {
    const nextTok = this.argv[this.next];
    if (def.arity === 'optional') {
      if (nextTok === undefined || nextTok.startsWith('-') || this.endOfOptions) {
        return { type: 'opt', def, arg: undefined, token: tok };
      }
      this.next++;
      return { type: 'opt', def, arg: nextTok, token: tok };
    }
    if (nextTok === undefined) return { type: 'error', message: 'missing argument', token: tok };
    this.next++;
    return { type: 'opt', def, arg: nextTok, token: tok };
  }
}
