import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lintProbe as lint } from './lint-probe.js';

// The layer rules of biome.json: every import points down the stack (README, Layout), and no two
// files import each other, even through others or for types only. Each rule is shown firing on a
// probe file, and downward imports are shown passing.

const ioImport = "import { readFileSync } from 'node:fs';\n\nexport const x = readFileSync;\n";

// Each layer with the nearest folder above it that it must not import, and one below it that it may.
const STACK: ReadonlyArray<{ layer: string; above: string; below?: string }> = [
  { layer: 'tools', above: 'programs', below: 'dataplane' },
  { layer: 'dataplane', above: 'tools', below: 'daemon' },
  { layer: 'daemon', above: 'dataplane', below: 'health' },
  { layer: 'health', above: 'daemon', below: 'io' },
  { layer: 'io', above: 'health', below: 'engine' },
  { layer: 'vrrp', above: 'io', below: 'config' },
  { layer: 'ipvsadm', above: 'vrrp', below: 'control' },
  { layer: 'config', above: 'ipvsadm', below: 'control' },
  { layer: 'control', above: 'config', below: 'core' },
  { layer: 'engine', above: 'control', below: 'forward' },
  { layer: 'forward', above: 'engine', below: 'packet' },
  { layer: 'packet', above: 'forward' },
  { layer: 'core', above: 'packet' },
];

function importOf(folder: string): string {
  return `import { x } from '../${folder}/probe-target.js';\n\nexport const y = x;\n`;
}

for (const { layer, above } of STACK) {
  test(`src/${layer} importing src/${above} fails lint`, () => {
    const r = lint({ [`src/${layer}/probe.ts`]: importOf(above) });
    assert.notEqual(r.status, 0);
    assert.match(r.out, new RegExp(`dependencies point one way: src/${layer} `));
  });
}

test('src/core and src/packet import no other layer', () => {
  for (const [layer, other] of [
    ['core', 'control'],
    ['core', 'engine'],
    ['packet', 'core'],
  ] as const) {
    const r = lint({
      [`src/${layer}/probe.ts`]: `import { x } from '../${other}/types.js';\n\nexport const y = x;\n`,
    });
    assert.notEqual(r.status, 0, `${layer} -> ${other}`);
    assert.match(r.out, new RegExp(`src/${layer} imports no other layer`));
  }
});

test('no pure layer below src/vrrp imports it', () => {
  for (const layer of ['config', 'control', 'engine', 'core']) {
    const r = lint({ [`src/${layer}/probe.ts`]: importOf('vrrp') });
    assert.notEqual(r.status, 0, layer);
    assert.match(r.out, new RegExp(`dependencies point one way: src/${layer} `));
  }
});

test('src/sync importing any layer but src/core and src/packet fails lint', () => {
  for (const other of ['engine', 'forward', 'control', 'io', 'daemon']) {
    const r = lint({ 'src/sync/probe.ts': importOf(other) });
    assert.notEqual(r.status, 0, other);
    assert.match(r.out, /src\/sync may import only src\/core and src\/packet/);
  }
});

test('src/core, src/packet and src/forward importing src/sync fail lint', () => {
  for (const layer of ['core', 'packet', 'forward']) {
    const r = lint({ [`src/${layer}/probe.ts`]: importOf('sync') });
    assert.notEqual(r.status, 0, layer);
    assert.match(r.out, new RegExp(`dependencies point one way: src/${layer} `));
  }
});

test('src/sync is pure: an I/O import or a timer in it fails lint', () => {
  const r = lint({ 'src/sync/probe.ts': ioImport, 'src/sync/timer.ts': 'export const t = setTimeout;\n' });
  assert.notEqual(r.status, 0);
  assert.match(r.out, /pure layer: no I\/O/);
  assert.match(r.out, /noRestrictedGlobals/);
});

test('src/sync importing src/core and src/packet, and the engine and control importing src/sync, pass lint', () => {
  const r = lint({
    'src/sync/probe.ts': importOf('core'),
    'src/sync/probe2.ts': importOf('packet'),
    'src/engine/probe.ts': importOf('sync'),
    'src/control/probe.ts': importOf('sync'),
  });
  assert.equal(r.status, 0, r.out);
});

test('a pure health file importing the daemon fails lint, and so does its I/O', () => {
  const r = lint({ 'src/health/availability.ts': importOf('daemon'), 'src/health/monitor.ts': ioImport });
  assert.notEqual(r.status, 0);
  assert.match(r.out, /src\/health may import/);
  assert.match(r.out, /pure layer: no I\/O/);
});

test('the public API importing the daemon fails lint', () => {
  const r = lint({ 'src/index.ts': "export { x } from './daemon/probe-target.js';\n" });
  assert.notEqual(r.status, 0);
  assert.match(r.out, /the public API/);
});

test('downward imports pass lint in every layer', () => {
  const files: Record<string, string> = { 'src/programs/probe.ts': importOf('tools') };
  for (const { layer, below } of STACK) if (below) files[`src/${layer}/probe.ts`] = importOf(below);
  // PacketError extends core's LvsError, the one thing src/packet takes from below.
  files['src/packet/probe.ts'] =
    "import { LvsError } from '../core/errors.js';\n\nexport const E = LvsError;\n";
  const r = lint(files);
  assert.equal(r.status, 0, r.out);
});

test('an import cycle between two files fails lint', () => {
  const r = lint({
    'src/engine/a.ts': "import { b } from './b.js';\n\nexport const a = (): number => b();\n",
    'src/engine/b.ts': "import { a } from './a.js';\n\nexport const b = (): number => a();\n",
  });
  assert.notEqual(r.status, 0);
  assert.match(r.out, /noImportCycles/);
});

test('an import cycle made only of type imports fails lint too', () => {
  const r = lint({
    'src/core/a.ts': "import type { B } from './b.js';\n\nexport interface A {\n  b: B;\n}\n",
    'src/core/b.ts': "import type { A } from './a.js';\n\nexport interface B {\n  a: A;\n}\n",
  });
  assert.notEqual(r.status, 0);
  assert.match(r.out, /noImportCycles/);
});
