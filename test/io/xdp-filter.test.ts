/**
 * lvsd's XDP filter program, checked with BPF_PROG_TEST_RUN (root): which crafted frames it
 * redirects to the AF_XDP socket and which it passes to the kernel, truncated and odd frames
 * passing safely, a property that the program and its TypeScript model (filterRedirects) agree
 * on random frames, and the maps following a spec change. Runs in a child inside a throw-away
 * namespace (an AF_XDP socket must be bound for a redirect to show). Map contents are also
 * checked without root.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bypassSpecFromServices } from '../../src/io/host/bypass-rules.js';
import { packetAddonUnavailableReason } from '../../src/io/packet-socket/addon.js';
import { filterEntries, filterRedirects } from '../../src/io/packet-socket/xdp-filter-keys.js';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';
import { EXPECTED, FILTER_SERVICES, FRAMES, LOCAL } from './xdp-frames.js';

const skip = netnsSkipReason() ?? packetAddonUnavailableReason();
if (skip) console.log(`# skipping XDP filter test-run checks: ${skip}`);

const spec = bypassSpecFromServices(FILTER_SERVICES, {
  interfaces: ['eth0'],
  localAddrs: LOCAL,
  families: [4],
});

describe('XDP filter map contents (no root)', () => {
  it('holds one key per VIP:port, LIP and NAT reply source, and the host addresses', () => {
    const e = filterEntries(spec);
    assert.deepEqual([...e.filter].sort(), [
      'c000020a06000050', // 192.0.2.10 tcp dst :80
      'c000020b11000000', // 192.0.2.11 udp dst every port
      'c000020c06000050', // 192.0.2.12 tcp dst :80
      'c000020d060001bb', // 192.0.2.13 tcp dst :443
      'c633640206011f90', // 198.51.100.2 tcp src :8080 (NAT reply)
      'cb00716406000000', // 203.0.113.100 tcp dst every port (LIP)
    ]);
    assert.deepEqual([...e.local], ['c6336401']);
  });

  it('the model agrees with the expected action of every crafted frame', () => {
    const e = filterEntries(spec);
    for (const [name, f] of Object.entries(FRAMES))
      assert.equal(filterRedirects(f, e) ? 4 : 2, EXPECTED[name], name);
  });
});

describe('XDP filter under BPF_PROG_TEST_RUN', { skip }, () => {
  let ns: Netns;
  let out: { actions: Record<string, number>; property: string; afterEmpty: number };

  before(() => {
    ns = createNetns({ namespaces: ['x'], links: [{ a: 'x', b: 'x', aIf: 'eth0', bIf: 'eth1' }] });
    const r = ns.exec('x', [process.execPath, '--import', 'tsx', 'test/io/xdp-filter-child.ts'], 60_000);
    assert.equal(r.status, 0, r.stderr);
    out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  });
  after(() => ns?.destroy());

  it('redirects the served traffic and passes everything else, truncated frames included', () => {
    assert.deepEqual(out.actions, EXPECTED);
  });

  it('decides like the TypeScript model on random frames (fast-check)', () => {
    assert.equal(out.property, 'ok');
  });

  it('stops redirecting once the spec no longer holds the service', () => {
    assert.equal(out.afterEmpty, 2);
  });
});
