/**
 * The FTP helper (`lvsd --ftp-ports 21`, ip_vs_ftp) through `lvsd --dataplane packet` with a real
 * FTP server: a client on 192.0.2.0/24, the director, and a vsftpd real server on
 * 198.51.100.0/24 behind it (NAT: its default gateway is the director). curl fetches a file
 * through the VIP in the four ways a client opens a data connection: EPSV (curl's default),
 * PASV (the 227 reply's address is rewritten from the real server's to the VIP's, two bytes
 * shorter, so every later control segment needs its sequence numbers adjusted), EPRT and PORT
 * (the real server connects from port 20 and lvsd masquerades it as VIP:20). The file's bytes
 * must match. Once on AF_PACKET alone and once with the XDP filter, which must pass the data
 * connections (to VIP ports that are no service, and from the real server's port 20) to lvsd.
 * Then FULLNAT (the real server sees a local address, 198.51.100.200) in the two passive modes.
 * Root only, and vsftpd must be installed (Debian package vsftpd).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';
import { bridge, hostAddr, startPacketLvsd, waitFor } from '../helpers/packet-lab.js';

const VIP = '192.0.2.100';
const RIP = '198.51.100.10';

const VSFTPD = ['/usr/sbin/vsftpd', '/usr/bin/vsftpd'].find((p) => spawnSync('test', ['-x', p]).status === 0);
const skip = netnsSkipReason() ?? (VSFTPD ? undefined : 'vsftpd is not installed (apt-get install vsftpd)');
if (skip) console.log(`# skipping the FTP end-to-end test: ${skip}`);

// 300 kB of a fixed pattern: larger than one window, so the data conn carries many segments.
const FILE = Buffer.alloc(300 * 1024);
for (let i = 0; i < FILE.length; i++) FILE[i] = (i * 131 + (i >>> 9)) & 0xff;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const LIP = '198.51.100.200';

for (const [method, xdp] of [
  ['NAT', 'off'],
  ['NAT', 'on'],
  ['FULLNAT', 'off'],
] as const)
  describe(`FTP through lvsd --dataplane packet --xdp ${xdp}, ${method}, --ftp-ports 21`, { skip }, () => {
    let ns: Netns | undefined;
    let dir = '';
    let log = () => '';
    let ftpLog = '';

    before(async () => {
      ns = createNetns({
        namespaces: ['sw', 'sw2', 'client', 'dir', 'rs1'],
        links: [
          { a: 'client', b: 'sw', aIf: 'eth0', bIf: 'p0' },
          { a: 'dir', b: 'sw', aIf: 'eth0', bIf: 'p1' },
          { a: 'rs1', b: 'sw2', aIf: 'eth0', bIf: 'p2' },
          { a: 'dir', b: 'sw2', aIf: 'eth1', bIf: 'p3' },
        ],
      });
      bridge(ns, 'sw', ['p0', 'p1']);
      bridge(ns, 'sw2', ['p2', 'p3']);
      hostAddr(ns, 'client', '192.0.2.7/24');
      hostAddr(ns, 'dir', '192.0.2.1/24');
      hostAddr(ns, 'dir', '198.51.100.1/24', 'eth1');
      hostAddr(ns, 'rs1', `${RIP}/24`);
      ns.ip('rs1', 'link', 'set', 'lo', 'up');
      ns.ip('rs1', 'route', 'add', 'default', 'via', '198.51.100.1');

      dir = mkdtempSync(join(tmpdir(), 'lvs-ftp-'));
      chmodSync(dir, 0o755);
      const root = join(dir, 'pub');
      const empty = join(dir, 'empty');
      mkdirSync(root, { mode: 0o755 });
      mkdirSync(empty, { mode: 0o755 });
      writeFileSync(join(root, 'file.bin'), FILE, { mode: 0o644 });
      // Anonymous read-only FTP; data from port 20 in active mode (connect_from_port_20), a fixed
      // passive range; no privilege-separation namespaces or seccomp, which a test netns does not need.
      writeFileSync(
        join(dir, 'vsftpd.conf'),
        [
          'listen=YES',
          'listen_ipv6=NO',
          'background=NO',
          'anonymous_enable=YES',
          'no_anon_password=YES',
          `anon_root=${root}`,
          'local_enable=NO',
          'write_enable=NO',
          'ftp_username=ftp',
          'nopriv_user=nobody',
          `secure_chroot_dir=${empty}`,
          'connect_from_port_20=YES',
          'pasv_enable=YES',
          'pasv_min_port=50000',
          'pasv_max_port=50010',
          'seccomp_sandbox=NO',
          'isolate=NO',
          'isolate_network=NO',
          'xferlog_enable=NO',
          '',
        ].join('\n'),
      );
      const ftpd = ns.spawn('rs1', [VSFTPD as string, join(dir, 'vsftpd.conf')], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      ftpd.stdout?.on('data', (d: Buffer) => {
        ftpLog += d.toString();
      });
      ftpd.stderr?.on('data', (d: Buffer) => {
        ftpLog += d.toString();
      });
      await waitFor(
        'vsftpd listening',
        () => ns!.exec('rs1', ['ss', '-ltn', 'sport = :21']).stdout.includes(':21'),
        () => ftpLog,
      );

      writeFileSync(
        join(dir, 'rules'),
        method === 'NAT'
          ? `-A -t ${VIP}:21 -s rr\n-a -t ${VIP}:21 -r ${RIP}:21 -m -w 1\n`
          : `-A -t ${VIP}:21 -s rr\n-a -t ${VIP}:21 -r ${RIP}:21 -b -w 1\n-P -t ${VIP}:21 -z ${LIP} -F eth1\n`,
      );
      const lvsd = await startPacketLvsd(
        ns,
        'dir',
        [
          ...['--interface', 'eth0', '--interface', 'eth1', '--xdp', xdp, '--ftp-ports', '21'],
          ...['--socket', join(dir, 'lvsd.sock'), '--restore', join(dir, 'rules')],
        ],
        'packet data plane started',
      );
      log = lvsd.log;
    });

    after(() => {
      ns?.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const fetch = (name: string, args: string[]) => {
      const out = join(dir, `${name}.out`);
      const r = ns!.exec(
        'client',
        ['curl', '-sSv', '-m', '20', ...args, '-o', out, `ftp://${VIP}/file.bin`],
        30_000,
      );
      const got = r.status === 0 ? readFileSync(out) : Buffer.alloc(0);
      return { r, got };
    };

    // FULLNAT: the passive modes only (an active data conn would need PORT rewritten to a LIP).
    for (const [name, mode, args] of [
      ['epsv', 'passive, EPSV (curl default)', []],
      ['pasv', 'passive, PASV: the 227 address rewritten, control seqs adjusted', ['--disable-epsv']],
      ...(method === 'NAT'
        ? ([
            ['eprt', 'active, EPRT: the server connects from port 20 as VIP:20', ['--ftp-port', '-']],
            ['port', 'active, PORT', ['--ftp-port', '-', '--disable-eprt']],
          ] as const)
        : []),
    ] as const)
      it(`curl ftp://VIP/file.bin, ${mode}: the file arrives whole`, () => {
        const { r, got } = fetch(name, [...args]);
        assert.equal(r.status, 0, `curl: ${r.stderr}\nlvsd:\n${log()}\nvsftpd:\n${ftpLog}`);
        assert.equal(got.length, FILE.length);
        assert.equal(sha(got), sha(FILE));
        // curl -v shows the reply as the client got it: the VIP, not the real server's address.
        if (name === 'pasv') assert.match(r.stderr, /< 227 Entering Passive Mode \(192,0,2,100,195,\d+\)/);
      });

    it('two PASV downloads in one control connection: the second 227 is rewritten after the first resize', () => {
      const a = join(dir, 'twice-a.out');
      const b = join(dir, 'twice-b.out');
      const r = ns!.exec(
        'client',
        [
          'curl',
          '-sSv',
          '-m',
          '20',
          '--disable-epsv',
          `ftp://${VIP}/file.bin`,
          '-o',
          a,
          `ftp://${VIP}/file.bin`,
          '-o',
          b,
        ],
        30_000,
      );
      assert.equal(r.status, 0, `curl: ${r.stderr}\n${log()}`);
      assert.equal(r.stderr.match(/< 227 Entering Passive Mode \(192,0,2,100,/g)?.length, 2, r.stderr);
      assert.equal(sha(readFileSync(a)), sha(FILE));
      assert.equal(sha(readFileSync(b)), sha(FILE));
    });
  });
