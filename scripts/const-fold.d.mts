import type ts from 'typescript';

/** The constant folder of scripts/const-fold.mjs for one program. */
export interface ConstFolder {
  /** The constant value of a read of `node` (identifier or property access), or undefined. */
  valueOf(node: ts.Node): number | undefined;
  /** The `before` transformer factory that replaces those reads with literals. */
  transformer: ts.TransformerFactory<ts.SourceFile>;
}

/** Creates the constant folder for `program`. */
export function createConstFolder(program: ts.Program): ConstFolder;
