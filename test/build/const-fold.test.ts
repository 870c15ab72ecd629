import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import ts from 'typescript';
import { createConstFolder } from '../../scripts/const-fold.mjs';

// The build's constant folder (scripts/const-fold.mjs): compiles small programs in a scratch
// directory with and without it, and checks both the emitted text and what the modules compute.
const root = resolve(import.meta.dirname, '../..');

interface Built {
  dir: string;
  js: Record<string, string>;
}

function build(files: Record<string, string>, fold = true): Built {
  const dir = mkdtempSync(join(tmpdir(), 'lvsts-fold-'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    types: [],
    outDir: dir,
  };
  const program = ts.createProgram(
    Object.keys(files).map((f) => join(dir, f)),
    options,
  );
  const errors = ts.getPreEmitDiagnostics(program).filter((d) => d.category === ts.DiagnosticCategory.Error);
  assert.deepEqual(
    errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
    [],
  );
  const js: Record<string, string> = {};
  program.emit(
    undefined,
    (f, text) => {
      writeFileSync(f, text);
      js[f.slice(dir.length + 1)] = text;
    },
    undefined,
    false,
    fold ? { before: [createConstFolder(program).transformer] } : {},
  );
  return { dir, js };
}

async function run(b: Built, mod: string): Promise<Record<string, unknown>> {
  return { ...(await import(pathToFileURL(join(b.dir, mod)).href)) };
}

const CONSTS = `export const PROTO = { TCP: 6, UDP: 17, NEST: { DEEP: 3 } } as const;
export const RW = 32 >> 2;
export const NEG = -(1 << 4);
export const FRAC = 1 / 4;
export const NAME = 'tcp';
export const MUTABLE = { A: 1 };
export let counter = 5;
`;

const USE = `import { PROTO, RW, NEG, FRAC, NAME, MUTABLE, counter } from './consts.js';
const LOCAL = RW * 2 + PROTO.UDP;
export { RW };
export const shorthand = { RW, LOCAL };
export function hot(i: number, p: number): number {
  let x = i * RW + LOCAL;
  if (p === PROTO.TCP) x += PROTO.NEST.DEEP;
  return x + NEG + FRAC;
}
export function reads(): unknown[] {
  type T = typeof PROTO.TCP;
  const t: T = PROTO.TCP;
  return [t, NAME, MUTABLE.A, counter, PROTO.TCP.toString(), NEG.toFixed(0)];
}
`;

test('numeric consts and as-const members become literals with their names kept', () => {
  const b = build({ 'consts.ts': CONSTS, 'use.ts': USE });
  try {
    const js = b.js['use.js'] as string;
    assert.match(js, /let x = i \* 8 \/\* RW \*\/ \+ 33 \/\* LOCAL \*\//);
    assert.match(js, /if \(p === 6 \/\* PROTO\.TCP \*\/\)\s*x \+= 3 \/\* PROTO\.NEST\.DEEP \*\//);
    assert.match(js, /return x \+ \(-16\) \/\* NEG \*\/ \+ 0\.25 \/\* FRAC \*\//);
    // Not values, or not constants: left alone.
    assert.match(js, /export \{ RW \};/);
    assert.match(js, /shorthand = \{ RW, LOCAL \}/);
    assert.match(js, /NAME, MUTABLE\.A, counter/);
  } finally {
    rmSync(b.dir, { recursive: true, force: true });
  }
});

test('folded modules compute exactly what unfolded ones do', async () => {
  const files = { 'consts.ts': CONSTS, 'use.ts': USE };
  const folded = build(files, true);
  const plain = build(files, false);
  try {
    assert.notEqual(folded.js['use.js'], plain.js['use.js']);
    const a = await run(folded, 'use.js');
    const p = await run(plain, 'use.js');
    const hotA = a.hot as (i: number, p: number) => number;
    const hotP = p.hot as (i: number, p: number) => number;
    for (const [i, q] of [
      [0, 6],
      [3, 17],
      [1000, 6],
    ] as const)
      assert.equal(hotA(i, q), hotP(i, q));
    assert.deepEqual((a.reads as () => unknown[])(), (p.reads as () => unknown[])());
    assert.deepEqual(a.shorthand, p.shorthand);
    assert.deepEqual(a.shorthand, { RW: 8, LOCAL: 33 });
  } finally {
    rmSync(folded.dir, { recursive: true, force: true });
    rmSync(plain.dir, { recursive: true, force: true });
  }
});

test('a constant defined through a cycle or a call is not folded', () => {
  const b = build({
    'c.ts': `export const A = Math.max(1, 2);\nexport const B = A + 1;\nexport function f(): number { return A + B; }\n`,
  });
  try {
    assert.match(b.js['c.js'] as string, /return A \+ B;/);
  } finally {
    rmSync(b.dir, { recursive: true, force: true });
  }
});

// Constant expressions over the operators the folder evaluates.
const OPS = ['+', '-', '*', '/', '%', '<<', '>>', '>>>', '&', '|', '^'] as const;
const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: -1000, max: 1000 }).map((n) => (n < 0 ? `(${n})` : String(n))),
    fc.tuple(tie('e'), fc.constantFrom(...OPS), tie('e')).map(([a, o, b]) => `(${a} ${o} ${b})`),
    tie('e').map((a) => `(~${a})`),
  ),
})).e;

test('any constant arithmetic folds to the value JavaScript computes', async () => {
  await fc.assert(
    fc.asyncProperty(expr, async (e) => {
      const want = Function(`return ${e};`)() as number;
      const b = build({ 'k.ts': `const K = ${e};\nexport function k(): number { return K; }\n` });
      try {
        const js = b.js['k.js'] as string;
        const got = ((await run(b, 'k.js')).k as () => number)();
        assert.ok(Object.is(got, want), `${e}: ${got} vs ${want}`);
        // Finite values other than -0 are folded; the rest stay reads of K.
        if (Number.isFinite(want) && !Object.is(want, -0)) assert.doesNotMatch(js, /return K;/);
        else assert.match(js, /return K;/);
      } finally {
        rmSync(b.dir, { recursive: true, force: true });
      }
    }),
    { numRuns: 25 },
  );
});

test('the built engine fast path reads no constant bindings', () => {
  // npm test builds dist/ with the folder first; the hot functions must hold literals only.
  const dir = readFileSync(join(root, 'dist/core/director.js'), 'utf8');
  const body = dir.slice(dir.indexOf('    inPacket4('), dir.indexOf('    fastTransition('));
  assert.ok(body.length > 200);
  assert.doesNotMatch(body, /[^/*] (PROTO|TCP_FLAG|CONN_F|DIR|FAST_MISS)\b(?! \*\/)/);
  const ct = readFileSync(join(root, 'dist/core/conn-table.js'), 'utf8');
  assert.doesNotMatch(ct, /\* RW\b(?! \*\/)/);
  assert.match(ct, /\* 8 \/\* RW \*\//);
});
