import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseIptablesSave } from '../../src/config/marks/iptables-import.js';
import { parseMarkFile, sniffMarkFormat } from '../../src/config/marks/mark-file.js';
import { parseMarkArgs, parseMarkRules } from '../../src/config/marks/mark-rules.js';
import { MARK_CODES, type MarkFinding } from '../../src/config/marks/mark-values.js';
import { parseNftRuleset } from '../../src/config/marks/nft-import.js';
import type { MarkRule } from '../../src/core/mark-rule.js';

const fixture = (f: string) => readFileSync(new URL(`../fixtures/marks/${f}`, import.meta.url), 'utf8');

// A rule as text-free data for comparisons: prefixes as `addr-bytes/len`.
const flat = (r: MarkRule) => ({
  proto: r.proto,
  af: r.af,
  dst: r.dst && `${[...r.dst.bytes].join('.')}/${r.dst.len}`,
  src: r.src && `${[...r.src.bytes].join('.')}/${r.src.len}`,
  dport: r.dport,
  sport: r.sport,
  iif: r.iif,
  mark: r.mark,
});

// Every finding well formed and inside the text.
function wellFormed(fs: readonly MarkFinding[], text: string): void {
  const lines = text.split('\n');
  for (const f of fs) {
    assert.ok((MARK_CODES as readonly string[]).includes(f.code), f.code);
    assert.ok(f.line >= 1 && f.line <= lines.length, `line ${f.line}`);
    assert.ok(f.column >= 1 && f.column <= (lines[f.line - 1]?.length ?? 0) + 1, `column ${f.column}`);
    assert.ok(f.message.length > 0);
  }
}

describe("lvsd's mark-rule language", () => {
  it('reads protocol, destination prefix, source, port list, range and interface', () => {
    const p = parseMarkArgs([
      'tcp dst 192.0.2.100 dport 80,443 mark 1',
      'udp src 198.51.100.0/24 dst 192.0.2.0/25 sport 1024-65535 dport 53 iif eth0 mark 0x2',
      'sctp dst 2001:db8::/32 dport 3868 mark 3',
      'mark 4',
    ]);
    assert.deepEqual(p.findings, []);
    assert.deepEqual(p.rules.map(flat), [
      {
        proto: 6,
        af: 4,
        dst: '192.0.2.100/32',
        src: undefined,
        dport: [
          [80, 80],
          [443, 443],
        ],
        sport: undefined,
        iif: undefined,
        mark: 1,
      },
      {
        proto: 17,
        af: 4,
        dst: '192.0.2.0/25',
        src: '198.51.100.0/24',
        dport: [[53, 53]],
        sport: [[1024, 65535]],
        iif: 'eth0',
        mark: 2,
      },
      {
        proto: 132,
        af: 6,
        dst: '32.1.13.184.0.0.0.0.0.0.0.0.0.0.0.0/32',
        src: undefined,
        dport: [[3868, 3868]],
        sport: undefined,
        iif: undefined,
        mark: 3,
      },
      {
        proto: 0,
        af: undefined,
        dst: undefined,
        src: undefined,
        dport: undefined,
        sport: undefined,
        iif: undefined,
        mark: 4,
      },
    ]);
  });

  const bad: [string, string, number][] = [
    ['tcp dst 192.0.2.300 mark 1', 'ERR_MARK_ADDR', 9],
    ['tcp dst 192.0.2.0/33 mark 1', 'ERR_MARK_ADDR', 9],
    ['tcp dport 80-70 mark 1', 'ERR_MARK_PORT', 11],
    ['tcp dport 65536 mark 1', 'ERR_MARK_PORT', 11],
    ['tcp dport 80 mark 0', 'ERR_MARK_VALUE', 19],
    ['tcp dport 80 mark 4294967296', 'ERR_MARK_VALUE', 19],
    ['tcp dport 80', 'ERR_MARK_MISSING', 11],
    ['tcp dport 80 dport 81 mark 1', 'ERR_MARK_DUPLICATE', 14],
    ['tcp dst 192.0.2.1 src 2001:db8::1 mark 1', 'ERR_MARK_FAMILY', 23],
    ['dst 192.0.2.1 tcp mark 1', 'ERR_MARK_SYNTAX', 15],
    ['tcp frob 1 mark 1', 'ERR_MARK_SYNTAX', 5],
    ['tcp iif a/b mark 1', 'ERR_MARK_SYNTAX', 9],
    ['tcp mark', 'ERR_MARK_SYNTAX', 5],
  ];
  for (const [text, code, column] of bad) {
    it(`refuses '${text}' with ${code} at column ${column}`, () => {
      const p = parseMarkRules(`# comment\n\n${text}\n`, 'm.rules');
      assert.deepEqual(p.rules, []);
      assert.deepEqual(
        p.findings.map((f) => [f.code, f.line, f.column]),
        [[code, 3, column]],
      );
    });
  }

  it('names --mark arguments as lines 1.. and records each rule origin', () => {
    const p = parseMarkArgs(['tcp mark 1', 'udp mark x']);
    assert.deepEqual(
      p.rules.map((r) => r.origin),
      ['--mark #1'],
    );
    assert.deepEqual(
      p.findings.map((f) => [f.code, f.line]),
      [['ERR_MARK_VALUE', 2]],
    );
  });

  it('any text gives rules or coded findings with a line and column inside it, never a throw', () => {
    const word = fc.constantFrom(
      'tcp',
      'udp',
      'sctp',
      'any',
      'dst',
      'src',
      'dport',
      'sport',
      'iif',
      'mark',
      '192.0.2.1',
      '2001:db8::/64',
      '80,443',
      '1-2',
      '0x10',
      '#',
      ',',
      '/',
      'eth0',
    );
    const line = fc.oneof(
      fc.array(word, { maxLength: 9 }).map((w) => w.join(' ')),
      fc.string({ maxLength: 40 }),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 6 }), (lines) => {
        const text = lines.join('\n');
        const p = parseMarkRules(text, 'f');
        wellFormed(p.findings, text);
        for (const r of p.rules) assert.ok(r.mark >= 1 && r.mark <= 0xffffffff);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('iptables-save import', () => {
  it('reads the MARK rules of real iptables-save output, last rule first (MARK does not end the chain)', () => {
    const p = parseMarkFile(fixture('iptables-save.txt'), 'ipt');
    assert.equal(p.format, 'iptables');
    assert.deepEqual(p.findings, []);
    assert.deepEqual(p.rules.map(flat), [
      {
        proto: 132,
        af: 4,
        dst: undefined,
        src: undefined,
        dport: [[3868, 3868]],
        sport: undefined,
        iif: undefined,
        mark: 4,
      },
      {
        proto: 6,
        af: 4,
        dst: undefined,
        src: undefined,
        dport: [[8080, 8080]],
        sport: [[1024, 65535]],
        iif: undefined,
        mark: 7,
      },
      {
        proto: 17,
        af: 4,
        dst: '192.0.2.0/24',
        src: '198.51.100.0/24',
        dport: [[5000, 5100]],
        sport: undefined,
        iif: 'veth0',
        mark: 2,
      },
      {
        proto: 6,
        af: 4,
        dst: '192.0.2.100/32',
        src: undefined,
        dport: [
          [80, 80],
          [443, 443],
        ],
        sport: undefined,
        iif: undefined,
        mark: 1,
      },
    ]);
    assert.deepEqual(
      p.rules.map((r) => r.origin),
      ['ipt:11', 'ipt:10', 'ipt:9', 'ipt:8'],
    );
  });

  it('reads ip6tables-save output as IPv6 rules, multiport ranges included', () => {
    const p = parseMarkFile(fixture('ip6tables-save.txt'), 'ip6t');
    assert.deepEqual(p.findings, []);
    assert.deepEqual(
      p.rules.map((r) => [r.af, r.proto, r.mark, r.dport ?? r.sport]),
      [
        [6, 17, 3, [[53, 53]]],
        [
          6,
          6,
          1,
          [
            [80, 80],
            [443, 443],
            [8000, 8100],
          ],
        ],
      ],
    );
  });

  it('names the line and column of a rule it cannot evaluate (a negation), keeping the others', () => {
    const p = parseMarkFile(fixture('iptables-save-negated.txt'), 'ipt');
    assert.equal(p.rules.length, 4);
    assert.deepEqual(
      p.findings.map((f) => [f.code, f.line, f.column]),
      [['ERR_MARK_UNSUPPORTED', 12, 45]],
    );
  });

  it('refuses other targets, masks and modules in mangle PREROUTING, and skips other tables', () => {
    const text = [
      '*filter',
      '-A INPUT -p tcp -j DROP',
      'COMMIT',
      '*mangle',
      '-A PREROUTING -p tcp -j ACCEPT',
      '-A PREROUTING -p tcp -j MARK --set-xmark 0x1/0xff',
      '-A PREROUTING -m conntrack --ctstate NEW -j MARK --set-mark 1',
      '-A PREROUTING -i eth+ -j MARK --set-mark 1',
      '-A PREROUTING --dport 80 -j MARK --set-mark 1',
      '-A OUTPUT -p tcp -j MARK --set-mark 5',
      'COMMIT',
    ].join('\n');
    const p = parseIptablesSave(text, 'x');
    assert.deepEqual(p.rules, []);
    assert.deepEqual(
      p.findings.map((f) => [f.code, f.line]),
      [
        ['ERR_MARK_UNSUPPORTED', 5],
        ['ERR_MARK_UNSUPPORTED', 6],
        ['ERR_MARK_UNSUPPORTED', 7],
        ['ERR_MARK_UNSUPPORTED', 8],
        ['ERR_MARK_SYNTAX', 9],
      ],
    );
  });

  it('any text gives rules or coded findings inside it, never a throw', () => {
    const word = fc.constantFrom(
      '*mangle',
      '*filter',
      '-A',
      'PREROUTING',
      '-p',
      'tcp',
      'udp',
      '-d',
      '192.0.2.1/32',
      '-s',
      '2001:db8::1',
      '-i',
      'eth0',
      '-m',
      'multiport',
      '--dports',
      '80,443:445',
      '--dport',
      '--sport',
      '-j',
      'MARK',
      '--set-mark',
      '--set-xmark',
      '0x1/0xffffffff',
      '!',
      'COMMIT',
      ':INPUT',
      '"x y"',
    );
    const line = fc.oneof(
      fc.array(word, { maxLength: 12 }).map((w) => w.join(' ')),
      fc.string({ maxLength: 40 }),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), fc.constantFrom(4, 6, undefined), (lines, af) => {
        const text = lines.join('\n');
        const p = parseIptablesSave(text, 'f', af as 4 | 6 | undefined);
        wellFormed(p.findings, text);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('nft list ruleset import', () => {
  it('reads the iptables-nft tables of a real dump as the iptables-save of the same rules', () => {
    const n = parseMarkFile(fixture('nft-from-iptables.txt'), 'nft');
    assert.equal(n.format, 'nft');
    assert.deepEqual(n.findings, []);
    const i4 = parseMarkFile(fixture('iptables-save.txt'), 'ipt').rules.map(flat);
    const i6 = parseMarkFile(fixture('ip6tables-save.txt'), 'ipt').rules.map(flat);
    // nft lists the ip table first, ip6 after; each reversed as a whole.
    assert.deepEqual(n.rules.map(flat), [...i6, ...i4]);
  });

  it('reads native inet rules: sets, ranges, iifname, counters and comments', () => {
    const p = parseMarkFile(fixture('nft-native.txt'), 'nft');
    assert.deepEqual(p.findings, []);
    assert.deepEqual(p.rules.map(flat), [
      {
        proto: 6,
        af: undefined,
        dst: undefined,
        src: undefined,
        dport: [[8080, 8080]],
        sport: undefined,
        iif: undefined,
        mark: 7,
      },
      {
        proto: 17,
        af: 6,
        dst: undefined,
        src: '32.1.13.184.0.1.0.0.0.0.0.0.0.0.0.0/48',
        dport: undefined,
        sport: [[53, 53]],
        iif: undefined,
        mark: 3,
      },
      {
        proto: 17,
        af: 4,
        dst: undefined,
        src: '198.51.100.0/24',
        dport: [[5000, 5100]],
        sport: undefined,
        iif: 'veth0',
        mark: 2,
      },
      {
        proto: 6,
        af: 6,
        dst: '32.1.13.184.0.0.0.0.0.0.0.0.0.0.1.0/128',
        src: undefined,
        dport: [
          [80, 80],
          [443, 443],
        ],
        sport: undefined,
        iif: undefined,
        mark: 1,
      },
      {
        proto: 6,
        af: 4,
        dst: '192.0.2.100/32',
        src: undefined,
        dport: [
          [80, 80],
          [443, 443],
        ],
        sport: undefined,
        iif: undefined,
        mark: 1,
      },
    ]);
  });

  it('names the line and column of an expression it cannot evaluate (ct state)', () => {
    const p = parseMarkFile(fixture('nft-unsupported.txt'), 'nft');
    assert.equal(p.rules.length, 5);
    assert.deepEqual(
      p.findings.map((f) => [f.code, f.line, f.column]),
      [['ERR_MARK_UNSUPPORTED', 9, 22]],
    );
  });

  it('skips chains of other hooks, named sets and non-base chains; refuses negations and verdicts', () => {
    const text = `table inet t {
\tset s {
\t\ttype ipv4_addr
\t\telements = { 192.0.2.1, 192.0.2.2 }
\t}
\tchain in {
\t\ttype filter hook input priority filter; policy accept;
\t\ttcp dport 22 drop
\t}
\tchain pre {
\t\ttype filter hook prerouting priority mangle; policy accept;
\t\ttcp dport != 80 meta mark set 1
\t\tip daddr @s meta mark set 2
\t\ttcp dport 80 accept
\t\tcounter packets 1 bytes 2
\t}
}`;
    const p = parseNftRuleset(text, 'x');
    assert.deepEqual(p.rules, []);
    assert.deepEqual(
      p.findings.map((f) => [f.code, f.line]),
      [
        ['ERR_MARK_UNSUPPORTED', 12],
        ['ERR_MARK_UNSUPPORTED', 13],
        ['ERR_MARK_UNSUPPORTED', 14],
      ],
    );
  });

  it('any text gives rules or coded findings inside it, never a throw', () => {
    const word = fc.constantFrom(
      'table',
      'inet',
      'ip',
      'ip6',
      't',
      '{',
      '}',
      'chain',
      'type',
      'filter',
      'hook',
      'prerouting',
      'priority',
      'mangle;',
      'daddr',
      'saddr',
      '192.0.2.0/24',
      '2001:db8::1',
      'tcp',
      'udp',
      'dport',
      'sport',
      '80,',
      '443',
      '1-2',
      'meta',
      'mark',
      'set',
      '0x1',
      'iifname',
      '"eth0"',
      'counter',
      'packets',
      'comment',
      '!=',
      '@s',
    );
    const line = fc.oneof(
      fc.array(word, { maxLength: 12 }).map((w) => w.join(' ')),
      fc.string({ maxLength: 40 }),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 10 }), (lines) => {
        const text = lines.join('\n');
        const p = parseNftRuleset(text, 'f');
        wellFormed(p.findings, text);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('mark file format', () => {
  it('tells the three formats apart', () => {
    assert.equal(sniffMarkFormat('tcp dport 80 mark 1\n'), 'lvsd');
    assert.equal(sniffMarkFormat(fixture('iptables-save.txt')), 'iptables');
    assert.equal(sniffMarkFormat(fixture('nft-native.txt')), 'nft');
  });
});
