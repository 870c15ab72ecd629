/**
 * Persistence through a VRRP takeover on the proxy plane (root only). TCP connections end at the
 * director's sockets and cannot move to another host, so what the proxy plane's sync keeps is
 * persistence: the master sends the persistence template behind each new connection
 * (ip_vs_sync.c ip_vs_sync_conn() sends a conn's controller with it), the backup applies the
 * templates (ip_vs_proc_conn()), and after a takeover a client's new connection is sent by the
 * template to the real server it had, as ip_vs_sched_persist() finds the template before it
 * schedules (ip_vs_core.c).
 *
 * Two lvsd directors on the proxy plane (the default) as a VRRP pair with
 * `lvs_sync_daemon eth0 inst VI_1` (keepalived.conf(5)), a persistent rr virtual_server
 * (persistence_timeout 300) over three real servers that each answer with their own name, and a
 * client with six source addresses, all on one bridged segment in namespaces. Each source makes
 * a request in turn (rr gives them rs1, rs2, rs3, rs1, ...), the backup lists their six templates,
 * the master is SIGKILLed, and once the client's ARP entry for the VIP points at the new master
 * each source makes a new connection, in an order rotated by one. With sync every source lands on
 * the real server it had. Without sync the new master's rr schedules them afresh in the rotated
 * order, so every source lands one server further on: the test can fail.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type Lvsd, startLvsd } from '../helpers/lvsd-in-netns.js';
import { createNetns, type Netns } from '../helpers/netns.js';
import { vrrpNetnsSkipReason } from '../helpers/vrrp-netns-skip.js';
import { lvsadm, until } from './config-helpers.js';

const skip = vrrpNetnsSkipReason();
if (skip) console.log(`# skipping proxy-plane persistence sync tests: ${skip}`);

const D1 = '192.0.2.1';
const D2 = '192.0.2.2';
const VIP = '192.0.2.100';
/** The client's source addresses, one persistence template each (netmask 255.255.255.255). */
const SOURCES = ['192.0.2.11', '192.0.2.12', '192.0.2.13', '192.0.2.14', '192.0.2.15', '192.0.2.16'];
/** The real servers, in the order keepalived adds them (rr picks them in this order). */
const SERVERS = [
  { name: 'rs1', addr: '192.0.2.21' },
  { name: 'rs2', addr: '192.0.2.22' },
  { name: 'rs3', addr: '192.0.2.23' },
] as const;

/** The real servers: one HTTP server per address, answering its own name. */
const RS_JS = `
const servers = JSON.parse(process.argv[1]);
let up = 0;
for (const { name, addr } of servers)
  require('node:http').createServer((q, s) => s.end(name)).listen(80, addr, () => {
    if (++up === servers.length) process.stderr.write('listening\\n');
  });
`;

/**
 * The client: one GET per source address in the given order, each on a fresh connection from
 * that address, retried (up to 40 times, 250 ms apart) while it fails, as a client reconnecting
 * after a failover would. Prints `{source: name}` as JSON.
 */
const CLIENT_JS = `
const http = require('node:http');
const [vip, order] = process.argv.slice(1);
const get = (src) => new Promise((resolve) => {
  const req = http.get({ host: vip, port: 80, path: '/', agent: false, localAddress: src, timeout: 2000 }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c) => (body += c));
    res.on('end', () => resolve(res.statusCode === 200 ? body : undefined));
    res.on('error', () => resolve(undefined));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', () => resolve(undefined));
});
(async () => {
  const out = {};
  for (const src of JSON.parse(order)) {
    let name;
    for (let i = 0; i < 40 && name === undefined; i++) {
      name = await get(src);
      if (name === undefined) await new Promise((r) => setTimeout(r, 250));
    }
    out[src] = name ?? null;
  }
  process.stdout.write(JSON.stringify(out));
})();
`;

/** keepalived.conf of one director: VI_1 with the VIP, optionally the sync daemon, the service. */
function conf(id: string, state: 'MASTER' | 'BACKUP', priority: number, sync: boolean): string {
  const servers = SERVERS.map((s) => `  real_server ${s.addr} 80 {\n  }\n`).join('');
  return `global_defs {
  router_id ${id}
${sync ? '  lvs_sync_daemon eth0 inst VI_1\n' : ''}}
vrrp_instance VI_1 {
  state ${state}
  interface eth0
  version 3
  virtual_router_id 51
  priority ${priority}
  advert_int 1
  virtual_ipaddress {
    ${VIP}/32
  }
}
virtual_server ${VIP} 80 {
  lvs_sched rr
  lvs_method NAT
  persistence_timeout 300
  protocol TCP
${servers}}
`;
}

/** VI_1's state in `lvsadm --vrrp`, or undefined while lvsd is not answering. */
async function state(d: Lvsd): Promise<string | undefined> {
  const r = await lvsadm(d.socket, '--vrrp');
  if (r.code !== 0) return undefined;
  return r.stdout
    .split('\n')
    .find((l) => l.startsWith('VI_1 '))
    ?.split(/\s+/)[4];
}

/**
 * What `lvsadm -Lnc` lists for the VIP: the persistence templates (client port 0, state NONE or
 * ASSURED) as client address → the real server's address, and how many other conns.
 */
async function listing(d: Lvsd): Promise<{ templates: Map<string, string>; conns: number }> {
  const r = await lvsadm(d.socket, '-L', '-n', '-c');
  const templates = new Map<string, string>();
  let conns = 0;
  if (r.code !== 0) return { templates, conns };
  for (const l of r.stdout.split('\n')) {
    const [pro, , st, src, vip, dst] = l.trim().split(/\s+/);
    if (pro !== 'TCP' || vip !== `${VIP}:80`) continue;
    const [caddr, cport] = (src ?? '').split(':');
    if (cport === '0' && caddr && (st === 'NONE' || st === 'ASSURED'))
      templates.set(caddr, (dst ?? '').split(':')[0] ?? '');
    else conns++;
  }
  return { templates, conns };
}

/** The client's neighbour entry for the VIP: its MAC, if any. */
function vipMac(ns: Netns): string | undefined {
  const rows = JSON.parse(ns.ip('c', '-j', 'neigh', 'show', 'dev', 'eth0')) as {
    dst: string;
    lladdr?: string;
  }[];
  return rows.find((r) => r.dst === VIP)?.lladdr;
}

const macText = (b: Buffer): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');

/** A bridge in `sw` joining the client, both directors and the real servers' host. */
function segment(): Netns {
  const host = (label: string, addrs: readonly string[]) => ({
    a: label,
    b: 'sw',
    aIf: 'eth0',
    bIf: label,
    aAddrs: addrs.map((a) => `${a}/24`),
  });
  const ns = createNetns({
    namespaces: ['sw', 'c', 'd1', 'd2', 'rs'],
    links: [
      host('c', SOURCES),
      host('d1', [D1]),
      host('d2', [D2]),
      host(
        'rs',
        SERVERS.map((s) => s.addr),
      ),
    ],
  });
  try {
    ns.ip('sw', 'link', 'add', 'br0', 'type', 'bridge');
    for (const p of ['c', 'd1', 'd2', 'rs']) ns.ip('sw', 'link', 'set', p, 'master', 'br0');
    ns.ip('sw', 'link', 'set', 'br0', 'up');
    return ns;
  } catch (e) {
    ns.destroy();
    throw e;
  }
}

/** Runs the client in `c` with `order`, resolving its `{source: name}` report. */
async function requests(ns: Netns, order: readonly string[]): Promise<Record<string, string | null>> {
  const client = ns.spawn('c', [process.execPath, '-e', CLIENT_JS, VIP, JSON.stringify(order)]);
  let out = '';
  let err = '';
  client.stdout?.on('data', (d) => (out += d));
  client.stderr?.on('data', (d) => (err += d));
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    new Promise((r) => client.once('exit', r)),
    new Promise((r) => {
      timer = setTimeout(() => r('timeout'), 60_000);
    }),
  ]);
  clearTimeout(timer);
  assert.equal(code, 0, `client: ${code} ${err}`);
  return JSON.parse(out) as Record<string, string | null>;
}

/** What one run saw. */
interface Outcome {
  /** Source → real server name, before the kill (in SOURCES order). */
  before: Record<string, string | null>;
  /** Source → real server name, after the takeover (rotated order). */
  after: Record<string, string | null>;
  /** Templates the backup listed before the kill: client → real server address. */
  backupTemplates: Map<string, string>;
  /** Other conns the backup listed before the kill (the proxy plane syncs templates only). */
  backupConns: number;
  /** Kill → the backup's `lvsadm --vrrp` shows MASTER. */
  takeoverMs: number;
}

/**
 * One run: d1 MASTER, d2 BACKUP (with or without the sync daemon); the sources' first requests;
 * d1 SIGKILLed once the backup lists every template (with sync) or after the same few seconds
 * (without); the sources' requests again once the client's ARP entry moved to d2.
 */
async function run(sync: boolean): Promise<Outcome> {
  const ns = segment();
  const dir = mkdtempSync(join(tmpdir(), 'lvs-sync-proxy-'));
  let d1: Lvsd | undefined;
  let d2: Lvsd | undefined;
  try {
    const rs = ns.spawn('rs', [process.execPath, '-e', RS_JS, JSON.stringify(SERVERS)]);
    await new Promise<void>((resolve, reject) => {
      rs.stderr?.once('data', () => resolve());
      rs.once('exit', (c) => reject(new Error(`real servers exited ${c}`)));
    });
    // d2 joins once d1 is MASTER (see vrrp-continuity.test.ts). The proxy plane is lvsd's default.
    const m = (d1 = startLvsd(ns, 'd1', dir, 'd1', conf('d1', 'MASTER', 150, sync), []));
    await until(async () => (await state(m)) === 'MASTER', 10_000, `d1 MASTER (${m.log()})`);
    const b = (d2 = startLvsd(ns, 'd2', dir, 'd2', conf('d2', 'BACKUP', 100, sync), []));
    await until(async () => (await state(b)) === 'BACKUP', 10_000, `d2 BACKUP (${b.log()})`);
    if (sync)
      await until(
        async () => (await lvsadm(b.socket, '-L', '--daemon')).stdout.startsWith('backup sync daemon'),
        10_000,
        `d2's backup sync daemon (${b.log()})`,
      );

    const before = await requests(ns, SOURCES);
    // The master sends a template as its connection is scheduled; a partly filled message goes
    // within 2 s (IPVS_SYNC_FLUSH_TIME). Without sync, wait as long and look all the same.
    let seen = { templates: new Map<string, string>(), conns: 0 };
    if (sync)
      await until(
        async () => {
          seen = await listing(b);
          return SOURCES.every((s) => seen.templates.has(s));
        },
        10_000,
        `d2 listing the sources' templates (has ${seen.templates.size} of ${SOURCES.length})`,
      );
    else {
      await new Promise((r) => setTimeout(r, 3000));
      seen = await listing(b);
    }

    const killedAt = Date.now();
    m.proc.kill('SIGKILL');
    await m.exited;
    await until(async () => (await state(b)) === 'MASTER', 10_000, `d2 MASTER (${b.log()})`);
    const takeoverMs = Date.now() - killedAt;
    // d1's kernel still holds the VIP (nobody removed it) and resets connections to it: the
    // new connections go once d2's gratuitous ARP moved the client's entry.
    const d2Mac = macText(ns.mac('d2', 'eth0'));
    await until(async () => vipMac(ns) === d2Mac, 10_000, `the client's ARP entry for the VIP on d2`);

    const after = await requests(ns, [...SOURCES.slice(1), ...SOURCES.slice(0, 1)]);
    return { before, after, backupTemplates: seen.templates, backupConns: seen.conns, takeoverMs };
  } finally {
    for (const d of [d1, d2]) d?.proc.kill('SIGKILL');
    await Promise.race([Promise.all([d1?.exited, d2?.exited]), new Promise((r) => setTimeout(r, 3000))]);
    ns.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

const addrOf = (name: string | null): string | undefined => SERVERS.find((s) => s.name === name)?.addr;

function summary(o: Outcome): string {
  const kept = SOURCES.filter((s) => o.before[s] === o.after[s]).length;
  const pairs = SOURCES.map((s) => `${s.split('.')[3]}:${o.before[s]}->${o.after[s]}`).join(' ');
  return `${kept} of ${SOURCES.length} sources on the same real server (${pairs}), backup listed ${o.backupTemplates.size} templates before the kill, takeover ${o.takeoverMs} ms`;
}

describe('persistence through a VRRP takeover (proxy plane)', { skip }, () => {
  it('with lvs_sync_daemon inst VI_1, the backup holds every template before the kill and each source reconnects to the same real server', async () => {
    const o = await run(true);
    console.log(`# proxy sync on: ${summary(o)}`);
    // Before the kill: rr spread the sources over all three servers, one template each.
    assert.deepEqual(
      new Set(Object.values(o.before)),
      new Set(SERVERS.map((s) => s.name)),
      JSON.stringify(o.before),
    );
    for (const s of SOURCES)
      assert.equal(o.backupTemplates.get(s), addrOf(o.before[s] ?? null), `template of ${s}`);
    assert.equal(o.backupConns, 0, 'the backup listed connections: the proxy plane syncs templates only');
    for (const s of SOURCES) assert.equal(o.after[s], o.before[s], `${s} moved: ${summary(o)}`);
  });

  it('without the sync daemon, the new master schedules the sources afresh and they land elsewhere', async () => {
    const o = await run(false);
    console.log(`# proxy sync off: ${summary(o)}`);
    assert.equal(o.backupTemplates.size, 0, 'the backup listed templates it was never sent');
    assert.deepEqual(
      new Set(Object.values(o.before)),
      new Set(SERVERS.map((s) => s.name)),
      JSON.stringify(o.before),
    );
    for (const s of SOURCES) assert.ok(o.after[s], `${s} got no answer after the takeover`);
    const moved = SOURCES.filter((s) => o.after[s] !== o.before[s]);
    assert.ok(moved.length > 0, `no source moved without sync: ${summary(o)}`);
  });
});
