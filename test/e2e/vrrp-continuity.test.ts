/**
 * Service continuity through a VRRP takeover (root only): two lvsd directors as a VRRP pair, on
 * the proxy plane and on the packet plane (DR), on one bridged segment with a client and an HTTP
 * real server, all in namespaces.
 * The client sends a request every 10 ms while the master is SIGKILLed: requests may fail only in
 * the takeover window (RFC 5798 §6.4.2: Master_Down_Interval = 3 × Master_Adver_Interval +
 * Skew_Time), succeed again after it, and the client's ARP entry for the VIP moves to the new
 * master's MAC, taught by its gratuitous ARP (RFC 5798 §6.4.2; keepalived/vrrp/vrrp_arp.c).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RS_ARP_SYSCTLS } from '../../src/tools/lab/plan.js';
import { type Lvsd, startLvsd as spawnLvsd } from '../helpers/lvsd-in-netns.js';
import { createNetns, type Netns } from '../helpers/netns.js';
import { vrrpNetnsSkipReason } from '../helpers/vrrp-netns-skip.js';
import { lvsadm, until } from './config-helpers.js';

const skip = vrrpNetnsSkipReason();
if (skip) console.log(`# skipping VRRP service-continuity tests: ${skip}`);

const CLIENT = '192.0.2.10';
const D1 = '192.0.2.1';
const D2 = '192.0.2.2';
const RS = '192.0.2.20';
const VIP = '192.0.2.100';
/**
 * VRRPv3 at 1 s: at 0.1 s a director stalled ~0.4 s on a loaded CI machine would start an
 * election before the kill; 1 s keeps the case at about 12 s and leaves that no room.
 */
const ADVERT_MS = 1000;
/** Master_Down_Interval of the priority-100 backup: 3 × 1 s + (256 - 100) × 1 s / 256. */
const DOWN_MS = 3 * ADVERT_MS + ((256 - 100) * ADVERT_MS) / 256;
/** One request's own timeout; a request is "failed" when it errors or does not finish in it. */
const REQ_TIMEOUT_MS = 300;
/**
 * Scheduling under load (two shared cores), the GARP after the transition, the listener following
 * the VIP, and one request timeout for the request in flight when the VIP moved.
 */
const SLACK_MS = 1200;
/** 9 s of requests: the kill at 1.5 s, the window to about 6.3 s, then at least 50 more. */
const REQUESTS = 900;
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
const RS_JS = `require('node:http').createServer((q, s) => s.end('rs')).listen(80, () => process.stderr.write('listening\\n'));`;

/** Which data plane the directors run: proxy (a TCP relay from the director) or packet (DR). */
type Plane = 'proxy' | 'packet';

/** keepalived.conf of one director: VI_1 holding the VIP, and the VIP's HTTP service. */
function conf(plane: Plane, id: string, state: 'MASTER' | 'BACKUP', priority: number): string {
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
  lvs_method ${plane === 'proxy' ? 'NAT' : 'DR'}
  protocol TCP
  real_server ${RS} 80 {
  }
}
`;
}

function startLvsd(ns: Netns, plane: Plane, label: string, dir: string, text: string): Lvsd {
  return spawnLvsd(ns, label, dir, label, text, [
    '--dataplane',
    plane,
    ...(plane === 'packet' ? ['--interface', 'eth0'] : []),
  ]);
}

/** VI_1's row of `lvsadm --vrrp` (state and transition count), or undefined while lvsd is not answering. */
async function row(d: Lvsd): Promise<{ state: string; transitions: number } | undefined> {
  const r = await lvsadm(d.socket, '--vrrp');
  if (r.code !== 0) return undefined;
  const cols = r.stdout
    .split('\n')
    .find((l) => l.startsWith('VI_1 '))
    ?.split(/\s+/);
  if (!cols || cols.length < 14) return undefined;
  return { state: cols[4]!, transitions: Number(cols[10]) };
}

/** VI_1's state in `lvsadm --vrrp`, or undefined while lvsd is not answering. */
async function state(d: Lvsd): Promise<string | undefined> {
  return (await row(d))?.state;
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

/** `aa:bb:..` text of a MAC, as `ip -j neigh` prints it. */
const macText = (b: Buffer): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');

/**
 * The segment: a bridge in `sw` joins client, both directors and the real server, as a switch
 * would. For DR the real server holds the VIP on lo and never answers or announces it (the
 * arp_ignore=1 / arp_announce=2 of the LVS tutorials' lvs_rs.sh, as the lab's RS_ARP_SYSCTLS), and
 * the directors' kernels do not forward (lvsd does) nor filter by reverse path, as the lab's director.
 */
function segment(plane: Plane): Netns {
  const host = (label: string, addr: string) => ({
    a: label,
    b: 'sw',
    aIf: 'eth0',
    bIf: label,
    aAddrs: [`${addr}/24`],
  });
  const ns = createNetns({
    namespaces: ['sw', 'c', 'd1', 'd2', 'rs'],
    links: [host('c', CLIENT), host('d1', D1), host('d2', D2), host('rs', RS)],
  });
  try {
    ns.ip('sw', 'link', 'add', 'br0', 'type', 'bridge');
    for (const p of ['c', 'd1', 'd2', 'rs']) ns.ip('sw', 'link', 'set', p, 'master', 'br0');
    ns.ip('sw', 'link', 'set', 'br0', 'up');
    if (plane === 'packet') {
      ns.ip('rs', 'addr', 'add', `${VIP}/32`, 'dev', 'lo');
      sysctl(ns, 'rs', RS_ARP_SYSCTLS);
      for (const d of ['d1', 'd2']) sysctl(ns, d, ['net.ipv4.ip_forward=0', 'net.ipv4.conf.all.rp_filter=0']);
    }
    return ns;
  } catch (e) {
    ns.destroy();
    throw e;
  }
}

/** `sysctl -w` inside one namespace. */
function sysctl(ns: Netns, label: string, settings: readonly string[]): void {
  const r = ns.exec(label, ['sysctl', '-q', '-w', ...settings]);
  if (r.status !== 0) throw new Error(`sysctl in ${label}: ${r.stderr.trim()}`);
}

/**
 * One takeover: d1 (MASTER, 150) and d2 (BACKUP, 100) on `plane`, the client running, d1 SIGKILLed;
 * checks the failed requests, the service after the window and the client's ARP entry. The
 * topology, the processes and the temporary directory are gone when it returns.
 */
async function takeover(plane: Plane): Promise<void> {
  const ns = segment(plane);
  const dir = mkdtempSync(join(tmpdir(), 'lvs-vrrp-cont-'));
  let d1: Lvsd | undefined;
  let d2: Lvsd | undefined;
  try {
    const rs = ns.spawn('rs', [process.execPath, '-e', RS_JS]);
    await new Promise<void>((resolve, reject) => {
      rs.stderr?.once('data', () => resolve());
      rs.once('exit', (c) => reject(new Error(`real server exited ${c}`)));
    });
    // d2 starts once d1 is MASTER, as a backup joins a running pair: started together, d2 may
    // come up before d1 sends its first advert, become MASTER for a moment and announce the VIP.
    const m = (d1 = startLvsd(ns, plane, 'd1', dir, conf(plane, 'd1', 'MASTER', 150)));
    await until(async () => (await state(m)) === 'MASTER', 10_000, `d1 MASTER (${m.log()})`);
    const b = (d2 = startLvsd(ns, plane, 'd2', dir, conf(plane, 'd2', 'BACKUP', 100)));
    await until(async () => (await state(b)) === 'BACKUP', 10_000, `d2 BACKUP (${b.log()})`);
    const settled = (await row(b))?.transitions;

    const client = ns.spawn('c', [
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
    const done = new Promise((r) => client.once('exit', r));
    await until(async () => err.includes('started'), 10_000, `the client (${err})`);

    // Let the client run through d1 for a while, then check it learnt d1's MAC for the VIP.
    await new Promise((r) => setTimeout(r, 1500));
    const d1Mac = macText(ns.mac('d1', 'eth0'));
    const d2Mac = macText(ns.mac('d2', 'eth0'));
    assert.equal(vipNeigh(ns)?.lladdr, d1Mac, JSON.stringify(vipNeigh(ns)));

    // No election while the client ran: d2 stayed BACKUP under d1 (a flap would also move the VIP).
    assert.equal((await row(b))?.transitions, settled, 'd2 changed state before the kill');
    // Proxy plane: SIGKILL leaves the VIP on d1's eth0 (nobody removes it, as with a killed
    // keepalived), so d1's kernel keeps answering ARP for it and resets connections to it. Packet
    // plane: d1's kernel never held the VIP, so requests to d1's MAC are dropped. Either way only
    // d2's gratuitous ARP moves the client away.
    const killedAt = Date.now();
    m.proc.kill('SIGKILL');
    await m.exited;
    await until(async () => (await state(b)) === 'MASTER', 10_000, `d2 MASTER (${b.log()})`);

    await Promise.race([done, new Promise((r) => setTimeout(r, 30_000))]);
    const results = JSON.parse(out) as { start: number; end: number; ok: boolean }[];
    assert.equal(results.length, REQUESTS);
    const windowEnd = killedAt + DOWN_MS + SLACK_MS;
    const failed = results.filter((r) => !r.ok);
    const rel = (t: number) => t - killedAt;
    const first = failed[0];
    const last = failed[failed.length - 1];
    const span =
      first && last
        ? `first ${rel(first.start)}..${rel(first.end)}, last ${rel(last.start)}..${rel(last.end)}`
        : '';
    console.log(`# ${failed.length} of ${results.length} failed, ms from kill: ${span}`);
    // A request in flight at the kill may fail; none that ended before it, none started after the window.
    for (const f of failed) {
      assert.ok(
        f.end >= killedAt,
        `a request failed before the kill: ${rel(f.start)}..${rel(f.end)} ms from it`,
      );
      assert.ok(
        f.start <= windowEnd,
        `a request failed after the takeover window: ${rel(f.start)}..${rel(f.end)} ms from the kill`,
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
    for (const d of [d1, d2]) d?.proc.kill('SIGKILL');
    await Promise.race([Promise.all([d1?.exited, d2?.exited]), new Promise((r) => setTimeout(r, 3000))]);
    ns.destroy(); // kills the client and the real server, and takes the VIPs with the namespaces
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('service continuity through a VRRP takeover', { skip }, () => {
  it('proxy plane: a SIGKILLed master loses requests only for the takeover window, and the VIP ARP entry moves to the new master', async () => {
    await takeover('proxy');
  });

  it('packet plane, DR: a SIGKILLed master loses requests only for the takeover window, and the VIP ARP entry moves to the new master', async () => {
    await takeover('packet');
  });
});
