/**
 * The AF_XDP socket on a veth pair (root): frames lvsd's filter redirects arrive in batches as
 * views of the UMEM, go back out of the chunk they arrived in (zero-copy transmit, counted as
 * such) or copied from foreign memory, reach the peer intact, and traffic outside the filter
 * never reaches the socket. The work runs in a child inside a throw-away namespace.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { packetAddonUnavailableReason } from '../../src/io/packet-socket/addon.js';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';

const skip = netnsSkipReason() ?? packetAddonUnavailableReason();
if (skip) console.log(`# skipping AF_XDP socket tests: ${skip}`);
const N = 500;

describe('AF_XDP socket on a veth pair', { skip }, () => {
  let ns: Netns;
  let r: Record<string, number | string>;

  before(() => {
    ns = createNetns({ namespaces: ['x'], links: [{ a: 'x', b: 'x', aIf: 'eth0', bIf: 'eth1' }] });
    const out = ns.exec(
      'x',
      [process.execPath, '--import', 'tsx', 'test/io/xdp-socket-child.ts', String(N)],
      60_000,
    );
    assert.equal(out.status, 0, out.stderr);
    r = JSON.parse(out.stdout.trim().split('\n').pop()!);
  });
  after(() => ns?.destroy());

  it('attaches in the driver (native) mode on veth', () => {
    assert.equal(r.mode, 'drv');
  });

  it('receives every redirected frame and nothing else', () => {
    assert.equal(r.sent, N);
    assert.equal(r.rx, N);
    assert.equal(r.wrongPort, 0);
  });

  it('sends the rewritten frames back out of their own chunks', () => {
    assert.equal(r.back, N);
    assert.equal(r.txZeroCopy, N);
  });

  it('marks only a frame carrying the partial-checksum seed CSUMNOTREADY (not a correct or a wrong sum)', () => {
    assert.equal(r.csumSeed, 8);
    assert.equal(r.csumGood, 0);
    assert.equal(r.csumBad, 0);
  });

  it('copies frames from foreign memory into a free chunk', () => {
    assert.equal(r.txCopied, r.batches);
    assert.equal(r.backCopied, r.batches);
    assert.equal(r.txDropped, 0);
  });
});
