import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseKeepalived } from '../../src/config/keepalived/index.js';
import {
  clusterDirectorBird,
  clusterKeepalived,
  clusterPlan,
  clusterRouterBird,
} from '../../src/tools/lab/cluster-plan.js';
import { connsByClientPort, formatClusterTrace } from '../../src/tools/lab/cluster-trace.js';
import { labsOfNamespaces } from '../../src/tools/lab/lab-list.js';
import { memIo } from '../config/mem-io.js';

const TEST_NETS = [/^192\.0\.2\./, /^198\.51\.100\./, /^203\.0\.113\./];

test('the cluster plan uses only documentation addresses and one director link per director', () => {
  for (const n of [2, 3, 4]) {
    const p = clusterPlan(n, 'dr');
    assert.equal(p.directors.length, n);
    assert.deepEqual(
      p.directors,
      Array.from({ length: n }, (_, i) => `director${i + 1}`),
    );
    const addrs = p.lab.links.flatMap((l) => [...l.a.addrs, ...l.b.addrs]);
    for (const a of [...addrs, p.vip, ...p.rips, ...p.directorIps])
      assert.ok(
        TEST_NETS.some((r) => r.test(a)),
        `${a} is outside TEST-NET`,
      );
    assert.equal(new Set(addrs).size, addrs.length, 'no address twice');
    // The router spreads by the L4 hash.
    assert.ok(p.lab.sysctls.router?.includes('net.ipv4.fib_multipath_hash_policy=1'));
  }
  assert.throws(() => clusterPlan(1), /2 to 4 directors/);
  assert.throws(() => clusterPlan(5), /2 to 4 directors/);
});

test('the router has one BGP session per director and merges their routes into one multipath route', () => {
  const p = clusterPlan(3, 'dr');
  const conf = clusterRouterBird(p);
  assert.match(conf, /merge paths on/);
  for (const [i, ip] of p.directorIps.entries())
    assert.match(
      conf,
      new RegExp(`protocol bgp director${i + 1} from directors \\{\\n  neighbor ${ip} as 6500${i + 1};`),
    );
  assert.match(conf, /hold time 3;/);
  assert.match(conf, /error wait time 1, 5;/);
  const d2 = clusterDirectorBird(p, 1, '/run/x/director2-vips.conf');
  assert.match(d2, /include "\/run\/x\/director2-vips\.conf";/);
  assert.match(d2, /local 198\.51\.100\.12 as 65002;/);
  assert.match(d2, /export where proto = "lvs_vips"; next hop self;/);
});

test('every director reads the same keepalived.conf: mh with mh-port, or rr, and a TCP_CHECK per real server', () => {
  for (const method of ['dr', 'tun'] as const) {
    for (const sched of ['mh', 'rr'] as const) {
      const p = clusterPlan(3, method);
      const P = '/etc/keepalived/keepalived.conf';
      const r = parseKeepalived(P, memIo({ [P]: clusterKeepalived(p, sched) }));
      assert.deepEqual(
        r.diagnostics.filter((x) => x.severity === 'error' || x.severity === 'warning'),
        [],
      );
      const [vs] = r.model.services;
      assert.equal(r.model.services.length, 1);
      assert.equal(vs?.config.scheduler, sched);
      assert.equal(vs?.reals.length, 4);
      assert.equal(clusterKeepalived(p, sched).includes('mh-port'), sched === 'mh');
    }
  }
});

test('cluster lab namespaces group into one lab for lab status', () => {
  const names = ['x1-cluster-router', 'x1-cluster-director3', 'x1-cluster-rs4', 'x1-cluster-sw'];
  assert.deepEqual(labsOfNamespaces(names), [{ prefix: 'x1', mode: 'cluster', namespaces: names }]);
});

test('connsByClientPort maps each client port of a VIP conn to its real server, ignoring other lines', () => {
  const lnc = `IPVS connection entries
pro expire state       source             virtual            destination
TCP 14:59  ESTABLISHED 203.0.113.10:40000 192.0.2.100:80     198.51.100.22:80
TCP 01:59  FIN_WAIT    203.0.113.10:40002 192.0.2.100:80     198.51.100.24:80
TCP 01:59  FIN_WAIT    203.0.113.10:40004 192.0.2.200:80     198.51.100.24:80
`;
  assert.deepEqual(
    [...connsByClientPort(lnc, '192.0.2.100')],
    [
      [40000, '198.51.100.22'],
      [40002, '198.51.100.24'],
    ],
  );
  fc.assert(
    fc.property(
      fc.array(
        fc.record({ port: fc.integer({ min: 1, max: 65535 }), rs: fc.integer({ min: 1, max: 254 }) }),
        {
          maxLength: 20,
        },
      ),
      fc.string(),
      (rows, junk) => {
        const text = [
          junk.replaceAll('192.0.2.100', ''),
          ...rows.map(
            (r) => `TCP 00:10  SYN_RECV    203.0.113.10:${r.port} 192.0.2.100:80 198.51.100.${r.rs}:80`,
          ),
        ].join('\n');
        const m = connsByClientPort(text, '192.0.2.100');
        const want = new Map(rows.map((r) => [r.port, `198.51.100.${r.rs}`]));
        assert.deepEqual(m, want);
      },
    ),
  );
});

test("the cluster trace names each flow's director and counts flows per director", () => {
  const text = formatClusterTrace({
    nextHops: ['198.51.100.11', '198.51.100.12'],
    flows: [
      { port: 40000, response: 'this is rs2', directors: ['director1'], servers: ['198.51.100.22'] },
      { port: 40002, response: '', directors: [], servers: [] },
    ],
    perDirector: { director1: 1, director2: 0 },
  });
  assert.match(text, /router next hops for the VIP: 198\.51\.100\.11 198\.51\.100\.12/);
  assert.match(text, /40000\s+director1\s+198\.51\.100\.22\s+this is rs2/);
  assert.match(text, /40002\s+\?\s+\?\s+\(no answer\)/);
  assert.match(text, /flows per director: director1 1, director2 0/);
});
