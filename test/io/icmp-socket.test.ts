/**
 * IcmpSocket: state machine and matching over a fake binding, then the real addon on loopback
 * (ping sockets and raw sockets, IPv4 and IPv6, many concurrent echoes over one socket).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ipBytes } from '../../src/core/addr.js';
import {
  ICMP_ADDON_ABI,
  ICMP_REC_ERROR,
  ICMP_REC_REPLY,
  ICMP_RECORD_BYTES,
  type IcmpBinding,
  loadIcmpBinding,
} from '../../src/io/icmp/icmp-binding.js';
import { IcmpPinger } from '../../src/io/icmp/icmp-pinger.js';
import { IcmpSocket, monotonicMs } from '../../src/io/icmp/icmp-socket.js';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';
import { hostEchoSkipReason } from '../helpers/ping-sockets.js';
import { type ChildPing, runIcmpChild } from './icmp-run-child.js';

const EACCES = -13;
const EPERM = -1;
const ENETUNREACH = -101;

/** A binding that records sends and lets the test deliver records. */
function fakeBinding(openResult: (kind: number) => number = () => 0) {
  const sent: { addr: number[]; seq: number }[] = [];
  let out: Uint8Array = new Uint8Array(0);
  let cb: (n: number, e: number) => void = () => {};
  let sendResult = 0;
  const binding: IcmpBinding = {
    icmpAbiVersion: ICMP_ADDON_ABI,
    icmpRecordBytes: ICMP_RECORD_BYTES,
    icmpCreateHandle: () => ({}),
    icmpOpen: (_h, _f, kind) => openResult(kind),
    icmpIdent: () => 0x1234,
    icmpSend: (_h, addr, seq) => {
      sent.push({ addr: [...addr], seq });
      return sendResult;
    },
    icmpReadStart: (_h, o, c) => {
      out = o;
      cb = c;
      return 0;
    },
    icmpClose: () => 0,
  };
  /** Delivers records: [kind, addr, seq, errno?, ident?, tsMs?]. */
  const deliver = (
    recs: { kind: number; addr: string; seq: number; errno?: number; ident?: number; ts?: number }[],
  ) => {
    const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
    recs.forEach((r, i) => {
      const o = i * ICMP_RECORD_BYTES;
      out.fill(0, o, o + ICMP_RECORD_BYTES);
      out[o] = r.kind;
      out[o + 2] = r.kind === ICMP_REC_ERROR ? 3 : 0;
      out[o + 3] = r.kind === ICMP_REC_ERROR ? 1 : 0;
      dv.setUint16(o + 4, r.ident ?? 0x1234, true);
      dv.setUint16(o + 6, r.seq, true);
      dv.setInt32(o + 8, r.errno ?? 0, true);
      dv.setFloat64(o + 16, r.ts ?? monotonicMs(), true);
      out.set(ipBytes(r.addr)!, o + 24);
      out.set([192, 0, 2, 2], o + 40);
    });
    cb(recs.length, 0);
  };
  return { binding, sent, deliver, setSendResult: (r: number) => (sendResult = r) };
}

describe('IcmpSocket state and matching (fake binding)', () => {
  it('throws coded errors for use before open, double open, use after close and bad arguments', () => {
    const { binding } = fakeBinding();
    const s = new IcmpSocket({ family: 4, binding });
    assert.throws(() => s.ping('127.0.0.1', 100), { code: 'ERR_ICMP_SOCKET_NOT_OPEN' });
    s.open();
    assert.equal(s.state, 'OPEN');
    assert.throws(() => s.open(), { code: 'ERR_ICMP_SOCKET_ALREADY_OPEN' });
    assert.throws(() => s.ping('::1', 100), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => s.ping('127.0.0.1', 0), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => new IcmpSocket({ family: 5 as 4, binding }), { code: 'ERR_INVALID_ARG_VALUE' });
    s.close();
    assert.throws(() => s.ping('127.0.0.1', 100), { code: 'ERR_ICMP_SOCKET_CLOSED' });
    assert.throws(() => s.open(), { code: 'ERR_ICMP_SOCKET_CLOSED' });
  });

  it('auto falls back to a raw socket when the ping socket is refused, and says why when both are', () => {
    const raw = new IcmpSocket({ family: 4, binding: fakeBinding((k) => (k === 1 ? EACCES : 0)).binding });
    assert.equal(raw.open().kind, 'raw');
    const none = new IcmpSocket({
      family: 6,
      binding: fakeBinding((k) => (k === 1 ? EACCES : EPERM)).binding,
    });
    assert.throws(
      () => none.open(),
      (e: Error & { code?: string }) =>
        e.code === 'ERR_ICMP_SOCKET_UNAVAILABLE' && /EACCES/.test(e.message) && /EPERM/.test(e.message),
    );
    const explicit = new IcmpSocket({ family: 4, kind: 'dgram', binding: fakeBinding(() => EACCES).binding });
    assert.throws(() => explicit.open(), { code: 'EACCES', syscall: 'socket' });
  });

  it('resolves each echo only from a record with its own sequence, identifier and address', async () => {
    const f = fakeBinding();
    const s = new IcmpSocket({ family: 4, binding: f.binding }).open();
    const a = s.ping('192.0.2.10', 5000);
    const b = s.ping('192.0.2.11', 5000);
    const [sa, sb] = f.sent;
    assert.ok(sa && sb && sa.seq !== sb.seq);
    const t = monotonicMs();
    f.deliver([
      { kind: ICMP_REC_REPLY, addr: '192.0.2.11', seq: sa.seq, ts: t }, // wrong source for a's seq
      { kind: ICMP_REC_REPLY, addr: '192.0.2.10', seq: sa.seq, ident: 0x4321 }, // someone else's id
      { kind: ICMP_REC_REPLY, addr: '192.0.2.11', seq: sb.seq, ts: t },
    ]);
    assert.equal(s.pendingCount, 1);
    assert.equal((await b).ok, true);
    f.deliver([{ kind: ICMP_REC_ERROR, addr: '192.0.2.10', seq: sa.seq, errno: 113 }]);
    const ra = await a;
    assert.equal(ra.ok, false);
    assert.equal(!ra.ok && ra.code, 'EHOSTUNREACH');
    assert.match(!ra.ok ? ra.reason : '', /type 3 code 1 from 192\.0\.2\.2/);
    assert.equal(s.pendingCount, 0);
    s.close();
  });

  it('reports a send failure, a timeout and a close as coded outcomes', async () => {
    const f = fakeBinding();
    const s = new IcmpSocket({ family: 4, binding: f.binding }).open();
    f.setSendResult(ENETUNREACH);
    const r1 = await s.ping('192.0.2.1', 1000);
    assert.deepEqual([r1.ok, !r1.ok && r1.code], [false, 'ENETUNREACH']);
    f.setSendResult(0);
    const t0 = Date.now();
    const r2 = await s.ping('192.0.2.1', 60);
    assert.deepEqual([r2.ok, !r2.ok && r2.code], [false, 'ETIMEDOUT']);
    assert.ok(Date.now() - t0 >= 55);
    const p = s.ping('192.0.2.1', 5000);
    s.close();
    const r3 = await p;
    assert.deepEqual([r3.ok, !r3.ok && r3.code], [false, 'ERR_ICMP_SOCKET_CLOSED']);
  });

  it('never reuses a sequence number still in flight after wrapping around', () => {
    const f = fakeBinding();
    const s = new IcmpSocket({ family: 4, binding: f.binding }).open();
    for (let i = 0; i < 0x10000 + 5; i++) void s.ping('192.0.2.1', 60_000);
    const seqs = new Set(f.sent.map((x) => x.seq));
    assert.equal(seqs.size, 0x10000);
    assert.equal(f.sent.length, 0x10000); // the last 5 found no free sequence and sent nothing
    s.close();
  });
});

let addonSkip: string | undefined;
try {
  loadIcmpBinding();
} catch (e) {
  addonSkip = (e as Error).message;
}
if (addonSkip) console.log(`# skipping real ICMP socket tests: ${addonSkip}`);

describe('IcmpSocket on loopback (real addon)', { skip: addonSkip }, () => {
  const rootSkip = process.getuid?.() === 0 ? undefined : 'raw sockets need root';
  if (rootSkip) console.log(`# skipping raw ICMP socket tests: ${rootSkip}`);

  for (const [family, addr] of [
    [4, '127.0.0.1'],
    [6, '::1'],
  ] as const) {
    it(`raw socket: an echo to ${addr} is answered with a round-trip time`, { skip: rootSkip }, async () => {
      const s = new IcmpSocket({ family, kind: 'raw' }).open();
      try {
        assert.equal(s.kind, 'raw');
        const t0 = monotonicMs();
        const r = await s.ping(addr, 2000);
        const wall = monotonicMs() - t0;
        assert.equal(r.ok, true, JSON.stringify(r));
        assert.ok(r.ok && r.rttMs >= 0 && r.rttMs <= wall, `rtt ${r.ok && r.rttMs} within ${wall}`);
      } finally {
        s.close();
      }
    });
  }

  // Ping (datagram) sockets are allowed only to the gids in net.ipv4.ping_group_range, which a
  // host may leave at the kernel's default "1 0" (nobody). The setting is per network namespace,
  // so the test opens the socket inside a namespace of its own that allows every gid.
  const dgramSkip = netnsSkipReason();
  if (dgramSkip) console.log(`# skipping dgram ICMP socket tests: ${dgramSkip}`);
  describe('in a namespace whose ping_group_range allows every gid', { skip: dgramSkip }, () => {
    let ns: Netns;
    before(() => {
      ns = createNetns({ namespaces: ['p'] });
      const pg = ns.exec('p', ['sysctl', '-qw', 'net.ipv4.ping_group_range=0 2147483647']);
      assert.equal(pg.status, 0, pg.stderr);
    });
    after(() => ns?.destroy());

    for (const [family, addr] of [
      [4, '127.0.0.1'],
      [6, '::1'],
    ] as const) {
      it(`dgram socket: an echo to ${addr} is answered with a round-trip time`, async () => {
        const r = await runIcmpChild(ns, 'p', { mode: 'ping', family, kind: 'dgram', pings: [[addr, 2000]] });
        assert.equal(r.kind, 'dgram');
        const [p] = r.results as ChildPing[];
        assert.equal(p?.ok, true, JSON.stringify(p));
        assert.ok(p.rttMs !== undefined && p.rttMs >= 0 && p.rttMs <= p.elapsedMs, JSON.stringify(p));
      });
    }
  });

  // As root, 'auto' falls back to a raw socket; otherwise it needs the host's ping_group_range.
  const autoSkip = hostEchoSkipReason();

  it('matches 600 concurrent echoes to 200 loopback addresses over one socket', {
    skip: autoSkip,
  }, async () => {
    const s = new IcmpSocket({ family: 4 }).open();
    try {
      const targets = Array.from({ length: 600 }, (_, i) => `127.0.0.${(i % 200) + 1}`);
      const rs = await Promise.all(targets.map((t) => s.ping(t, 5000)));
      assert.deepEqual(
        rs.filter((r) => !r.ok),
        [],
      );
      assert.equal(s.pendingCount, 0);
    } finally {
      s.close();
    }
  });

  it('IcmpPinger serves both families from one socket each and does not keep the process alive', {
    skip: autoSkip,
  }, async () => {
    const p = new IcmpPinger();
    const [a, b, c] = await Promise.all([
      p.ping('127.0.0.1', 2000),
      p.ping('::1', 2000),
      p.ping('127.0.0.2', 2000),
    ]);
    assert.deepEqual([a.ok, b.ok, c.ok], [true, true, true]);
    assert.equal(p.socket(4), p.socket(4));
    const name = await p.ping('localhost', 100);
    assert.ok(!name.ok && 'unavailable' in name);
    // Deliberately not closed: an idle, unref'd socket must not hold the test process open.
  });
});
