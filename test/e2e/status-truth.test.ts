/**
 * `lvsadm -L --status` tells the truth about a real lvsd (proxy plane, the default) in a network
 * namespace, from a keepalived.conf as a keepalived user writes it: a DR service is not served
 * (nor its real servers) and says why, a service whose only real server has weight 0 is not
 * served, a port another socket holds is not served, the NAT service is served and answers; each
 * unserved rule is a warning in the log at load. Then `ip addr del` of the VIP makes the NAT
 * service "not served" (status and log) while connections fail, and `ip addr add` brings it back.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Lvsd, startLvsd } from '../helpers/lvsd-in-netns.js';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';
import { lvsadm, until } from './config-helpers.js';

const skip = netnsSkipReason();
if (skip) console.log(`# skipping --status e2e: ${skip}`);

const VIP = '192.0.2.10';
const RS = '198.51.100.11';
// DR real servers on another host: one at a host address (RS) would be served by a local connect.
const DR_RS = '198.51.100.13';

const CONF = `virtual_server ${VIP} 80 {
  lb_algo rr
  lb_kind DR
  protocol TCP
  real_server ${DR_RS} 80 {
    weight 1
  }
  real_server 198.51.100.12 80 {
    weight 1
  }
}
virtual_server ${VIP} 8080 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server ${RS} 8080 {
    weight 1
  }
}
virtual_server ${VIP} 8081 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server ${RS} 8081 {
    weight 0
  }
}
virtual_server ${VIP} 8082 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server ${RS} 8082 {
    weight 1
  }
}
`;

let ns: Netns;
let dir: string;
let lvsd: Lvsd | undefined;
const procs: ChildProcess[] = [];

before(async () => {
  if (skip) return;
  ns = createNetns({
    namespaces: ['d'],
    links: [{ a: 'd', b: 'd', aIf: 'vip0', bIf: 'rs0', aAddrs: [`${VIP}/24`], bAddrs: [`${RS}/24`] }],
  });
  dir = mkdtempSync(join(tmpdir(), 'lvs-status-e2e-'));
  // The real server of 8080, and a squatter on the VIP's port 8082 before lvsd starts.
  const node = (code: string) => ns.spawn('d', [process.execPath, '-e', code]);
  procs.push(
    node(`require('net').createServer((s) => s.end('RS\\n')).listen(8080, '${RS}', () => console.log('up'))`),
  );
  procs.push(node(`require('net').createServer(() => {}).listen(8082, '${VIP}', () => console.log('up'))`));
  for (const p of procs) await new Promise((r) => p.stdout?.once('data', r));
  lvsd = startLvsd(ns, 'd', dir, 'status', CONF, []);
  await until(async () => (await lvsadm(lvsd!.socket, '-Ln')).code === 0, 20_000, 'lvsd ready');
});

after(() => {
  for (const p of procs) p.kill('SIGKILL');
  lvsd?.proc.kill('SIGKILL');
  ns?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function status(): Promise<string> {
  const r = await lvsadm(lvsd!.socket, '-L', '--status');
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/** The verdict of one row (`TCP 192.0.2.10:80` or `  -> 198.51.100.11:80` under a service). */
function row(text: string, service: string, dest?: string): string | undefined {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.startsWith(`${service} `));
  if (i < 0) return undefined;
  if (dest === undefined) return lines[i]?.slice(service.length).trim();
  for (const l of lines.slice(i + 1)) {
    if (!l.startsWith('  -> ')) break;
    if (l.startsWith(`  -> ${dest} `)) return l.slice(`  -> ${dest}`.length).trim();
  }
  return undefined;
}

/** A TCP exchange from inside the namespace: the first line the VIP answers, or the error code. */
function fetchVip(port: number): string {
  const code = `const s = require('net').connect(${port}, '${VIP}');
s.setTimeout(2000, () => { console.log('TIMEOUT'); process.exit(0); });
s.on('data', (d) => { console.log(String(d).trim()); process.exit(0); });
s.on('error', (e) => { console.log(e.code); process.exit(0); });`;
  return ns.exec('d', [process.execPath, '-e', code], 10_000).stdout.trim();
}

test('--status: a DR service on the proxy plane is not served, nor its real servers, with the reason', {
  skip,
}, async () => {
  const st = await status();
  const dr = 'direct routing (-g) needs the packet data plane';
  assert.equal(row(st, `TCP ${VIP}:80`), `not served: no real server can be reached: ${dr}`, st);
  assert.equal(row(st, `TCP ${VIP}:80`, `${DR_RS}:80`), `not served: ${dr}`, st);
  assert.equal(row(st, `TCP ${VIP}:80`, '198.51.100.12:80'), `not served: ${dr}`, st);
});

test('--status: weight 0 everywhere is "no healthy real server", a port another socket holds is "port busy", the NAT service is served and answers', {
  skip,
}, async () => {
  const st = await status();
  assert.equal(row(st, `TCP ${VIP}:8081`), 'not served: no healthy real server (every weight is 0)', st);
  assert.equal(row(st, `TCP ${VIP}:8081`, `${RS}:8081`), 'not served: weight 0: gets no new connections', st);
  assert.equal(
    row(st, `TCP ${VIP}:8082`),
    `not served: port busy: another socket holds ${VIP}:8082 (EADDRINUSE)`,
    st,
  );
  assert.equal(row(st, `TCP ${VIP}:8080`), 'served', st);
  assert.equal(row(st, `TCP ${VIP}:8080`, `${RS}:8080`), 'served', st);
  assert.equal(fetchVip(8080), 'RS');
});

test('the log warns at load for each unserved service and real server, whatever loaded it', { skip }, () => {
  const warned = lvsd!
    .log()
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes('not served'))
    .map((l) => (JSON.parse(l) as { msg: string }).msg);
  for (const want of [
    `virtual service [${VIP}]:tcp:80 not served:`,
    `real server [${DR_RS}]:tcp:80 of [${VIP}]:tcp:80 not served: direct routing`,
    `real server [198.51.100.12]:tcp:80 of [${VIP}]:tcp:80 not served: direct routing`,
    `virtual service [${VIP}]:tcp:8081 not served: no healthy real server`,
    `virtual service [${VIP}]:tcp:8082 not served: port busy`,
  ]) {
    assert.ok(
      warned.some((m) => m.startsWith(want)),
      `no warning "${want}" in:\n${warned.join('\n')}`,
    );
  }
  assert.ok(!warned.some((m) => m.includes(`${VIP}]:tcp:8080 not served`)), warned.join('\n'));
});

test('ip addr del of the VIP: --status says not served (address not local) and the log says so; ip addr add brings it back', {
  skip,
}, async () => {
  ns.ip('d', 'addr', 'del', `${VIP}/24`, 'dev', 'vip0');
  try {
    await until(
      async () =>
        row(await status(), `TCP ${VIP}:8080`) === `not served: ${VIP} is not an address of this host`,
      5000,
      'status to follow ip addr del',
    );
    assert.notEqual(fetchVip(8080), 'RS');
    await until(
      async () =>
        lvsd!
          .log()
          .includes(`virtual service [${VIP}]:tcp:8080 not served: ${VIP} is not an address of this host`),
      5000,
      'the log line of the change',
    );
  } finally {
    ns.ip('d', 'addr', 'add', `${VIP}/24`, 'dev', 'vip0');
  }
  await until(
    async () => row(await status(), `TCP ${VIP}:8080`) === 'served',
    5000,
    'status to follow ip addr add',
  );
  assert.equal(fetchVip(8080), 'RS');
  await until(
    async () => lvsd!.log().includes(`virtual service [${VIP}]:tcp:8080 served`),
    5000,
    'the log line',
  );
});
