/**
 * `lvsd --bgp` against real BIRD 2 (issue 18): a router namespace running BIRD with a BGP session
 * to a director namespace running BIRD and lvsd (proxy data plane, keepalived.conf health checks),
 * real servers in a third namespace. The router's kernel table (BIRD's kernel protocol exports
 * what BGP learnt) shows the VIP once a real server is healthy, loses it when every real server
 * stops, on `lvsadm --bgp-drain` and at lvsd's SIGTERM, and regains it on undrain.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { tempDir } from '../daemon/lvsd-process.js';
import { type Netns, netnsSkipReason, withNetns } from '../helpers/netns.js';

const run = promisify(execFile);
const skip =
  netnsSkipReason() ??
  (spawnSync('bird', ['--version']).status === 0
    ? undefined
    : 'bird2 is not installed (scripts/test-peers.mjs)');
if (skip) console.log(`# skipping the BIRD tests: ${skip}`);

const VIP = '192.0.2.10';
// Short BGP timers so a withdrawal is quick: hold 3 s, keepalive 1 s, connect retry 1 s.
const TIMERS = 'hold time 3; keepalive time 1; connect retry time 1;';
// Health: delay_loop 1 s, connect_timeout 1 s, no retry: a dead server is down within ~2 s.
const CHECK_BOUND_MS = 2000;
// lvsd evaluates every 0.5 s, reloads at most once a second; BGP sends the withdrawal at once;
// plus scheduling slack for a loaded machine.
const WITHDRAW_BOUND_MS = CHECK_BOUND_MS + 1500 + 4000;

function routerConf(): string {
  return `router id 198.51.100.1;
protocol device { }
protocol kernel { ipv4 { export all; }; merge paths on; }
protocol bgp director1 {
  local 198.51.100.1 as 65000;
  neighbor 198.51.100.2 as 65001;
  ${TIMERS}
  ipv4 { import all; export none; };
}
`;
}

// The snippet README.md's "Announcing VIPs over BGP" shows, with the test's paths.
function directorConf(include: string): string {
  return `router id 198.51.100.2;
protocol device { }
include "${include}";
protocol bgp router1 {
  local 198.51.100.2 as 65001;
  neighbor 198.51.100.1 as 65000;
  ${TIMERS}
  ipv4 { import none; export where proto = "lvs_vips"; next hop self; };
}
`;
}

function keepalivedConf(): string {
  const rs = (port: number) => `  real_server 203.0.113.2 ${port} {
    weight 1
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
`;
  return `global_defs {
  router_id director1
}
virtual_server ${VIP} 80 {
  delay_loop 1
  lvs_sched rr
  lvs_method NAT
  protocol TCP
${rs(8080)}${rs(8081)}}
`;
}

const SERVER = `const net = require('node:net');
net.createServer((s) => s.end('ok\\n')).listen(Number(process.argv[1]), '203.0.113.2');`;

async function until(what: string, ms: number, cond: () => boolean | Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await cond()) return Date.now() - t0;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function routerHasVip(ns: Netns): boolean {
  return ns.ip('router', 'route', 'show', `${VIP}/32`).includes('via 198.51.100.2');
}

async function lvsadm(socket: string, ...args: string[]) {
  return run(process.execPath, ['bin/lvsadm', '--socket', socket, ...args]).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
}

test('lvsd --bgp announces the VIP through BIRD while healthy; health, drain and SIGTERM withdraw it', {
  skip,
  timeout: 180_000,
}, async () => {
  const dir = tempDir();
  const include = join(dir, 'lvs-vips.conf');
  const socket = join(dir, 'lvsd.sock');
  writeFileSync(join(dir, 'router.conf'), routerConf());
  writeFileSync(join(dir, 'director.conf'), directorConf(include));
  writeFileSync(join(dir, 'keepalived.conf'), keepalivedConf());
  // BIRD refuses to start on a missing include: an empty one until lvsd writes its own.
  writeFileSync(include, '');
  await withNetns(
    {
      namespaces: ['router', 'dir', 'rs'],
      links: [
        { a: 'router', b: 'dir', aAddrs: ['198.51.100.1/24'], bAddrs: ['198.51.100.2/24'] },
        { a: 'dir', b: 'rs', aAddrs: ['203.0.113.1/24'], bAddrs: ['203.0.113.2/24'] },
      ],
    },
    async (ns) => {
      ns.ip('dir', 'addr', 'add', `${VIP}/32`, 'dev', 'lo');
      ns.ip('rs', 'route', 'add', 'default', 'via', '203.0.113.1');
      const bird = (label: string, conf: string) => {
        const p = ns.spawn(label, [
          'bird',
          '-f',
          '-c',
          join(dir, conf),
          '-s',
          join(dir, `${label}.ctl`),
          '-P',
          join(dir, `${label}.pid`),
        ]);
        let err = '';
        p.stderr?.on('data', (b: Buffer) => {
          err += b.toString();
        });
        return () => err;
      };
      const routerErr = bird('router', 'router.conf');
      const dirErr = bird('dir', 'director.conf');
      const servers = () =>
        [8080, 8081].map((port) => ns.spawn('rs', [process.execPath, '-e', SERVER, String(port)]));
      let rs = servers();
      const lvsd = ns.spawn('dir', [
        process.execPath,
        'bin/lvsd',
        '--socket',
        socket,
        '--config',
        join(dir, 'keepalived.conf'),
        '--sysctl-files',
        'none',
        '--log-format',
        'json',
        '--bgp',
        '--bgp-include',
        include,
        '--bgp-socket',
        join(dir, 'dir.ctl'),
      ]);
      let lvsdErr = '';
      lvsd.stderr?.on('data', (b: Buffer) => {
        lvsdErr += b.toString();
      });
      const lvsdExit = new Promise<number | string>((r) => lvsd.once('exit', (c, s) => r(c ?? s ?? -1)));
      const why = () => `lvsd:\n${lvsdErr}\nbird router:\n${routerErr()}\nbird director:\n${dirErr()}`;
      try {
        const up = await until('the VIP in the router table', 30_000, () => routerHasVip(ns)).catch((e) => {
          throw new Error(`${e}\n${why()}`);
        });
        console.log(`# VIP announced ${up} ms after start (BGP session set-up included)`);
        // lvsd reads BIRD's protocols every 2 s: the session shows Established within a poll.
        let show = await lvsadm(socket, '--bgp');
        await until('the session in lvsadm --bgp', 5000, async () => {
          show = await lvsadm(socket, '--bgp');
          return /router1\s+BGP\s+---\s+up\s+\S+\s+Established/.test(show.stdout);
        }).catch((e) => {
          throw new Error(`${e}\n${show.stdout}`);
        });
        assert.equal(show.code, 0, show.stderr);
        assert.match(show.stdout, /192\.0\.2\.10\/32\s+announced\s+TCP 192\.0\.2\.10:80/);
        assert.match(show.stdout, /lvs_vips\s+Static\s+master4\s+up/);
        assert.match(readFileSync(include, 'utf8'), /route 192\.0\.2\.10\/32 blackhole;/);
        const birdRoute = ns.exec('router', [
          'birdc',
          '-s',
          join(dir, 'router.ctl'),
          'show',
          'route',
          `${VIP}/32`,
        ]);
        assert.match(birdRoute.stdout, /192\.0\.2\.10\/32\s+unicast \[director1 /);

        // Every real server stops: withdrawn within the check interval plus lvsd's and BGP's times.
        for (const p of rs) p.kill('SIGKILL');
        const down = await until('withdrawal after health failure', 20_000, () => !routerHasVip(ns));
        console.log(`# withdrawn ${down} ms after every real server stopped (bound ${WITHDRAW_BOUND_MS} ms)`);
        assert.ok(down <= WITHDRAW_BOUND_MS, `withdrawn after ${down} ms`);
        assert.match(
          (await lvsadm(socket, '--bgp')).stdout,
          /192\.0\.2\.10\/32\s+withheld\s+TCP 192\.0\.2\.10:80: /,
        );

        rs = servers();
        const back = await until('re-announcement once healthy', 20_000, () => routerHasVip(ns));
        console.log(`# announced again ${back} ms after the real servers returned`);

        // Drain one VIP: withdrawn while lvsd keeps serving; undrain: announced again.
        assert.equal((await lvsadm(socket, '--bgp-drain', VIP)).code, 0);
        const drained = await until('withdrawal on drain', 10_000, () => !routerHasVip(ns));
        console.log(`# withdrawn ${drained} ms after lvsadm --bgp-drain`);
        assert.match(
          (await lvsadm(socket, '--bgp')).stdout,
          /withheld\s+drained \(lvsadm --bgp-drain 192\.0\.2\.10\)/,
        );
        assert.equal((await lvsadm(socket, '--bgp-undrain')).code, 0);
        await until('re-announcement on undrain', 10_000, () => routerHasVip(ns));

        // SIGTERM: an empty include and a reload before lvsd exits.
        lvsd.kill('SIGTERM');
        assert.equal(await lvsdExit, 0, why());
        const gone = await until('withdrawal at SIGTERM', 10_000, () => !routerHasVip(ns));
        console.log(`# withdrawn ${gone} ms after lvsd exited`);
        assert.doesNotMatch(readFileSync(include, 'utf8'), /^\s*route /m);
        assert.match(lvsdErr, /every VIP withdrawn/);
      } finally {
        lvsd.kill('SIGKILL');
      }
    },
  );
});
