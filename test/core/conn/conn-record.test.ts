import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConnTable, KIND, REC_BYTES } from '../../../src/core/conn-table.js';

const w = (...x: number[]) => Uint32Array.from([...x, 0, 0, 0, 0].slice(0, 4));

// The hot record packs nine fields into 32 bytes through views of one buffer: a write to one
// field must never change another, of the same entry or of its neighbours, and growth (the buffer
// is copied) must keep every field.
test('hot record fields are independent of each other and of neighbouring entries, across growth', () => {
  const field = fc.constantFrom('flags', 'dest', 'timeout', 'inPkts', 'state');
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(299), field, fc.nat()), { minLength: 1, maxLength: 400 }), (ops) => {
      const t = new ConnTable({ initialCapacity: 16 });
      const model: {
        flags: number;
        dest: number;
        timeout: number;
        inPkts: number;
        state: number;
        dport: number;
        daddr: number;
        exp: number;
      }[] = [];
      for (let k = 0; k < 300; k++) {
        // Addresses and ports chosen to set the high bits (u32 above 2^31, u16 above 2^15).
        const d = (0xc6000000 + k * 0x10001) >>> 0;
        const dport = (0x8000 + k * 97) & 0xffff;
        const i = t.create(
          4,
          6,
          w(0x0a000000 + k),
          1000 + k,
          w(0xcb007101),
          80,
          4,
          w(d),
          dport,
          0,
          0,
          k,
          1,
          k,
        );
        assert.equal(i, k);
        model.push({
          flags: t.flagsOf(i),
          dest: k,
          timeout: 3,
          inPkts: 0,
          state: 0,
          dport,
          daddr: d,
          exp: k + 3000,
        });
      }
      for (const [i, f, v] of ops) {
        const m = model[i]!;
        if (f === 'flags') t.setFlags(i, (m.flags = v & 0x1ffff));
        else if (f === 'dest') t.setDest(i, (m.dest = v - 0x20000000));
        else if (f === 'timeout') t.setTimeoutSecs(i, (m.timeout = v));
        else if (f === 'inPkts') t.setInPkts(i, (m.inPkts = (v * 7919) >>> 0));
        else t.setState(i, (m.state = v & 0xff));
      }
      for (let i = 0; i < 300; i++) {
        const m = model[i]!;
        assert.equal(t.kind(i), KIND.LIVE);
        assert.equal(t.flagsOf(i), m.flags);
        assert.equal(t.destOf(i), m.dest);
        assert.equal(t.timeoutOf(i), m.timeout);
        assert.equal(t.inPktsOf(i), m.inPkts);
        assert.equal(t.stateOf(i), m.state);
        assert.equal(t.dportOf(i), m.dport);
        assert.equal(t.daddrOf(i), m.daddr);
        assert.equal(t.daddr4(i), m.daddr | 0);
        assert.equal(t.expiresOf(i), m.exp);
        assert.equal(t.findOut(4, 6, w(m.daddr), m.dport, w(0x0a000000 + i), 1000 + i), i);
      }
    }),
    { numRuns: 30 },
  );
});

test('the hot record is 32 bytes per entry, the nine arrays it replaced', () => {
  assert.equal(REC_BYTES, 32);
  const a = new ConnTable({ initialCapacity: 1024 });
  const b = new ConnTable({ initialCapacity: 2048 });
  // Doubling the capacity adds the per-entry bytes of every array once: the 32-byte hot record,
  // the cold fields (proto 1, caddr 4, vaddr 4, cport 2, vport 2, fwmark 4, svc 4, ctl 4), the
  // wheel links (8) and the index's share (24). The nine separate arrays gave the same 89 B.
  const perEntry = (b.arrayBytes() - a.arrayBytes()) / 1024;
  assert.equal(perEntry, REC_BYTES + (1 + 4 + 4 + 2 + 2 + 4 + 4 + 4) + 8 + 24);
});

test('FULLNAT local records survive growth, rehashing and unhashing', () => {
  const t = new ConnTable({ initialCapacity: 16 });
  const n = 5000; // past 2 per bucket of the first 1024 buckets: the local hash is rebuilt
  const lip = (k: number) => (0xcb000000 + (k & 15)) >>> 0;
  for (let k = 0; k < n; k++) {
    const i = t.create(
      4,
      6,
      w(0x0a000000 + k),
      1000,
      w(0xc0000264),
      80,
      4,
      w(0xc000020a),
      8080,
      0,
      0,
      0,
      1,
      0,
    );
    t.setLocal(i, w(lip(k)), 1024 + (k >>> 4));
  }
  for (let k = 0; k < n; k++) {
    assert.equal(t.localPort(k), 1024 + (k >>> 4));
    assert.equal(t.localAddr4(k), lip(k) | 0);
    const out = new Uint32Array(4);
    assert.equal(t.readLocal(k, out), 1024 + (k >>> 4));
    assert.deepEqual([...out], [lip(k), 0, 0, 0]);
    assert.equal(t.findOutLocal(6, w(0xc000020a), 8080, w(lip(k)), 1024 + (k >>> 4)), k);
  }
  // Killing every other entry unhashes it from its local chain; the others stay findable.
  for (let k = 0; k < n; k += 2) t.kill(k);
  for (let k = 0; k < n; k++) {
    const found = t.findOutLocal(6, w(0xc000020a), 8080, w(lip(k)), 1024 + (k >>> 4));
    assert.equal(found, k % 2 === 0 ? -1 : k);
    if (k % 2 === 1) assert.equal(t.localPort(k), 1024 + (k >>> 4));
  }
  assert.equal(t.localCount, n / 2);
});
