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
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';
import {
  bridge,
  drRealServer,
  hostAddr,
  type LabLvsd,
  startNodeServer,
  startPacketLvsd,
} from '../helpers/packet-lab.js';
import { lvsadm } from './config-helpers.js';

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

describe('one-packet UDP service (-o) on the packet plane, DR', { skip }, () => {
  let ns: Netns | undefined;
  let dir = '';
  let lvsd: LabLvsd | undefined;
  const log = () => lvsd?.log() ?? '';
  const socket = () => join(dir, 'lvsd.sock');

  before(async () => {
    ns = createNetns({
      namespaces: ['sw', 'c1', 'dir', 'rs1', 'rs2'],
      links: ['c1', 'dir', 'rs1', 'rs2'].map((a, i) => ({ a, b: 'sw', aIf: 'eth0', bIf: `p${i}` })),
    });
    bridge(ns, 'sw', ['p0', 'p1', 'p2', 'p3']);
    hostAddr(ns, 'c1', '192.0.2.7/24');
    hostAddr(ns, 'dir', '192.0.2.1/24');
    hostAddr(ns, 'rs1', '192.0.2.10/24');
    hostAddr(ns, 'rs2', '192.0.2.11/24');
    for (const rs of ['rs1', 'rs2']) {
      drRealServer(ns, rs, VIP);
      await startNodeServer(ns, rs, rsServer(rs));
    }
    dir = mkdtempSync(join(tmpdir(), 'lvs-ops-'));
    writeFileSync(
      join(dir, 'rules'),
      `-A -u ${VIP}:53 -s rr -o\n-a -u ${VIP}:53 -r 192.0.2.10 -g -w 1\n-a -u ${VIP}:53 -r 192.0.2.11 -g -w 1\n`,
    );
    lvsd = await startPacketLvsd(ns, 'dir', [
      '--interface',
      'eth0',
      '--socket',
      socket(),
      '--restore',
      join(dir, 'rules'),
    ]);
  });

  after(() => {
    lvsd?.proc.kill('SIGTERM');
    ns?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('six datagrams from one client port alternate between the real servers and leave no connection', async () => {
    const r = ns!.exec('c1', [process.execPath, '-e', client], 20_000);
    assert.equal(r.status, 0, r.stderr);
    const names = r.stdout.trim().split(' ');
    assert.equal(names.length, 6, `${r.stdout}\n${log()}`);
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
