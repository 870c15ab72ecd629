// biome-ignore-all lint/suspicious/noTemplateCurlyInString: keepalived.conf uses ${NAME} in plain strings
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Diagnostics } from '../../src/config/diagnostics.js';
import { type LexLine, lexKeepalived } from '../../src/config/keepalived/lexer.js';
import { memIo } from './mem-io.js';

function lex(files: Record<string, string>, opts = {}): { lines: LexLine[]; d: Diagnostics } {
  const d = new Diagnostics();
  const lines = lexKeepalived('/etc/k/main.conf', memIo(files), d, opts);
  return { lines, d };
}
const words = (ls: LexLine[]) => ls.map((l) => l.tokens.map((t) => t.text).join(' '));

test('comments starting with ! or # end the line, quoted ones do not', () => {
  const { lines } = lex({ '/etc/k/main.conf': 'a b # c\n! whole\nx "y # z" ! w\n' });
  assert.deepEqual(words(lines), ['a b', 'x y # z']);
});

test('braces split a line and quoted braces stay words', () => {
  const { lines } = lex({ '/etc/k/main.conf': 'real_server 1.2.3.4 80 { weight 2 }\nx "{"\n' });
  assert.deepEqual(
    lines[0]!.tokens.map((t) => t.brace ?? t.text),
    ['real_server', '1.2.3.4', '80', '{', 'weight', '2', '}'],
  );
  assert.equal(lines[1]!.tokens[1]!.brace, undefined);
  assert.equal(lines[1]!.tokens[1]!.text, '{');
});

test('quoted and unquoted runs that touch join into one word, with escapes', () => {
  const { lines } = lex({ '/etc/k/main.conf': 'k abcd" efg h jkl "mnop "a\\tb" "\\x41\\101"\n' });
  assert.deepEqual(
    lines[0]!.tokens.map((t) => t.text),
    ['k', 'abcd efg h jkl mnop', 'a\tb', 'AA'],
  );
});

test('include reads globbed files relative to the including file, in sorted order, keeping file:line', () => {
  const { lines, d } = lex({
    '/etc/k/main.conf': 'a\ninclude conf.d/*.conf\nz\n',
    '/etc/k/conf.d/2.conf': 'two\n',
    '/etc/k/conf.d/1.conf': '\none\ninclude ../leaf\n',
    '/etc/k/leaf': 'leaf\n',
  });
  assert.deepEqual(words(lines), ['a', 'one', 'leaf', 'two', 'z']);
  assert.deepEqual([lines[1]!.file, lines[1]!.line], ['/etc/k/conf.d/1.conf', 2]);
  assert.deepEqual([lines[2]!.file, lines[2]!.line], ['/etc/k/leaf', 1]);
  assert.equal(d.list.length, 0);
});

test('a missing plain include is a notice, includer of a missing file is an error', () => {
  const { d } = lex({ '/etc/k/main.conf': 'include /nope/*.conf\nincluder /nope/x\n' });
  assert.deepEqual(
    d.list.map((x) => [x.severity, x.code, x.line]),
    [
      ['notice', 'ERR_CONFIG_INCLUDE_MISSING', 1],
      ['error', 'ERR_CONFIG_INCLUDE_MISSING', 2],
    ],
  );
});

test('self-including files stop at the nesting limit with a coded error', () => {
  const { d } = lex({ '/etc/k/main.conf': 'include main.conf\n' });
  assert.ok(d.list.some((x) => x.code === 'ERR_CONFIG_INCLUDE_DEPTH'));
});

test('a file that includes itself twice stops after 1,000 reads, not 2^32, with a coded error', () => {
  let reads = 0;
  const io = memIo({ '/etc/k/main.conf': 'include main.conf\ninclude main.conf\n' });
  const counting = {
    ...io,
    readFile: (p: string) => {
      reads++;
      return io.readFile(p);
    },
  };
  const d = new Diagnostics();
  const t0 = Date.now();
  lexKeepalived('/etc/k/main.conf', counting, d);
  assert.ok(d.list.some((x) => x.code === 'ERR_CONFIG_INCLUDE_LIMIT'));
  assert.ok(reads <= 1001, `${reads} reads`);
  assert.ok(Date.now() - t0 < 2000);
});

test('a missing main file is fatal', () => {
  const { d } = lex({});
  assert.equal(d.list[0]!.severity, 'fatal');
  assert.equal(d.list[0]!.code, 'ERR_CONFIG_FILE_NOT_FOUND');
});

test('@ID lines are kept only for the matching config-id and @^ID only for others', () => {
  const text = '@high p 170\n@low p 85\n@^high np\n';
  assert.deepEqual(words(lex({ '/etc/k/main.conf': text }, { configId: 'high' }).lines), ['p 170']);
  assert.deepEqual(words(lex({ '/etc/k/main.conf': text }, { configId: 'low' }).lines), ['p 85', 'np']);
  assert.deepEqual(words(lex({ '/etc/k/main.conf': text }).lines), ['np']);
});

test('parameters substitute at use time, recursively, leaving undefined names verbatim', () => {
  const text = [
    '$ADDRESS_BASE=10.2.${ADDRESS_BASE_SUB}',
    '$ADDRESS_BASE_SUB=0',
    'ip ${ADDRESS_BASE}.100/32',
    '$ADDRESS_BASE_SUB=10',
    'ip ${ADDRESS_BASE}.100/32',
    'script "$UNDEF x" ${_HASH}${_BANG}',
  ].join('\n');
  assert.deepEqual(words(lex({ '/etc/k/main.conf': text }).lines), [
    'ip 10.2.0.100/32',
    'ip 10.2.10.100/32',
    'script $UNDEF x #!',
  ]);
});

test('multi-line definitions expand to several lines and may hold @ lines', () => {
  const text = ['$BLOCK= \\', 'a ${N} { \\', '@high b \\', '}', '$N=1', '$BLOCK'].join('\n');
  const { lines } = lex({ '/etc/k/main.conf': text }, { configId: 'high' });
  assert.deepEqual(words(lines), ['a 1 {', 'b', '}']);
});

test('~SEQ, ~SEQx and ~LST repeat the rest of the line and nest left to right', () => {
  const text = [
    '~SEQ(S, 0, 3) ip 10.0.${S}.1',
    '~SEQx(H, 0x90, 0x10, 0xc0) v6 fe80::${H}',
    '~SEQ(D, 3, 1) down ${D}',
    '~LST({A, B}, {10,1},{20,4}) pair ${A}.${B}',
    '~LST(X, 1, 2) ~LST(Y, 5, 6) n ${X}${Y}',
  ].join('\n');
  assert.deepEqual(words(lex({ '/etc/k/main.conf': text }).lines), [
    'ip 10.0.0.1',
    'ip 10.0.1.1',
    'ip 10.0.2.1',
    'ip 10.0.3.1',
    'v6 fe80::90',
    'v6 fe80::a0',
    'v6 fe80::b0',
    'v6 fe80::c0',
    'down 3',
    'down 2',
    'down 1',
    'pair 10.1',
    'pair 20.4',
    'n 15',
    'n 16',
    'n 25',
    'n 26',
  ]);
});

test('a malformed ~SEQ is a coded error on its line', () => {
  const { d } = lex({ '/etc/k/main.conf': 'x\n~SEQ(1bad, 0, 3) ip\n' });
  assert.deepEqual(
    d.list.map((x) => [x.code, x.line]),
    [['ERR_CONFIG_BAD_VALUE', 2]],
  );
});

test('_PWD, _INSTANCE, _ENV and _RANDOM are predefined', () => {
  const { lines } = lex(
    { '/etc/k/main.conf': 'k ${_PWD} ${_INSTANCE} ${_ENV HOME} ${_RANDOM 5 5}\n' },
    { configId: 'node1', env: { HOME: '/root' }, random: () => 0.5 },
  );
  assert.deepEqual(words(lines), ['k /etc/k node1 /root 5']);
});

test('a self-doubling parameter stops with a coded error instead of exhausting memory', () => {
  const { d } = lex({ '/etc/k/main.conf': '$X=${X}${X}\nk ${X}\n' });
  assert.ok(d.list.some((x) => x.code === 'ERR_CONFIG_BAD_VALUE' && x.line === 2));
});

test('a huge ~SEQ is refused rather than expanded', () => {
  const { lines, d } = lex({ '/etc/k/main.conf': '~SEQ(A, 0, 10000000) x ${A}\n' });
  assert.equal(lines.length, 0);
  assert.equal(d.list[0]!.code, 'ERR_CONFIG_BAD_VALUE');
});
