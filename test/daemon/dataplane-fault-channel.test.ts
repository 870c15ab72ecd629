import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { dataplaneFaultChannel } from '../../src/control/channels.js';
import { Director } from '../../src/core/director.js';
import { findScheduler } from '../../src/core/schedulers/index.js';
import { PROTO } from '../../src/core/types.js';
import { startDaemon } from '../../src/daemon/daemon.js';
import { DirectorProxyCore } from '../../src/dataplane/proxy-plane/director-core.js';
import { ProxyDataPlane } from '../../src/dataplane/proxy-plane/proxy-data-plane.js';
import { bypassSpecFromServices } from '../../src/io/host/bypass-rules.js';
import { IngressBypass } from '../../src/io/host/ingress-bypass.js';
import { record } from '../helpers/channels.js';
import { svcConfig, tcp } from '../helpers/table.js';

test('a data-plane fault is published: the proxy plane cannot bind a VIP the host does not hold', async () => {
  const director = new Director({ schedulers: findScheduler });
  // TEST-NET-1 (RFC 5737) is on no interface here, so bind() fails with EADDRNOTAVAIL.
  director.table.addService(tcp('192.0.2.1', 8080), svcConfig({ scheduler: 'rr' }));
  const plane = new ProxyDataPlane({ core: new DirectorProxyCore(director), retryMs: 60_000 });
  const rec = record(dataplaneFaultChannel);
  try {
    plane.start();
    const mine = rec.got.filter((m) => m.source === plane);
    assert.equal(mine.length, 1);
    assert.equal(mine[0]!.plane, 'proxy');
    assert.equal(mine[0]!.code, 'proxy-listen-failed');
    assert.deepEqual(mine[0]!.detail, { service: 'TCP 192.0.2.1:8080', reason: 'EADDRNOTAVAIL' });
  } finally {
    rec.stop();
    await plane.close();
  }
});

test('a missing nft is published as a bypass-nft-missing fault with the spawn error', async () => {
  const b = new IngressBypass({ interfaces: ['lvs-none0'], nft: ['/nonexistent/lvs-ts/nft'] });
  const rec = record(dataplaneFaultChannel);
  try {
    b.update(
      bypassSpecFromServices(
        [
          {
            key: { kind: 'addr', af: 4, protocol: PROTO.TCP, addr: '192.0.2.100', port: 80 },
            laddrs: [],
            dests: [],
          },
        ],
        { interfaces: ['lvs-none0'], localAddrs: [], families: [4] },
      ),
    );
    await b.settled();
    assert.deepEqual(
      rec.got.map((m) => [m.source === b, m.plane, m.code]),
      [[true, 'packet', 'bypass-nft-missing']],
    );
    assert.match(String(rec.got[0]!.err), /ENOENT/);
  } finally {
    rec.stop();
    await b.close();
  }
});

test('a data plane that cannot follow a change is published as a fault, and the change stands', async () => {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  const socket = join(mkdtempSync(join(tmpdir(), 'lvs-fault-')), 'lvsd.sock');
  const d = await startDaemon({
    socket,
    connTabBits: 8,
    tickMs: 1000,
    logger,
    dataplane: () => ({
      name: 'packet',
      onChanges() {
        throw new Error('ring full');
      },
      vipStatus: () => [],
      close: async () => {},
    }),
  });
  const rec = record(dataplaneFaultChannel);
  try {
    d.apply({ op: 'add-service', service: tcp('10.0.0.1', 80), config: svcConfig({ scheduler: 'rr' }) });
    assert.equal(d.director.table.size, 1);
    assert.equal(rec.got.length, 1);
    assert.equal(rec.got[0]!.code, 'plane-follow-failed');
    assert.equal(rec.got[0]!.source, d.director);
    assert.equal((rec.got[0]!.err as Error).message, 'ring full');
    const warn = lines.find((l) => l.msg === 'data plane could not follow the change');
    assert.equal(warn?.level, 40);
    assert.equal((warn?.err as { message?: string } | undefined)?.message, 'ring full');
  } finally {
    rec.stop();
    await d.close();
  }
});
