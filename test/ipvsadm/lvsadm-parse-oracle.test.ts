/**
 * Every argv in test/fixtures/ipvsadm/oracle/parse-cases.json was run through the real Debian
 * ipvsadm 1.31 (record.mjs). parse() must refuse the same argv with the same stderr line and exit
 * code, and accept the others with the same request the real binary sent to the kernel.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Command } from '../../src/control/commands.js';
import { parse } from '../../src/ipvsadm/parse.js';
import { tableResolver } from '../../src/ipvsadm/resolve.js';

interface OracleCase {
  argv: string[];
  status: number;
  stdout: string;
  stderr: string;
  kernel: string;
}
const cases: OracleCase[] = JSON.parse(
  readFileSync(new URL('../fixtures/ipvsadm/oracle/parse-cases.json', import.meta.url), 'utf8'),
);

/** What the recording machine's /etc/hosts and /etc/services answered. */
export const ORACLE_RESOLVER = tableResolver({
  hosts: new Map([['localhost', '127.0.0.1']]),
  services: new Map([
    ['http/tcp', 80],
    ['domain/tcp', 53],
    ['domain/udp', 53],
  ]),
});

const OPS: Record<string, number> = {
  'add-service': 2,
  'edit-service': 3,
  'del-service': 4,
  clear: 5,
  'add-dest': 7,
  'del-dest': 8,
  'edit-dest': 9,
  'set-timeouts': 10,
  'start-daemon': 11,
  'stop-daemon': 12,
  zero: 15,
};

/** The fields of fake-ipvs.c's trace line that a Command determines. */
function traceFields(c: Command): Record<string, string> {
  const f: Record<string, string> = { op: String(OPS[c.op]) };
  if ('service' in c && c.service) {
    const s = c.service;
    f.proto = String(s.kind === 'fwmark' ? 6 : s.protocol);
    f.addr = s.kind === 'fwmark' ? '0.0.0.0' : s.addr;
    f.port = String(s.kind === 'fwmark' ? 0 : s.port);
    f.fwmark = String(s.kind === 'fwmark' ? s.fwmark : 0);
  }
  if (c.op === 'add-service' || c.op === 'edit-service') {
    f.sched = c.config.scheduler;
    f.flags = String(c.config.flags);
    f.timeout = String(c.config.timeout);
    f.netmask = c.config.netmask;
  }
  if (c.op === 'add-dest' || c.op === 'edit-dest') {
    Object.assign(f, {
      daddr: c.dest.addr,
      dport: String(c.dest.port),
      fwd: String(c.dest.fwd),
      weight: String(c.dest.weight),
      u: String(c.dest.uThreshold),
      l: String(c.dest.lThreshold),
    });
  }
  if (c.op === 'del-dest') Object.assign(f, { daddr: c.dest.addr, dport: String(c.dest.port) });
  if (c.op === 'set-timeouts')
    Object.assign(f, { tcp: String(c.tcp), tcpfin: String(c.tcpfin), udp: String(c.udp) });
  if (c.op === 'start-daemon') {
    Object.assign(f, { state: c.daemon.state === 'master' ? '1' : '2', ifn: c.daemon.mcastInterface });
    f.syncid = String(c.daemon.syncId);
  }
  if (c.op === 'stop-daemon') f.state = c.state === 'master' ? '1' : '2';
  if (c.op === 'zero' && !c.service) f.proto = '0';
  return f;
}

function parseTrace(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of line.split(' ')) {
    const i = kv.indexOf('=');
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** Where lvsadm departs from ipvsadm on purpose (issue 3: DPVS's FULLNAT spelling). */
const DIVERGENCES = new Map([
  ['-a -t 10.0.0.1:80 -r 1.2.3.4 -b bogus', { text: 'unexpected argument bogus', exitCode: 2 }],
]);

for (const k of cases) {
  const diverge = DIVERGENCES.get(k.argv.join(' '));
  if (diverge) {
    test(`lvsadm ${k.argv.join(' ')} reads -b as FULLNAT (DPVS) where ipvsadm read sched-flags`, () => {
      const r = parse(k.argv, { prog: 'ipvsadm' });
      assert.deepEqual(r, { kind: 'error', ...diverge });
    });
    continue;
  }
  const name = `ipvsadm ${k.argv.join(' ')} → exit ${k.status}${k.stderr ? ` "${k.stderr.trim()}"` : ''}`;
  test(name, () => {
    const r = parse(k.argv, { prog: 'ipvsadm', resolver: ORACLE_RESOLVER });
    if (k.kernel !== '') {
      // The real binary accepted the argv and asked the kernel: compare the request.
      assert.equal(r.kind, 'command', JSON.stringify(r));
      if (r.kind !== 'command') return;
      const want = parseTrace(k.kernel);
      const got = traceFields(r.command);
      for (const [key, v] of Object.entries(got)) assert.equal(v, want[key], `field ${key}`);
      return;
    }
    if (k.status === 2 || (k.status === 255 && !k.stderr.startsWith('Operation not supported'))) {
      assert.equal(r.kind, 'error', JSON.stringify(r));
      if (r.kind !== 'error') return;
      assert.equal(`${r.text}\n`, k.stderr);
      assert.equal(r.exitCode, k.status);
      return;
    }
    if (k.status === 255) {
      // Accepted by the parser; the kernel (sockopt, IPv4 only) refused it.
      assert.ok(r.kind === 'command', JSON.stringify(r));
      return;
    }
    if (r.kind === 'help' || r.kind === 'version') {
      assert.equal(r.text, k.stdout);
      return;
    }
    // Listing, save and restore requests (exit 0, or 1 when the fake kernel has no answer).
    assert.ok(['list', 'save', 'restore'].includes(r.kind), JSON.stringify(r));
  });
}
