/**
 * VrrpSocketTransport over a fake binding (no root): endpoint validation, the open flags and
 * source handed to the addon, a failed open naming its step, records parsed into datagrams,
 * send errors reported through onError, sourceFor's choice of address, and close.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { interfaceSource } from '../../src/io/vrrp/interface-source.js';
import {
  VRRP_ADDON_ABI,
  VRRP_OPEN_AH,
  VRRP_OPEN_MULTICAST,
  VRRP_RECORD_BYTES,
  VRRP_RECORD_HEAD,
  type VrrpBinding,
} from '../../src/io/vrrp/vrrp-binding.js';
import { VrrpSocketTransport } from '../../src/io/vrrp/vrrp-socket.js';
import { VrrpSystemError } from '../../src/io/vrrp/vrrp-socket-error.js';
import type { VrrpDatagram, VrrpEndpoint } from '../../src/vrrp/vrrp-transport.js';

const EPERM = -1;
const ENETDOWN = -100;

function fakeBinding(openResult = 0, failedStep = 0) {
  const opens: { family: number; ifname: string; src: number[]; flags: number }[] = [];
  const sent: { vrrp: number[]; dst: number[] }[] = [];
  let closes = 0;
  let out: Uint8Array = new Uint8Array(0);
  let cb: (n: number, e: number) => void = () => {};
  let sendResult = 0;
  const binding: VrrpBinding = {
    vrrpAbiVersion: VRRP_ADDON_ABI,
    vrrpRecordBytes: VRRP_RECORD_BYTES,
    vrrpCreateHandle: () => ({}),
    vrrpOpen: (_h, family, ifname, src, flags) => {
      opens.push({ family, ifname, src: [...src], flags });
      return openResult;
    },
    vrrpFailedStep: () => failedStep,
    vrrpIfindex: () => 7,
    vrrpSend: (_h, vrrp, dst) => {
      sent.push({ vrrp: [...vrrp], dst: [...dst] });
      return sendResult;
    },
    vrrpReadStart: (_h, o, c) => {
      out = o;
      cb = c;
      return 0;
    },
    vrrpClose: () => {
      closes++;
      return 0;
    },
  };
  /** Writes one record as read_one() in vrrp_socket.c lays it out. */
  const record = (
    i: number,
    r: { af: 4 | 6; src: number[]; dst: number[]; ttl: number; data: number[]; ihl: number },
  ) => {
    const o = i * VRRP_RECORD_BYTES;
    const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
    out.fill(0, o, o + VRRP_RECORD_HEAD);
    out[o] = r.af;
    out[o + 1] = r.ihl;
    dv.setInt16(o + 2, r.ttl, true);
    dv.setUint32(o + 4, 7, true);
    dv.setUint32(o + 8, r.data.length, true);
    out.set(r.src, o + 16);
    out.set(r.dst, o + 32);
    out.set(r.data, o + VRRP_RECORD_HEAD);
  };
  return {
    binding,
    opens,
    sent,
    record,
    deliver: (n: number, err = 0) => cb(n, err),
    setSendResult: (r: number) => (sendResult = r),
    closes: () => closes,
  };
}

const ep4: VrrpEndpoint = { af: 4, ifname: 'eth0', unicastPeers: [] };
const addrs = [
  { address: '198.51.100.1', family: 'IPv4' as const },
  { address: '198.51.100.9', family: 'IPv4' as const },
  { address: 'fe80::1', family: 'IPv6' as const },
  { address: '2001:db8:1::1', family: 'IPv6' as const },
];

function transport(f: ReturnType<typeof fakeBinding>) {
  return new VrrpSocketTransport({ binding: f.binding, interfaceAddrs: () => addrs });
}

describe('VrrpSocketTransport over a fake binding', () => {
  it('opens a multicast socket without peers and a unicast one bound to its source with them', () => {
    const f = fakeBinding();
    const t = transport(f);
    const a = t.open(
      ep4,
      () => {},
      () => {},
    );
    const b = t.open(
      { af: 6, ifname: 'eth1', unicastPeers: ['2001:db8:1::2'], srcAddr: '2001:DB8:1::1' },
      () => {},
      () => {},
    );
    assert.deepEqual(f.opens[0], { family: 4, ifname: 'eth0', src: [], flags: VRRP_OPEN_MULTICAST });
    assert.equal(f.opens[1]?.flags, 0);
    assert.deepEqual(f.opens[1]?.src, [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    assert.equal(a.ifindex, 7);
    assert.equal(b.sourceFor('2001:db8:1::2'), '2001:db8:1::1');
  });

  it('rejects endpoints that cannot be opened with stable codes', () => {
    const t = transport(fakeBinding());
    const bad: [unknown, string][] = [
      [{ ...ep4, af: 5 }, 'ERR_INVALID_ARG_VALUE'],
      [{ ...ep4, ifname: '' }, 'ERR_INVALID_ARG_VALUE'],
      [{ ...ep4, ifname: 'a-very-long-name0' }, 'ERR_INVALID_ARG_VALUE'],
      [{ ...ep4, unicastPeers: ['2001:db8::1'] }, 'ERR_INVALID_ARG_VALUE'],
      [{ ...ep4, srcAddr: 'eth0' }, 'ERR_INVALID_ARG_VALUE'],
      [{ ...ep4, unicastPeers: 'x' }, 'ERR_INVALID_ARG_TYPE'],
      [null, 'ERR_INVALID_ARG_TYPE'],
    ];
    for (const [ep, code] of bad)
      assert.throws(
        () =>
          t.open(
            ep as VrrpEndpoint,
            () => {},
            () => {},
          ),
        { code },
        JSON.stringify(ep),
      );
  });

  it('names the failed step and errno when the addon cannot open the socket, and frees the handle', () => {
    const f = fakeBinding(EPERM, 1);
    assert.throws(
      () =>
        transport(f).open(
          ep4,
          () => {},
          () => {},
        ),
      (e: unknown) => e instanceof VrrpSystemError && e.code === 'EPERM' && e.syscall === 'socket',
    );
    assert.equal(f.closes(), 1);
  });

  it('turns received records into datagrams with addresses, TTL, ifindex and header length', () => {
    const f = fakeBinding();
    const got: VrrpDatagram[] = [];
    transport(f).open(ep4, (d) => got.push(d), assert.fail);
    const ip = [0x45, 0, 0, 28, 0, 0, 0, 0, 255, 112, 0, 0, 198, 51, 100, 2, 224, 0, 0, 18];
    f.record(0, {
      af: 4,
      src: [198, 51, 100, 2],
      dst: [224, 0, 0, 18],
      ttl: 255,
      ihl: 20,
      data: [...ip, 0x21, 51, 0, 0],
    });
    f.record(1, {
      af: 4,
      src: [198, 51, 100, 3],
      dst: [198, 51, 100, 1],
      ttl: 64,
      ihl: 20,
      data: [...ip, 0x31],
    });
    f.deliver(2);
    assert.equal(got.length, 2);
    assert.deepEqual(
      { ...got[0]!, data: [...got[0]!.data] },
      {
        af: 4,
        src: '198.51.100.2',
        dst: '224.0.0.18',
        ttl: 255,
        ifindex: 7,
        ipHeaderLen: 20,
        data: [...ip, 0x21, 51, 0, 0],
      },
    );
    assert.equal(got[1]?.dst, '198.51.100.1');
    assert.equal(got[1]?.ttl, 64);
    // The datagram is a copy: the records buffer is reused by the next batch.
    f.record(0, {
      af: 4,
      src: [0, 0, 0, 0],
      dst: [0, 0, 0, 0],
      ttl: 0,
      ihl: 20,
      data: new Array(24).fill(0),
    });
    assert.equal(got[0]?.data[20], 0x21);
  });

  it('reports IPv6 records with hop limit, and a poll error through onError', () => {
    const f = fakeBinding();
    const got: VrrpDatagram[] = [];
    const errors: Error[] = [];
    transport(f).open(
      { af: 6, ifname: 'eth0', unicastPeers: [] },
      (d) => got.push(d),
      (e) => errors.push(e),
    );
    const ll = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
    const grp = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12];
    f.record(0, { af: 6, src: ll, dst: grp, ttl: 255, ihl: 0, data: [0x31, 9, 100, 0, 0, 100, 0, 0] });
    f.deliver(1);
    f.deliver(0, ENETDOWN);
    assert.deepEqual(
      got.map((d) => [d.src, d.dst, d.ttl, d.ipHeaderLen, d.data.length]),
      [['fe80::2', 'ff02::12', 255, 0, 8]],
    );
    assert.equal((errors[0] as VrrpSystemError).code, 'ENETDOWN');
  });

  it('sends to the destination bytes, reports a failed send to onError and throws on a bad destination', () => {
    const f = fakeBinding();
    const errors: Error[] = [];
    const ch = transport(f).open(
      ep4,
      () => {},
      (e) => errors.push(e),
    );
    ch.send(new Uint8Array([0x21, 1]), '224.0.0.18');
    assert.deepEqual(f.sent[0], { vrrp: [0x21, 1], dst: [224, 0, 0, 18] });
    f.setSendResult(ENETDOWN);
    ch.send(new Uint8Array([0x21, 1]), '198.51.100.2');
    assert.equal(errors.length, 1);
    assert.equal((errors[0] as VrrpSystemError).syscall, 'sendmsg');
    assert.throws(() => ch.send(new Uint8Array(8), 'ff02::12'), { code: 'ERR_INVALID_ARG_VALUE' });
    ch.close();
    ch.close();
    ch.send(new Uint8Array(8), '224.0.0.18');
    assert.equal(f.sent.length, 2);
    assert.equal(f.closes(), 1);
    assert.equal(ch.closed, true);
  });

  it('answers sourceFor with the configured source, else the primary IPv4 or the link-local IPv6', () => {
    const f = fakeBinding();
    const t = transport(f);
    assert.equal(
      t
        .open(
          ep4,
          () => {},
          () => {},
        )
        .sourceFor('224.0.0.18'),
      '198.51.100.1',
    );
    assert.equal(
      t
        .open(
          { ...ep4, srcAddr: '198.51.100.9' },
          () => {},
          () => {},
        )
        .sourceFor('224.0.0.18'),
      '198.51.100.9',
    );
    const v6 = t.open(
      { af: 6, ifname: 'eth0', unicastPeers: [] },
      () => {},
      () => {},
    );
    assert.equal(v6.sourceFor('ff02::12'), 'fe80::1');
    assert.equal(v6.sourceFor('fe80::2'), 'fe80::1');
    assert.equal(v6.sourceFor('2001:db8:1::2'), '2001:db8:1::1');
    assert.equal(interfaceSource([], 4, '224.0.0.18'), undefined);
    assert.equal(interfaceSource([{ address: 'fe80::1', family: 'IPv6' }], 6, '2001:db8::2'), 'fe80::1');
  });

  it('an AH endpoint opens with VRRP_OPEN_AH and sends whole IP packets only; IPv6 refuses AH', () => {
    const f = fakeBinding();
    const t = transport(f);
    const ch = t.open(
      { ...ep4, ah: true },
      () => {},
      () => {},
    );
    assert.equal(f.opens[0]?.flags, VRRP_OPEN_MULTICAST | VRRP_OPEN_AH);
    ch.sendIp?.(Uint8Array.of(0x45, 0, 0, 20), '224.0.0.18');
    assert.deepEqual(f.sent, [{ vrrp: [0x45, 0, 0, 20], dst: [224, 0, 0, 18] }]);
    assert.throws(() => ch.send(new Uint8Array(8), '224.0.0.18'), { code: 'ERR_INVALID_ARG_VALUE' });
    const plain = t.open(
      ep4,
      () => {},
      () => {},
    );
    assert.throws(() => plain.sendIp?.(new Uint8Array(20), '224.0.0.18'), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(
      () =>
        t.open(
          { af: 6, ifname: 'eth0', unicastPeers: [], ah: true },
          () => {},
          () => {},
        ),
      { code: 'ERR_INVALID_ARG_VALUE' },
    );
  });
});
