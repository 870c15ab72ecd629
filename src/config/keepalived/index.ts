/** Public surface of the keepalived.conf reader. */
export { expandBraces, globToRegExp, matchGlob } from './glob.js';
export type { ConfigIo, LexOptions } from './lexer.js';
export {
  type CheckResult,
  checkKeepalived,
  type KeepalivedOptions,
  type ParseResult,
  parseKeepalived,
} from './parser.js';
