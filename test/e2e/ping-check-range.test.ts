/**
 * PING checks on a host that allows no ping sockets (root only): lvsd runs in a namespace whose
 * net.ipv4.ping_group_range is the kernel's default "1 0", as on a freshly booted machine without
 * systemd's wider range, and keepalived's PING_CHECK and ldirectord's checktype=ping must still
 * keep the answering real server and drop the silent one, in-process through the raw socket.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';
import { lvsadm, until } from './config-helpers.js';

const skip = netnsSkipReason();
if (skip) console.log(`# skipping PING check e2e tests: ${skip}`);

// 198.51.100.1 is the namespace's own address (answers echoes); 198.51.100.99 is on the same
// link but no host owns it, so its echoes go unanswered.
const KEEPALIVED = `global_defs {
    router_id ping-range
}
virtual_server 203.0.113.10 80 {
    delay_loop 1
    lb_algo rr
    lb_kind DR
    protocol TCP
    real_server 198.51.100.1 80 {
        weight 1
        PING_CHECK {
            retry 0
            connect_timeout 1
        }
    }
    real_server 198.51.100.99 80 {
        weight 1
        PING_CHECK {
            retry 0
            connect_timeout 1
        }
    }
}
`;

const LDIRECTORD = `checkinterval=1
checktimeout=1
virtual=203.0.113.10:80
\treal=198.51.100.1:80 gate 1
\treal=198.51.100.99:80 gate 1
\tchecktype=ping
\tscheduler=rr
\tprotocol=tcp
`;

describe('PING checks where ping_group_range is "1 0"', { skip }, () => {
  let ns: Netns;
  before(() => {
    ns = createNetns({
      namespaces: ['d', 'peer'],
      links: [{ a: 'd', b: 'peer', aIf: 'eth0', bIf: 'eth0', aAddrs: ['198.51.100.1/24'], bAddrs: [] }],
    });
    const pg = ns.exec('d', ['sysctl', '-qw', 'net.ipv4.ping_group_range=1 0']);
    assert.equal(pg.status, 0, pg.stderr);
  });
  after(() => ns?.destroy());

  for (const [format, name, text] of [
    ['keepalived', 'keepalived.conf', KEEPALIVED],
    ['ldirectord', 'ldirectord.cf', LDIRECTORD],
  ] as const) {
    it(`${format}: the answering real server stays, the silent one goes, with no ping process`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'lvs-ping-range-'));
      const conf = join(dir, name);
      const socket = join(dir, 'lvsd.sock');
      writeFileSync(conf, text);
      // PATH without ping: a check that fell back to spawning could only fail.
      const d = ns.spawn(
        'd',
        [
          'env',
          'PATH=/nonexistent',
          'LVSD_SOCKET=',
          process.execPath,
          'bin/lvsd',
          '--sysctl-files',
          'none',
          '--socket',
          socket,
        ].concat(['--dataplane', 'none', '--config', conf]),
        { cwd: process.cwd() },
      );
      let err = '';
      d.stderr?.on('data', (b: Buffer) => {
        err += b.toString();
      });
      try {
        await until(
          async () => {
            const h = await lvsadm(socket, '--health');
            return /198\.51\.100\.1:80 +UP/.test(h.stdout) && /198\.51\.100\.99:80 +DOWN/.test(h.stdout);
          },
          15_000,
          `the checks to settle (${err})`,
        );
        const h = (await lvsadm(socket, '--health')).stdout;
        assert.match(h, /198\.51\.100\.1:80 .*echo reply in \d+\.\d{3} ms/, h);
        const list = (await lvsadm(socket, '-Ln')).stdout;
        assert.match(list, /-> 198\.51\.100\.1:80 /, list);
        assert.doesNotMatch(list, /198\.51\.100\.99/, list);
      } finally {
        d.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
