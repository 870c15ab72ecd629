/**
 * Turns logical lines into a tree of statements and blocks. keepalived splits lines at unquoted
 * braces (lib/parser.c `read_line`), so `real_server 1.2.3.4 80 { weight 2 }`, K&R and Allman
 * layouts all give the same tree; stray and missing braces are reported as keepalived does.
 */
import type { Diagnostics, SourcePos } from '../diagnostics.js';
import type { LexLine } from './lexer.js';

/** A statement (`children` undefined) or a block header with its body. */
export interface Node extends SourcePos {
  readonly kw: string;
  readonly args: readonly string[];
  children?: Node[];
}

/** Builds the statement tree; never throws. */
export function buildTree(lines: readonly LexLine[], diags: Diagnostics): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  const openers: SourcePos[] = [];
  let words: string[] = [];
  let wpos: SourcePos | undefined;
  const top = () => stack[stack.length - 1]!;
  const flush = () => {
    if (words.length > 0 && wpos)
      top().push({ kw: words[0]!, args: words.slice(1), file: wpos.file, line: wpos.line });
    words = [];
  };
  for (const ln of lines) {
    const pos = { file: ln.file, line: ln.line };
    for (const t of ln.tokens) {
      if (t.brace === '{') {
        let node: Node | undefined;
        if (words.length > 0) {
          node = { kw: words[0]!, args: words.slice(1), file: wpos!.file, line: wpos!.line, children: [] };
          words = [];
          top().push(node);
        } else {
          // Allman layout: a lone `{` opens the block of the previous statement.
          const prev = top()[top().length - 1];
          if (prev && prev.children === undefined) {
            prev.children = [];
            node = prev;
          } else {
            diags.error('ERR_CONFIG_SYNTAX', "unexpected '{' - ignoring", pos);
            node = { kw: '{', args: [], file: pos.file, line: pos.line, children: [] };
          }
        }
        stack.push(node.children!);
        openers.push(pos);
      } else if (t.brace === '}') {
        flush();
        if (stack.length === 1) diags.error('ERR_CONFIG_SYNTAX', "extra '}' found", pos);
        else {
          stack.pop();
          openers.pop();
        }
      } else {
        if (words.length === 0) wpos = pos;
        words.push(t.text);
      }
    }
    flush();
  }
  if (openers.length > 0) {
    const at = openers[openers.length - 1]!;
    diags.error('ERR_CONFIG_SYNTAX', `there are ${openers.length} missing '}'s or extra '{'s`, at);
  }
  return root;
}
