/**
 * End to end: a real lvsd on a temporary socket, driven by the real bin/lvsadm, compared byte
 * for byte (stdout, stderr, exit code) with what ipvsadm 1.31 prints. The expected bytes were
 * recorded from the Debian ipvsadm 1.31 binary through the oracle shim
 * (test/fixtures/ipvsadm/oracle, fake-ipvs.so) holding the same table state.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { probeSocket } from '../../src/daemon/control-server.js';
import { commandForm } from '../../src/io/command-form.js';
import { type LvsdProc, spawnLvsd, tempDir, waitReady } from '../daemon/lvsd-process.js';

interface Out {
  code: number | null;
  out: string;
  err: string;
}

function lvsadm(socket: string | undefined, args: string[], stdin = ''): Out {
  const env = { ...process.env };
  delete env.LVSD_SOCKET;
  if (socket !== undefined) env.LVSD_SOCKET = socket;
  const r = spawnSync(process.execPath, ['bin/lvsadm', ...args], {
    env,
    input: stdin,
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A step: argv (split on spaces), expected stdout, stderr and exit code; optional stdin. */
type Step = [args: string, out: string, err: string, code: number, stdin?: string];

function runSteps(socket: string, steps: Step[]): void {
  for (const [args, out, err, code, stdin] of steps) {
    const got = lvsadm(socket, args === '' ? [] : args.split(' '), stdin);
    assert.deepEqual(got, { code, out, err }, `lvsadm ${args}`);
  }
}

const HEAD = 'IP Virtual Server version 1.2.1 (size=4096)\n';
const TITLES =
  'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';
const NAT_LIST = `${HEAD}${TITLES}TCP  12.0.0.1:80 rr
  -> 172.16.0.2:80                Masq    1      0          0         
  -> 172.16.0.3:80                Masq    1      0          0         
`;
const NAT_SAVE = `-A -t 12.0.0.1:80 -s rr
-a -t 12.0.0.1:80 -r 172.16.0.2:80 -m -w 1
-a -t 12.0.0.1:80 -r 172.16.0.3:80 -m -w 1
`;
const MIX_LIST = `${HEAD}${TITLES}TCP  12.0.0.1:80 wrr
  -> 172.16.0.2:80                Masq    2      0          0         
  -> 172.16.0.3:80                Route   0      0          0         
UDP  10.0.0.53:53 rr persistent 600 mask 255.255.255.0
  -> 10.1.0.1:53                  Tunnel  1      0          0         
FWM  7 sh (sh-fallback,sh-port)
  -> 10.1.0.2:0                   Route   5      0          0         
`;
const MIX_SAVE = `-A -t 12.0.0.1:80 -s wrr
-a -t 12.0.0.1:80 -r 172.16.0.2:80 -m -w 2
-a -t 12.0.0.1:80 -r 172.16.0.3:80 -g -w 0
-A -u 10.0.0.53:53 -s rr -p 600 -M 255.255.255.0
-a -u 10.0.0.53:53 -r 10.1.0.1:53 -i -w 1 --tun-type ipip
-A -f 7 -s sh -b sh-fallback,sh-port
-a -f 7 -r 10.1.0.2:0 -g -w 5
`;
const NO_SERVICE = 'No such service\n';

describe('lvsadm against lvsd', () => {
  let d: LvsdProc;
  before(async () => {
    // Table only: these are ipvsadm byte-compatibility runs, and ipvsadm's default method is DR,
    // which the default proxy plane refuses (issue 4); the none plane accepts what the kernel would.
    d = spawnLvsd(['--dataplane', 'none']);
    await waitReady(d);
  });
  after(async () => {
    await d?.stop();
  });

  it('runs the classic NAT example and lists it like ipvsadm', () => {
    runSteps(d.socket, [
      ['-C', '', '', 0],
      ['-Ln', `${HEAD}${TITLES}`, '', 0],
      ['-A -t 12.0.0.1:80 -s rr', '', '', 0],
      ['-a -t 12.0.0.1:80 -r 172.16.0.2:80 -m', '', '', 0],
      ['-a -t 12.0.0.1:80 -r 172.16.0.3:80 -m', '', '', 0],
      ['-Ln', NAT_LIST, '', 0],
      ['-L -n', NAT_LIST, '', 0],
      ['-Sn', NAT_SAVE, '', 0],
      ['-L -n -t 12.0.0.1:80', NAT_LIST.slice(HEAD.length), '', 0],
    ]);
  });

  it('edits as full replacements, forces the service port for DR and TUN, and deletes', () => {
    runSteps(d.socket, [
      ['-C', '', '', 0],
      ['-A -t 12.0.0.1:80 -s rr', '', '', 0],
      ['-a -t 12.0.0.1:80 -r 172.16.0.2:80 -m -w 2', '', '', 0],
      ['-a -t 12.0.0.1:80 -r 172.16.0.3:80 -m', '', '', 0],
      ['-E -t 12.0.0.1:80 -s wrr', '', '', 0],
      // -e without -m: the whole entry is replaced, so the NAT dest becomes DR (ipvsadm.c sends it whole).
      ['-e -t 12.0.0.1:80 -r 172.16.0.3:80 -w 0', '', '', 0],
      ['-A -u 10.0.0.53:53 -s rr -p 600 -M 255.255.255.0', '', '', 0],
      ['-a -u 10.0.0.53:53 -r 10.1.0.1 -i', '', '', 0],
      ['-A -f 7 -s sh -b sh-fallback,sh-port', '', '', 0],
      ['-a -f 7 -r 10.1.0.2 -w 5', '', '', 0],
      ['-Ln', MIX_LIST, '', 0],
      ['-Sn', MIX_SAVE, '', 0],
      ['-d -t 12.0.0.1:80 -r 172.16.0.3:80', '', '', 0],
      ['-D -f 7', '', '', 0],
      ['-D -u 10.0.0.53:53', '', '', 0],
      [
        '-Ln',
        `${HEAD}${TITLES}TCP  12.0.0.1:80 wrr\n  -> 172.16.0.2:80                Masq    2      0          0         \n`,
        '',
        0,
      ],
    ]);
  });

  it('lists IPv6 services and destinations in brackets', () => {
    runSteps(d.socket, [
      ['-C', '', '', 0],
      ['-A -t [2001:db8::1]:80 -s rr', '', '', 0],
      ['-a -t [2001:db8::1]:80 -r [2001:db8::2]:8080 -m', '', '', 0],
      [
        '-Ln',
        `${HEAD}${TITLES}TCP  [2001:db8::1]:80 rr\n  -> [2001:db8::2]:8080           Masq    1      0          0         \n`,
        '',
        0,
      ],
      ['-Sn', '-A -t [2001:db8::1]:80 -s rr\n-a -t [2001:db8::1]:80 -r [2001:db8::2]:8080 -m -w 1\n', '', 0],
    ]);
  });

  it("prints ipvsadm's kernel error lines with exit 255 for failed operations", () => {
    runSteps(d.socket, [
      ['-C', '', '', 0],
      ['-A -t 12.0.0.1:80 -s rr', '', '', 0],
      ['-a -t 12.0.0.1:80 -r 172.16.0.2:80 -m', '', '', 0],
      ['-A -t 12.0.0.1:80 -s rr', '', 'Service already exists\n', 255],
      ['-E -t 12.0.0.9:80 -s rr', '', NO_SERVICE, 255],
      ['-D -t 12.0.0.9:80', '', NO_SERVICE, 255],
      ['-Z -t 12.0.0.9:80', '', NO_SERVICE, 255],
      ['-a -t 12.0.0.9:80 -r 172.16.0.2:80 -m', '', 'Service not defined\n', 255],
      ['-e -t 12.0.0.9:80 -r 172.16.0.2:80 -m', '', 'Service not defined\n', 255],
      ['-d -t 12.0.0.9:80 -r 172.16.0.2:80', '', 'Service not defined\n', 255],
      ['-a -t 12.0.0.1:80 -r 172.16.0.2:80 -m', '', 'Destination already exists\n', 255],
      ['-e -t 12.0.0.1:80 -r 172.16.0.9:80 -m', '', 'No such destination\n', 255],
      ['-d -t 12.0.0.1:80 -r 172.16.0.9:80', '', 'No such destination\n', 255],
      ['-A -t 12.0.0.2:80 -s bogus', '', 'Scheduler or persistence engine not found\n', 255],
      ['-A -t 12.0.0.2:80 -p --pe bogus', '', 'Scheduler or persistence engine not found\n', 255],
      // An interface that does not exist, so no sync socket ever opens on the host's own links.
      ['--start-daemon master --mcast-interface lvsts-nodev0', '', 'No such device\n', 255],
      ['--stop-daemon backup', '', 'No daemon is running\n', 255],
      // A failed operation changes nothing.
      ['-Sn', '-A -t 12.0.0.1:80 -s rr\n-a -t 12.0.0.1:80 -r 172.16.0.2:80 -m -w 1\n', '', 0],
    ]);
  });

  it('fails a listing of a missing service with exit 1', () => {
    runSteps(d.socket, [
      ['-C', '', '', 0],
      ['-L -n -t 1.2.3.4:80', '', NO_SERVICE, 1],
      ['-L -n -u 1.2.3.4:53', '', NO_SERVICE, 1],
    ]);
  });

  it('refuses usage errors with exit 2 without needing a daemon', () => {
    runSteps(join(tempDir(), 'none.sock'), [
      ['-A -t 10.0.0.1:80 -w 3', '', "Illegal 'weight' option with the 'add-service' command\n", 2],
      ['-A -t 10.0.0.1:0', '', 'Zero port specified for non-persistent service\n', 2],
      ['--set 1 2', '', '--set option requires 3 timeout values\n', 2],
      ['-A -u 10.0.0.1:53 -E -u 10.0.0.1:53', '', "invalid option `-E'\n", 2],
    ]);
  });

  it('sets and lists timeouts, keeping a value given as 0', () => {
    runSteps(d.socket, [
      ['-L --timeout', 'Timeout (tcp tcpfin udp): 900 120 300\n', '', 0],
      ['--set 100 20 30', '', '', 0],
      ['-L --timeout', 'Timeout (tcp tcpfin udp): 100 20 30\n', '', 0],
      ['--set 0 0 45', '', '', 0],
      ['-L --timeout', 'Timeout (tcp tcpfin udp): 100 20 45\n', '', 0],
      ['--set 900 120 300', '', '', 0],
    ]);
  });

  it('zeroes counters, lists no sync daemons and no connections, and clears', () => {
    runSteps(d.socket, [
      ['-C', '', '', 0],
      ['-A -t 12.0.0.1:80 -s rr', '', '', 0],
      ['-Z', '', '', 0],
      ['-Z -t 12.0.0.1:80', '', '', 0],
      ['-L --daemon', '', '', 0],
      [
        '-Lnc',
        'IPVS connection entries\npro expire state       source             virtual            destination\n',
        '',
        0,
      ],
      [
        '-L -n --stats',
        `${HEAD}Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n  -> RemoteAddress:Port\nTCP  12.0.0.1:80                         0        0        0        0        0\n`,
        '',
        0,
      ],
      ['-C', '', '', 0],
      ['-Ln', `${HEAD}${TITLES}`, '', 0],
    ]);
  });

  it('restores a saved table from stdin and saves the same rules back', () => {
    runSteps(d.socket, [
      ['-C', '', '', 0],
      ['-R', '', '', 0, `${MIX_SAVE}\n`],
      ['-Sn', MIX_SAVE, '', 0],
      ['-Ln', MIX_LIST, '', 0],
    ]);
  });

  it('restore prints failed operations and goes on, returning the last result', () => {
    runSteps(d.socket, [
      ['-C', '', '', 0],
      [
        '-R',
        '',
        'Service already exists\n',
        0,
        '-A -t 1.1.1.1:80\nipvsadm -A -t 1.1.1.1:80\n   \n-A -t 1.1.1.2:80',
      ],
      ['-Sn', '-A -t 1.1.1.1:80 -s wlc\n-A -t 1.1.1.2:80 -s wlc\n', '', 0],
      ['-R', '', 'Service already exists\n', 255, '-A -t 1.1.1.3:80\n-A -t 1.1.1.1:80\n'],
    ]);
  });

  it('restore stops at a parse error with exit 2, keeping the lines before it', () => {
    runSteps(d.socket, [
      ['-C', '', '', 0],
      [
        '-R',
        '',
        "Illegal 'weight' option with the 'add-service' command\n",
        2,
        '-A -t 1.1.1.1:80\n-A -t 1.1.1.2:80 -w 3\n-A -t 1.1.1.3:80\n',
      ],
      ['-Sn', '-A -t 1.1.1.1:80 -s wlc\n', '', 0],
      // ipvsadm's parser has no comments: a '#' line is an unparseable option (exit 255).
      [
        '-R',
        '',
        "Try `lvsadm -h' or 'lvsadm --help' for more information.\n",
        255,
        '# saved rules\n-A -t 1.1.1.2:80\n',
      ],
    ]);
  });

  it('resolves names from /etc/hosts and /etc/services without -n, as ipvsadm does', () => {
    runSteps(d.socket, [
      ['-C', '', '', 0],
      ['-A -t localhost:http -s rr', '', '', 0],
      ['-a -t 127.0.0.1:80 -r 127.0.0.2:http-alt -m', '', '', 0],
      [
        '-L',
        `${HEAD}${TITLES}TCP  localhost:http rr\n  -> 127.0.0.2:http-alt           Masq    1      0          0         \n`,
        '',
        0,
      ],
      ['-S', '-A -t localhost:http -s rr\n-a -t localhost:http -r 127.0.0.2:http-alt -m -w 1\n', '', 0],
      ['-Sn', '-A -t 127.0.0.1:80 -s rr\n-a -t 127.0.0.1:80 -r 127.0.0.2:8080 -m -w 1\n', '', 0],
    ]);
  });

  it('manages FULLNAT local addresses with the DPVS spellings (-P, -Q, -G, -z, -b)', () => {
    const laddrs = 'VIP:VPORT                         LADDR\nTCP  12.0.0.1:80                  10.0.0.100\n';
    runSteps(d.socket, [
      ['-C', '', '', 0],
      ['-A -t 12.0.0.1:80 -s rr', '', '', 0],
      ['-a -t 12.0.0.1:80 -r 10.1.1.1:80 -b', '', '', 0],
      ['-P -t 12.0.0.1:80 -z 10.0.0.100', '', '', 0],
      ['-P -t 12.0.0.1:80 -z 10.0.0.100', '', 'Local address already exists\n', 255],
      ['-P -t 12.0.0.9:80 -z 10.0.0.100', '', 'Service not defined\n', 255],
      ['-G -n', laddrs, '', 0],
      ['-G -n -t 12.0.0.1:80', laddrs, '', 0],
      ['-G -n -t 12.0.0.9:80', '', NO_SERVICE, 1],
      ['-Q -t 12.0.0.1:80 -z 10.0.0.101', '', 'No such local address\n', 255],
      ['-Q -t 12.0.0.1:80 -z 10.0.0.100', '', '', 0],
      ['-G -n', 'VIP:VPORT                         LADDR\n', '', 0],
      [
        '-Ln',
        `${HEAD}${TITLES}TCP  12.0.0.1:80 rr\n  -> 10.1.1.1:80                  FullNat 1      0          0         \n`,
        '',
        0,
      ],
    ]);
  });

  it('reports data-plane status: a VIP the host cannot bind stays in the table, unserved', async () => {
    // Its own lvsd on the default proxy plane: the shared one runs table-only.
    const p = spawnLvsd();
    try {
      await waitReady(p);
      runSteps(p.socket, [['-A -t 192.0.2.1:80 -s rr', '', '', 0]]);
      let st = lvsadm(p.socket, ['-L', '--status']);
      for (let i = 0; i < 50 && !/not served: /.test(st.out); i++) {
        await new Promise((r) => setTimeout(r, 100));
        st = lvsadm(p.socket, ['-L', '--status']);
      }
      assert.equal(st.code, 0);
      assert.match(st.out, /^lvsd \S+ pid \d+ up \d+s, data plane proxy, 1 services, size=4096\n/);
      assert.match(st.out, /\nTCP 192\.0\.2\.1:80 {2}not served: /);
    } finally {
      await p.stop();
    }
  });

  it('reports the table-only plane in the status view', () => {
    const st = lvsadm(d.socket, ['-L', '--status']);
    assert.equal(st.code, 0);
    assert.match(st.out, /data plane none, /);
  });

  it('takes --socket anywhere in the arguments', () => {
    const got = lvsadm(undefined, ['-L', '--socket', d.socket, '-n', '-t', '9.9.9.9:80']);
    assert.deepEqual(got, { code: 1, out: '', err: NO_SERVICE });
  });
});

describe('lvsadm without a daemon', () => {
  const sock = join(tempDir(), 'nobody.sock');

  it('prints one line saying how to start lvsd, in a form this shell can run, and exits 2', () => {
    const got = lvsadm(sock, ['-Ln']);
    // Bare `lvsd` only where PATH finds this package's (npm link); else `node bin/lvsd`.
    const lvsd = commandForm('lvsd');
    assert.deepEqual(got, {
      code: 2,
      out: '',
      err: `lvsadm: cannot reach lvsd at ${sock} (start it with: ${lvsd} --socket ${sock})\n`,
    });
  });

  it('the start command it prints starts an lvsd that lvsadm then reaches', async () => {
    const dir = tempDir();
    const s = join(dir, 'hint.sock');
    const hint = /start it with: (.*)\)$/m.exec(lvsadm(s, ['-Ln']).err)?.[1];
    assert.ok(hint, 'the hint names a command');
    const child = spawn('sh', ['-c', `exec ${hint} --dataplane none --log-level warn`], {
      stdio: 'ignore',
      env: { ...process.env, LVSD_SOCKET: '' },
    });
    try {
      const end = Date.now() + 20_000;
      while (!(await probeSocket(s, 200)) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      assert.equal(lvsadm(s, ['-Ln']).code, 0);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers -h, -v and usage errors without a daemon', () => {
    const h = lvsadm(sock, ['-h']);
    assert.equal(h.code, 0);
    assert.match(h.out, /^ipvsadm v1\.31 2019\/12\/24 \(compiled with popt and IPVS v1\.2\.1\)\nUsage:\n/);
    assert.deepEqual(lvsadm(sock, ['-v']), {
      code: 0,
      out: 'ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n',
      err: '',
    });
    assert.deepEqual(lvsadm(sock, ['--bogus']), {
      code: 255,
      out: '',
      err: "Try `lvsadm -h' or 'lvsadm --help' for more information.\n",
    });
  });
});
