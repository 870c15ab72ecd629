import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  clampTcpMss,
  decodeTcp,
  decodeTcpOptions,
  decodeToa,
  Flow,
  findTcpOption,
  mssOption,
  parseFlow,
  readToa4Addr,
  TCPOPT,
  tcpMss,
  tcpOptionsBytes,
  toaOption,
  verifyL4Checksum,
  writeToa4,
} from '../../src/packet/index.js';
import { pkt } from '../helpers/packet-builder.js';

const SYN = (options: Parameters<typeof tcpOptionsBytes>[0]) =>
  pkt()
    .eth()
    .ipv4({ src: '192.0.2.1', dst: '198.51.100.1' })
    .tcp({ sport: 40000, dport: 80, flags: 'S', options })
    .build();

describe('TCP options', () => {
  it('finds MSS among NOP, window-scale and SACK-permitted options', () => {
    const b = SYN([
      { kind: TCPOPT.NOP, data: new Uint8Array(0) },
      { kind: TCPOPT.WSCALE, data: new Uint8Array([7]) },
      mssOption(1460),
      { kind: TCPOPT.SACK_PERM, data: new Uint8Array(0) },
    ]);
    assert.equal(tcpMss(b, 34), 1460);
    assert.equal(findTcpOption(b, 34, TCPOPT.TIMESTAMP), -1);
  });

  it('option lists decode to what was encoded (EOL padding included)', () => {
    const opts = [
      mssOption(1400),
      { kind: TCPOPT.NOP, data: new Uint8Array(0) },
      toaOption(1234, new Uint8Array([192, 0, 2, 1])),
    ];
    const raw = tcpOptionsBytes(opts);
    assert.equal(raw.length % 4, 0);
    const back = decodeTcpOptions(raw, 0, raw.length);
    assert.deepEqual(back.slice(0, 3), opts);
    assert.equal(back[3]?.kind, TCPOPT.EOL);
  });

  it('a malformed option length stops the lookup instead of running off the header', () => {
    const b = SYN([mssOption(1460)]);
    b[34 + 21] = 0; // MSS option length 0
    assert.equal(tcpMss(b, 34), -1);
    assert.throws(() => decodeTcpOptions(b, 54, 58), { code: 'ERR_PACKET_BAD_OPTION' });
  });

  it('clamps MSS down (never up) with a still-valid checksum, at either word alignment', () => {
    for (const lead of [[], [{ kind: TCPOPT.NOP, data: new Uint8Array(0) }]]) {
      const b = SYN([...lead, mssOption(1460)]);
      const f = new Flow();
      parseFlow(b, b.length, f);
      assert.equal(clampTcpMss(b, f.l4Off, 1500), false);
      assert.equal(clampTcpMss(b, f.l4Off, 1380), true);
      assert.equal(tcpMss(b, f.l4Off), 1380);
      assert.ok(verifyL4Checksum(b, f.l3Off, f.l4Off, f.ipEnd, f.proto));
    }
  });

  it('clamping keeps the checksum valid for any MSS values (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.boolean(),
        (from, to, nop) => {
          const b = SYN([...(nop ? [{ kind: TCPOPT.NOP, data: new Uint8Array(0) }] : []), mssOption(from)]);
          clampTcpMss(b, 34, to);
          assert.equal(tcpMss(b, 34), Math.min(from, to));
          assert.ok(verifyL4Checksum(b, 14, 34, b.length, 6));
        },
      ),
    );
  });
});

describe('TOA (TCP option 254)', () => {
  it('encodes the IPv4 form as DPVS does: kind 254, length 8, port, address', () => {
    const b = SYN([toaOption(0x1f90, new Uint8Array([203, 0, 113, 7]))]);
    const at = findTcpOption(b, 34, TCPOPT.TOA);
    assert.equal(at, 54);
    assert.deepEqual([...b.subarray(at, at + 8)], [254, 8, 0x1f, 0x90, 203, 0, 113, 7]);
    assert.deepEqual(decodeToa(b, at), { port: 0x1f90, addr: new Uint8Array([203, 0, 113, 7]) });
    assert.equal(readToa4Addr(b, at), 0xcb007107);
    assert.equal(decodeTcp(b, 34).options.length, 8);
  });

  it('encodes the IPv6 form with length 20', () => {
    const addr = new Uint8Array(16).fill(0x20);
    const raw = tcpOptionsBytes([toaOption(443, addr)]);
    assert.deepEqual([raw[0], raw[1], raw[2], raw[3]], [254, 20, 1, 187]);
    assert.deepEqual(decodeToa(raw, 0), { port: 443, addr });
  });

  it('writeToa4 writes the same bytes as the list encoder without allocating', () => {
    const a = new Uint8Array(8);
    writeToa4(a, 0, 8080, 0xc0000201);
    assert.deepEqual(a, tcpOptionsBytes([toaOption(8080, new Uint8Array([192, 0, 2, 1]))]));
  });
});
