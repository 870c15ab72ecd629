/**
 * Service continuity through a VRRP takeover (root only): two lvsd directors on the proxy plane,
 * a VRRP pair on one bridged segment with a client and an HTTP real server, all in namespaces.
 * The client sends a request every 10 ms while the master is SIGKILLed: requests may fail only in
 * the takeover window (RFC 5798 §6.4.2: Master_Down_Interval = 3 × Master_Adver_Interval +
 * Skew_Time), succeed again after it, and the client's ARP entry for the VIP moves to the new
 * master's MAC, taught by its gratuitous ARP (RFC 5798 §6.4.1 / §8.1.2; keepalived/vrrp/vrrp_arp.c).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadVrrpBinding } from '../../src/io/vrrp/vrrp-binding.js';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';
import { lvsadm, until } from './config-helpers.js';

function reason(): string | undefined {
  const n = netnsSkipReason();
  if (n) return n;
  try {
    loadVrrpBinding();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

const skip = reason();
if (skip) console.log(`# skipping VRRP service-continuity tests: ${skip}`);

const CLIENT = '192.0.2.10';
const D1 = '192.0.2.1';
const D2 = '192.0.2.2';
const RS = '192.0.2.20';
const VIP = '192.0.2.100';
/** VRRPv3 at 0.1 s keeps the whole case within a few seconds (keepalived allows centiseconds in v3). */
const ADVERT_MS = 100;
/** Master_Down_Interval of the priority-100 backup: 3 × 0.1 s + (256 - 100) × 0.1 s / 256. */
const DOWN_MS = 3 * ADVERT_MS + ((256 - 100) * ADVERT_MS) / 256;
/** One request's own timeout; a request is "failed" when it errors or does not finish in it. */
const REQ_TIMEOUT_MS = 300;
/**
 * Scheduling under load (two shared cores), the GARP after the transition, the listener following
 * the VIP, and one request timeout for the request in flight when the VIP moved.
 */
const SLACK_MS = 1200;
const REQUESTS = 600;
const INTERVAL_MS = 10;

/**
 * The client: one fresh-connection GET to the VIP every 10 ms, each with its own timeout, printing
 * `{start, end, ok}` per request as JSON when all are done (Date.now() is the host's clock, the
 * same as the test's).
 */
const CLIENT_JS = `
const http = require('node:http');
const [vip, n, every, timeout] = process.argv.slice(1);
const out = [];
let left = Number(n);
const one = () => {
  const start = Date.now();
  let done = false;
  const finish = (ok) => { if (done) return; done = true; out.push({ start, end: Date.now(), ok });
    if (--left === 0) process.stdout.write(JSON.stringify(out)); };
  const req = http.get({ host: vip, port: 80, path: '/', agent: false, timeout: Number(timeout) }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c) => (body += c));
    res.on('end', () => finish(res.statusCode === 200 && body === 'rs'));
    res.on('error', () => finish(false));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', () => finish(false));
};
let sent = 0;
const t = setInterval(() => { one(); if (++sent === Number(n)) clearInterval(t); }, Number(every));
process.stderr.write('started\\n');
`;

/** The real server: answers `rs` to every request. */
const RS_JS = `require('node:http').createServer((q, s) => s.end('rs')).listen(80, '${RS}', () => process.stderr.write('listening\\n'));`;

/** keepalived.conf of one director: VI_1 holding the VIP, and the VIP's HTTP service. */
function conf(id: string, state: 'MASTER' | 'BACKUP', priority: number): string {
  return `global_defs {
  router_id ${id}
}
vrrp_instance VI_1 {
  state ${state}
  interface eth0
  version 3
  virtual_router_id 51
  priority ${priority}
  advert_int ${ADVERT_MS / 1000}
  virtual_ipaddress {
    ${VIP}/32
  }
}
virtual_server ${VIP} 80 {
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  real_server ${RS} 80 {
  }
}
`;
}

/** A running lvsd director with its control socket and its log. */
interface Lvsd {
  readonly proc: ChildProcess;
  readonly socket: string;
  log(): string;
  readonly exited: Promise<unknown>;
}

function startLvsd(ns: Netns, label: string, dir: string, text: string): Lvsd {
  const file = join(dir, `${label}.conf`);
  writeFileSync(file, text);
  const socket = join(dir, `${label}.sock`);
  const proc = ns.spawn(
    label,
    [process.execPath, 'bin/lvsd', '--socket', socket, '--dataplane', 'proxy', '--config', file],
    { cwd: process.cwd(), env: { ...process.env, LVSD_SOCKET: '' } },
  );
  let log = '';
  proc.stdout?.on('data', (d) => (log += d));
  proc.stderr?.on('data', (d) => (log += d));
  const exited = new Promise((r) => proc.once('exit', r));
  return { proc, socket, log: () => log, exited };
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

/** The client's neighbour entry for the VIP (`ip -j neigh`): its MAC and NUD state, if any. */
function vipNeigh(ns: Netns): { lladdr?: string; state?: string[] } | undefined {
  const rows = JSON.parse(ns.ip('c', '-j', 'neigh', 'show', 'dev', 'eth0')) as {
    dst: string;
    lladdr?: string;
    state?: string[];
  }[];
  return rows.find((r) => r.dst === VIP);
}

const macText = (b: Buffer): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');

describe('service continuity through a VRRP takeover', { skip }, () => {
  let ns: Netns;
  let dir: string;

  before(() => {
    const host = (label: string, addr: string) => ({
      a: label,
      b: 'sw',
      aIf: 'eth0',
      bIf: label,
      aAddrs: [`${addr}/24`],
    });
    ns = createNetns({
      namespaces: ['sw', 'c', 'd1', 'd2', 'rs'],
      links: [host('c', CLIENT), host('d1', D1), host('d2', D2), host('rs', RS)],
    });
    // One segment: a bridge in `sw` joins the four hosts, as a switch would.
    ns.ip('sw', 'link', 'add', 'br0', 'type', 'bridge');
    for (const p of ['c', 'd1', 'd2', 'rs']) ns.ip('sw', 'link', 'set', p, 'master', 'br0');
    ns.ip('sw', 'link', 'set', 'br0', 'up');
    dir = mkdtempSync(join(tmpdir(), 'lvs-vrrp-cont-'));
  });
  after(() => {
    ns?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('proxy plane: a SIGKILLed master loses requests only for the takeover window, and the VIP ARP entry moves to the new master', async () => {
    const rs = ns.spawn('rs', [process.execPath, '-e', RS_JS]);
    await new Promise<void>((resolve, reject) => {
      rs.stderr?.once('data', () => resolve());
      rs.once('exit', (c) => reject(new Error(`real server exited ${c}`)));
    });
    const d1 = startLvsd(ns, 'd1', dir, conf('d1', 'MASTER', 150));
    const d2 = startLvsd(ns, 'd2', dir, conf('d2', 'BACKUP', 100));
    let client: ChildProcess | undefined;
    try {
      await until(async () => (await state(d1)) === 'MASTER', 10_000, `d1 MASTER (${d1.log()})`);
      await until(async () => (await state(d2)) === 'BACKUP', 10_000, `d2 BACKUP (${d2.log()})`);

      client = ns.spawn('c', [
        process.execPath,
        '-e',
        CLIENT_JS,
        VIP,
        `${REQUESTS}`,
        `${INTERVAL_MS}`,
        `${REQ_TIMEOUT_MS}`,
      ]);
      let out = '';
      let err = '';
      client.stdout?.on('data', (d) => (out += d));
      client.stderr?.on('data', (d) => (err += d));
      const done = new Promise((r) => client?.once('exit', r));
      await until(async () => err.includes('started'), 10_000, `the client (${err})`);

      // Let the client run through d1 for a while, then check it learnt d1's MAC for the VIP.
      await new Promise((r) => setTimeout(r, 1500));
      const d1Mac = macText(ns.mac('d1', 'eth0'));
      const d2Mac = macText(ns.mac('d2', 'eth0'));
      assert.equal(vipNeigh(ns)?.lladdr, d1Mac, JSON.stringify(vipNeigh(ns)));

      // SIGKILL leaves the VIP on d1's eth0 (nobody removes it, as with a killed keepalived), so
      // d1's kernel keeps answering ARP for it and resets connections to it: only d2's gratuitous
      // ARP can move the client away, and requests fail fast until then.
      const killedAt = Date.now();
      d1.proc.kill('SIGKILL');
      await d1.exited;
      await until(async () => (await state(d2)) === 'MASTER', 10_000, `d2 MASTER (${d2.log()})`);

      await Promise.race([done, new Promise((r) => setTimeout(r, 30_000))]);
      const results = JSON.parse(out) as { start: number; end: number; ok: boolean }[];
      assert.equal(results.length, REQUESTS);
      const windowEnd = killedAt + DOWN_MS + SLACK_MS;
      const failed = results.filter((r) => !r.ok);
      const rel = (t: number) => t - killedAt;
      const failedAt = failed.map((r) => `${rel(r.start)}..${rel(r.end)}`).join(' ');
      console.log(`# ${failed.length} failed, ms from kill: ${failedAt}`);
      // A request in flight at the kill may fail; none that ended before it, none started after the window.
      for (const f of failed) {
        assert.ok(f.end >= killedAt, `a request failed before the kill (ms from kill: ${failedAt})`);
        assert.ok(
          f.start <= windowEnd,
          `a request failed after the takeover window (ms from kill: ${failedAt})`,
        );
      }
      // The master really died: some requests failed, and the service came back after the window.
      assert.ok(failed.length > 0, 'no request failed: was the master serving at all?');
      const afterWindow = results.filter((r) => r.start > windowEnd);
      assert.ok(afterWindow.length >= 50, `only ${afterWindow.length} requests after the window`);
      assert.ok(afterWindow.every((r) => r.ok));

      // The gratuitous ARP of d2 moved the entry without arp_accept: the client already had one for
      // the VIP, and a gratuitous ARP overrides an existing entry (net/ipv4/arp.c arp_process():
      // arp_accept only decides whether one may create a new entry).
      assert.equal(vipNeigh(ns)?.lladdr, d2Mac, JSON.stringify(vipNeigh(ns)));
    } finally {
      client?.kill('SIGKILL');
      for (const p of [d1.proc, d2.proc, rs]) p.kill('SIGKILL');
      await Promise.race([Promise.all([d1.exited, d2.exited]), new Promise((r) => setTimeout(r, 3000))]);
      for (const label of ['d1', 'd2'])
        try {
          ns.ip(label, 'addr', 'del', `${VIP}/32`, 'dev', 'eth0');
        } catch {}
    }
  });
});
