/**
 * Rules files (ipvsadm-save format): restore parsing with line-numbered coded errors, and the
 * save → restore round trip reproducing the table's commands.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Command } from '../../src/control/commands.js';
import type { Snapshot } from '../../src/control/views.js';
import { ConfigError } from '../../src/core/errors.js';
import { FWD, SVC_F } from '../../src/core/types.js';
import { parseRules, restoreArgvs, saveRules } from '../../src/ipvsadm/rules.js';
import { HAND_SNAPSHOT } from '../fixtures/ipvsadm/hand/snapshot.js';

/** The commands that rebuild a snapshot, as far as the save format carries them. */
function commandsOf(snap: Snapshot): Command[] {
  const out: Command[] = [];
  for (const s of snap.services) {
    const persistent = (s.config.flags & SVC_F.PERSISTENT) !== 0;
    const config = {
      scheduler: s.config.scheduler,
      flags: s.config.flags & ~SVC_F.HASHED,
      timeout: persistent ? s.config.timeout : 0,
      netmask: persistent ? s.config.netmask : s.key.af === 6 ? '128' : '255.255.255.255',
      pe: s.config.pe,
    };
    out.push({ op: 'add-service', service: s.key, config });
    for (const d of s.dests) {
      const tunnel = d.fwd === FWD.TUNNEL;
      out.push({
        op: 'add-dest',
        service: s.key,
        dest: {
          addr: d.addr,
          port: d.port,
          af: d.af,
          fwd: d.fwd === FWD.LOCALNODE ? FWD.DROUTE : d.fwd,
          weight: d.weight,
          uThreshold: 0,
          lThreshold: 0,
          tunType: tunnel ? d.tunType : 0,
          tunPort: tunnel ? d.tunPort : 0,
          tunFlags: tunnel ? d.tunFlags : 0,
        },
      });
    }
  }
  return out;
}

const sortKey = (c: Command) => JSON.stringify(c);

test('save then restore reproduces the same commands (IPv6, fwmark IPv6, tunnels, FULLNAT, PE)', () => {
  const got = parseRules(saveRules(HAND_SNAPSHOT), 'saved');
  assert.deepEqual(got.map(sortKey).sort(), commandsOf(HAND_SNAPSHOT).map(sortKey).sort());
});

test('the real ipvsadm -Sn output restores into commands that save back to the same text', () => {
  const text = readFileSync(new URL('../fixtures/ipvsadm/golden/save-n.txt', import.meta.url), 'utf8');
  const cmds = parseRules(text, 'save-n.txt');
  assert.equal(cmds.length, text.trim().split('\n').length);
  assert.ok(cmds.every((c) => c.op === 'add-service' || c.op === 'add-dest'));
});

test('comments, blank lines and "ipvsadm" words are skipped', () => {
  const cmds = parseRules('# saved\n\nipvsadm -A -t 10.0.0.1:80 -s rr\n  -a -t 10.0.0.1:80 -r 10.0.0.2 -m\n');
  assert.deepEqual(
    cmds.map((c) => c.op),
    ['add-service', 'add-dest'],
  );
});

test('a bad line fails with ERR_LVS_RULES_SYNTAX, its line number and ipvsadm text', () => {
  try {
    parseRules('-A -t 10.0.0.1:80\n-A -t 10.0.0.1 -s rr\n', 'rules.txt');
    assert.fail('expected an error');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.code, 'ERR_LVS_RULES_SYNTAX');
    assert.equal(e.line, 2);
    assert.equal(e.file, 'rules.txt');
    assert.match(e.message, /Zero port specified for non-persistent service/);
  }
});

test('a listing or nested -R line is refused with a coded error', () => {
  assert.throws(() => parseRules('-L -n\n'), { code: 'ERR_LVS_RULES_NOT_TABLE', line: 1 });
  assert.throws(() => parseRules('-A -t 10.0.0.1:80\n-R\n'), { code: 'ERR_LVS_RULES_SYNTAX', line: 2 });
});

test('restoreArgvs splits like config_stream.c and keeps line numbers', () => {
  assert.deepEqual(restoreArgvs('\n-A\t-t 1.2.3.4:80  \nipvsadm\n-C'), [
    { line: 2, argv: ['-A', '-t', '1.2.3.4:80'] },
    { line: 4, argv: ['-C'] },
  ]);
});

test('random rules files only ever produce commands or coded, line-numbered errors', () => {
  const word = fc.oneof(
    fc.constantFrom(
      '-A',
      '-a',
      '-E',
      '-e',
      '-d',
      '-D',
      '-t',
      '-u',
      '-f',
      '-r',
      '-s',
      '-p',
      '-m',
      '-i',
      '-w',
      '-x',
    ),
    fc.constantFrom(
      'rr',
      'sh',
      '10.0.0.1:80',
      '10.0.0.2',
      '[2001:db8::1]:80',
      '1',
      '0',
      '#',
      '--tun-type',
      'gue',
    ),
    fc.string({ maxLength: 6 }),
  );
  const line = fc.array(word, { maxLength: 8 }).map((ws) => ws.join(' '));
  fc.assert(
    fc.property(fc.array(line, { maxLength: 6 }), (lines) => {
      try {
        const cmds = parseRules(lines.join('\n'));
        assert.ok(Array.isArray(cmds));
      } catch (e) {
        assert.ok(e instanceof ConfigError, String(e));
        assert.match(e.code, /^ERR_LVS_RULES_/);
        assert.ok(e.line >= 1 && e.line <= lines.length);
      }
    }),
    { numRuns: 400 },
  );
});

test('a PROXY protocol real server saves its --proxy-protocol and restores with it', () => {
  const rules =
    '-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 198.51.100.1:8080 -m -w 1 --proxy-protocol v2\n';
  const cmds = parseRules(rules, 'rules');
  const add = cmds[1];
  assert.ok(add?.op === 'add-dest');
  assert.equal(add.dest.proxyProtocol, 2);
  const snap: Snapshot = {
    connTabSize: 4096,
    services: [
      {
        key: { kind: 'addr', af: 4, protocol: 6, addr: '192.0.2.1', port: 80 },
        config: { scheduler: 'rr', flags: 0, timeout: 0, netmask: '255.255.255.255', pe: '' },
        stats: { conns: 0, inpkts: 0, outpkts: 0, inbytes: 0, outbytes: 0 },
        rates: { cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0 },
        dests: [
          {
            ...add.dest,
            activeConns: 0,
            inactConns: 0,
            persistConns: 0,
            stats: { conns: 0, inpkts: 0, outpkts: 0, inbytes: 0, outbytes: 0 },
            rates: { cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0 },
          },
        ],
      },
    ],
  };
  assert.equal(saveRules(snap), rules);
});
