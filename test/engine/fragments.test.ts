import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fillIPv4Checksum, IPPROTO, verifyL4Checksum } from '../../src/packet/checksum.js';
import { fromClient, fromRs } from '../forward/fixtures.js';
import { CLIENT, GW_MAC, LIP, lab, RS1, RS1_MAC, RS2_MAC, run, VIP } from './lab.js';

/** Splits an Ethernet/IPv4 frame's IP payload at byte `at` (a multiple of 8) into two fragments. */
function fragment(frame: Buffer, at: number, id = 0x4242): Buffer[] {
  const hl = (frame[14]! & 15) * 4;
  const payload = frame.subarray(14 + hl, 14 + frame.readUInt16BE(16));
  const parts: [Buffer, number, boolean][] = [
    [payload.subarray(0, at), 0, true],
    [payload.subarray(at), at, false],
  ];
  return parts.map(([p, off, mf]) => {
    const f = Buffer.concat([frame.subarray(0, 14 + hl), p]);
    f.writeUInt16BE(hl + p.length, 16);
    f.writeUInt16BE(id, 18);
    f.writeUInt16BE((mf ? 0x2000 : 0) | (off >>> 3), 20);
    fillIPv4Checksum(f, 14);
    return f;
  });
}

/** The datagram the fragments carry, rebuilt as one IPv4 packet (header of the first). */
function reassemble(frags: Buffer[]): Buffer {
  const l3 = (f: Buffer) => (f.readUInt16BE(12) === 0x0800 ? 14 : -1);
  const first = frags[0]!;
  const o = l3(first);
  const hl = (first[o]! & 15) * 4;
  const pieces = frags
    .map((f) => ({
      off: (f.readUInt16BE(o + 6) & 0x1fff) * 8,
      data: f.subarray(o + hl, o + f.readUInt16BE(o + 2)),
    }))
    .sort((a, b) => a.off - b.off);
  const ip = Buffer.from(first.subarray(o, o + hl));
  const body = Buffer.concat(pieces.map((p) => p.data));
  ip.writeUInt16BE(hl + body.length, 2);
  ip.writeUInt16BE(0, 6);
  fillIPv4Checksum(ip, 0);
  return Buffer.concat([ip, body]);
}

const l4Of = (ipPacket: Buffer) => ipPacket.subarray((ipPacket[0]! & 15) * 4);
const l4OfFrame = (frame: Buffer) => l4Of(frame.subarray(14, 14 + frame.readUInt16BE(16)));

describe('IPv4 fragments', () => {
  it('NAT: both fragments of a UDP request reach the real server; reassembled, the datagram is the one an unfragmented request becomes', () => {
    const req = fromClient()
      .ipv4({ src: CLIENT, dst: VIP })
      .udp({ sport: 5000, dport: 53 })
      .payload(100)
      .build();
    const whole = run(lab(), req);
    const sim = lab();
    const out = fragment(req, 48).flatMap((f) => run(sim, f).tx);
    assert.equal(out.length, 2);
    for (const f of out) {
      assert.equal(f.subarray(0, 6).toString('hex'), RS1_MAC.replaceAll(':', ''));
      assert.equal([...f.subarray(30, 34)].join('.'), RS1);
    }
    const d = reassemble(out);
    assert.deepEqual(l4Of(d), l4OfFrame(whole.tx[0]!));
    assert.ok(verifyL4Checksum(d, 0, 20, d.length, IPPROTO.UDP));
    // Counted as the kernel counts the reassembled datagram: one packet, all of its bytes.
    const st = sim.director.stats;
    assert.deepEqual([st.inpkts, st.inbytes], [1, req.length - 14]);
  });

  it('NAT: the fragments of a real server reply leave from VIP:vport', () => {
    const sim = lab();
    run(
      sim,
      fromClient().ipv4({ src: CLIENT, dst: VIP }).udp({ sport: 5000, dport: 53 }).payload(10).build(),
    );
    const reply = fromRs(RS1_MAC)
      .ipv4({ src: RS1, dst: CLIENT })
      .udp({ sport: 5353, dport: 5000 })
      .payload(900)
      .build();
    const whole = (() => {
      const s = lab();
      run(
        s,
        fromClient().ipv4({ src: CLIENT, dst: VIP }).udp({ sport: 5000, dport: 53 }).payload(10).build(),
      );
      return run(s, reply).tx[0]!;
    })();
    const out = fragment(reply, 512).flatMap((f) => run(sim, f).tx);
    assert.equal(out.length, 2);
    for (const f of out) {
      assert.equal(f.subarray(0, 6).toString('hex'), GW_MAC.replaceAll(':', ''));
      assert.equal([...f.subarray(26, 30)].join('.'), VIP);
    }
    const d = reassemble(out);
    assert.deepEqual(l4Of(d), l4OfFrame(whole));
    assert.ok(verifyL4Checksum(d, 0, 20, d.length, IPPROTO.UDP));
  });

  it('DR and TUN: each fragment of a TCP segment goes to the conn real server (MAC rewrite, or its own IPIP packet)', () => {
    for (const [port, proto] of [
      [81, IPPROTO.TCP],
      [82, IPPROTO.IPIP],
    ] as const) {
      const sim = lab();
      run(
        sim,
        fromClient().ipv4({ src: CLIENT, dst: VIP }).tcp({ sport: 7000, dport: port, flags: 'S' }).build(),
      );
      const seg = fromClient()
        .ipv4({ src: CLIENT, dst: VIP })
        .tcp({ sport: 7000, dport: port, flags: 'PA', seq: 1 })
        .payload(600)
        .build();
      const out = fragment(seg, 304).flatMap((f) => run(sim, f).tx);
      assert.equal(out.length, 2, `port ${port}`);
      for (const f of out) {
        assert.equal(f.subarray(0, 6).toString('hex'), RS1_MAC.replaceAll(':', ''));
        assert.equal(f[23], proto);
      }
    }
  });

  it('FULLNAT: fragments are translated to LIP → RIP and carry no TOA (the first would grow)', () => {
    const sim = lab();
    run(
      sim,
      fromClient().ipv4({ src: CLIENT, dst: VIP }).tcp({ sport: 7100, dport: 85, flags: 'S' }).build(),
    );
    const seg = fromClient()
      .ipv4({ src: CLIENT, dst: VIP })
      .tcp({ sport: 7100, dport: 85, flags: 'PA', seq: 1 })
      .payload(600)
      .build();
    const frags = fragment(seg, 304);
    const out = frags.flatMap((f) => run(sim, f).tx);
    assert.equal(out.length, 2);
    out.forEach((f, i) => {
      assert.equal(f.subarray(0, 6).toString('hex'), RS2_MAC.replaceAll(':', ''));
      assert.equal([...f.subarray(26, 30)].join('.'), LIP);
      assert.equal(f.length, frags[i]!.length, 'same length: no option inserted');
    });
    const d = reassemble(out);
    assert.ok(verifyL4Checksum(d, 0, 20, d.length, IPPROTO.TCP));
  });

  it('a later fragment whose first was never seen is dropped and counted', () => {
    const req = fromClient()
      .ipv4({ src: CLIENT, dst: VIP })
      .udp({ sport: 5001, dport: 53 })
      .payload(100)
      .build();
    const r = run(lab(), fragment(req, 48)[1]!);
    assert.deepEqual(r.tx, []);
    assert.deepEqual(r.drops, ['fragment']);
  });

  it('a fragment of another datagram (other IP ID) does not ride on a remembered one', () => {
    const sim = lab();
    const req = fromClient()
      .ipv4({ src: CLIENT, dst: VIP })
      .udp({ sport: 5002, dport: 53 })
      .payload(100)
      .build();
    run(sim, fragment(req, 48, 1)[0]!);
    assert.deepEqual(run(sim, fragment(req, 48, 2)[1]!).drops, ['fragment']);
    assert.equal(run(sim, fragment(req, 48, 1)[1]!).tx.length, 1);
  });
});
