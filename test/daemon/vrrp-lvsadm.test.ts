import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { startDaemon } from '../../src/daemon/daemon.js';
import { formatVrrp } from '../../src/ipvsadm/format-vrrp.js';
import { connectClient } from '../../src/programs/lvsadm/client.js';
import { type RunnerEnv, run } from '../../src/programs/lvsadm/main.js';
import { conf, segment } from './vrrp-rig.js';

function lvsadm(socket: string) {
  const out: string[] = [];
  const err: string[] = [];
  const env: RunnerEnv = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readStdin: () => Promise.resolve(''),
    connect: (p) => connectClient(p),
    socketEnv: { env: { LVSD_SOCKET: socket }, uid: undefined },
  };
  return { env, out, err };
}

test('lvsadm --vrrp and -L --vrrp print each instance through the control socket', async () => {
  const { clock, router } = segment();
  const a = router('192.0.2.1', conf({ prio: 150 }));
  const b = router('192.0.2.2', conf({ prio: 100 }));
  a.runner.start();
  b.runner.start();
  await clock.advance(10_000);
  const socket = join(mkdtempSync(join(tmpdir(), 'lvs-vrrp-')), 'lvsd.sock');
  const logger = pino({ level: 'silent' });
  const d = await startDaemon({ socket, connTabBits: 8, tickMs: 1000, logger, vrrp: () => b.runner.view() });
  try {
    for (const argv of [['--vrrp'], ['-L', '--vrrp']]) {
      const l = lvsadm(socket);
      assert.equal(await run(argv, l.env), 0, l.err.join(''));
      const text = l.out.join('');
      const [head, row] = text.split('\n');
      assert.match(
        head ?? '',
        /^Instance\s+VRID\s+Ver\s+Interface\s+State\s+Prio\s+Base\s+Master\s+Advert\s+InState/,
      );
      assert.match(row ?? '', /^VI_1\s+51\s+v2\s+eth0\s+BACKUP\s+100\s+100\s+192\.0\.2\.1\s+1s\s/);
      assert.equal(text, formatVrrp(b.runner.view()));
    }
  } finally {
    await d.close();
    await Promise.all([a.runner.stop(), b.runner.stop()]);
  }
});

test('lvsadm --vrrp says so when lvsd runs no VRRP instance', async () => {
  const socket = join(mkdtempSync(join(tmpdir(), 'lvs-vrrp-')), 'lvsd.sock');
  const d = await startDaemon({ socket, connTabBits: 8, tickMs: 1000, logger: pino({ level: 'silent' }) });
  try {
    const l = lvsadm(socket);
    assert.notEqual(await run(['--vrrp'], l.env), 0);
    assert.match(l.err.join(''), /--vrrp: lvsd runs no VRRP instance/);
  } finally {
    await d.close();
  }
});

test('the --vrrp table shows the master, a v3 adopted interval, time in state and errors by reason', () => {
  const text = formatVrrp({
    now: 20_000,
    instances: [
      {
        name: 'VI_1',
        vrid: 51,
        version: 3,
        af: 4,
        interface: 'eth0',
        state: 'BACKUP',
        basePriority: 150,
        effectivePriority: 90,
        primaryAddr: '192.0.2.2',
        masterAddr: '192.0.2.1',
        advertIntMs: 1000,
        masterAdvertIntMs: 100,
        since: 7_500,
        transitions: 3,
        advertsSent: 4,
        advertsReceived: 120,
        rxErrors: { VRRP_RX_AUTH_FAILURE: 2, VRRP_RX_UNKNOWN_VRID: 5 },
        vips: ['192.0.2.100/24'],
      },
    ],
  });
  const row = text.split('\n')[1] ?? '';
  assert.match(
    row,
    /^VI_1\s+51\s+v3\s+eth0\s+BACKUP\s+90\s+150\s+192\.0\.2\.1\s+1s\/0\.1s\s+12\.5s\s+3\s+4\s+120\s+AUTH_FAILURE=2,UNKNOWN_VRID=5$/,
  );
});
