import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findSyncDest, syncBoundFlags, tryBindDest } from '../../../src/core/conn-bind.js';
import { CONN_F } from '../../../src/core/conn-table.js';
import { FWD, PROTO } from '../../../src/core/types.js';
import { destConfig, svcConfig, tcp } from '../../helpers/table.js';
import { testDirector } from '../director/helpers.js';

const w4 = (a: number) => Uint32Array.of(a, 0, 0, 0);
const V = w4(0xcb00710a); // 203.0.113.10
const D = w4(0xc6336401); // 198.51.100.1

test('findSyncDest finds the dest by service tuple then daddr:dport, and nothing for an unknown service', () => {
  const d = testDirector();
  d.table.addService(tcp('203.0.113.10', 80), svcConfig());
  const a = d.table.addDest(tcp('203.0.113.10', 80), destConfig('198.51.100.1', 8080, { fwd: FWD.MASQ }));
  assert.equal(findSyncDest(d, 4, 0, PROTO.TCP, V, 80, D, 8080, FWD.MASQ), a);
  assert.equal(findSyncDest(d, 4, 0, PROTO.TCP, V, 80, D, 8081, FWD.MASQ), undefined);
  assert.equal(findSyncDest(d, 4, 0, PROTO.UDP, V, 80, D, 8080, FWD.MASQ), undefined);
});

test('findSyncDest: a non-NAT fwmark conn matches a port-0 dest, a NAT one its own port first', () => {
  const d = testDirector();
  const key = { kind: 'fwmark', af: 4, fwmark: 3 } as const;
  d.table.addService(key, svcConfig());
  const zero = d.table.addDest(key, destConfig('198.51.100.1', 0));
  const port = d.table.addDest(key, destConfig('198.51.100.1', 443, { fwd: FWD.MASQ }));
  assert.equal(findSyncDest(d, 4, 3, PROTO.TCP, V, 443, D, 443, FWD.DROUTE), zero);
  assert.equal(findSyncDest(d, 4, 3, PROTO.TCP, V, 443, D, 443, FWD.MASQ), port);
});

test('syncBoundFlags takes method and NOOUTPUT from the dest and keeps the master activity of a conn', () => {
  const d = testDirector();
  d.table.addService(tcp('203.0.113.10', 80), svcConfig());
  const dr = d.table.addDest(tcp('203.0.113.10', 80), destConfig('198.51.100.1', 80, { fwd: FWD.DROUTE }));
  const f = syncBoundFlags(CONN_F.SYNC | FWD.MASQ, dr);
  assert.equal(f & CONN_F.FWD_MASK, FWD.DROUTE);
  assert.ok(f & CONN_F.NOOUTPUT);
  assert.equal(f & CONN_F.INACTIVE, 0, 'an active conn stays active');
  assert.ok(
    syncBoundFlags(CONN_F.SYNC | CONN_F.TEMPLATE, dr) & CONN_F.INACTIVE,
    'templates take the dest flags whole',
  );
});

test('tryBindDest binds an unbound conn once its dest exists, and counts it there', () => {
  const d = testDirector();
  const i = d.conns.create(
    4,
    PROTO.TCP,
    w4(0xc0000201),
    1,
    V,
    80,
    4,
    D,
    80,
    CONN_F.SYNC | FWD.DROUTE,
    0,
    -1,
    -1,
    0,
  );
  assert.equal(tryBindDest(d, i), undefined);
  const svc = d.table.addService(tcp('203.0.113.10', 80), svcConfig());
  const a = d.table.addDest(tcp('203.0.113.10', 80), destConfig('198.51.100.1', 80, { fwd: FWD.TUNNEL }));
  assert.equal(tryBindDest(d, i), a);
  assert.equal(d.conns.destOf(i), a.id);
  assert.equal(d.conns.svc[i], svc.id);
  assert.equal(d.conns.flagsOf(i) & CONN_F.FWD_MASK, FWD.TUNNEL);
  assert.deepEqual([a.activeConns, a.refs], [1, 1]);
  assert.equal(tryBindDest(d, i), a, 'a bound conn keeps its dest');
  assert.equal(a.activeConns, 1);
});
