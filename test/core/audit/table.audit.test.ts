/**
 * Audit of the service table and dest bookkeeping against ip_vs_ctl.c (ip_vs_add_dest,
 * ip_vs_edit_dest, __ip_vs_update_dest, ip_vs_trash_get_dest, ip_vs_dest_trash_expire,
 * ip_vs_add_service) and ip_vs_conn.c (ip_vs_bind_dest / ip_vs_unbind_dest), derived by hand.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONN_COUNT } from '../../../src/core/dest.js';
import { TableError } from '../../../src/core/errors.js';
import { FWD, TUN_TYPE } from '../../../src/core/types.js';
import { destConfig, svcConfig, tcp, testTable } from '../../helpers/table.js';

const K = tcp('192.0.2.1', 80);
const errno = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof TableError);
    return e.errno;
  }
  return 'no error';
};

test('validation errnos follow ip_vs_add_dest / ip_vs_edit_dest / the genl handler', () => {
  const t = testTable();
  assert.equal(
    errno(() => t.addDest(K, destConfig('198.51.100.1', 80))),
    'ESRCH',
  );
  t.addService(K, svcConfig());
  assert.equal(
    errno(() => t.addService(K, svcConfig())),
    'EEXIST',
  );
  assert.equal(
    errno(() => t.addService(tcp('192.0.2.2', 80), svcConfig({ scheduler: 'nope' }))),
    'ENOENT',
  );
  assert.equal(
    errno(() => t.addService(tcp('192.0.2.2', 80), svcConfig({ pe: 'nope' }))),
    'ENOENT',
  );
  assert.equal(
    errno(() => t.addService(tcp('2001:db8::1', 80), svcConfig({ netmask: '0' }))),
    'EINVAL',
  );
  assert.equal(
    errno(() => t.addService(tcp('2001:db8::1', 80), svcConfig({ netmask: '129' }))),
    'EINVAL',
  );
  assert.equal(
    errno(() => t.addDest(K, destConfig('198.51.100.1', 80, { weight: -1 }))),
    'ERANGE',
  );
  assert.equal(
    errno(() => t.addDest(K, destConfig('198.51.100.1', 80, { uThreshold: 1, lThreshold: 2 }))),
    'ERANGE',
  );
  t.addDest(K, destConfig('198.51.100.1', 80));
  assert.equal(
    errno(() => t.addDest(K, destConfig('198.51.100.1', 80))),
    'EEXIST',
  );
  assert.equal(
    errno(() => t.editDest(K, destConfig('198.51.100.2', 80))),
    'ENOENT',
  );
  assert.equal(
    errno(() => t.delDest(K, { addr: '198.51.100.2', port: 80 }, 0)),
    'ENOENT',
  );
  // Only tunnels may mix families (ip_vs_genl_set_cmd).
  assert.equal(
    errno(() => t.addDest(K, destConfig('2001:db8::9', 80))),
    'EINVAL',
  );
  assert.equal(
    errno(() => t.addDest(K, destConfig('2001:db8::9', 80, { fwd: FWD.TUNNEL }))),
    'no error',
  );
});

test('GUE with tunnel port 0 is EINVAL whatever the forwarding method (ip_vs_add_dest checks tun_type alone)', () => {
  const t = testTable();
  t.addService(K, svcConfig());
  assert.equal(
    errno(() => t.addDest(K, destConfig('198.51.100.1', 80, { fwd: FWD.TUNNEL, tunType: TUN_TYPE.GUE }))),
    'EINVAL',
  );
  assert.equal(
    errno(() => t.addDest(K, destConfig('198.51.100.1', 80, { fwd: FWD.DROUTE, tunType: TUN_TYPE.GUE }))),
    'EINVAL',
  );
});

test('OVERLOAD: set at total >= u; cleared below l, else below 3/4 u; an edit clears it only for u = 0 or a higher u', () => {
  const t = testTable();
  t.addService(K, svcConfig());
  const d = t.addDest(K, destConfig('198.51.100.1', 80, { uThreshold: 4 }));
  for (let i = 0; i < 4; i++) d.bind(CONN_COUNT.ACTIVE);
  assert.equal(d.overloaded, true);
  d.unbind(CONN_COUNT.ACTIVE); // 3 * 4 < 4 * 3 is false
  assert.equal(d.overloaded, true);
  d.unbind(CONN_COUNT.ACTIVE); // 2 * 4 < 12
  assert.equal(d.overloaded, false);
  d.bind(CONN_COUNT.INACTIVE);
  d.bind(CONN_COUNT.INACTIVE); // total 4 again, inactive counts too
  assert.equal(d.overloaded, true);
  t.editDest(K, destConfig('198.51.100.1', 80, { uThreshold: 4 }));
  assert.equal(d.overloaded, true, 'same u keeps OVERLOAD');
  t.editDest(K, destConfig('198.51.100.1', 80, { uThreshold: 3, lThreshold: 3 }));
  assert.equal(d.overloaded, true, 'a lower u keeps OVERLOAD');
  d.unbind(CONN_COUNT.INACTIVE); // total 3 < l 3 is false
  assert.equal(d.overloaded, true);
  d.unbind(CONN_COUNT.INACTIVE); // 2 < 3
  assert.equal(d.overloaded, false);
  d.bind(CONN_COUNT.ACTIVE);
  assert.equal(d.overloaded, true);
  t.editDest(K, destConfig('198.51.100.1', 80, { uThreshold: 0 }));
  assert.equal(d.overloaded, false, 'u = 0 clears');
});

test('a template bind runs the upper-threshold check too (ip_vs_bind_dest)', () => {
  const t = testTable();
  t.addService(K, svcConfig());
  const d = t.addDest(K, destConfig('198.51.100.1', 80, { uThreshold: 5 }));
  for (let i = 0; i < 3; i++) d.bind(CONN_COUNT.ACTIVE);
  // A lower u neither clears nor sets OVERLOAD at edit time: 3 conns, u 2, flag still clear.
  t.editDest(K, destConfig('198.51.100.1', 80, { uThreshold: 2 }));
  assert.equal(d.overloaded, false);
  // The next bind, even of a template (not counted in the total), sets it: 3 >= 2.
  d.bind(CONN_COUNT.TEMPLATE);
  assert.equal(d.overloaded, true);
  assert.equal(d.persistConns, 1);
});

test('a dest revived into the same service keeps its counters; into a re-created one they restart (__ip_vs_update_dest)', () => {
  const t = testTable();
  t.addService(K, svcConfig());
  const d = t.addDest(K, destConfig('198.51.100.1', 80));
  d.bind(CONN_COUNT.ACTIVE);
  d.stats.conns = 7;
  t.delDest(K, { addr: '198.51.100.1', port: 80 }, 0);
  assert.equal(t.addDest(K, destConfig('198.51.100.1', 80)), d);
  assert.equal(d.stats.view().conns, 7, 'old_svc == svc: no ip_vs_zero_stats');
  assert.equal(d.activeConns, 1);
  // Delete the whole service: its dests go to the trash; a new service with the same key can
  // pick them up (ip_vs_trash_get_dest matches vaddr/vport/protocol, not the service object).
  t.delService(K, 0);
  t.addService(K, svcConfig());
  assert.equal(t.addDest(K, destConfig('198.51.100.1', 80)), d);
  assert.equal(d.stats.view().conns, 0, 'old_svc != svc: ip_vs_zero_stats');
  assert.equal(d.activeConns, 1, 'connection counts are not statistics');
});

test('trash expiry: idle_start is stamped by the 60 s trash timer, so an idle dest deleted at 0 is freed at 180 s, not 120 s', () => {
  const t = testTable();
  t.addService(K, svcConfig());
  const d = t.addDest(K, destConfig('198.51.100.1', 80));
  t.delDest(K, { addr: '198.51.100.1', port: 80 }, 0);
  // __ip_vs_del_dest arms the timer at +60 s (trash was empty). 60 s: refcnt 1, idle_start = 60.
  // 120 s: 120 < 60 + 120, keep. 150 s: a re-add still revives the same dest. 180 s: freed.
  for (const now of [60_000, 120_000, 150_000]) t.expireTrash(now);
  assert.equal(t.destById(d.id), d, 'still in the trash at 150 s');
  assert.equal(t.expireTrash(180_000), 1);
});
