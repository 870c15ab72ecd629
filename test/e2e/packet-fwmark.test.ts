/**
 * A firewall-mark service through `lvsd --dataplane packet` with real Linux hosts in network
 * namespaces: two clients, the director and two DR real servers on one bridged 192.0.2.0/24.
 * One persistent fwmark service (`-f 1 -p 300`) groups ports 80 and 443 of 192.0.2.100, the
 * setup ipvsadm(8) names for "-f": the mark comes from lvsd's own rules (`--mark-file`), since
 * the packet plane never passes the host's iptables. Each client's connections to both ports must
 * reach one real server. The mark file is then replaced by an `nft list ruleset` dump and lvsd
 * is sent SIGHUP; the status view says which fwmark services are served. Once on AF_PACKET
 * alone and once with the XDP filter, which must pass the rule's VIP to lvsd. Root only.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';
import {
  bridge,
  drRealServer,
  hostAddr,
  type LabLvsd,
  REPO,
  startNodeServer,
  startPacketLvsd,
  waitFor,
} from '../helpers/packet-lab.js';
import { lvsadm } from './config-helpers.js';

const VIP = '192.0.2.100';
const skip = netnsSkipReason();

// One HTTP server per real server on ports 80 and 443 (plain HTTP on both): its name.
const rsServer = (name: string) => `
const http = require('node:http');
let n = 0;
for (const port of [80, 443])
  http.createServer((q, s) => s.end('${name}\\n')).listen(port, '0.0.0.0', () => { if (++n === 2) console.log('listening'); });`;

for (const xdp of ['off', 'on'] as const)
  describe(`fwmark service on the packet plane, --xdp ${xdp} (ports 80 and 443 grouped, persistent)`, {
    skip,
  }, () => {
    let ns: Netns | undefined;
    let dir = '';
    let lvsd: LabLvsd | undefined;
    const log = () => lvsd?.log() ?? '';
    const socket = () => join(dir, 'lvsd.sock');
    const markFile = () => join(dir, 'marks');

    before(async () => {
      ns = createNetns({
        namespaces: ['sw', 'c1', 'c2', 'dir', 'rs1', 'rs2'],
        links: ['c1', 'c2', 'dir', 'rs1', 'rs2'].map((a, i) => ({ a, b: 'sw', aIf: 'eth0', bIf: `p${i}` })),
      });
      bridge(ns, 'sw', ['p0', 'p1', 'p2', 'p3', 'p4']);
      hostAddr(ns, 'c1', '192.0.2.7/24');
      hostAddr(ns, 'c2', '192.0.2.8/24');
      hostAddr(ns, 'dir', '192.0.2.1/24');
      hostAddr(ns, 'rs1', '192.0.2.10/24');
      hostAddr(ns, 'rs2', '192.0.2.11/24');
      for (const rs of ['rs1', 'rs2']) {
        drRealServer(ns, rs, VIP);
        await startNodeServer(ns, rs, rsServer(rs));
      }
      dir = mkdtempSync(join(tmpdir(), 'lvs-fwm-'));
      writeFileSync(
        join(dir, 'rules'),
        '-A -f 1 -s rr -p 300\n-a -f 1 -r 192.0.2.10 -g -w 1\n-a -f 1 -r 192.0.2.11 -g -w 1\n' +
          '-A -f 2 -s rr\n-a -f 2 -r 192.0.2.10 -g -w 1\n',
      );
      // At first only port 80 is marked; the SIGHUP test widens it.
      writeFileSync(markFile(), `# lvsd mark rules\ntcp dst ${VIP} dport 80 mark 1\n`);
      lvsd = await startPacketLvsd(ns, 'dir', [
        ...['--interface', 'eth0', '--socket', socket(), '--restore', join(dir, 'rules')],
        ...['--mark-file', markFile(), '--xdp', xdp],
      ]);
    });

    after(() => {
      lvsd?.proc.kill('SIGTERM');
      ns?.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const curl = (client: string, port: number, lport: number) =>
      ns!.exec(
        client,
        ['curl', '-s', '-m', '4', '--local-port', String(lport), `http://${VIP}:${port}/`],
        15_000,
      );

    it('a marked port reaches a real server; an unmarked one does not', () => {
      assert.match(curl('c1', 80, 40001).stdout, /^rs[12]$/m, log());
      assert.notEqual(curl('c1', 443, 40002).status, 0, 'port 443 has no mark yet');
    });

    it('after SIGHUP with an nft list ruleset dump, each client reaches one real server on both ports', async () => {
      // A real `nft list ruleset` dump (test/fixtures/marks): ip daddr 192.0.2.100 tcp dport { 80, 443 } → mark 1.
      writeFileSync(markFile(), readFileSync(join(REPO, 'test/fixtures/marks/nft-native.txt')));
      lvsd!.proc.kill('SIGHUP');
      await waitFor('mark reload', () => log().includes('mark rules reloaded'), log);
      const seen = new Map<string, Set<string>>();
      for (const c of ['c1', 'c2']) {
        const got = new Set<string>();
        for (let i = 0; i < 3; i++) {
          for (const port of [80, 443]) {
            const r = curl(c, port, 41000 + i * 10 + port / 80);
            assert.equal(r.status, 0, `${c} port ${port}: ${r.stderr}\n${log()}`);
            got.add(r.stdout.trim());
          }
        }
        assert.equal(got.size, 1, `${c} reached ${[...got].join(' and ')}`);
        seen.set(c, got);
      }
      // The second client's template went to the other real server (round robin).
      assert.notDeepEqual([...seen.get('c1')!], [...seen.get('c2')!]);
    });

    it('the status view reports the fed fwmark service as served and the other one with the reason', async () => {
      const r = await lvsadm(socket(), '-L', '--status');
      assert.equal(r.code, 0, r.stderr);
      const line = (s: string) => r.stdout.split('\n').find((l) => l.startsWith(`${s} `)) ?? '';
      assert.match(line('FWM 1'), /^FWM 1\s+served$/, r.stdout);
      // The dump's only mark-2 rule names iifname "veth0", which lvsd does not serve.
      assert.match(
        line('FWM 2'),
        /not served.*no mark rule sets mark 2 on IPv4 traffic on an interface lvsd serves/,
        r.stdout,
      );
    });

    it('a mark file with an error is refused on SIGHUP, naming file:line:column, and the rules in force stay', async () => {
      writeFileSync(markFile(), `tcp dst ${VIP} dport 80,443 mark 1\ntcp dport 99999 mark 1\n`);
      lvsd!.proc.kill('SIGHUP');
      await waitFor('refusal', () => log().includes('mark file refused'), log);
      assert.match(log(), new RegExp(`${markFile()}:2:11: .*ERR_MARK_PORT`));
      assert.equal(curl('c1', 443, 42001).status, 0, 'port 443 still marked');
    });
  });
