/**
 * `lvsadm --start-daemon / --stop-daemon / -L --daemon` against an in-process lvsd whose sync
 * daemons run on the fake multicast network: the commands succeed (no more EOPNOTSUPP), the
 * listing is ipvsadm's, and the kernel's errors come back as ipvsadm's lines and exit codes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { startDaemon } from '../../src/daemon/daemon.js';
import { syncServiceFactory } from '../../src/daemon/sync/sync-service-factory.js';
import { FakeSyncNetwork } from '../../src/sync/fake-sync-transport.js';
import { lvsadm } from '../helpers/lvsadm-in-process.js';

test('lvsadm starts, lists and stops sync daemons with ipvsadm output and errors', async () => {
  const net = new FakeSyncNetwork();
  const socket = join(mkdtempSync(join(tmpdir(), 'lvs-sync-')), 'lvsd.sock');
  const d = await startDaemon({
    socket,
    connTabBits: 8,
    tickMs: 1000,
    logger: pino({ level: 'silent' }),
    sync: syncServiceFactory({ transport: net.transport('192.0.2.1', { eth0: 1500, eth1: 1500 }) }),
  });
  try {
    let r = await lvsadm(socket, ['--start-daemon', 'master', '--mcast-interface', 'eth0', '--syncid', '5']);
    assert.deepEqual([r.code, r.err], [0, '']);
    r = await lvsadm(socket, [
      '--start-daemon',
      'backup',
      '--mcast-interface',
      'eth1',
      '--syncid',
      '7',
      '--mcast-port',
      '9000',
      '--mcast-ttl',
      '2',
    ]);
    assert.deepEqual([r.code, r.err], [0, '']);
    r = await lvsadm(socket, ['-L', '--daemon']);
    assert.equal(r.code, 0);
    assert.equal(
      r.out,
      'master sync daemon (mcast=eth0, syncid=5, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n' +
        'backup sync daemon (mcast=eth1, syncid=7, maxlen=1472, group=224.0.0.81, port=9000, ttl=2)\n',
    );
    assert.deepEqual(net.open, { senders: 1, receivers: 1 });

    r = await lvsadm(socket, ['--start-daemon', 'master', '--mcast-interface', 'eth0']);
    assert.deepEqual([r.code, r.err], [255, 'Daemon has already run\n']);
    r = await lvsadm(socket, ['--start-daemon', 'backup', '--mcast-interface', 'nosuch0']);
    assert.deepEqual([r.code, r.err], [255, 'No such device\n']);

    r = await lvsadm(socket, ['--stop-daemon', 'master']);
    assert.deepEqual([r.code, r.err], [0, '']);
    r = await lvsadm(socket, ['--stop-daemon', 'master']);
    assert.deepEqual([r.code, r.err], [255, 'No daemon is running\n']);
    r = await lvsadm(socket, ['-L', '--daemon']);
    assert.equal(
      r.out,
      'backup sync daemon (mcast=eth1, syncid=7, maxlen=1472, group=224.0.0.81, port=9000, ttl=2)\n',
    );
  } finally {
    await d.close();
  }
  // Closing lvsd stops the daemons and closes their sockets.
  assert.deepEqual(net.open, { senders: 0, receivers: 0 });
});
