/**
 * The FTP helper (ip_vs_ftp) on the packet plane, NAT IPv4: packet-in / packet-out tables for
 * passive (PASV → 227 rewritten to the VIP, seq/ack adjusted, data conn client → VIP:port reaching
 * the real server) and active mode (PORT → the real server's connection from port 20 leaves as
 * VIP:20), EPSV, and the helper not loaded. Expected frames are built independently with full
 * checksums, so a byte match also proves the checksums.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CONN_F } from '../../src/core/conn-table.js';
import { TCP_S } from '../../src/core/proto/tcp.js';
import { verifyIPv4Checksum, verifyL4Checksum } from '../../src/packet/checksum.js';
import { applySyncEntry } from '../../src/sync/sync-backup.js';
import { decodeSyncMessage, encodeSyncMessage, syncMessageLength } from '../../src/sync/sync-codec.js';
import { connToSyncEntry } from '../../src/sync/sync-master.js';
import { flowOf, fromClient, fromRs, toClient, toRs } from '../forward/fixtures.js';
import { CLIENT, hex, LIP, lab, RS1, RS1_MAC, RS2, RS2_MAC, run, VIP } from './lab.js';

const RULES = `
-A -t ${VIP}:21 -s rr
-a -t ${VIP}:21 -r ${RS1}:21 -m -w 1
`;

function ftpLab(ports: number[] = [21]) {
  const sim = lab({ rules: RULES });
  sim.director.conns.app.setPorts(ports);
  return sim;
}

type Sim = ReturnType<typeof ftpLab>;

const C_ISN = 1000;
const S_ISN = 5000;

// Client → VIP:21 and what RS1:21 receives, and RS1:21 → client and what the client receives.
const cIn = (flags: string, seq: number, ack: number, data = '', sport = 40000, dport = 21) => {
  const b = fromClient().ipv4({ src: CLIENT, dst: VIP }).tcp({ sport, dport, flags, seq, ack });
  return (data ? b.payload(data) : b).build();
};
const cOut = (flags: string, seq: number, ack: number, data = '', sport = 40000, dport = 21) => {
  const b = toRs(RS1_MAC).ipv4({ src: CLIENT, dst: RS1, ttl: 63 }).tcp({ sport, dport, flags, seq, ack });
  return (data ? b.payload(data) : b).build();
};
const sIn = (flags: string, seq: number, ack: number, data = '', sport = 21, dport = 40000) => {
  const b = fromRs(RS1_MAC).ipv4({ src: RS1, dst: CLIENT }).tcp({ sport, dport, flags, seq, ack });
  return (data ? b.payload(data) : b).build();
};
const sOut = (flags: string, seq: number, ack: number, data = '', sport = 21, dport = 40000) => {
  const b = toClient().ipv4({ src: VIP, dst: CLIENT, ttl: 63 }).tcp({ sport, dport, flags, seq, ack });
  return (data ? b.payload(data) : b).build();
};

function step(sim: Sim, frame: Uint8Array, expect: Uint8Array, desc: string): void {
  const r = run(sim, frame);
  assert.deepEqual(r.drops, [], `${desc}: drops`);
  assert.deepEqual(r.tx.map(hex), [hex(expect)], `${desc}: frames out`);
}

// The control conn's handshake and the server's banner; returns the next client and server seqs.
function handshake(sim: Sim): { c: number; s: number } {
  step(sim, cIn('S', C_ISN, 0), cOut('S', C_ISN, 0), 'SYN');
  step(sim, sIn('SA', S_ISN, C_ISN + 1), sOut('SA', S_ISN, C_ISN + 1), 'SYN-ACK');
  step(sim, cIn('A', C_ISN + 1, S_ISN + 1), cOut('A', C_ISN + 1, S_ISN + 1), 'ACK');
  const banner = '220 ready\r\n';
  step(sim, sIn('PA', S_ISN + 1, C_ISN + 1, banner), sOut('PA', S_ISN + 1, C_ISN + 1, banner), 'banner');
  return { c: C_ISN + 1, s: S_ISN + 1 + banner.length };
}

function connOf(sim: Sim, vport: number): number {
  const t = sim.director.conns;
  for (let i = 0; i < t.limit; i++) if (t.kind(i) !== 0 && t.vport[i] === vport) return i;
  return -1;
}

describe('ftp helper, NAT IPv4, passive mode', () => {
  it('PASV → the 227 reply names VIP:port, later seqs move by the growth, acks move back, the data conn reaches RS1', () => {
    const sim = ftpLab();
    let { c, s } = handshake(sim);
    const ctl = connOf(sim, 21);
    assert.ok(sim.director.conns.flagsOf(ctl) & CONN_F.APP, 'the helper is bound to the control conn');
    step(sim, cIn('PA', c, s, 'PASV\r\n'), cOut('PA', c, s, 'PASV\r\n'), 'PASV passes unchanged');
    c += 6;
    // RS1's address (10 characters) becomes the VIP's (11): the reply grows by one byte.
    const reply = '227 Entering Passive Mode (192,0,2,10,195,80).\r\n';
    const rewritten = '227 Entering Passive Mode (192,0,2,100,195,80).\r\n';
    step(sim, sIn('PA', s, c, reply), sOut('PA', s, c, rewritten), '227 rewritten');
    s += reply.length;
    assert.ok(sim.director.conns.flagsOf(ctl) & CONN_F.OUT_SEQ, 'OUT_SEQ set');
    // The client acknowledges the rewritten reply (one byte more); RS1 must see its own numbers.
    step(sim, cIn('A', c, s + 1), cOut('A', c, s), 'ack moved back');
    const ok = '150 Here comes the file\r\n';
    step(sim, sIn('PA', s, c, ok), sOut('PA', s + 1, c, ok), 'later server seq moved on');
    // A retransmission of the 227 keeps its seq (previous_delta 0) and, the conn no longer armed,
    // goes out as the server sent it: ip_vs_ftp_out() rewrites only the first reply after a PASV.
    step(
      sim,
      sIn('PA', s - reply.length, c, reply),
      sOut('PA', s - reply.length, c, reply),
      'retransmitted 227',
    );
    step(sim, sIn('PA', s, c, ok), sOut('PA', s + 1, c, ok), 'delta counted once');

    // The expected data conn: client:0 → VIP:50000 → RS1:50000, LISTEN, controlled by the control conn.
    const conns = sim.director.conns;
    const d = connOf(sim, 50000);
    assert.ok(d >= 0);
    assert.deepEqual(
      [
        conns.cport[d],
        conns.dportOf(d),
        conns.stateOf(d),
        (conns.flagsOf(d) & CONN_F.NO_CPORT) !== 0,
        conns.ctl[d],
      ],
      [0, 50000, TCP_S.LISTEN, true, ctl],
    );
    assert.equal(conns.nControl(ctl), 1);
    // The client's data connection to VIP:50000 (no service there) reaches RS1:50000.
    step(sim, cIn('S', 7000, 0, '', 40001, 50000), cOut('S', 7000, 0, '', 40001, 50000), 'data SYN');
    assert.deepEqual([conns.cport[d], conns.flagsOf(d) & CONN_F.NO_CPORT], [40001, 0], 'client port filled');
    step(
      sim,
      sIn('SA', 9000, 7001, '', 50000, 40001),
      sOut('SA', 9000, 7001, '', 50000, 40001),
      'data SYN-ACK leaves as VIP:50000',
    );
    step(
      sim,
      sIn('PA', 9001, 7001, 'file bytes', 50000, 40001),
      sOut('PA', 9001, 7001, 'file bytes', 50000, 40001),
      'data',
    );
    assert.equal(sim.engine.ip.ftp.counters.passive, 1);
  });

  it('EPSV → the 229 reply keeps its length (|||port|), no seq change, the data conn is made', () => {
    const sim = ftpLab();
    let { c, s } = handshake(sim);
    step(sim, cIn('PA', c, s, 'EPSV\r\n'), cOut('PA', c, s, 'EPSV\r\n'), 'EPSV');
    c += 6;
    const reply = '229 Entering Extended Passive Mode (|||50001|)\r\n';
    step(sim, sIn('PA', s, c, reply), sOut('PA', s, c, reply), '229');
    s += reply.length;
    const ctl = connOf(sim, 21);
    assert.equal(sim.director.conns.flagsOf(ctl) & (CONN_F.OUT_SEQ | CONN_F.IN_SEQ), 0);
    step(sim, cIn('S', 7000, 0, '', 40002, 50001), cOut('S', 7000, 0, '', 40002, 50001), 'data SYN');
  });

  it('a 227 the client did not ask for (no PASV before it) is left alone and makes no conn', () => {
    const sim = ftpLab();
    const { c, s } = handshake(sim);
    const reply = '227 Entering Passive Mode (192,0,2,10,195,80).\r\n';
    step(sim, sIn('PA', s, c, reply), sOut('PA', s, c, reply), 'unsolicited 227');
    assert.equal(connOf(sim, 50000), -1);
  });
});

describe('ftp helper, NAT IPv4, active mode', () => {
  it('PORT → RS1:20 connecting to the client leaves as VIP:20, and the client answer reaches RS1:20', () => {
    const sim = ftpLab();
    const { c, s } = handshake(sim);
    // The client's own address and port pass unchanged: the real server sees the client's address.
    const port = 'PORT 203,0,113,7,156,64\r\n';
    step(sim, cIn('PA', c, s, port), cOut('PA', c, s, port), 'PORT unchanged');
    const conns = sim.director.conns;
    const d = connOf(sim, 20);
    assert.ok(d >= 0);
    assert.deepEqual([conns.cport[d], conns.dportOf(d), conns.stateOf(d)], [40000, 20, TCP_S.LISTEN]);
    step(sim, sIn('S', 9000, 0, '', 20, 40000), sOut('S', 9000, 0, '', 20, 40000), 'RS1:20 SYN as VIP:20');
    step(
      sim,
      cIn('SA', 7000, 9001, '', 40000, 20),
      cOut('SA', 7000, 9001, '', 40000, 20),
      'client SYN-ACK to RS1:20',
    );
    step(sim, sIn('PA', 9001, 7001, 'data', 20, 40000), sOut('PA', 9001, 7001, 'data', 20, 40000), 'data');
    assert.equal(sim.engine.ip.ftp.counters.active, 1);
  });

  it('EPRT |1|addr|port| makes the same active data conn', () => {
    const sim = ftpLab();
    const { c, s } = handshake(sim);
    const eprt = 'EPRT |1|203.0.113.7|40010|\r\n';
    step(sim, cIn('PA', c, s, eprt), cOut('PA', c, s, eprt), 'EPRT unchanged');
    step(sim, sIn('S', 9000, 0, '', 20, 40010), sOut('S', 9000, 0, '', 20, 40010), 'RS1:20 SYN as VIP:20');
  });
});

describe('ftp helper, FULLNAT IPv4, passive mode', () => {
  const FNAT = `
-A -t ${VIP}:21 -s rr
-a -t ${VIP}:21 -r ${RS2}:21 -b -w 1
-P -t ${VIP}:21 -z ${LIP} -F eth0
`;
  const payload = (b: Buffer) => {
    const f = flowOf(b);
    return b.subarray(f.payloadOff, f.ipEnd).toString('latin1');
  };
  const seqOf = (b: Buffer) => flowOf(b).l4Off;
  const rd = (b: Buffer, at: number) => b.readUInt32BE(at);

  it('the 227 from the real server names the VIP, the seqs follow, the data conn reaches the real server from a LIP', () => {
    const sim = lab({ rules: FNAT });
    sim.director.conns.app.setPorts([21]);
    const one = (f: Uint8Array) => {
      const r = run(sim, f);
      assert.deepEqual(r.drops, []);
      assert.equal(r.tx.length, 1);
      return r.tx[0] as Buffer;
    };
    const syn = one(cIn('S', C_ISN, 0));
    const lport = flowOf(syn).sport;
    assert.equal(flowOf(syn).src4 >>> 0, 0xc00002c8, 'from the LIP');
    const fromRs2 = (flags: string, seq: number, ack: number, data = '') => {
      const b = fromRs(RS2_MAC)
        .ipv4({ src: RS2, dst: LIP })
        .tcp({ sport: 21, dport: lport, flags, seq, ack });
      return (data ? b.payload(data) : b).build();
    };
    one(fromRs2('SA', S_ISN, C_ISN + 1));
    one(cIn('A', C_ISN + 1, S_ISN + 1));
    let c = C_ISN + 1;
    let s = S_ISN + 1;
    one(cIn('PA', c, s, 'PASV\r\n'));
    c += 6;
    const reply = '227 Entering Passive Mode (192,0,2,11,195,80).\r\n';
    const out = one(fromRs2('PA', s, c, reply));
    assert.equal(payload(out), '227 Entering Passive Mode (192,0,2,100,195,80).\r\n');
    assert.deepEqual(
      [flowOf(out).src4 >>> 0, flowOf(out).sport, rd(out, seqOf(out) + 4)],
      [0xc0000264, 21, s],
    );
    s += reply.length;
    const next = one(fromRs2('PA', s, c, '150 ok\r\n'));
    assert.equal(rd(next, seqOf(next) + 4), s + 1, 'later server seq moved by the growth');
    const ack = one(cIn('A', c, s + 1 + 8));
    assert.equal(rd(ack, seqOf(ack) + 8), s + 8, 'the client ack moved back');
    const data = one(cIn('S', 7000, 0, '', 40001, 50000));
    const f = flowOf(data);
    assert.deepEqual([f.src4 >>> 0, f.dst4 >>> 0, f.dport], [0xc00002c8, 0xc000020b, 50000]);
  });
});

describe('ftp helper, hostile control traffic', () => {
  it('any payload either way on an armed control conn is forwarded (one frame out), never throws', () => {
    const sim = ftpLab();
    let { c, s } = handshake(sim);
    const text = fc.oneof(
      fc.uint8Array({ maxLength: 120 }),
      fc
        .array(
          fc.constantFrom(
            '227 ',
            '229 ',
            'PORT ',
            'EPRT ',
            'PASV\r\n',
            'EPSV\r\n',
            '(',
            '|',
            ',',
            '1',
            '255',
            '.',
            '\r\n',
          ),
          {
            maxLength: 20,
          },
        )
        .map((a) => new TextEncoder().encode(a.join(''))),
    );
    fc.assert(
      fc.property(fc.boolean(), text, (fromServer, bytes) => {
        if (bytes.length === 0) return;
        const data = Buffer.from(bytes);
        const r = fromServer
          ? run(
              sim,
              fromRs(RS1_MAC)
                .ipv4({ src: RS1, dst: CLIENT })
                .tcp({ sport: 21, dport: 40000, flags: 'PA', seq: s, ack: c })
                .payload(data)
                .build(),
            )
          : run(
              sim,
              fromClient()
                .ipv4({ src: CLIENT, dst: VIP })
                .tcp({ sport: 40000, dport: 21, flags: 'PA', seq: c, ack: s })
                .payload(data)
                .build(),
            );
        assert.deepEqual([r.tx.length, r.drops], [1, []]);
        const f = flowOf(r.tx[0] as Buffer);
        assert.ok(f.ipEnd - f.payloadOff >= 1);
        const out = r.tx[0] as Buffer;
        assert.ok(verifyL4Checksum(out, f.l3Off, f.l4Off, f.ipEnd, 6), 'TCP checksum');
        assert.ok(verifyIPv4Checksum(out, f.l3Off), 'IP checksum');
        if (fromServer) s = (s + data.length) >>> 0;
        else c = (c + data.length) >>> 0;
      }),
      { numRuns: 400 },
    );
  });
});

describe('ftp helper and sync', () => {
  it('the control conn sync entry carries out_seq (SEQ_DATA); a backup with the helper adjusts as the master did', () => {
    const master = ftpLab();
    let { c, s } = handshake(master);
    step(master, cIn('PA', c, s, 'PASV\r\n'), cOut('PA', c, s, 'PASV\r\n'), 'PASV');
    c += 6;
    const reply = '227 Entering Passive Mode (192,0,2,10,195,80).\r\n';
    step(master, sIn('PA', s, c, reply), sOut('PA', s, c, reply.replace('10,195', '100,195')), '227');
    s += reply.length;
    const entry = connToSyncEntry(master.director, connOf(master, 21));
    assert.ok(entry?.seq);
    assert.deepEqual(entry.seq.out, { initSeq: s - reply.length, delta: 1, previousDelta: 0 });
    // Through the wire format (version 1), then applied on a backup that loads the helper too.
    const msg = { syncId: 0, version: 1 as const, entries: [entry] };
    const buf = new Uint8Array(syncMessageLength(msg));
    encodeSyncMessage(msg, buf, 0);
    const got = decodeSyncMessage(buf, 0).entries[0];
    assert.ok(got);
    const backup = ftpLab();
    assert.equal(applySyncEntry(backup.director, got, 1_000_000).kind, 'created');
    const ok = '150 Here comes the file\r\n';
    step(backup, sIn('PA', s, c, ok), sOut('PA', s + 1, c, ok), 'the backup moves the server seq on');
    step(backup, cIn('A', c, s + ok.length + 1), cOut('A', c, s + ok.length), 'and the client ack back');
  });
});

describe('ftp helper not loaded', () => {
  it('without ports the 227 passes unchanged and no data conn exists: the data SYN is not served', () => {
    const sim = ftpLab([]);
    let { c, s } = handshake(sim);
    assert.equal(sim.director.conns.flagsOf(connOf(sim, 21)) & CONN_F.APP, 0);
    step(sim, cIn('PA', c, s, 'PASV\r\n'), cOut('PA', c, s, 'PASV\r\n'), 'PASV');
    c += 6;
    const reply = '227 Entering Passive Mode (192,0,2,10,195,80).\r\n';
    step(sim, sIn('PA', s, c, reply), sOut('PA', s, c, reply), '227 unchanged');
    s += reply.length;
    const r = run(sim, cIn('S', 7000, 0, '', 40001, 50000));
    assert.equal(r.tx.length, 0);
  });

  it('on another port list (2121) the service on 21 is not helped', () => {
    const sim = ftpLab([2121]);
    handshake(sim);
    assert.equal(sim.director.conns.flagsOf(connOf(sim, 21)) & CONN_F.APP, 0);
  });
});
