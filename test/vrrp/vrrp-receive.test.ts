import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { buildVrrpAdvert, type VrrpAdvert } from '../../src/vrrp/vrrp-packet.js';
import {
  checkAdvert,
  VRRP_RX,
  VRRP_RX_NOTE,
  type VrrpRxConfig,
  type VrrpRxFacts,
} from '../../src/vrrp/vrrp-receive.js';

const pass = (s: string) => {
  const b = new Uint8Array(8);
  b.set(Buffer.from(s).subarray(0, 8));
  return b;
};

const v2cfg: VrrpRxConfig = {
  vrid: 51,
  version: 2,
  af: 4,
  authType: 1,
  authData: pass('secret'),
  interval: 1,
  vips: ['192.168.200.16'],
  unicast: false,
  unicastPeers: [],
  checkUnicastSrc: false,
  v3ChecksumAsV2: false,
  ownerIgnoreAdverts: false,
  mcastGroup4: '224.0.0.18',
  oldUnicastChecksum: true,
};
const v3cfg: VrrpRxConfig = { ...v2cfg, version: 3, authType: 0, authData: new Uint8Array(8), interval: 100 };
const mcast: VrrpRxFacts = {
  src: '10.0.0.2',
  dst: '224.0.0.18',
  ttl: 255,
  ipHeaderLen: 20,
  effectivePriority: 100,
  checkVips: true,
};
type Fields = Omit<VrrpAdvert, 'checksum'>;
const v2adv: Fields = {
  version: 2,
  type: 1,
  vrid: 51,
  priority: 150,
  interval: 1,
  addrs: ['192.168.200.16'],
  authType: 1,
  authData: pass('secret'),
};
const v3adv: Fields = { ...v2adv, version: 3, interval: 100, authType: 0, authData: new Uint8Array(0) };

function run(
  fields: Fields,
  cfg: VrrpRxConfig,
  facts: Partial<VrrpRxFacts> = {},
  mangle?: (b: Uint8Array) => Uint8Array,
) {
  const f = { ...mcast, ...facts };
  let bytes = buildVrrpAdvert(fields, { af: cfg.af, src: f.src, dst: f.dst });
  if (mangle) bytes = mangle(bytes);
  return checkAdvert(f, bytes, 0, bytes.length, cfg);
}
const reason = (r: ReturnType<typeof run>) => (r.ok ? 'accepted' : r.reason);

describe('VRRP receive checks (keepalived vrrp_check_packet order), one rejected case each', () => {
  it('accepts a well-formed v2 PASS advert and a v3 advert', () => {
    const r = run(v2adv, v2cfg);
    assert.ok(r.ok);
    assert.equal(r.advert.priority, 150);
    assert.deepEqual(r.notes, []);
    assert.equal(reason(run(v3adv, v3cfg)), 'accepted');
  });

  it('header shorter than 8 bytes: TRUNCATED', () => {
    assert.equal(checkAdvert(mcast, new Uint8Array(7), 0, 7, v2cfg).ok, false);
    const r = checkAdvert(mcast, new Uint8Array(7), 0, 7, v2cfg);
    assert.equal(r.ok ? '' : r.reason, VRRP_RX.TRUNCATED);
  });

  it('another VRID: UNKNOWN_VRID', () => {
    assert.equal(reason(run({ ...v2adv, vrid: 52 }, v2cfg)), VRRP_RX.UNKNOWN_VRID);
  });

  it('the length follows the packet version nibble and is checked before the version', () => {
    // keepalived logs "vrrp packet too short, length 32 and expect 40": 12 VRRP bytes under a v2 header.
    assert.equal(
      reason(
        run({ ...v2adv, authType: 0, authData: new Uint8Array(8) }, v3cfg, {}, (b) => b.subarray(0, 12)),
      ),
      VRRP_RX.LENGTH,
    );
  });

  it('tolerates Ethernet padding but not other extra bytes', () => {
    const pad = (n: number) => (b: Uint8Array) => Uint8Array.of(...b, ...new Uint8Array(n));
    // 20 IP + 12 VRRP = 32 bytes, padded to 46: 14 extra, ≡ 2 mod 4.
    assert.equal(reason(run(v3adv, v3cfg, {}, pad(14))), 'accepted');
    assert.equal(reason(run(v3adv, v3cfg, {}, pad(3))), VRRP_RX.LENGTH);
  });

  it('multicast TTL 64: TTL; unicast instances skip the TTL check', () => {
    assert.equal(reason(run(v2adv, v2cfg, { ttl: 64 })), VRRP_RX.TTL);
    const uni = { ...v2cfg, unicast: true, unicastPeers: [{ addr: '10.0.0.2' }] };
    assert.equal(reason(run(v2adv, uni, { ttl: 64, dst: '10.0.0.1' })), 'accepted');
  });

  it('version 3 advert to a v2 instance of equal length: VERSION', () => {
    // A v3 IPv4 advert with 3 addresses is 20 bytes, like a v2 one with 1 address.
    const three = { ...v3adv, addrs: ['192.168.200.16', '1.1.1.1', '2.2.2.2'] };
    assert.equal(reason(run(three, v2cfg)), VRRP_RX.VERSION);
  });

  it('v2 auth type 7: AUTH_INVALID_TYPE; type none against PASS: AUTH_TYPE_MISMATCH; wrong password: AUTH_FAILURE', () => {
    assert.equal(reason(run({ ...v2adv, authType: 7 }, v2cfg)), VRRP_RX.AUTH_INVALID_TYPE);
    assert.equal(reason(run({ ...v2adv, authType: 0 }, v2cfg)), VRRP_RX.AUTH_TYPE_MISMATCH);
    assert.equal(reason(run({ ...v2adv, authData: pass('secreT') }, v2cfg)), VRRP_RX.AUTH_FAILURE);
  });

  it('v2 interval 2 against our 1: INTERVAL; v3 accepts and notes it', () => {
    assert.equal(reason(run({ ...v2adv, interval: 2 }, v2cfg)), VRRP_RX.INTERVAL);
    const r = run({ ...v3adv, interval: 50 }, v3cfg);
    assert.ok(r.ok);
    assert.deepEqual(r.notes, [VRRP_RX_NOTE.INTERVAL_V3]);
  });

  it('type 2: TYPE', () => {
    assert.equal(reason(run({ ...v2adv, type: 2 }, v2cfg)), VRRP_RX.TYPE);
  });

  it('one flipped bit: CHECKSUM (v2, v3), and a v3 checksum made for another destination', () => {
    const flip = (b: Uint8Array) => {
      const c = Uint8Array.from(b);
      c[2] = c[2]! ^ 1;
      return c;
    };
    assert.equal(reason(run(v2adv, v2cfg, {}, flip)), VRRP_RX.CHECKSUM);
    assert.equal(reason(run(v3adv, v3cfg, {}, flip)), VRRP_RX.CHECKSUM);
    const bytes = buildVrrpAdvert(v3adv, { af: 4, src: '10.0.0.2', dst: '10.0.0.3' });
    const uni = { ...v3cfg, unicast: true, unicastPeers: [{ addr: '10.0.0.2' }] };
    const r = checkAdvert({ ...mcast, dst: '10.0.0.1' }, bytes, 0, bytes.length, uni);
    assert.equal(r.ok ? '' : r.reason, VRRP_RX.CHECKSUM);
  });

  it('v3_checksum_as_v2 verifies a checksum without pseudo-header', () => {
    const bytes = buildVrrpAdvert(v3adv, { af: 4, src: '1.1.1.1', dst: '224.0.0.18', asV2: true });
    const r = checkAdvert(mcast, bytes, 0, bytes.length, { ...v3cfg, v3ChecksumAsV2: true });
    assert.ok(r.ok);
  });

  it('unicast advert to a multicast instance and the reverse: UNICAST_MULTICAST', () => {
    assert.equal(reason(run(v2adv, v2cfg, { dst: '10.0.0.1' })), VRRP_RX.UNICAST_MULTICAST);
    const uni = { ...v2cfg, unicast: true, unicastPeers: [{ addr: '10.0.0.2' }] };
    assert.equal(reason(run(v2adv, uni)), VRRP_RX.UNICAST_MULTICAST);
  });

  it('owner_ignore_adverts as owner: OWNER_IGNORE', () => {
    const cfg = { ...v2cfg, ownerIgnoreAdverts: true };
    assert.equal(reason(run(v2adv, cfg, { effectivePriority: 255 })), VRRP_RX.OWNER_IGNORE);
    assert.equal(reason(run(v2adv, cfg)), 'accepted');
  });

  it('a different address count is ADDR_COUNT, a missing VIP is VIP_MISSING (keepalived 2.2.7 drops both)', () => {
    const two = { ...v2adv, addrs: ['192.168.200.16', '192.168.200.17'] };
    assert.equal(reason(run(two, v2cfg)), VRRP_RX.ADDR_COUNT);
    assert.equal(reason(run({ ...v2adv, addrs: ['192.168.200.99'] }, v2cfg)), VRRP_RX.VIP_MISSING);
    // skip_check_adv_addr with an advert from the current master: no address checks.
    assert.equal(reason(run(two, v2cfg, { checkVips: false })), 'accepted');
  });

  it('the address count is checked before the checksum', () => {
    const two = { ...v2adv, addrs: ['192.168.200.16', '192.168.200.17'] };
    const flip = (b: Uint8Array) => {
      const c = Uint8Array.from(b);
      c[2] = c[2]! ^ 1;
      return c;
    };
    assert.equal(reason(run(two, v2cfg, {}, flip)), VRRP_RX.ADDR_COUNT);
  });

  it('check_unicast_src: a source not in unicast_peer is UNICAST_SRC, a TTL outside min/max is UNICAST_TTL', () => {
    const uni: VrrpRxConfig = {
      ...v2cfg,
      unicast: true,
      checkUnicastSrc: true,
      unicastPeers: [{ addr: '10.0.0.3', minTtl: 250, maxTtl: 255 }],
    };
    assert.equal(reason(run(v2adv, uni, { dst: '10.0.0.1' })), VRRP_RX.UNICAST_SRC);
    assert.equal(reason(run(v2adv, uni, { dst: '10.0.0.1', src: '10.0.0.3', ttl: 64 })), VRRP_RX.UNICAST_TTL);
    assert.equal(reason(run(v2adv, uni, { dst: '10.0.0.1', src: '10.0.0.3' })), 'accepted');
  });

  it('IPv6 v3 with hop limit 255 to ff02::12 is accepted, hop limit 1 is TTL', () => {
    const cfg6: VrrpRxConfig = { ...v3cfg, af: 6, vips: ['fe80::10'] };
    const f6 = { src: 'fe80::2', dst: 'ff02::12', ipHeaderLen: 0 };
    const adv6 = { ...v3adv, addrs: ['fe80::10'] };
    assert.equal(reason(run(adv6, cfg6, f6)), 'accepted');
    assert.equal(reason(run(adv6, cfg6, { ...f6, ttl: 1 })), VRRP_RX.TTL);
  });

  it('never throws on arbitrary bytes, and accepts only what it can decode', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.constantFrom(v2cfg, v3cfg),
        fc.integer({ min: -1, max: 255 }),
        (bytes, cfg, ttl) => {
          const r = checkAdvert({ ...mcast, ttl }, bytes, 0, bytes.length, cfg);
          if (r.ok) assert.equal(r.advert.vrid, cfg.vrid);
        },
      ),
    );
  });

  it('ff::1 is not multicast: its first byte is 0x00', () => {
    const cfg6: VrrpRxConfig = {
      ...v3cfg,
      af: 6,
      vips: ['fe80::10'],
      unicast: true,
      unicastPeers: [{ addr: 'fe80::2' }],
    };
    const adv6 = { ...v3adv, addrs: ['fe80::10'] };
    assert.equal(reason(run(adv6, cfg6, { src: 'fe80::2', dst: 'ff::1', ipHeaderLen: 0 })), 'accepted');
  });

  it('a v3 unicast advert with the old multicast-destination checksum is accepted and noted, unless never', () => {
    const uni = { ...v3cfg, unicast: true, unicastPeers: [{ addr: '10.0.0.2' }] };
    const bytes = buildVrrpAdvert(v3adv, { af: 4, src: '10.0.0.2', dst: '224.0.0.18' });
    const facts = { ...mcast, dst: '10.0.0.1' };
    const r = checkAdvert(facts, bytes, 0, bytes.length, uni);
    assert.ok(r.ok);
    assert.deepEqual(r.notes, [VRRP_RX_NOTE.OLD_UNICAST_CHECKSUM]);
    const never = checkAdvert(facts, bytes, 0, bytes.length, { ...uni, oldUnicastChecksum: false });
    assert.equal(never.ok ? '' : never.reason, VRRP_RX.CHECKSUM);
  });
});
