/**
 * The packet plane as a VRRP MASTER and BACKUP, for real, in two throw-away namespaces (root
 * only): the director (the packet plane on AF_PACKET in vrrp-packet-child.ts) and a peer on the
 * same link. Neither VIP is on the director's interface: only lvsd answers for them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { packetAddonUnavailableReason } from '../../src/io/packet-socket/addon.js';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';
import { JsonChild } from './json-child.js';

const skip = netnsSkipReason() ?? packetAddonUnavailableReason();
if (skip) console.log(`# skipping VRRP packet-plane netns tests: ${skip}`);

const VIP = '192.0.2.101';
const VVIP = '192.0.2.100';

/** One ping from the peer to `addr` (ARP first, then an echo lvsd answers for its VIPs). */
function pings(ns: Netns, addr: string): boolean {
  ns.ip('peer', 'neigh', 'flush', 'dev', 'v0b');
  return ns.exec('peer', ['ping', '-c', '1', '-W', '1', addr], 10_000).status === 0;
}

describe('the packet plane as a VRRP router', { skip }, () => {
  let ns: Netns;
  let child: JsonChild;

  before(async () => {
    ns = createNetns({
      namespaces: ['dir', 'peer'],
      links: [
        { a: 'dir', b: 'peer', aIf: 'v0a', bIf: 'v0b', aAddrs: ['192.0.2.1/24'], bAddrs: ['192.0.2.2/24'] },
      ],
    });
    const c = ns.spawn('dir', [
      process.execPath,
      '--import',
      'tsx',
      'test/dataplane/vrrp-packet-child.ts',
      JSON.stringify({ ifname: 'v0a', vip: VIP, vvip: VVIP, rs: '192.0.2.10' }),
    ]);
    child = new JsonChild(c);
    assert.equal((await child.next()).ready, true);
  });

  after(() => ns?.destroy());

  it('starts as BACKUP: announces and answers the plain VIP only', async () => {
    const s = await child.send({ op: 'status' });
    assert.equal(s.garpSent, 1, 'one GARP at start, for the VIP of no VRRP instance');
    assert.equal(pings(ns, VIP), true);
    assert.equal(pings(ns, VVIP), false, 'a BACKUP stays silent for the VRRP VIP');
    // --status says so: the VRRP VIP's service is not served here, the plain one is.
    assert.deepEqual(
      (s.vips as { service: string; serving: boolean; reason?: string }[]).map((v) => [
        v.service,
        v.serving,
        v.reason,
      ]),
      [
        [`TCP ${VIP}:80`, true, undefined],
        [
          `TCP ${VVIP}:80`,
          false,
          "VRRP instance VI_1 is not MASTER here (BACKUP or FAULT): the address is its peer's",
        ],
      ],
    );
  });

  it('as MASTER answers for the VRRP VIP and announces it on request; as BACKUP again, not', async () => {
    await child.send({ op: 'own', master: true });
    assert.equal(pings(ns, VVIP), true);
    const vips = (await child.send({ op: 'status' })).vips as { service: string; serving: boolean }[];
    assert.equal(vips.find((v) => v.service === `TCP ${VVIP}:80`)?.serving, true, 'served once MASTER');
    await child.send({ op: 'announce' });
    assert.equal((await child.send({ op: 'status' })).garpSent, 2);
    await child.send({ op: 'own', master: false });
    assert.equal(pings(ns, VVIP), false);
    assert.equal(pings(ns, VIP), true, 'the plain VIP is unaffected');
    await child.send({ op: 'own', master: true });
    assert.equal(pings(ns, VVIP), true, 'MASTER again');
  });

  it('closes', async () => {
    await child.send({ op: 'close' });
  });
});
