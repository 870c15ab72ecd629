/**
 * IngressBypass against the real nft, inside a throw-away namespace (the host's ruleset is never
 * touched: nft runs through `ip netns exec`). Root only.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FWD, PROTO } from '../../src/core/types.js';
import { subscribeLogger } from '../../src/daemon/log-subscriber.js';
import { type BypassSpec, bypassSpecFromServices } from '../../src/io/host/bypass-rules.js';
import { IngressBypass } from '../../src/io/host/ingress-bypass.js';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';

const skip = netnsSkipReason();

function spec(vipPort: number, natRip?: string): BypassSpec {
  return bypassSpecFromServices(
    [
      {
        key: { kind: 'addr', af: 4, protocol: PROTO.TCP, addr: '192.0.2.100', port: vipPort },
        laddrs: [],
        dests: natRip ? [{ addr: natRip, port: 80, af: 4, fwd: FWD.MASQ }] : [],
      },
    ],
    { interfaces: ['v0a', 'v0b'], localAddrs: ['192.0.2.1'], families: [4] },
  );
}

const unsubscribers: (() => void)[] = [];

/** A log of memory lines; nft failures reach it through lvs:dataplane:fault, as in lvsd. */
function memLog() {
  const lines: { level: string; msg: string; obj: object }[] = [];
  const log = {
    lines,
    info: (obj: object, msg?: string) => lines.push({ level: 'info', msg: msg ?? '', obj }),
    warn: (obj: object, msg?: string) => lines.push({ level: 'warn', msg: msg ?? '', obj }),
    error: (obj: object, msg?: string) => lines.push({ level: 'error', msg: msg ?? '', obj }),
  };
  // The tests of this file run one at a time, so every fault published meanwhile is this test's.
  for (const u of unsubscribers.splice(0)) u();
  unsubscribers.push(subscribeLogger(log));
  return log;
}

let ns: Netns | undefined;
const nftIn = (): string[] => ['ip', 'netns', 'exec', ns!.name('d'), 'nft'];
const tables = (): string => ns!.exec('d', ['nft', 'list', 'tables']).stdout;
const table = (ifname: string): string =>
  ns!.exec('d', ['nft', 'list', 'table', 'netdev', `lvsd_bypass_${ifname}`]).stdout;

before(() => {
  if (skip) return;
  ns = createNetns({ namespaces: ['d'], links: [{ a: 'd', b: 'd', aIf: 'v0a', bIf: 'v0b' }] });
});
after(() => {
  for (const u of unsubscribers) u();
  ns?.destroy();
});

test('installs one table per interface, follows changes atomically, and removes them on close', {
  skip,
}, async () => {
  const log = memLog();
  const b = new IngressBypass({ interfaces: ['v0a', 'v0b'], log, nft: nftIn() });
  b.update(spec(80));
  await b.settled();
  assert.match(tables(), /table netdev lvsd_bypass_v0a\ntable netdev lvsd_bypass_v0b/);
  assert.match(
    table('v0a'),
    /ip daddr \. meta l4proto \. th dport \{ 192\.0\.2\.100 \. tcp \. 80 \} counter packets 0 bytes 0 drop/,
  );
  assert.match(table('v0b'), /hook ingress device "v0b" priority -500/);
  // Two changes while nft runs collapse: the last one wins.
  b.update(spec(81));
  b.update(spec(80, '192.0.2.11'));
  await b.settled();
  const t = table('v0a');
  assert.doesNotMatch(t, /\. 81 /);
  assert.match(
    t,
    /ip saddr \. meta l4proto \. th sport \{ 192\.0\.2\.11 \. tcp \. 80 \} ip daddr != 192\.0\.2\.1 counter/,
  );
  assert.equal(b.installed.includes('192.0.2.11 . tcp . 80'), true);
  await b.close();
  assert.doesNotMatch(tables(), /lvsd_bypass/);
  assert.equal(log.lines.filter((l) => l.level === 'warn').length, 0, JSON.stringify(log.lines));
});

test('a stale table from a crashed run is replaced by the first install', { skip }, async () => {
  const stale =
    'table netdev lvsd_bypass_v0a {\n chain old {\n  type filter hook ingress device "v0a" priority 0;\n  ip daddr 192.0.2.99 drop\n }\n}\n';
  assert.equal(ns!.exec('d', ['sh', '-c', `printf '%s' '${stale}' | nft -f -`]).status, 0);
  const b = new IngressBypass({ interfaces: ['v0a'], nft: nftIn() });
  b.update(spec(80));
  await b.settled();
  const t = table('v0a');
  assert.doesNotMatch(t, /192\.0\.2\.99|chain old/);
  assert.match(t, /chain ingress/);
  await b.close();
  assert.doesNotMatch(tables(), /lvsd_bypass/);
});

test('an empty table removes a stale table and installs none', { skip }, async () => {
  assert.equal(ns!.exec('d', ['nft', 'add', 'table', 'netdev', 'lvsd_bypass_v0a']).status, 0);
  const b = new IngressBypass({ interfaces: ['v0a'], nft: nftIn() });
  b.update({ interfaces: ['v0a'], vips: [], lips: [], natReplies: [], localAddrs: [] });
  await b.settled();
  assert.doesNotMatch(tables(), /lvsd_bypass/);
  await b.close();
});

test('nft missing: one warning, the bypass turns itself off, nothing throws', { skip }, async () => {
  const log = memLog();
  const b = new IngressBypass({ interfaces: ['v0a'], log, nft: ['/nonexistent/lvs-ts/nft'] });
  b.update(spec(80));
  await b.settled();
  assert.equal(b.active, false);
  b.update(spec(81));
  await b.settled();
  await b.close();
  const warns = log.lines.filter((l) => l.level === 'warn');
  assert.equal(warns.length, 1);
  assert.match(warns[0]!.msg, /nft not found/);
});

test('nft refusing the ruleset: a warning, the old tables removed, and the next change retries', {
  skip,
}, async () => {
  const log = memLog();
  // An nft that refuses any ruleset with a VIP:port rule and passes the rest to the real one.
  const picky = [
    'sh',
    '-c',
    `in=$(cat); case "$in" in *"th dport"*) echo "refused" >&2; exit 1;; esac; printf '%s' "$in" | ip netns exec ${ns!.name('d')} nft -f -`,
    'picky-nft',
  ];
  const b = new IngressBypass({ interfaces: ['v0a'], log, nft: picky });
  b.update(spec(0));
  await b.settled();
  assert.match(table('v0a'), /192\.0\.2\.100 \. tcp \} counter/);
  b.update(spec(80));
  await b.settled();
  assert.equal(b.active, true);
  assert.doesNotMatch(tables(), /lvsd_bypass/);
  assert.equal(b.installed, '');
  assert.ok(log.lines.some((l) => l.level === 'warn' && /refused/.test(l.msg)));
  b.update(spec(0));
  await b.settled();
  assert.match(tables(), /lvsd_bypass_v0a/);
  await b.close();
  assert.doesNotMatch(tables(), /lvsd_bypass/);
});
