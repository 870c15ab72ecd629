import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AH_LEN, AH_RX, ahIcv, ahKey, buildAhPacket, checkAh, decodeAh } from '../../src/vrrp/vrrp-ah.js';
import { AhSequence } from '../../src/vrrp/vrrp-ah-seq.js';
import { VrrpError } from '../../src/vrrp/vrrp-error.js';
import { buildVrrpAdvert, VRRP_AUTH } from '../../src/vrrp/vrrp-packet.js';
import { checkAdvert, VRRP_RX, type VrrpRxConfig } from '../../src/vrrp/vrrp-receive.js';

/**
 * Three adverts Debian's keepalived 2.2.7 sent (captured with tshark on a veth in a namespace):
 * VRID 51, priority 150, advert_int 1, VIPs 192.0.2.100 and .101, `auth_type AH`,
 * `auth_pass secret1`, from 192.0.2.1 to 224.0.0.18. IP header as on the wire, checksum included.
 */
const GOLDEN = [
  '45c000440001' + '0000ff3318b2c0000201e0000012' + '70040000c000020100000001' + '3d44c5da9b4edd3063a55a57',
  '45c000440002' +
    '0000ff3318b1c0000201e0000012' +
    '70040000c000020100000002' +
    '409754164781' +
    '85ecf67e2287',
  '45c000440003' + '0000ff3318b0c0000201e0000012' + '70040000c000020100000003' + '6f764cc2398753085bc2c4e0',
].map((h) => Buffer.from(`${h}213396020201c1fec0000264c00002650000000000000000`, 'hex'));
const KEY = ahKey('secret1');
const FIELDS = {
  version: 2 as const,
  type: 1,
  vrid: 51,
  priority: 150,
  interval: 1,
  addrs: ['192.0.2.100', '192.0.2.101'],
  authType: VRRP_AUTH.AH,
  authData: new Uint8Array(8),
};
const vrrp = () => buildVrrpAdvert(FIELDS, { af: 4, src: '192.0.2.1', dst: '224.0.0.18' });

describe('VRRPv2 IPsec AH, byte for byte with keepalived 2.2.7', () => {
  it("reproduces the ICV of keepalived's captured adverts", () => {
    for (const p of GOLDEN) assert.deepEqual(ahIcv(p, 20, false, KEY), Uint8Array.from(p.subarray(32, 44)));
  });

  it('builds the same packets from the same fields (IP checksum 0: the kernel fills it)', () => {
    GOLDEN.forEach((p, i) => {
      const ours = buildAhPacket(
        { src: '192.0.2.1', dst: '224.0.0.18', ttl: 255, id: i + 1, seq: i + 1, unicast: false },
        vrrp(),
        KEY,
      );
      const want = Buffer.from(p);
      want[10] = 0;
      want[11] = 0;
      assert.deepEqual(Buffer.from(ours), want);
    });
  });

  it('accepts each advert above the counter, and rejects a replay, a wrong password, a foreign SPI', () => {
    const end = GOLDEN[0]!.length;
    assert.deepEqual(checkAh(GOLDEN[0]!, 20, end, false, KEY, 0), { ok: true, seq: 1 });
    assert.deepEqual(checkAh(GOLDEN[0]!, 20, end, false, KEY, 1), { ok: false, reason: AH_RX.REPLAY });
    assert.deepEqual(checkAh(GOLDEN[0]!, 20, end, false, ahKey('secret2'), 0), {
      ok: false,
      reason: AH_RX.ICV,
    });
    // Eight characters are the whole key: a ninth is ignored, as keepalived truncates auth_pass.
    assert.deepEqual(ahKey('secret1x'), ahKey('secret1xy'));
    const spi = Buffer.from(GOLDEN[0]!);
    spi[27] = 9; // SPI 192.0.2.9 and a matching ICV: only the SPI check can refuse it
    spi.set(ahIcv(spi, 20, false, KEY), 32);
    assert.deepEqual(checkAh(spi, 20, end, false, KEY, 0), { ok: false, reason: AH_RX.SPI });
    const other = Buffer.from(GOLDEN[0]!);
    other[20] = 6;
    assert.deepEqual(checkAh(other, 20, end, false, KEY, 0), { ok: false, reason: AH_RX.NEXT_HEADER });
  });

  it('leaves TOS, fragment field and checksum out of the ICV, and TTL only when unicast', () => {
    const p = Buffer.from(GOLDEN[1]!);
    [p[1], p[6], p[7], p[10], p[11]] = [0, 0x40, 0, 0x12, 0x34];
    assert.deepEqual(ahIcv(p, 20, false, KEY), Uint8Array.from(GOLDEN[1]!.subarray(32, 44)));
    p[8] = 64;
    assert.notDeepEqual(ahIcv(p, 20, false, KEY), ahIcv(GOLDEN[1]!, 20, false, KEY));
    assert.deepEqual(ahIcv(p, 20, true, KEY), ahIcv(GOLDEN[1]!, 20, true, KEY));
  });

  it('runs the AH checks inside the receive checks, after the auth type and before the interval', () => {
    const cfg: VrrpRxConfig = {
      vrid: 51,
      version: 2,
      af: 4,
      authType: VRRP_AUTH.AH,
      authData: new Uint8Array(8),
      interval: 2,
      vips: FIELDS.addrs,
      unicast: false,
      unicastPeers: [],
      checkUnicastSrc: false,
      v3ChecksumAsV2: false,
      ownerIgnoreAdverts: false,
      mcastGroup4: '224.0.0.18',
      oldUnicastChecksum: true,
    };
    const p = GOLDEN[2]!;
    const facts = (ah: () => string | undefined) => ({
      src: '192.0.2.1',
      dst: '224.0.0.18',
      ttl: 255,
      ipHeaderLen: 20 + AH_LEN,
      effectivePriority: 100,
      checkVips: true,
      ah: ah as () => undefined,
    });
    const off = 20 + AH_LEN;
    const len = p.length - off;
    // A failing AH check wins over the interval mismatch that follows it.
    assert.deepEqual(
      checkAdvert(
        facts(() => AH_RX.ICV),
        p,
        off,
        len,
        cfg,
      ),
      { ok: false, reason: VRRP_RX.AH_ICV },
    );
    assert.deepEqual(
      checkAdvert(
        facts(() => undefined),
        p,
        off,
        len,
        cfg,
      ),
      { ok: false, reason: VRRP_RX.INTERVAL },
    );
    const r = checkAdvert(
      facts(() => undefined),
      p,
      off,
      len,
      { ...cfg, interval: 1 },
    );
    assert.equal(r.ok, true);
    // A PASS instance hearing an AH advert: the auth types differ, the AH check never runs.
    let ran = false;
    const mark = () => {
      ran = true;
      return undefined;
    };
    const pass = checkAdvert(facts(mark), p, off, len, { ...cfg, authType: 1 });
    assert.deepEqual([pass, ran], [{ ok: false, reason: VRRP_RX.AUTH_TYPE_MISMATCH }, false]);
  });

  it('numbers adverts as keepalived: seq and IP ID from 1, one counter for sending and receiving', () => {
    const s = new AhSequence();
    assert.deepEqual(
      [s.nextSend(), s.nextSend()],
      [
        { seq: 1, id: 1 },
        { seq: 2, id: 2 },
      ],
    );
    s.accepted(40);
    assert.equal(s.nextSend().seq, 41);
    s.syncPast(100);
    assert.equal(s.nextSend().seq, 102);
    s.ipId = 0xffff;
    assert.equal(s.nextSend().id, 1);
    s.seq = 0xfffffffe;
    assert.equal(s.nextSend().seq, 0xfffffffe);
    assert.equal(s.cycle, true);
    s.becomeMaster();
    assert.equal(s.nextSend().seq, 1);
  });

  it('property: every packet it builds verifies, and any change to a covered byte breaks the ICV', () => {
    fc.assert(
      fc.property(
        fc.record({
          src: fc.tuple(fc.integer({ min: 1, max: 254 }), fc.integer({ min: 1, max: 254 })),
          id: fc.integer({ min: 1, max: 0xffff }),
          seq: fc.integer({ min: 1, max: 0xfffffffd }),
          unicast: fc.boolean(),
          pass: fc.string({ minLength: 1, maxLength: 8 }),
          flip: fc.nat(),
        }),
        (r) => {
          const key = ahKey(r.pass);
          const src = `198.51.${r.src[0]}.${r.src[1]}`;
          const dst = r.unicast ? '203.0.113.7' : '224.0.0.18';
          const v = buildVrrpAdvert(FIELDS, { af: 4, src, dst });
          const p = buildAhPacket({ src, dst, ttl: 255, id: r.id, seq: r.seq, unicast: r.unicast }, v, key);
          assert.deepEqual(checkAh(p, 20, p.length, r.unicast, key, r.seq - 1), { ok: true, seq: r.seq });
          assert.equal(decodeAh(p, 20).seq, r.seq);
          // Covered: everything but TOS (1), fragment field (6, 7), checksum (10, 11), TTL (8) when unicast.
          const free = new Set([1, 6, 7, 10, 11, ...(r.unicast ? [8] : [])]);
          const covered = [...p.keys()].filter((i) => !free.has(i) && (i < 32 || i >= 44));
          const at = covered[r.flip % covered.length]!;
          const q = Uint8Array.from(p);
          q[at] = q[at]! ^ 0x01;
          assert.notDeepEqual(ahIcv(q, 20, r.unicast, key), Uint8Array.from(p.subarray(32, 44)));
        },
      ),
    );
  });

  it('throws a VrrpError on truncated input and non-IPv4 addresses', () => {
    assert.throws(() => decodeAh(new Uint8Array(10), 0), VrrpError);
    assert.throws(() => ahIcv(new Uint8Array(30), 20, false, KEY), VrrpError);
    assert.throws(
      () =>
        buildAhPacket(
          { src: '2001:db8::1', dst: 'ff02::12', ttl: 255, id: 1, seq: 1, unicast: false },
          vrrp(),
          KEY,
        ),
      VrrpError,
    );
  });
});
