/**
 * systemd's Type=notify protocol against a real lvsd and a real AF_UNIX datagram receiver as the
 * fake NOTIFY_SOCKET: READY=1 once it serves, RELOADING=1 with MONOTONIC_USEC= then READY=1
 * around SIGHUP, STOPPING=1 at SIGTERM, STATUS= throughout; through the addon (native/sd_notify.c)
 * on an abstract socket, and through the `systemd-notify` fallback on a path.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadPacketAddon } from '../../src/io/packet-socket/addon.js';
import { type NotifyReceiver, startNotifyReceiver } from '../helpers/notify-receiver.js';
import { spawnLvsd, tempDir, waitReady } from './lvsd-process.js';

const vs = (port: number) => `virtual_server 192.0.2.10 ${port} {
    lvs_sched rr
    lvs_method NAT
    protocol TCP
    real_server 198.51.100.2 ${port} {
        weight 1
    }
}
`;

function addonReason(): string | undefined {
  try {
    return typeof loadPacketAddon().sdNotify === 'function'
      ? undefined
      : 'the built addon has no sdNotify (rebuild native/)';
  } catch (e) {
    return (e as Error).message;
  }
}
const noSystemdNotify =
  spawnSync('systemd-notify', ['--version']).status === 0 ? undefined : 'systemd-notify is not installed';
const noPython = spawnSync('python3', ['-c', '0']).status === 0 ? undefined : 'python3 is not installed';

/** Runs lvsd under `rx` through one start, SIGHUP reload and SIGTERM; returns the messages. */
async function lifecycle(rx: NotifyReceiver, env: NodeJS.ProcessEnv): Promise<string[]> {
  const dir = tempDir();
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(conf, vs(80));
  const d = spawnLvsd(['--dataplane', 'none', '--config', conf], {
    dir,
    env: { NOTIFY_SOCKET: rx.name, ...env },
  });
  try {
    const ready = await rx.waitFor((m) => m.includes('READY=1'));
    assert.match(ready, /^STATUS=serving 1 service \(table only, no data plane\)$/m);

    writeFileSync(conf, vs(80) + vs(81));
    const n = rx.messages.length;
    const before = process.hrtime.bigint() / 1000n;
    d.proc.kill('SIGHUP');
    const reloading = await rx.waitFor((m) => m.includes('RELOADING=1'), 15_000, n);
    const after = process.hrtime.bigint() / 1000n;
    // Both sides read CLOCK_MONOTONIC, so the stamp falls between the test's two readings.
    const usec = BigInt(/^MONOTONIC_USEC=(\d+)$/m.exec(reloading)?.[1] ?? '-1');
    assert.ok(usec >= before && usec <= after, `MONOTONIC_USEC ${usec} not in [${before}, ${after}]`);
    const reloaded = await rx.waitFor((m) => m.includes('READY=1'), 15_000, n);
    assert.match(reloaded, /^STATUS=serving 2 services /m);
    assert.ok(rx.messages.indexOf(reloaded) > rx.messages.indexOf(reloading), 'READY=1 after RELOADING=1');

    d.proc.kill('SIGTERM');
    const stopping = await rx.waitFor((m) => m.includes('STOPPING=1'));
    assert.match(stopping, /^STATUS=stopping$/m);
    assert.equal(await d.exited, 0);
    return [...rx.messages];
  } finally {
    await d.stop();
  }
}

describe('lvsd notifies systemd (NOTIFY_SOCKET)', { timeout: 90_000 }, () => {
  it('sends READY, RELOADING+MONOTONIC_USEC, READY and STOPPING through the addon to an abstract socket', {
    skip: noPython ?? addonReason(),
  }, async () => {
    const rx = await startNotifyReceiver(`@lvs-test-notify-${process.pid}-${Date.now()}`);
    try {
      const msgs = await lifecycle(rx, {});
      // The addon sends from lvsd itself: no MAINPID= (that is systemd-notify's --pid).
      assert.ok(
        msgs.every((m) => !m.includes('MAINPID=')),
        JSON.stringify(msgs),
      );
    } finally {
      rx.close();
    }
  });

  it('falls back to systemd-notify --pid when the addon is absent', {
    skip: noPython ?? noSystemdNotify,
  }, async () => {
    const dir = tempDir();
    const rx = await startNotifyReceiver(join(dir, 'notify.sock'));
    try {
      const msgs = await lifecycle(rx, { LVS_PACKET_ADDON: join(dir, 'no-such-addon.node') });
      const ready = msgs.find((m) => m.includes('READY=1')) ?? '';
      assert.match(ready, /^MAINPID=\d+$/m);
    } finally {
      rx.close();
    }
  });

  it('keeps NOTIFY_SOCKET from its check scripts (sd_notify unset_environment)', async () => {
    const dir = tempDir();
    const out = join(dir, 'env-seen');
    const script = join(dir, 'check.sh');
    writeFileSync(script, `#!/bin/sh\necho "\${NOTIFY_SOCKET-unset}" > ${out}\nexit 0\n`, { mode: 0o755 });
    const conf = join(dir, 'keepalived.conf');
    writeFileSync(
      conf,
      `virtual_server 192.0.2.10 80 {
    delay_loop 1
    lvs_sched rr
    lvs_method NAT
    protocol TCP
    real_server 198.51.100.2 80 {
        MISC_CHECK {
            misc_path "${script}"
        }
    }
}
`,
    );
    const d = spawnLvsd(['--dataplane', 'none', '--config', conf], {
      dir,
      env: { NOTIFY_SOCKET: `@lvs-test-unused-${process.pid}` },
    });
    try {
      await waitReady(d);
      const end = Date.now() + 15_000;
      while (!existsSync(out) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      assert.equal(readFileSync(out, 'utf8'), 'unset\n');
    } finally {
      await d.stop();
    }
  });

  it('sends nothing and runs normally without NOTIFY_SOCKET', async () => {
    const d = spawnLvsd(['--dataplane', 'none', '--log-level', 'debug'], { env: { NOTIFY_SOCKET: '' } });
    try {
      await waitReady(d);
      d.proc.kill('SIGTERM');
      assert.equal(await d.exited, 0);
      assert.doesNotMatch(d.stderr(), /systemd notified|cannot notify systemd/);
    } finally {
      await d.stop();
    }
  });
});
