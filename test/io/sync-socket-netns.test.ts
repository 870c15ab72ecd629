/**
 * The real sync sockets between two namespaces on a veth (root only): a master's datagrams to
 * 224.0.0.81:8848 (and to an IPv6 group) reach a backup socket in the other namespace, go out
 * with TTL / hop limit 1 from the interface's address (tshark on the wire), and never come back
 * to a backup socket beside the master (multicast loop off); each port carries only its own
 * sync thread's datagrams (sync_ports: thread 1 sends on 8849, heard by the 8849 backup alone).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SyncEndpoint } from '../../src/sync/sync-transport.js';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';
import { hasTshark } from '../helpers/tshark.js';
import type { SyncChildConfig, SyncChildResult } from './sync-child.js';
import { waitDad } from './vrrp-checks.js';

const skip = netnsSkipReason();
if (skip) console.log(`# skipping sync socket netns tests: ${skip}`);

const A4 = '198.51.100.1';
const B4 = '198.51.100.2';

const ep = (o: Partial<SyncEndpoint> = {}): SyncEndpoint => ({
  ifname: 'eth0',
  af: 4,
  group: '224.0.0.81',
  port: 8848,
  ttl: 1,
  sockSize: 0,
  maxLen: 1472,
  ...o,
});
const v6 = { af: 6 as const, group: 'ff02::81' };

function startChild(ns: Netns, label: string, cfg: SyncChildConfig) {
  const c = ns.spawn(
    label,
    [process.execPath, '--import', 'tsx', 'test/io/sync-child.ts', JSON.stringify(cfg)],
    {
      cwd: process.cwd(),
    },
  );
  let out = '';
  let err = '';
  let onReady = () => {};
  const ready = new Promise<void>((r) => {
    onReady = r;
  });
  const done = new Promise<SyncChildResult>((resolve, reject) => {
    c.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('"ready"')) onReady();
    });
    c.stderr!.on('data', (d) => {
      err += d;
    });
    c.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.includes('"received"')) reject(new Error(`sync child ${code}: ${err}${out}`));
      else resolve(JSON.parse(last) as SyncChildResult);
    });
  });
  return { ready, done, end: () => c.stdin?.write('end\n') };
}

describe('sync sockets between namespaces', { skip }, () => {
  let ns: Netns;
  let dir: string;
  let aRes: SyncChildResult;
  let bRes: SyncChildResult;
  let b2Res: SyncChildResult;
  let a1Res: SyncChildResult;
  let wire: string[] = [];

  before(async () => {
    ns = createNetns({
      namespaces: ['a', 'b'],
      links: [
        {
          a: 'a',
          b: 'b',
          aIf: 'eth0',
          bIf: 'eth0',
          aAddrs: [`${A4}/24`, '2001:db8:1::1/64'],
          bAddrs: [`${B4}/24`, '2001:db8:1::2/64'],
        },
      ],
    });
    dir = mkdtempSync(join(tmpdir(), 'lvs-sync-'));
    const pcap = join(dir, 'sync.pcapng');
    await waitDad(ns, 'a', 'eth0');
    await waitDad(ns, 'b', 'eth0');
    let dumpcap: ChildProcess | undefined;
    if (hasTshark) {
      dumpcap = ns.spawn('b', [
        'dumpcap',
        '-q',
        '-i',
        'eth0',
        '-f',
        'udp port 8848 or udp port 8849',
        '-w',
        pcap,
      ]);
      let err = '';
      await new Promise<void>((resolve, reject) => {
        dumpcap!.stderr!.on('data', (d) => {
          err += d;
          if (err.includes('Capturing on')) resolve();
        });
        dumpcap!.on('exit', (code) => reject(new Error(`dumpcap exited ${code}: ${err}`)));
      });
    }
    // b: backups on the IPv4 and IPv6 groups, and one on port 8849 (sync thread 1);
    // a: a master of each family and a backup beside it (loop off: it hears nothing of a's own),
    // and thread 1's master socket on 8849.
    const b = startChild(ns, 'b', { backup: ep(), lingerMs: 30_000 });
    const b6 = startChild(ns, 'b', { backup: ep(v6), lingerMs: 30_000 });
    const b2 = startChild(ns, 'b', { backup: ep({ port: 8849 }), lingerMs: 30_000 });
    await Promise.all([b.ready, b6.ready, b2.ready]);
    const a = startChild(ns, 'a', {
      master: ep(),
      backup: ep(),
      sends: ['01020304', 'aabbccdd'],
      sendAfterMs: 400,
      lingerMs: 1500,
    });
    const a6 = startChild(ns, 'a', { master: ep(v6), sends: ['0606'], sendAfterMs: 400, lingerMs: 1500 });
    const a1 = startChild(ns, 'a', {
      master: ep({ port: 8849 }),
      sends: ['4949'],
      sendAfterMs: 400,
      lingerMs: 1500,
    });
    let b6Res: SyncChildResult;
    let a6Res: SyncChildResult;
    [aRes, a6Res, a1Res] = await Promise.all([a.done, a6.done, a1.done]);
    // The senders are done; give the datagrams a moment on the veth, then end the listeners.
    await new Promise((r) => setTimeout(r, 300));
    for (const c of [b, b6, b2]) c.end();
    [bRes, b6Res, b2Res] = await Promise.all([b.done, b6.done, b2.done]);
    assert.deepEqual([a6Res.errors, b6Res.errors], [[], []]);
    assert.equal(a6Res.sent, 1);
    assert.deepEqual(
      b6Res.received.map((r) => r.hex),
      ['0606'],
    );
    assert.match(b6Res.received[0]!.src, /^fe80::/);
    if (dumpcap) {
      const exited = new Promise((r) => dumpcap!.once('exit', r));
      dumpcap.kill('SIGINT');
      await exited;
      const r = spawnSync(
        'tshark',
        [
          '-r',
          pcap,
          '-T',
          'fields',
          '-E',
          'separator=,',
          '-e',
          'ip.src',
          '-e',
          'ipv6.src',
          '-e',
          'ip.dst',
          '-e',
          'ipv6.dst',
          '-e',
          'ip.ttl',
          '-e',
          'ipv6.hlim',
          '-e',
          'udp.dstport',
          '-e',
          'udp.length',
        ],
        { encoding: 'utf8' },
      );
      wire = r.stdout.trim().split('\n').filter(Boolean);
    }
  });

  after(() => {
    ns?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a master's datagrams reach a backup in the other namespace, from the interface's address", () => {
    assert.deepEqual([aRes.errors, bRes.errors], [[], []]);
    assert.equal(aRes.sent, 2);
    assert.deepEqual(
      bRes.received.map((r) => [r.src, r.hex]),
      [
        [A4, '01020304'],
        [A4, 'aabbccdd'],
      ],
    );
  });

  it('multicast loop is off: the backup beside the master hears none of its datagrams', () => {
    assert.deepEqual(aRes.received, []);
  });

  it("each port carries its own thread's datagrams: the 8849 backup hears thread 1's master only, the 8848 backup never it", () => {
    assert.deepEqual([a1Res.errors, b2Res.errors, a1Res.sent], [[], [], 1]);
    assert.deepEqual(
      b2Res.received.map((r) => [r.src, r.hex]),
      [[A4, '4949']],
    );
    assert.ok(!bRes.received.some((r) => r.hex === '4949'));
  });

  it('on the wire: to 224.0.0.81:8848 and :8849 with TTL 1, and to ff02::81 with hop limit 1', {
    skip: !hasTshark && 'no tshark',
  }, () => {
    assert.deepEqual(
      wire.sort(),
      [
        `${A4},,224.0.0.81,,1,,8848,12`,
        `${A4},,224.0.0.81,,1,,8848,12`,
        `${A4},,224.0.0.81,,1,,8849,10`,
        wire.find((l) => l.includes('ff02::81')) ?? 'missing IPv6 datagram',
      ].sort(),
    );
    const w6 = wire.find((l) => l.includes('ff02::81'))!.split(',');
    assert.match(w6[1]!, /^fe80::/);
    assert.deepEqual([w6[3], w6[5], w6[6], w6[7]], ['ff02::81', '1', '8848', '10']);
  });
});
