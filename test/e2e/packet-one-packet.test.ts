/**
 * One-packet scheduling (`-o`) for UDP through `lvsd --dataplane packet` with real Linux hosts in
 * network namespaces: a client, the director and two DR real servers on one bridged
 * 192.0.2.0/24. Six datagrams from one client socket (one source port) to a `-o` service with
 * round robin must reach both real servers in turn, and `lvsadm -Lnc` must list no connection
 * afterwards (ip_vs_schedule() with IP_VS_CONN_F_ONE_PACKET, freed after the packet). Root only.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';
import { lvsadm } from './config-helpers.js';

const repo = resolve(import.meta.dirname, '../..');
const VIP = '192.0.2.100';
const skip = netnsSkipReason();

// A UDP server on port 53 answering every datagram with its host's name.
const rsServer = (name: string) => `
const s = require('node:dgram').createSocket('udp4');
s.on('message', (m, r) => s.send('${name}', r.port, r.address));
s.bind(53, '0.0.0.0', () => console.log('listening'));`;

// Six datagrams from one socket (source port 40053), 100 ms apart; prints the answers in order.
const client = `
const s = require('node:dgram').createSocket('udp4');
const got = [];
s.on('message', (m) => got.push(m.toString()));
s.bind(40053, () => {
  let i = 0;
  const t = setInterval(() => {
    if (i < 6) s.send('q' + i++, 53, '${VIP}');
    else { clearInterval(t); setTimeout(() => { console.log(got.join(' ')); s.close(); }, 500); }
  }, 100);
});`;

async function waitFor(what: string, cond: () => boolean, out: () => string, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}:\n${out()}`);
    await sleep(50);
  }
}

describe('one-packet UDP service (-o) on the packet plane, DR', { skip }, () => {
  let ns: Netns | undefined;
  let dir = '';
  let log = '';
  let lvsd: ReturnType<Netns['spawn']> | undefined;
  const socket = () => join(dir, 'lvsd.sock');

  before(async () => {
    ns = createNetns({
      namespaces: ['sw', 'c1', 'dir', 'rs1', 'rs2'],
      links: ['c1', 'dir', 'rs1', 'rs2'].map((a, i) => ({ a, b: 'sw', aIf: 'eth0', bIf: `p${i}` })),
    });
    ns.ip('sw', 'link', 'add', 'br0', 'type', 'bridge');
    for (let i = 0; i < 4; i++) {
      ns.ip('sw', 'link', 'set', `p${i}`, 'master', 'br0');
      ns.ip('sw', 'link', 'set', `p${i}`, 'up');
    }
    ns.ip('sw', 'link', 'set', 'br0', 'up');
    for (const [l, a] of [
      ['c1', '192.0.2.7'],
      ['dir', '192.0.2.1'],
      ['rs1', '192.0.2.10'],
      ['rs2', '192.0.2.11'],
    ] as const) {
      ns.ip(l, 'addr', 'add', `${a}/24`, 'dev', 'eth0');
      ns.ip(l, 'link', 'set', 'eth0', 'up');
    }
    for (const rs of ['rs1', 'rs2']) {
      ns.ip(rs, 'link', 'set', 'lo', 'up');
      ns.ip(rs, 'addr', 'add', `${VIP}/32`, 'dev', 'lo');
      for (const k of ['all', 'eth0']) {
        ns.exec(rs, ['sysctl', '-qw', `net.ipv4.conf.${k}.arp_ignore=1`]);
        ns.exec(rs, ['sysctl', '-qw', `net.ipv4.conf.${k}.arp_announce=2`]);
      }
      const p = ns.spawn(rs, [process.execPath, '-e', rsServer(rs)], { stdio: ['ignore', 'pipe', 'ignore'] });
      let o = '';
      p.stdout?.on('data', (d: Buffer) => {
        o += d.toString();
      });
      await waitFor(
        `${rs} udp`,
        () => o.includes('listening'),
        () => o,
      );
    }
    dir = mkdtempSync(join(tmpdir(), 'lvs-ops-'));
    writeFileSync(
      join(dir, 'rules'),
      `-A -u ${VIP}:53 -s rr -o\n-a -u ${VIP}:53 -r 192.0.2.10 -g -w 1\n-a -u ${VIP}:53 -r 192.0.2.11 -g -w 1\n`,
    );
    lvsd = ns.spawn(
      'dir',
      [
        process.execPath,
        'bin/lvsd',
        '--dataplane',
        'packet',
        '--interface',
        'eth0',
        '--socket',
        socket(),
      ].concat(['--restore', join(dir, 'rules'), '--sysctl-files', 'none']),
      { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LVSD_SOCKET: '' } },
    );
    const keep = (d: Buffer) => {
      log += d.toString();
    };
    lvsd.stdout?.on('data', keep);
    lvsd.stderr?.on('data', keep);
    await waitFor(
      'lvsd ready',
      () => log.includes('lvsd ready') || lvsd?.exitCode !== null,
      () => log,
    );
    assert.equal(lvsd.exitCode, null, log);
  });

  after(() => {
    lvsd?.kill('SIGTERM');
    ns?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('six datagrams from one client port alternate between the real servers and leave no connection', async () => {
    const r = ns!.exec('c1', [process.execPath, '-e', client], 20_000);
    assert.equal(r.status, 0, r.stderr);
    const names = r.stdout.trim().split(' ');
    assert.equal(names.length, 6, `${r.stdout}\n${log}`);
    for (let i = 1; i < 6; i++)
      assert.notEqual(names[i], names[i - 1], `round robin per datagram: ${r.stdout}`);
    assert.deepEqual(new Set(names), new Set(['rs1', 'rs2']));
    const c = await lvsadm(socket(), '-L', '-n', '-c');
    assert.equal(c.code, 0, c.stderr);
    assert.doesNotMatch(c.stdout, /UDP/, c.stdout);
    // The service counted one connection per datagram.
    const s = await lvsadm(socket(), '-L', '-n', '--stats');
    assert.match(s.stdout, new RegExp(`UDP\\s+${VIP.replaceAll('.', '\\.')}:53\\s+6\\s`), s.stdout);
  });
});
