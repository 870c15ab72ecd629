/**
 * Local real servers on the proxy plane. The kernel hands a packet for a real server at one of
 * the director's own addresses to its own stack whatever the method (ip_vs_xmit.c: a local route
 * from __ip_vs_get_out_rt(), then ip_vs_send_or_cont() with `local` set), so `-g`/`-i` real
 * servers at a host address are accepted and served by a local connect; a real server at the
 * service's own address and port would be the plane's own listener, so lvsadm's -a/-e refuse it
 * and one loaded from a file is skipped by the scheduler (no loop). The listing keeps the
 * configured method (ip_vs_ctl.c ip_vs_copy_dest() copies the flags as set; `Local` only for an
 * explicit IP_VS_CONN_F_LOCALNODE).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { serviceViews } from '../../src/control/snapshot.js';
import { Director } from '../../src/core/director.js';
import { findScheduler } from '../../src/core/schedulers/index.js';
import { FWD } from '../../src/core/types.js';
import { DirectorProxyCore } from '../../src/dataplane/proxy-plane/director-core.js';
import { ProxyDataPlane } from '../../src/dataplane/proxy-plane/proxy-data-plane.js';
import { OWN_LISTENER, proxyRefusal } from '../../src/dataplane/proxy-plane/refusal.js';
import { FakeLocalAddresses } from '../../src/io/host/fake-local-addresses.js';
import { formatServices } from '../../src/ipvsadm/format.js';
import {
  type Backend,
  backend,
  dest,
  freePort,
  names,
  type Rig,
  rig,
  svcConfig,
  tcpKey,
} from '../proxy/helpers.js';

const local = (a: string) => a === '192.0.2.1' || a.startsWith('127.');

describe('proxy plane refusals for local real servers', () => {
  it('-g and -i to a host address are accepted; to another address refused, naming the packet plane', () => {
    const svc = tcpKey(80, '192.0.2.100');
    for (const fwd of [FWD.DROUTE, FWD.TUNNEL]) {
      assert.equal(
        proxyRefusal({ op: 'add-dest', service: svc, dest: dest(80, 1, { fwd, addr: '192.0.2.1' }) }, local),
        undefined,
      );
      assert.match(
        proxyRefusal(
          { op: 'edit-dest', service: svc, dest: dest(80, 1, { fwd, addr: '198.51.100.9' }) },
          local,
        ) ?? '',
        /packet data plane/,
      );
    }
  });

  it("a real server at the service's own address and port is refused whatever the method and spelling", () => {
    for (const fwd of [FWD.MASQ, FWD.DROUTE, FWD.FULLNAT]) {
      assert.equal(
        proxyRefusal(
          { op: 'add-dest', service: tcpKey(80, '192.0.2.1'), dest: dest(80, 1, { fwd, addr: '192.0.2.1' }) },
          local,
        ),
        OWN_LISTENER,
      );
    }
    assert.equal(
      proxyRefusal({
        op: 'add-dest',
        service: tcpKey(80, '2001:db8::1'),
        dest: dest(80, 1, { addr: '2001:DB8:0::1', af: 6 }),
      }),
      OWN_LISTENER,
    );
    // Same address, another port: a local service beside the VIP, accepted.
    assert.equal(
      proxyRefusal(
        { op: 'add-dest', service: tcpKey(80, '192.0.2.1'), dest: dest(8080, 1, { addr: '192.0.2.1' }) },
        local,
      ),
      undefined,
    );
  });
});

describe('proxy plane status of local real servers', () => {
  it('a local -g real server is served, a remote one is not, and the own listener is not, with the reason', async () => {
    const director = new Director({ schedulers: findScheduler });
    const plane = new ProxyDataPlane({
      core: new DirectorProxyCore(director),
      retryMs: 60_000,
      localAddresses: new FakeLocalAddresses(['127.0.0.1']),
    });
    const port = await freePort();
    director.table.addService(tcpKey(port), svcConfig('rr'));
    director.table.addDest(tcpKey(port), dest(port, 1, { fwd: FWD.DROUTE, addr: '198.51.100.9' }));
    director.table.addDest(tcpKey(port), dest(port, 1));
    director.table.addDest(tcpKey(port), dest(9, 1, { fwd: FWD.DROUTE }));
    plane.start();
    try {
      const st = plane.serveStatus()[0]!;
      assert.equal(st.serving, true);
      assert.deepEqual(
        [...(st.dests ?? [])].sort((a, b) => a.dest.localeCompare(b.dest)),
        [
          { dest: `127.0.0.1:${port}`, serving: false, reason: OWN_LISTENER },
          { dest: '127.0.0.1:9', serving: true },
          {
            dest: `198.51.100.9:${port}`,
            serving: false,
            reason: 'direct routing (-g) needs the packet data plane',
          },
        ],
      );
    } finally {
      await plane.close();
    }
  });
});

describe('proxy plane serving a local real server', () => {
  let r: Rig;
  let a: Backend;
  let port = 0;
  before(async () => {
    r = rig();
    a = await backend('local-a');
    port = await freePort();
    // As from a rules file (lvsadm would refuse the second): a local DR real server on another
    // port of the host, and the service's own address and port.
    r.table.addService(tcpKey(port), svcConfig('rr'));
    r.table.addDest(tcpKey(port), dest(a.port, 1, { fwd: FWD.DROUTE }));
    r.table.addDest(tcpKey(port), dest(port, 1));
    r.plane.sync();
  });
  after(async () => {
    await r.close();
    await a.close();
  });

  it('every connection reaches the local -g real server, none loops through the own listener, and the listing keeps Route', async () => {
    const got = await names(port, 6);
    assert.deepEqual(got, Array(6).fill('local-a'));
    const svc = r.table.list()[0]!;
    const byPort = new Map(svc.dests.map((d) => [d.port, d.stats.conns]));
    assert.equal(byPort.get(a.port), 6);
    assert.equal(byPort.get(port), 0);
    assert.equal(svc.stats.conns, 6);
    // Only the relayed connections are open: 6 clients, none of them lvsd's own.
    assert.equal(r.plane.tcp.counters.accepted, 6);
    const text = formatServices(
      { connTabSize: 4096, services: serviceViews(r.table) },
      {
        numeric: true,
        stats: false,
        rate: false,
        thresholds: false,
        persistentConn: false,
        tunInfo: false,
        exact: false,
        nosort: false,
      },
    );
    assert.match(text, new RegExp(`127\\.0\\.0\\.1:${a.port}\\s+Route\\s+1`), text);
    assert.doesNotMatch(text, /\sLocal\s/);
  });
});
