/**
 * The proxy plane's status per service and real server (ProxyDataPlane.serveStatus) over a fake
 * host address list, and the daemon's ServeWatch that turns status changes into
 * `lvs:dataplane:serve` messages: every unserved rule at start, then each change once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ServeStatusMessage, serveStatusChannel } from '../../src/control/channels.js';
import type { VipStatus } from '../../src/control/protocol.js';
import { Director } from '../../src/core/director.js';
import { findScheduler } from '../../src/core/schedulers/index.js';
import { FWD } from '../../src/core/types.js';
import { ServeWatch } from '../../src/daemon/serve-watch.js';
import { DirectorProxyCore } from '../../src/dataplane/proxy-plane/director-core.js';
import { ProxyDataPlane } from '../../src/dataplane/proxy-plane/proxy-data-plane.js';
import { FakeLocalAddresses } from '../../src/io/host/fake-local-addresses.js';
import { dest, freePort, svcConfig, tcpKey } from '../proxy/helpers.js';

test('serveStatus: a bound VIP that leaves the host address list is not served, and served again when it is back', async () => {
  const director = new Director({ schedulers: findScheduler });
  const local = new FakeLocalAddresses(['127.0.0.1']);
  let held: string | undefined;
  const plane = new ProxyDataPlane({
    core: new DirectorProxyCore(director),
    retryMs: 60_000,
    localAddresses: local,
    heldReason: () => held,
  });
  const port = await freePort();
  director.table.addService(tcpKey(port), svcConfig('rr'));
  director.table.addDest(tcpKey(port), dest(9, 1));
  director.table.addDest(tcpKey(port), dest(10, 1, { fwd: FWD.DROUTE, addr: '198.51.100.10' }));
  plane.start();
  try {
    const svc = `TCP 127.0.0.1:${port}`;
    assert.deepEqual(plane.serveStatus(), [
      {
        service: svc,
        serving: true,
        dests: [
          {
            dest: '198.51.100.10:10',
            serving: false,
            reason: 'direct routing (-g) needs the packet data plane',
          },
          { dest: '127.0.0.1:9', serving: true },
        ],
      },
    ]);
    local.addrs.delete('127.0.0.1');
    assert.equal(plane.serveStatus()[0]?.reason, '127.0.0.1 is not an address of this host');
    local.addrs.add('127.0.0.1');
    assert.equal(plane.serveStatus()[0]?.serving, true);
    held = "VRRP instance VI_1 is not MASTER here (BACKUP or FAULT): the address is its peer's";
    assert.equal(plane.serveStatus()[0]?.reason, held);
    held = undefined;
    director.table.editDest(tcpKey(port), dest(9, 0));
    assert.deepEqual(
      [plane.serveStatus()[0]?.serving, plane.serveStatus()[0]?.reason],
      [
        false,
        'no real server can be reached: direct routing (-g) needs the packet data plane; weight 0: gets no new connections',
      ],
    );
  } finally {
    await plane.close();
  }
});

test('ServeWatch: the first pass publishes each unserved service and real server; later passes publish only changes; opening is no verdict', () => {
  let status: VipStatus[] = [
    {
      service: 'TCP 192.0.2.1:80',
      serving: false,
      reason: 'x not local',
      dests: [{ dest: '198.51.100.1:80', serving: true }],
    },
    {
      service: 'TCP 192.0.2.1:81',
      serving: true,
      dests: [{ dest: '198.51.100.1:81', serving: false, reason: 'DR' }],
    },
    { service: 'UDP 192.0.2.1:53', serving: false, reason: 'opening' },
  ];
  const source = {};
  const got: string[] = [];
  const on = (m: ServeStatusMessage) => {
    if (m.source === source)
      got.push(
        `${m.initial ? 'initial ' : ''}${m.service}${m.dest ? ` ${m.dest}` : ''} ${m.serving ? 'served' : m.reason}`,
      );
  };
  serveStatusChannel.subscribe(on);
  const w = new ServeWatch({ status: () => status, source, pollMs: 60_000 });
  try {
    w.start();
    assert.deepEqual(got, [
      'initial TCP 192.0.2.1:80 x not local',
      'initial TCP 192.0.2.1:81 198.51.100.1:81 DR',
    ]);
    got.length = 0;
    w.check(false);
    assert.deepEqual(got, []);
    status = [
      { service: 'TCP 192.0.2.1:80', serving: true, dests: [{ dest: '198.51.100.1:80', serving: true }] },
      {
        service: 'TCP 192.0.2.1:81',
        serving: true,
        dests: [{ dest: '198.51.100.1:81', serving: false, reason: 'DR' }],
      },
      { service: 'UDP 192.0.2.1:53', serving: false, reason: 'port busy' },
    ];
    w.check(false);
    assert.deepEqual(got, ['TCP 192.0.2.1:80 served', 'UDP 192.0.2.1:53 port busy']);
  } finally {
    w.stop();
    serveStatusChannel.unsubscribe(on);
  }
});

test('serveStatus: the proxy plane reports a fwmark service unserved, naming the packet plane and --mark', () => {
  const director = new Director({ schedulers: findScheduler });
  const plane = new ProxyDataPlane({
    core: new DirectorProxyCore(director),
    retryMs: 60_000,
    localAddresses: new FakeLocalAddresses(['127.0.0.1']),
  });
  director.table.addService({ kind: 'fwmark', af: 4, fwmark: 1 }, svcConfig('rr'));
  director.table.addDest({ kind: 'fwmark', af: 4, fwmark: 1 }, dest(9, 1));
  plane.start();
  try {
    const st = plane.serveStatus()[0];
    assert.equal(st?.service, 'FWM 1');
    assert.equal(st?.serving, false);
    assert.match(st?.reason ?? '', /packet data plane with --mark rules \(the proxy plane has no TPROXY\)/);
  } finally {
    void plane.close();
  }
});
