import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import {
  ServiceNotifier,
  type ServiceSummary,
  serviceStatusText,
} from '../../src/daemon/service-notifier.js';
import { FakeNotifyTransport } from '../../src/io/systemd/fake-notify-transport.js';
import { openNotifyTransport } from '../../src/io/systemd/notify-transport.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'debug' },
    { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) },
  );
  return { log, lines };
}

describe('serviceStatusText', () => {
  it('counts services and names the plane', () => {
    assert.equal(
      serviceStatusText({ services: 3, dataplane: 'proxy', vrrp: [] }),
      'serving 3 services (proxy plane)',
    );
    assert.equal(
      serviceStatusText({ services: 1, dataplane: 'none', vrrp: [] }),
      'serving 1 service (table only, no data plane)',
    );
  });
  it('adds the VRRP states, three at most, then a count', () => {
    const vrrp = ['A', 'B', 'C', 'D', 'E'].map((name, i) => ({ name, state: i === 0 ? 'MASTER' : 'BACKUP' }));
    assert.equal(
      serviceStatusText({ services: 2, dataplane: 'packet', vrrp: vrrp.slice(0, 1) }),
      'serving 2 services (packet plane), VRRP A MASTER',
    );
    assert.equal(
      serviceStatusText({ services: 2, dataplane: 'packet', vrrp }),
      'serving 2 services (packet plane), VRRP A MASTER, B BACKUP, C BACKUP +2 more',
    );
  });
});

describe('ServiceNotifier', () => {
  it('sends READY, RELOADING with MONOTONIC_USEC, READY, STOPPING in order, each with STATUS', async () => {
    const t = new FakeNotifyTransport();
    let summary: ServiceSummary = { services: 1, dataplane: 'proxy', vrrp: [] };
    const n = new ServiceNotifier(t, {
      log: capture().log,
      summary: () => summary,
      monotonicUsec: () => 123456789n,
    });
    n.ready();
    n.reloading();
    summary = { ...summary, services: 2 };
    n.reloaded();
    n.stopping();
    n.reloaded();
    await n.flush();
    assert.deepEqual(t.messages, [
      'READY=1\nSTATUS=serving 1 service (proxy plane)\n',
      'RELOADING=1\nMONOTONIC_USEC=123456789\nSTATUS=reloading configuration\n',
      'READY=1\nSTATUS=serving 2 services (proxy plane)\n',
      'STOPPING=1\nSTATUS=stopping\n',
    ]);
  });

  it('sends nothing for a reload before the first READY=1 (SIGHUP during start-up)', async () => {
    const t = new FakeNotifyTransport();
    const n = new ServiceNotifier(t, {
      log: capture().log,
      summary: () => ({ services: 0, dataplane: 'proxy', vrrp: [] }),
      monotonicUsec: () => 1n,
    });
    n.reloading();
    n.reloaded();
    assert.deepEqual(t.messages, []);
    n.ready();
    n.stopping();
    await n.flush();
    assert.deepEqual(t.messages, [
      'READY=1\nSTATUS=serving 0 services (proxy plane)\n',
      'STOPPING=1\nSTATUS=stopping\n',
    ]);
  });

  it('re-sends STATUS only when it changed, and not after STOPPING', async () => {
    const t = new FakeNotifyTransport();
    let summary: ServiceSummary = {
      services: 1,
      dataplane: 'proxy',
      vrrp: [{ name: 'VI_1', state: 'BACKUP' }],
    };
    const n = new ServiceNotifier(t, { log: capture().log, summary: () => summary, refreshMs: 60_000 });
    n.ready();
    n.refresh();
    summary = { ...summary, vrrp: [{ name: 'VI_1', state: 'MASTER' }] };
    n.refresh();
    n.stopping();
    summary = { ...summary, services: 5 };
    n.refresh();
    await n.flush();
    assert.deepEqual(t.messages, [
      'READY=1\nSTATUS=serving 1 service (proxy plane), VRRP VI_1 BACKUP\n',
      'STATUS=serving 1 service (proxy plane), VRRP VI_1 MASTER\n',
      'STOPPING=1\nSTATUS=stopping\n',
    ]);
  });

  it('logs a refused socket once, with the errno code, and keeps running', async () => {
    const t = new FakeNotifyTransport();
    t.failWith = 'ECONNREFUSED';
    const { log, lines } = capture();
    const n = new ServiceNotifier(t, { log, summary: () => ({ services: 0, dataplane: 'none', vrrp: [] }) });
    n.ready();
    n.reloading();
    n.stopping();
    await n.flush();
    const warns = lines.filter((l) => l.level === 40);
    assert.equal(warns.length, 1);
    assert.equal(warns[0]?.code, 'ECONNREFUSED');
  });

  it('does nothing without a transport', async () => {
    const n = new ServiceNotifier(undefined, {
      log: capture().log,
      summary: () => assert.fail('no summary is needed without NOTIFY_SOCKET'),
    });
    assert.equal(n.active, false);
    n.ready();
    n.reloading();
    n.stopping();
    await n.flush();
  });
});

describe('openNotifyTransport', () => {
  it('is undefined without NOTIFY_SOCKET or with it empty', () => {
    assert.equal(openNotifyTransport({ env: {} }), undefined);
    assert.equal(openNotifyTransport({ env: { NOTIFY_SOCKET: '' } }), undefined);
  });
  it('sends through the addon and turns -errno into a coded rejection', async () => {
    const sent: [string, string][] = [];
    let ret = 10;
    const t = openNotifyTransport({
      env: { NOTIFY_SOCKET: '@x' },
      addon: () => (path, msg) => {
        sent.push([path, msg]);
        return ret;
      },
    });
    assert.equal(t?.kind, 'addon');
    await t?.send('READY=1\n');
    assert.deepEqual(sent, [['@x', 'READY=1\n']]);
    ret = -111;
    await assert.rejects(t?.send('READY=1\n') ?? Promise.resolve(), { code: 'ECONNREFUSED' });
  });
  it('falls back to systemd-notify, failing with a stable code when it cannot run', async () => {
    const t = openNotifyTransport({
      env: { NOTIFY_SOCKET: '/run/x' },
      addon: () => undefined,
      systemdNotify: '/nonexistent/systemd-notify',
    });
    assert.equal(t?.kind, 'systemd-notify');
    await assert.rejects(t?.send('READY=1\n') ?? Promise.resolve(), { code: 'ERR_SYSTEMD_NOTIFY_FAILED' });
  });
});
