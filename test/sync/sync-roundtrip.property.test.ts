import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CONN_F, KIND } from '../../src/core/conn-table.js';
import { connViews } from '../../src/core/conn-views.js';
import type { Director } from '../../src/core/director.js';
import { FWD } from '../../src/core/types.js';
import { applySyncEntry } from '../../src/sync/sync-backup.js';
import type { SyncConnEntry } from '../../src/sync/sync-entry.js';
import { SyncMaster } from '../../src/sync/sync-master.js';
import { F, pkt, testDirector } from '../core/director/helpers.js';
import { destConfig, svcConfig, tcp, udp } from '../helpers/table.js';

const VIP = '203.0.113.10';

// The same table on master and backup: NAT TCP, persistent DR TCP, UDP.
function director(): Director {
  const d = testDirector();
  d.table.addService(tcp(VIP, 80), svcConfig({ scheduler: 'rr' }));
  d.table.addService(tcp(VIP, 443), svcConfig({ scheduler: 'rr', flags: 1, timeout: 120 }));
  d.table.addService(udp(VIP, 53), svcConfig({ scheduler: 'rr' }));
  for (const rs of ['198.51.100.1', '198.51.100.2']) {
    d.table.addDest(tcp(VIP, 80), destConfig(rs, 8080, { fwd: FWD.MASQ }));
    d.table.addDest(tcp(VIP, 443), destConfig(rs, 443, { fwd: FWD.DROUTE }));
    d.table.addDest(udp(VIP, 53), destConfig(rs, 53, { fwd: FWD.MASQ }));
  }
  return d;
}

type Pkt = {
  proto: 'tcp' | 'udp';
  port: number;
  client: number;
  sport: number;
  flags: number;
  reply: boolean;
};
const arbPkt: fc.Arbitrary<Pkt> = fc.record({
  proto: fc.constantFrom<'tcp' | 'udp'>('tcp', 'tcp', 'udp'),
  port: fc.constantFrom(80, 443),
  client: fc.integer({ min: 1, max: 4 }),
  sport: fc.integer({ min: 1000, max: 1003 }),
  flags: fc.constantFrom(F.SYN, F.ACK, F.ACK, F.ACK, F.FIN | F.ACK, F.RST),
  reply: fc.boolean(),
});

test('every entry a master sends applies on a backup to a conn with the same tuple, dest and state', () => {
  let total = 0;
  let templates = 0;
  let stale = 0;
  fc.assert(
    fc.property(fc.array(arbPkt, { minLength: 1, maxLength: 120, size: 'max' }), (pkts) => {
      const m = director();
      const b = director();
      const sent: SyncConnEntry[] = [];
      // The dest of the last entry the backup applied for each tuple.
      const lastApplied = new Map<string, string>();
      const master = new SyncMaster(m, { add: (e) => sent.push(e) });
      let now = 0;
      for (const p of pkts) {
        now += 10;
        const port = p.proto === 'udp' ? 53 : p.port;
        const client = `192.0.2.${p.client}`;
        if (p.reply) {
          m.outPacket(pkt(p.proto, '198.51.100.1', 8080, client, p.sport, { flags: p.flags | F.ACK }), now);
          continue;
        }
        const idx = m.inPacket(pkt(p.proto, client, p.sport, VIP, port, { flags: p.flags }), now);
        if (idx < 0) continue;
        const before = sent.length;
        master.onPacket(idx, now);
        for (const e of sent.slice(before)) {
          const r = applySyncEntry(b, e, now);
          const key = tupleKey(
            e.protocol,
            (e.flags & CONN_F.TEMPLATE) !== 0,
            ipOf(e.caddr[0] as number),
            e.cport,
            e.vport,
          );
          if (r.kind === 'ignored') {
            // ip_vs_proc_conn() takes an inactive entry for a tuple it holds towards another dest
            // for the expiry notice of a conn already replaced, and drops it. A master conn that
            // went from SYN_RECV straight to TIME_WAIT (a reused tuple) was never sent while
            // active, so its only entry is such a one; the backup keeps the old conn, as the
            // kernel's does. Nothing else may be ignored.
            assert.equal(r.reason, 'stale', JSON.stringify(r));
            assert.ok(e.flags & CONN_F.INACTIVE);
            assert.notEqual(lastApplied.get(key), ipOf(e.daddr[0] as number));
            stale++;
            continue;
          }
          total++;
          lastApplied.set(key, ipOf(e.daddr[0] as number));
          if (e.flags & CONN_F.TEMPLATE) templates++;
          const f = b.conns.flagsOf(r.idx);
          assert.ok(f & CONN_F.SYNC);
          assert.equal(f & CONN_F.TEMPLATE, e.flags & CONN_F.TEMPLATE);
          assert.equal(b.conns.stateOf(r.idx), e.state);
          assert.equal(b.destOf(r.idx)?.addr, ipOf(e.daddr[0] as number));
          assert.equal(b.conns.cport[r.idx], e.cport);
        }
        b.conns.checkIndex();
      }
      // Every live backup conn points where the last entry it applied for its tuple said. Not
      // where the master's conn points now: a SYN that reuses a closed tuple reschedules on the master,
      // and the new conn is only sent once its state calls for it (ip_vs_sync_conn_needed), so
      // until then the backup keeps the old one, as the kernel's backup does.
      for (const v of connViews(b, now)) {
        const want = lastApplied.get(tupleKey(v.protocol, v.template, v.caddr, v.cport, v.vport));
        assert.equal(v.daddr, want, JSON.stringify(v));
      }
      for (let i = 0; i < b.conns.limit; i++)
        if (b.conns.kind(i) === KIND.LIVE) assert.ok(b.conns.destOf(i) >= 0);
    }),
    { numRuns: 150 },
  );
  // The runs did exercise the path: conns and templates were sent and applied.
  assert.ok(total > 150 && templates > 20, `${total} entries, ${templates} templates, ${stale} stale`);
});

function tupleKey(protocol: number, template: boolean, caddr: string, cport: number, vport: number): string {
  return `${protocol}/${template ? 'T' : 'C'}/${caddr}:${cport}->${vport}`;
}

function ipOf(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}
