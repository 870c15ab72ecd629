#!/usr/bin/env node
/**
 * `npm run build`: tsc -p tsconfig.build.json through the compiler API, with one addition, the
 * constant folder of scripts/const-fold.mjs (numeric `const`s and `as const` members become
 * literals in dist/, as const enum members do); then bin/lvsadm's one-file bundle
 * (scripts/bundle-lvsadm.mjs). Same diagnostics and exit codes as tsc: 0 clean, 1 errors and
 * nothing written, 2 errors with output written.
 *
 * Usage: node scripts/build.mjs [--project tsconfig.build.json] [--outDir DIR] [--no-fold]
 * (--outDir builds elsewhere, e.g. for BENCH_DIST; --no-fold emits what plain tsc emits).
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import ts from 'typescript';
import { bundleLvsadm } from './bundle-lvsadm.mjs';
import { createConstFolder } from './const-fold.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    project: { type: 'string', default: 'tsconfig.build.json' },
    outDir: { type: 'string' },
    'no-fold': { type: 'boolean', default: false },
  },
});

const host = {
  getCanonicalFileName: (f) => f,
  getCurrentDirectory: () => root,
  getNewLine: () => ts.sys.newLine,
};
const report = (diags) => {
  if (diags.length > 0) process.stderr.write(ts.formatDiagnosticsWithColorAndContext(diags, host));
};

const configPath = resolve(root, values.project);
const overrides = values.outDir ? { outDir: resolve(values.outDir) } : {};
const parsed = ts.getParsedCommandLineOfConfigFile(configPath, overrides, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (d) => {
    report([d]);
    process.exit(1);
  },
});
if (!parsed) process.exit(1);
if (parsed.errors.length > 0) {
  report(parsed.errors);
  process.exit(1);
}

const program = ts.createProgram({
  rootNames: parsed.fileNames,
  options: parsed.options,
  projectReferences: parsed.projectReferences,
});
const pre = ts.getPreEmitDiagnostics(program);
const transformers = values['no-fold'] ? {} : { before: [createConstFolder(program).transformer] };
const emitted = program.emit(undefined, undefined, undefined, false, transformers);
const all = [...pre, ...emitted.diagnostics];
report(all);
const errors = all.some((d) => d.category === ts.DiagnosticCategory.Error);
// bin/lvsadm's one-file bundle, from what was just emitted (scripts/bundle-lvsadm.mjs).
if (!emitted.emitSkipped) await bundleLvsadm(parsed.options.outDir ?? join(root, 'dist'));
process.exit(errors ? (emitted.emitSkipped ? 1 : 2) : 0);
