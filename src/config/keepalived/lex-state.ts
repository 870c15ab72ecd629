/**
 * The keepalived.conf reader's state, shared by lexer.ts (includes, lines) and macros.ts
 * (substitution, ~SEQ/~LST), and the shapes it carries: its own file so those two need not import
 * each other.
 */
import type { Diagnostics, SourcePos } from '../diagnostics.js';

/** File access the parser is given; keeps src/config free of I/O. */
export interface ConfigIo {
  /** Contents of an absolute path, or undefined when missing/unreadable. */
  readFile(path: string): string | undefined;
  /** Absolute paths matching an absolute glob pattern (braces allowed), sorted. */
  glob(pattern: string): string[];
}

/** Options of the keepalived reader. */
export interface LexOptions {
  /**
   * `--config-id`; `@ID` lines are kept only when ID equals it (keepalived.conf(5) "Conditional
   * configuration").
   */
  readonly configId?: string;
  /** Value of `${_INSTANCE}`; defaults to the config-id. */
  readonly instance?: string;
  /** Environment for `${_ENV VAR}`. */
  readonly env?: Readonly<Record<string, string>>;
  /** Source of `${_RANDOM}` numbers in [0,1); injectable so tests are deterministic. */
  readonly random?: () => number;
}

/** A token; braces are kept apart from words so a quoted "{" stays a word. */
export interface Token {
  readonly text: string;
  readonly brace?: '{' | '}';
}

/** One logical line after all preprocessing. */
export interface LexLine extends SourcePos {
  readonly tokens: readonly Token[];
}

/** Mutable reader state shared by the include recursion and the macro expander. */
export interface LexState {
  readonly io: ConfigIo;
  readonly opts: LexOptions;
  readonly diags: Diagnostics;
  readonly vars: Map<string, string>;
  readonly out: LexLine[];
  /** Directory of the file being read, for `${_PWD}` and relative includes. */
  pwd: string;
  truncated: boolean;
  /** Files read so far, the main one included: bounded, so includes cannot multiply without end. */
  filesRead: number;
}
