import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMarkArgs } from '../../src/config/marks/mark-rules.js';
import { Director } from '../../src/core/director.js';
import { findScheduler } from '../../src/core/schedulers/index.js';
import { fwmarkUnserved, markEndpoints } from '../../src/dataplane/packet-plane/plane-marks.js';
import { svcConfig } from '../proxy/helpers.js';

function table() {
  const d = new Director({ schedulers: findScheduler });
  d.table.addService({ kind: 'fwmark', af: 4, fwmark: 1 }, svcConfig('rr'));
  d.table.addService({ kind: 'fwmark', af: 6, fwmark: 1 }, svcConfig('rr', { netmask: '128' }));
  d.table.addService({ kind: 'fwmark', af: 4, fwmark: 2 }, svcConfig('rr'));
  return d.table.list();
}
const rules = (...r: string[]) => parseMarkArgs(r).rules;

test('a fwmark service is served when a rule on a served interface sets its mark for its family', () => {
  const [v4, v6, two] = table();
  const served = (n: string) => n === 'eth0';
  const r = rules('tcp dst 192.0.2.100 dport 80,443 mark 1', 'udp iif eth9 mark 2');
  assert.equal(fwmarkUnserved(v4!, r, served), undefined);
  assert.match(fwmarkUnserved(v6!, r, served) ?? '', /no mark rule sets mark 1 on IPv6 traffic \(/);
  assert.match(fwmarkUnserved(two!, r, served) ?? '', /mark 2 on IPv4 traffic on an interface lvsd serves/);
  // A rule with no address feeds both families.
  assert.equal(fwmarkUnserved(v6!, rules('tcp dport 80 mark 1'), served), undefined);
});

test("rule host destinations of IPv4 fwmark services become the XDP filter's and bypass's endpoints", () => {
  const svcs = table();
  const r = rules(
    'tcp dst 192.0.2.100 dport 80 mark 1',
    'dst 192.0.2.101 mark 1',
    'tcp dst 192.0.2.0/24 mark 1',
    'tcp dst 192.0.2.9 mark 7',
  );
  assert.deepEqual(
    markEndpoints(svcs, r).map((e) => `${e.addr}/${e.protocol}/${e.port}`),
    ['192.0.2.100/6/0', '192.0.2.101/6/0', '192.0.2.101/17/0', '192.0.2.101/132/0'],
  );
});
