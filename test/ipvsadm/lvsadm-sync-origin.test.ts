/** `lvsadm -Lnc --sync-origin`: the kernel's /proc/net/ip_vs_conn_sync view of the conn table. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConnView } from '../../src/control/views.js';
import { CONN_F } from '../../src/core/conn-table.js';
import { connViews } from '../../src/core/conn-views.js';
import { FWD, PROTO } from '../../src/core/types.js';
import { formatConnections, formatConnSync } from '../../src/ipvsadm/format.js';
import { type ListFormat, parse } from '../../src/ipvsadm/parse.js';
import { applySyncEntry } from '../../src/sync/sync-backup.js';
import { F, pkt, testDirector } from '../core/director/helpers.js';
import { destConfig, svcConfig, tcp } from '../helpers/table.js';

const HEADER = 'Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Origin Expires\n';

test('-Lnc --sync-origin is a connections listing with the sync-origin format', () => {
  const r = parse(['-Lnc', '--sync-origin']);
  assert.equal(r.kind, 'list');
  const list = (r as { list: { view: string; format: ListFormat } }).list;
  assert.equal(list.view, 'connections');
  assert.equal(list.format.syncOrigin, true);
  const plain = parse(['-Lnc']) as { list: { format: ListFormat } };
  assert.equal(plain.list.format.syncOrigin, undefined);
});

test('--sync-origin without -c, or on another command, is refused', () => {
  assert.deepEqual(parse(['-L', '--sync-origin'], { prog: 'lvsadm' }), {
    kind: 'error',
    text: '--sync-origin goes with -c/--connection only',
    exitCode: 2,
  });
  const r = parse(['-A', '-t', '10.0.0.1:80', '--sync-origin'], { prog: 'lvsadm' });
  assert.equal(r.kind, 'error');
});

test('rows print as ip_vs_conn_sync_seq_show does: hex tuple, state, Origin, seconds', () => {
  const rows: ConnView[] = [
    {
      protocol: PROTO.TCP,
      af: 4,
      caddr: '192.0.2.1',
      cport: 40000,
      vaddr: '203.0.113.10',
      vport: 80,
      daddr: '198.51.100.1',
      dport: 80,
      state: 'ESTABLISHED',
      expiresMs: 899_999,
      flags: CONN_F.SYNC | CONN_F.HASHED,
      fwmark: 0,
      template: false,
    },
    {
      protocol: PROTO.UDP,
      af: 6,
      caddr: '2001:db8::1',
      cport: 53,
      vaddr: '2001:db8::10',
      vport: 53,
      daddr: '2001:db8::a:1',
      dport: 5353,
      state: 'UDP',
      expiresMs: 300_000,
      flags: CONN_F.HASHED,
      fwmark: 0,
      template: false,
    },
  ];
  assert.equal(
    formatConnSync(rows),
    HEADER +
      'TCP C0000201 9C40 CB00710A 0050 C6336401 0050 ESTABLISHED SYNC       899\n' +
      'UDP 2001:0db8:0000:0000:0000:0000:0000:0001 0035 2001:0db8:0000:0000:0000:0000:0000:0010 0035 ' +
      '2001:0db8:0000:0000:0000:0000:000a:0001 14E9 UDP         LOCAL      300\n',
  );
});

test('a backup lists synced conns as SYNC beside its own LOCAL ones', () => {
  const d = testDirector();
  d.table.addService(tcp('203.0.113.10', 80), svcConfig());
  d.table.addDest(tcp('203.0.113.10', 80), destConfig('198.51.100.1', 80, { fwd: FWD.MASQ }));
  d.inPacket(pkt('tcp', '192.0.2.9', 1234, '203.0.113.10', 80, { flags: F.SYN }), 0);
  const w = (a: number) => Uint32Array.of(a, 0, 0, 0);
  applySyncEntry(
    d,
    {
      af: 4,
      protocol: PROTO.TCP,
      flags: FWD.MASQ,
      state: 1,
      cport: 40000,
      vport: 80,
      dport: 80,
      fwmark: 0,
      timeoutS: 900,
      caddr: w(0xc0000201),
      vaddr: w(0xcb00710a),
      daddr: w(0xc6336401),
    },
    0,
  );
  const views = connViews(d, 0);
  const text = formatConnSync(views);
  assert.match(text, /^TCP C0000209 04D2 CB00710A 0050 C6336401 0050 SYN_RECV {4}LOCAL +60$/m);
  assert.match(text, /^TCP C0000201 9C40 CB00710A 0050 C6336401 0050 ESTABLISHED SYNC +900$/m);
  // Plain -c lists both alike, as ipvsadm does.
  const f = (parse(['-Lnc']) as { list: { format: ListFormat } }).list.format;
  assert.equal(formatConnections(views, f).split('\n').length, 5);
});
