/**
 * Property tests: random byte, line and token mutations of the fixtures only ever yield
 * ConfigError diagnostics located by file:line; parsing never throws anything else.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseKeepalived } from '../../src/config/keepalived/index.js';
import { parseLdirectord } from '../../src/config/ldirectord/parser.js';
import { buildCommands } from '../../src/config/to-commands.js';
import { ConfigError } from '../../src/core/errors.js';
import { CONFIG_FUZZ_TOKENS } from './config-fuzz-tokens.js';
import { memIo } from './mem-io.js';

const KA = readFileSync(new URL('../fixtures/keepalived/director.conf', import.meta.url), 'utf8');
const LD = readFileSync(new URL('../fixtures/ldirectord/director.cf', import.meta.url), 'utf8');
const TOKENS = CONFIG_FUZZ_TOKENS;

/** A mutation: replace a byte range, drop/duplicate a line, or splice in a token. */
const mutation = fc.oneof(
  fc.record({
    k: fc.constant('bytes' as const),
    at: fc.nat(),
    len: fc.nat(8),
    s: fc.string({ maxLength: 8 }),
  }),
  fc.record({ k: fc.constant('line' as const), at: fc.nat(), dup: fc.boolean() }),
  fc.record({ k: fc.constant('token' as const), at: fc.nat(), t: fc.constantFrom(...TOKENS) }),
);
type Mut = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function apply(text: string, muts: Mut[]): string {
  let s = text;
  for (const m of muts) {
    if (m.k === 'line') {
      const lines = s.split('\n');
      const i = m.at % Math.max(1, lines.length);
      if (m.dup) lines.splice(i, 0, lines[i] ?? '');
      else lines.splice(i, 1);
      s = lines.join('\n');
    } else {
      const at = m.at % (s.length + 1);
      s =
        m.k === 'bytes'
          ? s.slice(0, at) + m.s + s.slice(at + m.len)
          : `${s.slice(0, at)} ${m.t} ${s.slice(at)}`;
    }
  }
  return s;
}

function assertLocated(diags: readonly ConfigError[], files: string[]): void {
  for (const d of diags) {
    assert.ok(d instanceof ConfigError, 'diagnostic is a ConfigError');
    assert.match(d.code, /^ERR_CONFIG_/);
    assert.ok(files.includes(d.file), `file ${d.file}`);
    assert.ok(Number.isInteger(d.line) && d.line >= 0);
  }
}

test('mutated keepalived.conf files only produce located ConfigErrors', () => {
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (muts) => {
      const files = {
        '/etc/k/keepalived.conf': apply(KA, muts),
        '/etc/k/inc.conf': apply('virtual_server 1.2.3.4 80 {\n}\n', muts),
      };
      const r = parseKeepalived('/etc/k/keepalived.conf', memIo(files), { configId: 'x' });
      assertLocated(r.diagnostics, Object.keys(files));
      buildCommands(r.model);
    }),
    { numRuns: 300 },
  );
});

test('mutated ldirectord.cf files only produce located ConfigErrors', () => {
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (muts) => {
      const r = parseLdirectord('/etc/ha.d/ldirectord.cf', apply(LD, muts));
      assertLocated(r.diagnostics, ['/etc/ha.d/ldirectord.cf']);
      assert.equal(r.exitCode === 0, !r.diagnostics.some((d) => d.severity !== 'notice'));
      buildCommands(r.model);
    }),
    { numRuns: 300 },
  );
});

test('arbitrary text never throws from either parser', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 400 }), (text) => {
      const r = parseKeepalived('/a', memIo({ '/a': text }));
      assertLocated(r.diagnostics, ['/a']);
      assertLocated(parseLdirectord('/b', text).diagnostics, ['/b']);
    }),
    { numRuns: 500 },
  );
});
