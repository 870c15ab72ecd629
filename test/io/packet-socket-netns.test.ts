/**
 * The real AF_PACKET addon on a veth pair between two throw-away namespaces. Root only; the
 * socket work happens in child processes started with `ip netns exec` (packet-child.ts).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { packetAddonUnavailableReason } from '../../src/io/packet-socket/addon.js';
import { createNetns, listTestNamespaces, type Netns, netnsSkipReason } from '../helpers/netns.js';

const skip = netnsSkipReason() ?? packetAddonUnavailableReason();
if (skip) console.log(`# skipping packet-socket netns tests: ${skip}`);

const NODE = [process.execPath, '--import', 'tsx', 'test/io/packet-child.ts'];
const FRAMES = 300;

/** Starts a child in `label`, resolves once it printed {"ready":true}; `result` resolves with its last line. */
function startChild(
  ns: Netns,
  label: string,
  cfg: object,
): Promise<{ result: Promise<Record<string, number>> }> {
  const c: ChildProcess = ns.spawn(label, [...NODE, JSON.stringify(cfg)], { cwd: process.cwd() });
  let out = '';
  let err = '';
  c.stderr!.on('data', (d) => (err += d));
  const result = new Promise<Record<string, number>>((resolve, reject) => {
    c.on('exit', (code) => {
      const lines = out.trim().split('\n');
      if (code !== 0 || lines.length < 2) reject(new Error(`child exited ${code}: ${out}${err}`));
      else resolve(JSON.parse(lines[lines.length - 1]!) as Record<string, number>);
    });
  });
  return new Promise((resolve, reject) => {
    c.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('"ready":true')) resolve({ result });
    });
    result.catch(reject);
  });
}

function promiscuity(ns: Netns): number {
  return Number(/promiscuity (\d+)/.exec(ns.ip('b', '-d', 'link', 'show', 'eth0'))?.[1] ?? -1);
}

describe('packet socket on a veth pair in namespaces', { skip }, () => {
  let ns: Netns;
  let rx: Record<string, number>;
  let tx: Record<string, number>;
  let tcp: Record<string, number>;
  let fan: Record<string, number>;
  let promiscuityOpen = -1;

  before(async () => {
    ns = createNetns({
      namespaces: ['a', 'b'],
      links: [
        { a: 'a', b: 'b', aIf: 'eth0', bIf: 'eth0', aAddrs: ['192.0.2.1/24'], bAddrs: ['192.0.2.2/24'] },
      ],
    });
    const receiver = await startChild(ns, 'b', { mode: 'rx', ifname: 'eth0', expect: FRAMES });
    const dst = ns.mac('b', 'eth0').toString('hex');
    const t = ns.exec('a', [...NODE, JSON.stringify({ mode: 'tx', ifname: 'eth0', count: FRAMES, dst })]);
    tx = JSON.parse(t.stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;
    rx = await receiver.result;

    const sink = await startChild(ns, 'b', { mode: 'tcp', ifname: 'eth0', port: 8080 });
    const client = ns.exec('a', [
      process.execPath,
      '-e',
      "const s=require('net').connect(8080,'192.0.2.2',()=>s.end(Buffer.alloc(1<<20,7)))",
    ]);
    assert.equal(client.status, 0, client.stderr);
    tcp = await sink.result;

    const group = await startChild(ns, 'b', {
      mode: 'fanout',
      ifname: 'eth0',
      expect: FRAMES,
      timeoutMs: 15000,
    });
    promiscuityOpen = promiscuity(ns);
    ns.exec('a', [...NODE, JSON.stringify({ mode: 'tx', ifname: 'eth0', count: FRAMES, dst })]);
    fan = await group.result;
  });

  after(() => ns?.destroy());

  it('sends a whole batch of crafted frames in one call', () => {
    assert.equal(tx.sent, FRAMES);
  });

  it('receives every frame byte for byte on the other end', () => {
    assert.equal(rx.timedOut, false);
    assert.equal(rx.received, FRAMES);
    assert.equal(rx.bad, 0);
  });

  it('hands frames over in batches, not one call per frame', () => {
    assert.ok(rx.batches! < FRAMES / 10, `${rx.batches} batches for ${FRAMES} frames`);
    assert.ok(rx.maxBatch! > 1);
  });

  it('reports the VLAN tag the kernel stripped, per frame', () => {
    assert.equal(rx.vlanBad, 0);
    assert.equal(rx.vlanOk, FRAMES);
  });

  it('empties the ring view once the socket closed inside its batch callback', () => {
    assert.equal(rx.ringBytesAfterClose, 0);
  });

  it('flags locally generated TCP frames crossing veth as partially checksummed', () => {
    assert.equal(tcp.bytes, 1 << 20);
    assert.ok(tcp.toPort! > 0);
    assert.equal(tcp.toPortPartial, tcp.toPort);
  });

  it('does not receive its own namespace outgoing frames with ignoreOutgoing', () => {
    assert.equal(tcp.fromPort, 0);
  });

  it('sees outgoing frames as PACKET_OUTGOING when ignoreOutgoing is off', () => {
    assert.ok(tcp.observerOutgoing! > 0);
  });

  it('spreads one interface over the sockets of a round-robin fanout group', () => {
    assert.equal(fan.first! + fan.second!, FRAMES);
    assert.ok(fan.first! > FRAMES / 4 && fan.second! > FRAMES / 4, JSON.stringify(fan));
  });

  it('holds the interface promiscuous while promiscuous sockets are open, and releases it on close', () => {
    // A PACKET_MR_PROMISC membership raises the device's promiscuity count (ip -d shows it).
    assert.equal(promiscuityOpen, 2);
    assert.equal(promiscuity(ns), 0);
  });

  it('maps a bind without CAP_NET_RAW to EPERM on the bind syscall', () => {
    const drop = ['setpriv', '--bounding-set', '-net_raw', '--inh-caps', '-net_raw'];
    const r = ns.exec('a', [...drop, ...NODE, JSON.stringify({ mode: 'bind', ifname: 'eth0' })]);
    assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}'), {
      code: 'EPERM',
      syscall: 'bind',
    });
  });

  it('leaves no namespace behind after teardown', () => {
    const names = [ns.name('a'), ns.name('b')];
    ns.destroy();
    const left = listTestNamespaces(process.pid);
    for (const n of names) assert.ok(!left.includes(n), `${n} still exists`);
  });
});
