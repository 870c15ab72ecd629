/**
 * A real lvsd process with sysctl files and `--sysctl`: the files' net.ipv4.vs lines are applied
 * in sysctl.d order, `--sysctl` wins over them, a refused file line is a warning with file:line,
 * one info line says where each value came from, `bin/lvsadm --sysctl` shows and changes the
 * result, and a bad `--sysctl` stops lvsd with exit 2 and one coded line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { spawnLvsd, tempDir, waitReady } from './lvsd-process.js';

function lvsadm(socket: string, args: string[]) {
  const r = spawnSync(process.execPath, ['bin/lvsadm', '--socket', socket, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function logLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('lvsd sysctls', () => {
  it('applies sysctl files in sysctl.d order, --sysctl last, and lvsadm --sysctl sees and changes them', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'etc.d'));
    mkdirSync(join(dir, 'lib.d'));
    writeFileSync(
      join(dir, 'etc.d', '50-lvs.conf'),
      'net.ipv4.vs.expire_nodest_conn = 1\nnet.ipv4.vs.sync_ports = 3\n',
    );
    // Masked by etc.d/50-lvs.conf: never read.
    writeFileSync(join(dir, 'lib.d', '50-lvs.conf'), 'net.ipv4.vs.sloppy_sctp = 1\n');
    writeFileSync(join(dir, 'lib.d', '10-base.conf'), 'kernel.x = 1\nnet/ipv4/vs/conn_reuse_mode = 0\n');
    writeFileSync(join(dir, 'sysctl.conf'), 'net.ipv4.vs.sloppy_tcp = 1\n');
    const files = [join(dir, 'etc.d'), join(dir, 'lib.d'), join(dir, 'sysctl.conf')].join(',');
    const d = spawnLvsd(
      ['--dataplane', 'none', '--sysctl-files', files, '--sysctl', 'net.ipv4.vs.conn_reuse_mode=2'],
      { dir },
    );
    try {
      await waitReady(d, 20_000);
      const r = lvsadm(d.socket, ['--sysctl']);
      assert.equal(r.code, 0, r.err);
      const got = Object.fromEntries(
        r.out
          .trimEnd()
          .split('\n')
          .map((l) => l.split(' = ') as [string, string]),
      );
      assert.equal(got['net.ipv4.vs.expire_nodest_conn'], '1');
      assert.equal(got['net.ipv4.vs.sloppy_tcp'], '1');
      assert.equal(got['net.ipv4.vs.sloppy_sctp'], '0');
      assert.equal(got['net.ipv4.vs.sync_ports'], '1');
      assert.equal(got['net.ipv4.vs.conn_reuse_mode'], '2');

      // The socket answers a moment before the ready lines are logged, and spawnSync held this
      // process's event loop: wait until the lines have arrived.
      for (let i = 0; i < 200 && !d.stderr().includes('lvsd ready'); i++)
        await new Promise((r) => setTimeout(r, 50));
      const logs = logLines(d.stderr());
      const warn = logs.find((l) => l.code === 'ERR_LVS_SYSCTL_VALUE');
      assert.equal(warn?.level, 40);
      assert.equal(warn?.at, `${join(dir, 'etc.d', '50-lvs.conf')}:2`);
      const info = logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('sysctls: '));
      assert.match(String(info?.msg), /conn_reuse_mode=2 from --sysctl net\.ipv4\.vs\.conn_reuse_mode=2/);
      assert.match(String(info?.msg), new RegExp(`sloppy_tcp=1 from ${join(dir, 'sysctl.conf')}:1`));

      const w = lvsadm(d.socket, ['--sysctl', 'sloppy_tcp=0']);
      assert.deepEqual([w.code, w.out], [0, 'net.ipv4.vs.sloppy_tcp = 0\n']);
      assert.equal(
        lvsadm(d.socket, ['--sysctl', 'net.ipv4.vs.sloppy_tcp']).out,
        'net.ipv4.vs.sloppy_tcp = 0\n',
      );
    } finally {
      await d.stop();
    }
  });

  for (const [arg, code] of [
    ['net.ipv4.vs.bogus=1', 'ERR_LVS_SYSCTL_UNKNOWN'],
    ['sync_retries=9', 'ERR_LVS_SYSCTL_VALUE'],
    // Valid alone, refused against the default period 50 as proc_do_sync_threshold refuses it.
    ['sync_threshold=60', 'ERR_LVS_INVALID'],
  ] as const) {
    it(`refuses --sysctl ${arg} with exit 2 and ${code}`, async () => {
      const d = spawnLvsd(['--dataplane', 'none', '--sysctl-files', 'none', '--sysctl', arg]);
      try {
        assert.equal(await d.exited, 2);
        assert.match(d.stderr(), new RegExp(`^lvsd: [^\\n]*\\(${code}\\)\\n$`));
      } finally {
        await d.stop();
      }
    });
  }
});
