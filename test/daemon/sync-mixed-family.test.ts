/**
 * Sync and mixed-family destinations exclude each other, as in the kernel: a sync entry has one
 * family for all its addresses, so ip_vs_genl_new_daemon() answers EINVAL while a service has a
 * destination of the other family (an IPv4 VIP tunnelled to an IPv6 real server), and
 * ip_vs_genl_set_cmd() answers EINVAL to adding or editing such a destination while either
 * daemon runs (ip_vs_ctl.c). Checked on a director port with sync daemons on the fake network,
 * by code, and through lvsadm for ipvsadm's line.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { apply, hasMixedFamilyDests } from '../../src/control/apply.js';
import type { Command, SyncDaemonConfig } from '../../src/control/commands.js';
import { FWD } from '../../src/core/types.js';
import { startDaemon } from '../../src/daemon/daemon.js';
import { createDirectorPort } from '../../src/daemon/director-port.js';
import { syncServiceFactory } from '../../src/daemon/sync/sync-service-factory.js';
import { connectClient } from '../../src/programs/lvsadm/client.js';
import { type RunnerEnv, run } from '../../src/programs/lvsadm/main.js';
import { FakeSyncNetwork } from '../../src/sync/fake-sync-transport.js';
import { destConfig, svcConfig, tcp } from '../helpers/table.js';

const vip = tcp('192.0.2.100', 80);
const v4Tun = destConfig('198.51.100.20', 80, { fwd: FWD.TUNNEL });
const v6Tun = destConfig('2001:db8::20', 80, { fwd: FWD.TUNNEL });
const daemon = (state: 'master' | 'backup'): SyncDaemonConfig => ({
  state,
  mcastInterface: 'eth0',
  syncId: 1,
});

function port() {
  const net = new FakeSyncNetwork();
  const p = createDirectorPort(
    8,
    syncServiceFactory({ transport: net.transport('192.0.2.1', { eth0: 1500 }) }),
  );
  const run = (cmd: Command) => apply(p, cmd, 0);
  run({ op: 'add-service', service: vip, config: svcConfig({ scheduler: 'rr' }) });
  return { p, run, net };
}

/** The stable code and errno an apply failure carries. */
function failure(f: () => unknown): { code?: string; errno?: string } {
  try {
    f();
  } catch (e) {
    const { code, errno } = e as { code?: string; errno?: string };
    return { code, errno };
  }
  assert.fail('no error');
}

const REFUSED = { code: 'ERR_LVS_SYNC_MIXED_FAMILY', errno: 'EINVAL' };

describe('sync daemons and mixed-family destinations', () => {
  for (const state of ['master', 'backup'] as const) {
    it(`--start-daemon ${state} is refused with EINVAL while an IPv4 service has an IPv6 tunnel destination, and opens nothing`, () => {
      const { p, run, net } = port();
      run({ op: 'add-dest', service: vip, dest: v6Tun });
      assert.equal(hasMixedFamilyDests(p.table), true);
      assert.deepEqual(
        failure(() => run({ op: 'start-daemon', daemon: daemon(state) })),
        REFUSED,
      );
      assert.deepEqual(p.daemons(), []);
      assert.deepEqual(net.open, { senders: 0, receivers: 0 });
      // Once the destination is gone (the trash does not count), the daemon starts.
      run({ op: 'del-dest', service: vip, dest: { addr: v6Tun.addr, port: 80 } });
      assert.equal(hasMixedFamilyDests(p.table), false);
      run({ op: 'start-daemon', daemon: daemon(state) });
      assert.equal(p.daemons().length, 1);
    });

    it(`while the ${state} daemon runs, adding or editing an IPv6 destination of an IPv4 service is refused with EINVAL; same-family ones are not`, () => {
      const { p, run } = port();
      run({ op: 'start-daemon', daemon: daemon(state) });
      assert.deepEqual(
        failure(() => run({ op: 'add-dest', service: vip, dest: v6Tun })),
        REFUSED,
      );
      assert.equal(p.table.find(vip)?.dests.length, 0, 'nothing added');
      run({ op: 'add-dest', service: vip, dest: v4Tun });
      run({ op: 'edit-dest', service: vip, dest: { ...v4Tun, weight: 3 } });
      assert.deepEqual(
        failure(() => run({ op: 'edit-dest', service: vip, dest: v6Tun })),
        REFUSED,
      );
      // An unknown service answers ESRCH first, as ip_vs_genl_set_cmd() looks the service up first.
      assert.equal(
        failure(() => run({ op: 'add-dest', service: tcp('192.0.2.101', 80), dest: v6Tun })).errno,
        'ESRCH',
      );
      // Stopped, the destination is accepted again.
      run({ op: 'stop-daemon', state });
      run({ op: 'add-dest', service: vip, dest: v6Tun });
      assert.equal(hasMixedFamilyDests(p.table), true);
    });
  }

  it('a director without sync daemons accepts mixed-family tunnel destinations as before', () => {
    const p = createDirectorPort(8);
    apply(p, { op: 'add-service', service: vip, config: svcConfig({ scheduler: 'rr' }) }, 0);
    apply(p, { op: 'add-dest', service: vip, dest: v6Tun }, 0);
    assert.equal(p.table.find(vip)?.dests.length, 1);
  });

  it("lvsadm prints ipvsadm's EINVAL line for both refusals", async () => {
    const net = new FakeSyncNetwork();
    const socket = join(mkdtempSync(join(tmpdir(), 'lvs-sync-mixed-')), 'lvsd.sock');
    const d = await startDaemon({
      socket,
      connTabBits: 8,
      tickMs: 1000,
      logger: pino({ level: 'silent' }),
      sync: syncServiceFactory({ transport: net.transport('192.0.2.1', { eth0: 1500 }) }),
    });
    const lvsadm = async (argv: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const env: RunnerEnv = {
        stdout: (t) => out.push(t),
        stderr: (t) => err.push(t),
        readStdin: () => Promise.resolve(''),
        connect: (s) => connectClient(s),
        socketEnv: { env: { LVSD_SOCKET: socket }, uid: undefined },
      };
      return { code: await run(argv, env), out: out.join(''), err: err.join('') };
    };
    const EINVAL = 'Invalid operation.  Possibly wrong module version, address not unicast, ...\n';
    try {
      let r = await lvsadm(['-A', '-t', '192.0.2.100:80', '-s', 'rr']);
      assert.deepEqual([r.code, r.err], [0, '']);
      r = await lvsadm(['-a', '-t', '192.0.2.100:80', '-r', '[2001:db8::20]:80', '-i']);
      assert.deepEqual([r.code, r.err], [0, '']);
      r = await lvsadm(['--start-daemon', 'master', '--mcast-interface', 'eth0']);
      assert.deepEqual([r.code, r.err], [255, EINVAL]);
      r = await lvsadm(['-d', '-t', '192.0.2.100:80', '-r', '[2001:db8::20]:80']);
      assert.deepEqual([r.code, r.err], [0, '']);
      r = await lvsadm(['--start-daemon', 'backup', '--mcast-interface', 'eth0']);
      assert.deepEqual([r.code, r.err], [0, '']);
      r = await lvsadm(['-a', '-t', '192.0.2.100:80', '-r', '[2001:db8::21]:80', '-i']);
      assert.deepEqual([r.code, r.err], [255, EINVAL]);
    } finally {
      await d.close();
    }
  });
});
