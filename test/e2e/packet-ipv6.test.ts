/**
 * IPv6 through `lvsd --dataplane packet` with real Linux hosts in network namespaces: a client,
 * the director and two real servers on one bridged 2001:db8:1::/64 segment. DR: the real servers
 * hold the VIP on lo/128 (IPv6 needs no arp_ignore: Linux answers neighbour solicitations only
 * for addresses of the receiving interface) and reply straight to the client. NAT: the real
 * servers sit on 2001:db8:2::/64 behind the director, which is their default gateway. TUN: as DR,
 * with `lvsd rs-agent --decap` taking the IPv6-in-IPv6 packets (this kernel has no ip6_tunnel). lvsd must
 * answer the client's neighbour solicitation for the VIP itself, resolve the real servers by
 * solicitation and forward by the scheduler's order. Root only (CI is root).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';

const repo = resolve(import.meta.dirname, '../..');
const VIP = '2001:db8:1::100';
/** FULLNAT's local address, on the real servers' subnet. */
const LIP = '2001:db8:2::200';
const skip = netnsSkipReason();

// A tiny HTTP server per real server: its name, or the peer address at /whoami. And a UDP echo
// server on port 9000, bound to \`udpBind\` (the VIP for DR, so replies leave from it).
const rsServer = (name: string, udpBind: string) => `
const dgram = require('node:dgram');
const u = dgram.createSocket('udp6');
u.on('message', (m, r) => u.send(m, r.port, r.address));
u.bind(9000, '${udpBind}');
const http = require('node:http');
// /big: 20 MB of a fixed pattern, so the client can check its digest.
const big = Buffer.alloc(20 * 1024 * 1024);
for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >>> 10)) & 0xff;
http.createServer((q, s) => s.end(q.url === '/big' ? big : q.url === '/whoami' ? q.socket.remoteAddress + '\\n' : 'this is ${name}\\n'))
  .listen(80, '::', () => console.log('listening'));`;

interface Lab {
  ns: Netns;
  dir: string;
  lvsd: ChildProcess;
  out: () => string;
}

async function waitFor(what: string, cond: () => boolean, out: () => string, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}:\n${out()}`);
    await sleep(50);
  }
}

const mainScript = `const m = await import(${JSON.stringify(join(repo, 'src/programs/lvsd/main.ts'))}); m.main(process.argv.slice(1));`;
const tsxArgv = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', mainScript, '--'];

async function up(mode: 'dr' | 'nat' | 'tun' | 'fullnat'): Promise<Lab> {
  // NAT and FULLNAT: the real servers on their own subnet behind the director's eth1.
  const nat = mode === 'nat' || mode === 'fullnat';
  const ns = createNetns({
    namespaces: ['sw', 'client', 'dir', 'rs1', 'rs2', ...(nat ? ['sw2'] : [])],
    links: [
      { a: 'client', b: 'sw', aIf: 'eth0', bIf: 'p0' },
      { a: 'dir', b: 'sw', aIf: 'eth0', bIf: 'p1' },
      { a: 'rs1', b: nat ? 'sw2' : 'sw', aIf: 'eth0', bIf: 'p2' },
      { a: 'rs2', b: nat ? 'sw2' : 'sw', aIf: 'eth0', bIf: 'p3' },
      ...(nat ? [{ a: 'dir', b: 'sw2', aIf: 'eth1', bIf: 'p4' }] : []),
    ],
  });
  const bridge = (label: string, ports: string[]) => {
    ns.ip(label, 'link', 'add', 'br0', 'type', 'bridge');
    for (const p of ports) {
      ns.ip(label, 'link', 'set', p, 'master', 'br0');
      ns.ip(label, 'link', 'set', p, 'up');
    }
    ns.ip(label, 'link', 'set', 'br0', 'up');
  };
  bridge('sw', nat ? ['p0', 'p1'] : ['p0', 'p1', 'p2', 'p3']);
  if (nat) bridge('sw2', ['p2', 'p3', 'p4']);
  const addr = (label: string, a: string, dev = 'eth0') => {
    ns.ip(label, '-6', 'addr', 'add', a, 'dev', dev, 'nodad');
    ns.ip(label, 'link', 'set', dev, 'up');
  };
  addr('client', '2001:db8:1::7/64');
  addr('dir', '2001:db8:1::1/64');
  if (nat) {
    addr('dir', '2001:db8:2::1/64', 'eth1');
    addr('rs1', '2001:db8:2::10/64');
    addr('rs2', '2001:db8:2::11/64');
    for (const rs of ['rs1', 'rs2']) ns.ip(rs, '-6', 'route', 'add', 'default', 'via', '2001:db8:2::1');
    // The client reaches the real servers' subnet only through the VIP; no route needed.
  } else {
    addr('rs1', '2001:db8:1::10/64');
    addr('rs2', '2001:db8:1::11/64');
    for (const rs of ['rs1', 'rs2']) ns.ip(rs, '-6', 'addr', 'add', `${VIP}/128`, 'dev', 'lo');
  }
  if (mode === 'tun') {
    // This kernel has no ip6_tunnel: rs-agent decapsulates IPv6-in-IPv6 onto lo.
    for (const rs of ['rs1', 'rs2']) {
      const p = ns.spawn(rs, [...tsxArgv, 'rs-agent', '--decap', '--vip', VIP, '--interface', 'eth0'], {
        cwd: repo,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let o = '';
      p.stdout?.on('data', (d: Buffer) => {
        o += d.toString();
      });
      p.stderr?.on('data', (d: Buffer) => {
        o += d.toString();
      });
      await waitFor(
        `${rs} rs-agent`,
        () => o.includes('decapsulating'),
        () => o,
      );
    }
  }
  for (const rs of ['rs1', 'rs2']) {
    const udpBind = mode === 'dr' ? VIP : '::';
    const p = ns.spawn(rs, [process.execPath, '-e', rsServer(rs, udpBind)], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let o = '';
    p.stdout?.on('data', (d: Buffer) => {
      o += d.toString();
    });
    await waitFor(
      `${rs} http`,
      () => o.includes('listening'),
      () => o,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'lvs-v6-'));
  const rip = nat ? '2001:db8:2::' : '2001:db8:1::';
  const flag = { dr: '-g', nat: '-m', tun: '-i', fullnat: '-b' }[mode];
  writeFileSync(
    join(dir, 'rules'),
    `-A -t [${VIP}]:80 -s rr\n-a -t [${VIP}]:80 -r [${rip}10]:80 ${flag} -w 1\n-a -t [${VIP}]:80 -r [${rip}11]:80 ${flag} -w 1\n` +
      `-A -u [${VIP}]:9000 -s rr\n-a -u [${VIP}]:9000 -r [${rip}10]:9000 ${flag} -w 1\n` +
      (mode === 'fullnat'
        ? `-P -t [${VIP}]:80 -z ${LIP} -F eth1\n-P -u [${VIP}]:9000 -z ${LIP} -F eth1\n`
        : ''),
  );
  const lvsd = ns.spawn(
    'dir',
    [
      ...tsxArgv,
      ...['--dataplane', 'packet', '--interface', 'eth0', ...(nat ? ['--interface', 'eth1'] : [])],
      ...['--socket', join(dir, 'lvsd.sock'), '--restore', join(dir, 'rules'), '--sysctl-files', 'none'],
    ],
    { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let text = '';
  const keep = (d: Buffer) => {
    text += d.toString();
  };
  lvsd.stdout?.on('data', keep);
  lvsd.stderr?.on('data', keep);
  const out = () => text;
  await waitFor(
    'lvsd ready',
    () => text.includes('packet data plane started') || lvsd.exitCode !== null,
    out,
  );
  assert.equal(lvsd.exitCode, null, text);
  return { ns, dir, lvsd, out };
}

function down(lab: Lab | undefined): void {
  if (!lab) return;
  lab.lvsd.kill('SIGTERM');
  lab.ns.destroy();
  rmSync(lab.dir, { recursive: true, force: true });
}

const curl = (lab: Lab, path = '/') =>
  lab.ns.exec('client', ['curl', '-6', '-s', '-m', '5', `http://[${VIP}]${path}`], 15_000);

for (const mode of ['dr', 'nat', 'tun', 'fullnat'] as const) {
  describe(`IPv6 ${mode} through lvsd --dataplane packet`, { skip }, () => {
    let lab: Lab | undefined;
    before(async () => {
      lab = await up(mode);
    });
    after(() => down(lab));

    it('curl through the VIP alternates between the two real servers (rr)', () => {
      const got = [1, 2, 3, 4].map(() => curl(lab!).stdout.trim());
      assert.ok(
        got.every((g) => g === 'this is rs1' || g === 'this is rs2'),
        `${got.join(',')}\n${lab!.out()}`,
      );
      assert.notEqual(got[0], got[1]);
      assert.equal(got[0], got[2]);
      assert.equal(got[1], got[3]);
    });

    it(`the real server sees ${mode === 'fullnat' ? 'the LIP' : "the client's own address"}`, () => {
      assert.equal(curl(lab!, '/whoami').stdout.trim(), mode === 'fullnat' ? LIP : '2001:db8:1::7');
    });

    const bypass = mode === 'dr' || mode === 'tun';
    it(`a 20 MB download keeps its digest${bypass ? ', and its bytes bypass the director' : ''}`, () => {
      const want = Buffer.alloc(20 * 1024 * 1024);
      for (let i = 0; i < want.length; i++) want[i] = (i * 31 + (i >>> 10)) & 0xff;
      const digest = createHash('sha256').update(want).digest('hex');
      const rx = () => Number(lab!.ns.exec('dir', ['cat', '/sys/class/net/eth0/statistics/rx_bytes']).stdout);
      const before = rx();
      const r = lab!.ns.exec(
        'client',
        ['sh', '-c', `curl -6 -s -m 30 http://[${VIP}]/big | sha256sum`],
        40_000,
      );
      assert.equal(r.stdout.split(' ')[0], digest, r.stderr);
      // DR and TUN: the director carries only the client's ACKs, far less than the 20 MB.
      if (bypass) assert.ok(rx() - before < 5 * 1024 * 1024, `director received ${rx() - before} bytes`);
    });

    if (mode !== 'tun')
      it('a 3,000-byte UDP datagram crosses in fragments both ways and comes back whole (IPv6 fragments)', () => {
        // The client's kernel cuts the datagram into fragments (RFC 8200 §4.5, MTU 1500); the
        // director forwards each one, the real server's kernel reassembles it and echoes it back,
        // fragmented again (through the director for NAT and FULLNAT, straight for DR).
        const script = `
const dgram = require('node:dgram');
const s = dgram.createSocket('udp6');
const m = Buffer.alloc(3000);
for (let i = 0; i < m.length; i++) m[i] = (i * 7 + 3) & 0xff;
const t = setTimeout(() => { console.log('timeout'); process.exit(1); }, 4000);
s.on('message', (r, ri) => { console.log(ri.address, r.length, r.equals(m)); clearTimeout(t); s.close(); });
s.send(m, 9000, '${VIP}');`;
        const r = lab!.ns.exec('client', [process.execPath, '-e', script], 15_000);
        assert.equal(r.stdout.trim(), `${VIP} 3000 true`, `${r.stdout}${r.stderr}\n${lab!.out()}`);
      });

    if (mode === 'fullnat')
      it("the real server receives the client's address in the 20-byte IPv6 TOA (kind 254) of the SYN", async () => {
        // What the real server's kernel sees on the wire, read by tshark in its namespace.
        const caps = ['rs1', 'rs2'].map((rs) => {
          const c = lab!.ns.spawn(
            rs,
            [
              'tshark',
              '-n',
              '-i',
              'eth0',
              '-a',
              'duration:6',
              '-f',
              'ip6 and tcp port 80',
              '-T',
              'fields',
              '-e',
              'tcp.options',
            ],
            { stdio: ['ignore', 'pipe', 'pipe'] },
          );
          let o = '';
          let e = '';
          c.stdout?.on('data', (d: Buffer) => {
            o += d.toString();
          });
          c.stderr?.on('data', (d: Buffer) => {
            e += d.toString();
          });
          return { c, out: () => o, err: () => e };
        });
        for (const k of caps) await waitFor('tshark', () => k.err().includes('Capturing on'), k.err);
        assert.equal(curl(lab!).status, 0);
        assert.equal(curl(lab!).status, 0);
        await Promise.all(caps.map((k) => new Promise((r) => k.c.once('exit', r))));
        const opts = caps.map((k) => k.out()).join('');
        // kind 254, length 20 (0x14), then the client's port (any) and address 2001:db8:1::7.
        assert.match(opts, /fe14[0-9a-f]{4}20010db8000100000000000000000007/, opts);
      });

    it("the client's neighbour entry for the VIP is the director's MAC (lvsd answered the solicitation)", () => {
      const neigh = lab!.ns.exec('client', ['ip', '-6', 'neigh', 'show', VIP]).stdout;
      const mac = /link\/ether ([0-9a-f:]{17})/.exec(lab!.ns.ip('dir', 'link', 'show', 'eth0'))?.[1];
      assert.ok(mac);
      assert.match(neigh, new RegExp(`lladdr ${mac}`));
    });
  });
}
