/**
 * The director as one of its own real servers, on the packet plane, with real Linux hosts in
 * network namespaces: a client, the director and one remote DR real server on one bridged
 * 192.0.2.0/24. The service has two DR real servers: rs1 (192.0.2.10) and the director itself
 * (192.0.2.1, an address of its own). As the kernel does (ip_vs_xmit.c: a local route from
 * __ip_vs_get_out_rt(), then ip_vs_dr_xmit() ends in ip_vs_send_or_cont() with `local` set), the
 * engine hands the director's share to its own stack (ACT.LOCAL, injected on lo), where an HTTP
 * server listens on the VIP (held on lo, as on any DR real server), and the director's kernel
 * answers the client directly. lvsd takes the VIP's frames alone (--ingress-bypass, or XDP), so
 * the director's kernel sees them only through lo. Requests spread over both, `lvsadm -Ln
 * --stats` counts both, and the listing keeps `Route`. Root only.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';
import {
  bridge,
  drRealServer,
  hostAddr,
  type LabLvsd,
  startLvsdIn,
  startNodeServer,
  startPacketLvsd,
} from '../helpers/packet-lab.js';
import { lvsadm } from './config-helpers.js';

const VIP = '192.0.2.100';
const DIR_IP = '192.0.2.1';
const skip = netnsSkipReason();

/** The bridged 192.0.2.0/24: client c1, the director, rs1. */
function lan(ns: Netns): void {
  bridge(ns, 'sw', ['p0', 'p1', 'p2']);
  hostAddr(ns, 'c1', '192.0.2.7/24');
  hostAddr(ns, 'dir', `${DIR_IP}/24`);
  hostAddr(ns, 'rs1', '192.0.2.10/24');
}

// An HTTP server on port 80 answering every request with its host's name.
const server = (name: string) => `
require('node:http').createServer((q, s) => s.end('${name}')).listen(80, '0.0.0.0', () => console.log('listening'));`;

// Eight requests, one connection each, one after another; prints the answers in order.
const client = `
const http = require('node:http');
(async () => {
  const got = [];
  for (let i = 0; i < 8; i++) {
    got.push(await new Promise((ok, ko) => {
      const q = http.get({ host: '${VIP}', port: 80, path: '/', agent: false, timeout: 3000 }, (r) => {
        let b = '';
        r.on('data', (d) => (b += d));
        r.on('end', () => ok(b));
      });
      q.on('timeout', () => q.destroy(new Error('timeout')));
      q.on('error', ko);
    }));
  }
  console.log(got.join(' '));
})().catch((e) => { console.error(String(e)); process.exit(1); });`;

for (const [title, planeArgs] of [
  ['AF_PACKET with --ingress-bypass', ['--xdp', 'off', '--ingress-bypass']],
  ['AF_XDP', ['--xdp', 'on']],
] as const) {
  describe(`a local real server on the packet plane (DR, ${title})`, { skip }, () => {
    let ns: Netns | undefined;
    let dir = '';
    let lvsd: LabLvsd | undefined;
    const log = () => lvsd?.log() ?? '';
    const socket = () => join(dir, 'lvsd.sock');

    before(async () => {
      ns = createNetns({
        namespaces: ['sw', 'c1', 'dir', 'rs1'],
        links: ['c1', 'dir', 'rs1'].map((a, i) => ({ a, b: 'sw', aIf: 'eth0', bIf: `p${i}` })),
      });
      lan(ns);
      drRealServer(ns, 'rs1', VIP);
      drRealServer(ns, 'dir', VIP);
      await startNodeServer(ns, 'rs1', server('rs1'));
      await startNodeServer(ns, 'dir', server('director'));
      dir = mkdtempSync(join(tmpdir(), 'lvs-localrs-'));
      writeFileSync(
        join(dir, 'rules'),
        `-A -t ${VIP}:80 -s rr\n-a -t ${VIP}:80 -r 192.0.2.10 -g -w 1\n-a -t ${VIP}:80 -r ${DIR_IP} -g -w 1\n`,
      );
      lvsd = await startPacketLvsd(ns, 'dir', [
        ...['--interface', 'eth0', ...planeArgs],
        ...['--socket', socket(), '--restore', join(dir, 'rules')],
      ]);
    });

    after(() => {
      lvsd?.proc.kill('SIGTERM');
      ns?.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('requests reach both the remote and the local real server, and --stats counts both', async () => {
      const r = ns!.exec('c1', [process.execPath, '-e', client], 30_000);
      assert.equal(r.status, 0, `${r.stderr}\n${log()}`);
      const names = r.stdout.trim().split(' ');
      assert.equal(names.length, 8, `${r.stdout}\n${log()}`);
      assert.deepEqual(new Set(names), new Set(['rs1', 'director']), r.stdout);
      const s = await lvsadm(socket(), '-L', '-n', '--stats');
      assert.equal(s.code, 0, s.stderr);
      for (const rs of ['192.0.2.10', DIR_IP]) {
        const line = s.stdout.split('\n').find((l) => l.includes(`-> ${rs}:80`)) ?? '';
        const conns = Number(line.trim().split(/\s+/)[2]);
        assert.ok(conns >= 3, `${rs} counted ${conns} conns:\n${s.stdout}`);
      }
      const st = await lvsadm(socket(), '-L', '-n', '--status');
      assert.equal(st.code, 0, st.stderr);
      assert.match(st.stdout, new RegExp(`${DIR_IP.replaceAll('.', '\\.')}:80`), st.stdout);
      assert.doesNotMatch(st.stdout, /not served/, st.stdout);
      // The listing keeps the configured method: no `Local` (ip_vs_ctl.c copies the flags as set).
      const l = await lvsadm(socket(), '-L', '-n');
      assert.match(l.stdout, new RegExp(`-> ${DIR_IP.replaceAll('.', '\\.')}:80\\s+Route\\s`), l.stdout);
    });
  });
}

describe('a local real server on the proxy plane (masq, and -g to a host address)', { skip }, () => {
  let ns: Netns | undefined;
  let dir = '';
  let lvsd: LabLvsd | undefined;
  const log = () => lvsd?.log() ?? '';
  const socket = () => join(dir, 'lvsd.sock');

  before(async () => {
    ns = createNetns({
      namespaces: ['sw', 'c1', 'dir', 'rs1'],
      links: ['c1', 'dir', 'rs1'].map((a, i) => ({ a, b: 'sw', aIf: 'eth0', bIf: `p${i}` })),
    });
    lan(ns);
    // The proxy plane listens on the VIP: an address of the director.
    ns.ip('dir', 'addr', 'add', `${VIP}/32`, 'dev', 'eth0');
    ns.ip('dir', 'link', 'set', 'lo', 'up');
    for (const [label, name, at] of [
      ['rs1', 'rs1', "80, '0.0.0.0'"],
      ['dir', 'director', "8080, '127.0.0.1'"],
      ['dir', 'director-dr', `81, '${DIR_IP}'`],
    ] as const) {
      const src = `require('node:http').createServer((q, s) => s.end('${name}')).listen(${at}, () => console.log('listening'));`;
      await startNodeServer(ns, label, src);
    }
    dir = mkdtempSync(join(tmpdir(), 'lvs-localrs-'));
    // Port 80: a remote masq real server and a local one on 127.0.0.1:8080. Port 81: only a -g
    // real server at the director's own address, which the proxy plane serves by a local connect.
    writeFileSync(
      join(dir, 'rules'),
      [
        `-A -t ${VIP}:80 -s rr`,
        `-a -t ${VIP}:80 -r 192.0.2.10:80 -m -w 1`,
        `-a -t ${VIP}:80 -r 127.0.0.1:8080 -m -w 1`,
        `-A -t ${VIP}:81 -s rr`,
        `-a -t ${VIP}:81 -r ${DIR_IP}:81 -g -w 1`,
        '',
      ].join('\n'),
    );
    lvsd = await startLvsdIn(ns, 'dir', [
      ...['--dataplane', 'proxy', '--socket', socket(), '--restore', join(dir, 'rules')],
    ]);
  });

  after(() => {
    lvsd?.proc.kill('SIGTERM');
    ns?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('requests reach the remote and the local real server, --stats counts both, and a local -g real server is served', async () => {
    const r = ns!.exec('c1', [process.execPath, '-e', client], 30_000);
    assert.equal(r.status, 0, `${r.stderr}\n${log()}`);
    assert.deepEqual(new Set(r.stdout.trim().split(' ')), new Set(['rs1', 'director']), r.stdout);
    const s = await lvsadm(socket(), '-L', '-n', '--stats');
    for (const rs of ['192.0.2.10:80', '127.0.0.1:8080']) {
      const line = s.stdout.split('\n').find((l) => l.includes(`-> ${rs}`)) ?? '';
      assert.ok(Number(line.trim().split(/\s+/)[2]) >= 3, `${rs}:\n${s.stdout}`);
    }
    const dr = ns!.exec('c1', [process.execPath, '-e', client.replace('port: 80', 'port: 81')], 30_000);
    assert.equal(dr.status, 0, `${dr.stderr}\n${log()}`);
    assert.deepEqual(new Set(dr.stdout.trim().split(' ')), new Set(['director-dr']), dr.stdout);
    const st = await lvsadm(socket(), '-L', '-n', '--status');
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, new RegExp(`${DIR_IP.replaceAll('.', '\\.')}:81`), st.stdout);
    assert.doesNotMatch(st.stdout, /direct routing \(-g\) needs|not served/, st.stdout);
    // lvsadm -a refuses the service's own address and port (it would be lvsd's own listener).
    const own = await lvsadm(socket(), '-a', '-t', `${VIP}:81`, '-r', `${VIP}:81`, '-m');
    assert.notEqual(own.code, 0);
    assert.match(own.stderr, /own address and port/);
  });
});
