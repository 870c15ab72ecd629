/**
 * Connection synchronisation through a VRRP takeover (root only): two lvsd directors on the
 * packet plane (DR, then NAT) as a VRRP pair with `lvs_sync_daemon eth0 inst VI_1` (keepalived.conf(5)),
 * a client and a real server on bridged segments, all in namespaces. The client holds 20
 * long-lived TCP connections through the VIP, each sending a request every 100 ms, and one
 * paced 20 MB download; once the backup's `lvsadm -Lnc` lists every one of them (received from
 * the master's sync daemon), the master is SIGKILLed. With sync, the backup takes over and every
 * connection goes on: no reset, every answer in order, the download's digest right. The same run
 * without the sync daemon loses them: the new master has no conn for their mid-flow packets
 * and drops them, as the kernel does without sloppy_tcp (ip_vs_core.c ip_vs_in():
 * ip_vs_try_to_schedule() schedules only a SYN), so the connections hang.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadVrrpBinding } from '../../src/io/vrrp/vrrp-binding.js';
import { RS_ARP_SYSCTLS } from '../../src/tools/lab/plan.js';
import { type Lvsd, startLvsd as spawnLvsd } from '../helpers/lvsd-in-netns.js';
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
if (skip) console.log(`# skipping sync failover tests: ${skip}`);

/** The forwarding methods run end to end here (TUN needs an ipip module this kernel lacks). */
type Method = 'DR' | 'NAT';

/**
 * Addresses per method. DR: one segment (192.0.2.0/24) for client, directors and real server.
 * NAT: the client and the directors' eth0 outside (203.0.113.0/24), the directors' eth1 and the
 * real server inside (192.0.2.0/24), the real server's default route via a second VRRP address
 * (GW) that moves with the VIP, as a NAT pair's inside gateway does.
 */
const NET = {
  DR: { client: '192.0.2.10', d1: '192.0.2.1', d2: '192.0.2.2', rs: '192.0.2.20', vip: '192.0.2.100' },
  NAT: {
    client: '203.0.113.10',
    d1: '203.0.113.1',
    d2: '203.0.113.2',
    rs: '192.0.2.20',
    vip: '203.0.113.100',
  },
} as const;
/** NAT: the inside addresses of the directors and the gateway address the pair holds. */
const INSIDE = { d1: '192.0.2.1', d2: '192.0.2.2', gw: '192.0.2.254' } as const;
/** Long-lived request connections. */
const CONNS = 20;
/** The download's size: paced by the server to about 2.5 MB/s, so it spans the takeover. */
const DL_BYTES = 20 * 1024 * 1024;
/** How long each connection keeps sending (a request every 100 ms). */
const RUN_MS = 16_000;
/**
 * A connection (or the download) counts as lost when an answer (or data) is this late. The
 * takeover comes 2.6-3.6 s after the kill (Master_Down_Interval 3.6 s at advert_int 1 from the
 * last advert, RFC 5798 §6.4.2); TCP retransmits the first lost segment at RTO·(2^k - 1), 0.2 s
 * doubling: 3.0, 6.2, 12.6 s. The first retransmission after the takeover must be carried, so an
 * answer waits at most about twice the takeover plus one RTO: 6-8 s (runs: 3.3-7.3 s). Before
 * the engine queued 101 frames per unresolved neighbour (the kernel's unres_qlen) it queued 16:
 * the clients' retransmissions, all on the same back-off step, reached the new master together,
 * every frame past the 16th to the real server it had never resolved was dropped
 * (neigh_queue_full), and those connections waited for the retransmission at 12.6 s. 10 s
 * leaves room for a slow box and fails that step.
 */
const HANG_MS = 10_000;

/** Deterministic download bytes, shared by the server (writes them) and the client (digest). */
const BLOCK_JS = `
const BLOCK = 65536;
const block = (k) => { const b = Buffer.allocUnsafe(BLOCK);
  for (let j = 0; j < BLOCK; j++) b[j] = (k * 131 + j * 7 + (j >> 9)) & 255; return b; };
`;

/**
 * The real server: `<conn> <seq>` lines answered `ok <conn> <seq>`; `dl <bytes>` answered with
 * the deterministic bytes, one 64 KiB block every 25 ms.
 */
const RS_JS = `${BLOCK_JS}
require('node:net').createServer((s) => {
  let buf = '';
  s.setNoDelay(true);
  s.on('error', () => {});
  s.on('data', (d) => {
    buf += d;
    let k;
    while ((k = buf.indexOf('\\n')) >= 0) {
      const line = buf.slice(0, k);
      buf = buf.slice(k + 1);
      if (line.startsWith('dl ')) {
        const blocks = Math.ceil(Number(line.slice(3)) / BLOCK);
        let n = 0;
        const t = setInterval(() => { if (s.destroyed) return clearInterval(t);
          s.write(block(n)); if (++n === blocks) { clearInterval(t); s.end(); } }, 25);
      } else s.write('ok ' + line + '\\n');
    }
  });
}).listen(80, () => process.stderr.write('listening\\n'));
`;

/**
 * The client: CONNS connections each sending `<i> <seq>` every 100 ms for RUN_MS, checking every
 * answer; one download checked by its SHA-256. Prints `ports p1,p2,...` on stderr once all are
 * connected, and a JSON report on stdout at the end.
 */
const CLIENT_JS = `${BLOCK_JS}
const net = require('node:net');
const crypto = require('node:crypto');
const [vip, nConns, runMs, hangMs, dlBytes] = process.argv.slice(1);
const N = Number(nConns), RUN = Number(runMs), HANG = Number(hangMs), DL = Number(dlBytes);
const t0 = Date.now();
const conns = [];
let connected = 0;
const ready = () => { if (++connected === N + 1)
  process.stderr.write('ports ' + [...conns.map((c) => c.port), dl.port].join(',') + '\\n'); };
for (let i = 0; i < N; i++) {
  const c = { i, port: 0, sent: 0, got: 0, bad: 0, err: null, hung: false, closed: false, maxLatMs: 0, at: [] };
  const s = net.connect({ host: vip, port: 80 });
  c.s = s;
  s.setNoDelay(true);
  s.setEncoding('utf8');
  let buf = '';
  s.on('connect', () => { c.port = s.localPort; ready();
    c.timer = setInterval(() => { if (Date.now() - t0 >= RUN || c.hung || c.err) return clearInterval(c.timer);
      c.at.push(Date.now()); s.write(i + ' ' + c.sent++ + '\\n'); }, 100); });
  s.on('data', (d) => { buf += d; let k;
    while ((k = buf.indexOf('\\n')) >= 0) { const line = buf.slice(0, k); buf = buf.slice(k + 1);
      if (line !== 'ok ' + i + ' ' + c.got) c.bad++;
      c.maxLatMs = Math.max(c.maxLatMs, Date.now() - (c.at[c.got] ?? Date.now())); c.got++; } });
  s.on('error', (e) => { c.err = e.code || e.message; });
  s.on('close', () => { c.closed = true; });
  conns.push(c);
}
const dl = { port: 0, bytes: 0, digestOk: false, err: null, hung: false, done: false, maxGapMs: 0, last: 0 };
const want = crypto.createHash('sha256');
for (let k = 0; k * BLOCK < DL; k++) want.update(block(k));
const wantHex = want.digest('hex');
const got = crypto.createHash('sha256');
const ds = net.connect({ host: vip, port: 80 });
ds.on('connect', () => { dl.port = ds.localPort; dl.last = Date.now(); ds.write('dl ' + DL + '\\n'); ready(); });
ds.on('data', (d) => { const now = Date.now(); dl.maxGapMs = Math.max(dl.maxGapMs, now - dl.last); dl.last = now;
  dl.bytes += d.length; got.update(d); });
ds.on('end', () => { dl.done = true; dl.digestOk = got.digest('hex') === wantHex; });
ds.on('error', (e) => { dl.err = e.code || e.message; });
const check = setInterval(() => {
  const now = Date.now();
  for (const c of conns) {
    if (!c.hung && !c.err && c.got < c.sent && now - c.at[c.got] > HANG) { c.hung = true; c.s.destroy(); }
  }
  if (!dl.done && !dl.hung && !dl.err && dl.last && now - dl.last > HANG) { dl.hung = true; ds.destroy(); }
  const connsDone = conns.every((c) => c.hung || c.err || (now - t0 >= RUN && c.got === c.sent));
  const dlDone = dl.done || dl.hung || dl.err;
  if (connsDone && dlDone) {
    clearInterval(check);
    for (const c of conns) { clearInterval(c.timer); c.s.end(); }
    const out = conns.map(({ s, timer, at, ...r }) => r);
    process.stdout.write(JSON.stringify({ conns: out, dl: { ...dl, last: undefined } }) + '\\n');
    setTimeout(() => process.exit(0), 200);
  }
}, 100);
`;

/** keepalived.conf of one director: VI_1 with the VIP, the sync daemon following it, the service. */
function conf(
  method: Method,
  id: string,
  state: 'MASTER' | 'BACKUP',
  priority: number,
  sync: boolean,
): string {
  const n = NET[method];
  const gw = method === 'NAT' ? `    ${INSIDE.gw}/24 dev eth1\n` : '';
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
    ${n.vip}/32
${gw}  }
}
virtual_server ${n.vip} 80 {
  lvs_sched rr
  lvs_method ${method}
  protocol TCP
  real_server ${n.rs} 80 {
  }
}
`;
}

function startLvsd(ns: Netns, method: Method, label: string, dir: string, text: string): Lvsd {
  return spawnLvsd(ns, label, dir, label, text, [
    '--dataplane',
    'packet',
    '--interface',
    'eth0',
    ...(method === 'NAT' ? ['--interface', 'eth1'] : []),
  ]);
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

/** The client ports `lvsadm -Lnc` lists as ESTABLISHED TCP conns from the client to the VIP. */
async function listedPorts(method: Method, d: Lvsd): Promise<Set<number>> {
  const { client, vip: VIP } = NET[method];
  const r = await lvsadm(d.socket, '-L', '-n', '-c');
  const ports = new Set<number>();
  if (r.code !== 0) return ports;
  for (const l of r.stdout.split('\n')) {
    const [pro, , st, src, vip] = l.trim().split(/\s+/);
    if (pro !== 'TCP' || st !== 'ESTABLISHED' || vip !== `${VIP}:80`) continue;
    const [addr, port] = (src ?? '').split(':');
    if (addr === client) ports.add(Number(port));
  }
  return ports;
}

/**
 * DR: the segment of vrrp-continuity.test.ts, a bridge joining client, directors and a real
 * server that holds the VIP on lo and never answers ARP for it. NAT: two bridges, outside (client,
 * directors' eth0) and inside (directors' eth1, real server routed via the gateway address).
 * The directors' kernels neither forward (lvsd does) nor filter by reverse path, as in the lab.
 */
function segment(method: Method): Netns {
  const n = NET[method];
  const to = (label: string, bIf: string, ifname: string, addr: string) => ({
    a: label,
    b: 'sw',
    aIf: ifname,
    bIf,
    aAddrs: [`${addr}/24`],
  });
  const nat = method === 'NAT';
  const ns = createNetns({
    namespaces: ['sw', 'c', 'd1', 'd2', 'rs'],
    links: [
      to('c', 'c', 'eth0', n.client),
      to('d1', 'd1', 'eth0', n.d1),
      to('d2', 'd2', 'eth0', n.d2),
      to('rs', 'rs', 'eth0', n.rs),
      ...(nat ? [to('d1', 'd1i', 'eth1', INSIDE.d1), to('d2', 'd2i', 'eth1', INSIDE.d2)] : []),
    ],
  });
  try {
    const bridge = (br: string, ports: readonly string[]) => {
      ns.ip('sw', 'link', 'add', br, 'type', 'bridge');
      for (const p of ports) ns.ip('sw', 'link', 'set', p, 'master', br);
      ns.ip('sw', 'link', 'set', br, 'up');
    };
    if (nat) {
      bridge('br0', ['c', 'd1', 'd2']);
      bridge('br1', ['d1i', 'd2i', 'rs']);
      ns.ip('rs', 'route', 'add', 'default', 'via', INSIDE.gw);
    } else {
      bridge('br0', ['c', 'd1', 'd2', 'rs']);
      ns.ip('rs', 'addr', 'add', `${n.vip}/32`, 'dev', 'lo');
      sysctl(ns, 'rs', RS_ARP_SYSCTLS);
    }
    for (const d of ['d1', 'd2']) sysctl(ns, d, ['net.ipv4.ip_forward=0', 'net.ipv4.conf.all.rp_filter=0']);
    return ns;
  } catch (e) {
    ns.destroy();
    throw e;
  }
}

function sysctl(ns: Netns, label: string, settings: readonly string[]): void {
  const r = ns.exec(label, ['sysctl', '-q', '-w', ...settings]);
  if (r.status !== 0) throw new Error(`sysctl in ${label}: ${r.stderr.trim()}`);
}

interface ConnReport {
  i: number;
  port: number;
  sent: number;
  got: number;
  bad: number;
  err: string | null;
  hung: boolean;
  closed: boolean;
  maxLatMs: number;
}
interface Report {
  conns: ConnReport[];
  dl: {
    port: number;
    bytes: number;
    digestOk: boolean;
    err: string | null;
    hung: boolean;
    done: boolean;
    maxGapMs: number;
  };
}

/** What one run saw. */
interface Outcome {
  report: Report;
  /** Client ports the backup listed before the kill. */
  listedBeforeKill: number;
  /** All client ports (connections and the download). */
  ports: number[];
  /** Kill → the backup's `lvsadm --vrrp` shows MASTER (polled every 100 ms). */
  takeoverMs: number;
}

/**
 * One run: d1 MASTER, d2 BACKUP (with or without the sync daemon), the client, d1 SIGKILLed once
 * the backup lists every connection (with sync) or after the same few seconds (without).
 */
async function run(method: Method, sync: boolean): Promise<Outcome> {
  const ns = segment(method);
  const dir = mkdtempSync(join(tmpdir(), 'lvs-sync-failover-'));
  let d1: Lvsd | undefined;
  let d2: Lvsd | undefined;
  try {
    const rs = ns.spawn('rs', [process.execPath, '-e', RS_JS]);
    await new Promise<void>((resolve, reject) => {
      rs.stderr?.once('data', () => resolve());
      rs.once('exit', (c) => reject(new Error(`real server exited ${c}`)));
    });
    // d2 joins once d1 is MASTER (see vrrp-continuity.test.ts).
    const m = (d1 = startLvsd(ns, method, 'd1', dir, conf(method, 'd1', 'MASTER', 150, sync)));
    await until(async () => (await state(m)) === 'MASTER', 10_000, `d1 MASTER (${m.log()})`);
    const b = (d2 = startLvsd(ns, method, 'd2', dir, conf(method, 'd2', 'BACKUP', 100, sync)));
    await until(async () => (await state(b)) === 'BACKUP', 10_000, `d2 BACKUP (${b.log()})`);
    if (sync) {
      await until(
        async () => (await lvsadm(b.socket, '-L', '--daemon')).stdout.startsWith('backup sync daemon'),
        10_000,
        `d2's backup sync daemon (${b.log()})`,
      );
    }

    const client = ns.spawn('c', [
      process.execPath,
      '-e',
      CLIENT_JS,
      NET[method].vip,
      `${CONNS}`,
      `${RUN_MS}`,
      `${HANG_MS}`,
      `${DL_BYTES}`,
    ]);
    let out = '';
    let err = '';
    client.stdout?.on('data', (d) => (out += d));
    client.stderr?.on('data', (d) => (err += d));
    const done = new Promise((r) => client.once('exit', r));
    await until(async () => /ports [\d,]+\n/.test(err), 10_000, `the client's connections (${err})`);
    const ports = (/ports ([\d,]+)\n/.exec(err)?.[1] ?? '').split(',').map(Number);
    assert.equal(ports.length, CONNS + 1);

    // With sync: the master's daemon sends a conn at its 3rd packet (sync_threshold 3 50) and a
    // partly filled message within 2 s; wait until the backup lists all of them.
    let listed = new Set<number>();
    if (sync)
      await until(
        async () => {
          listed = await listedPorts(method, b);
          return ports.every((p) => listed.has(p));
        },
        10_000,
        `d2 listing the client's conns (has ${listed.size} of ${ports.length})`,
      );
    else {
      await new Promise((r) => setTimeout(r, 3000));
      listed = await listedPorts(method, b);
    }
    const listedBeforeKill = ports.filter((p) => listed.has(p)).length;

    const killedAt = Date.now();
    m.proc.kill('SIGKILL');
    await m.exited;
    await until(async () => (await state(b)) === 'MASTER', 10_000, `d2 MASTER (${b.log()})`);
    const takeoverMs = Date.now() - killedAt;

    await Promise.race([done, new Promise((r) => setTimeout(r, RUN_MS + HANG_MS + 15_000))]);
    assert.ok(out.trim() !== '', `the client reported nothing: ${err}`);
    const report = JSON.parse(out) as Report;
    return { report, listedBeforeKill, ports, takeoverMs };
  } finally {
    for (const d of [d1, d2]) d?.proc.kill('SIGKILL');
    await Promise.race([Promise.all([d1?.exited, d2?.exited]), new Promise((r) => setTimeout(r, 3000))]);
    ns.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A connection that went on: no error, no hang, every request answered right. */
const kept = (c: ConnReport): boolean => !c.err && !c.hung && c.bad === 0 && c.got === c.sent && c.sent > 0;

function summary(o: Outcome): string {
  const k = o.report.conns.filter(kept).length;
  const maxLat = Math.max(...o.report.conns.map((c) => c.maxLatMs));
  const dl = o.report.dl;
  return `${k} of ${CONNS} connections kept, backup listed ${o.listedBeforeKill} of ${o.ports.length} before the kill, takeover ${o.takeoverMs} ms, longest answer ${maxLat} ms, download ${dl.bytes} bytes digest ${dl.digestOk ? 'right' : 'wrong'} (longest gap ${dl.maxGapMs} ms)`;
}

for (const method of ['DR', 'NAT'] as const) {
  describe(`connection sync through a VRRP takeover (packet plane, ${method})`, { skip }, () => {
    it('with lvs_sync_daemon inst VI_1, the backup holds every connection before the kill and keeps all of them, and the download, through it', async () => {
      const o = await run(method, true);
      console.log(`# ${method} sync on: ${summary(o)}`);
      assert.equal(o.listedBeforeKill, CONNS + 1);
      for (const c of o.report.conns) {
        assert.ok(kept(c), `connection ${c.i} (port ${c.port}) lost: ${JSON.stringify(c)}`);
        // The first retransmission after the takeover went through (see HANG_MS), not a later one.
        assert.ok(
          c.maxLatMs <= 2 * o.takeoverMs + 1500,
          `connection ${c.i} waited ${c.maxLatMs} ms, past the first retransmission after a ${o.takeoverMs} ms takeover`,
        );
        // A request every 100 ms for RUN_MS, less the connect and the timer lagging on two shared cores.
        assert.ok(c.sent >= (RUN_MS / 100) * 0.6, `connection ${c.i} sent only ${c.sent} requests`);
      }
      const dl = o.report.dl;
      assert.ok(dl.done && !dl.err && !dl.hung, JSON.stringify(dl));
      assert.equal(dl.bytes, DL_BYTES);
      assert.ok(dl.digestOk, 'download digest differs');
      // The download spanned the takeover: it stalled while nobody forwarded its packets.
      assert.ok(
        dl.maxGapMs >= 1000,
        `download never stalled (${dl.maxGapMs} ms): did it end before the kill?`,
      );
    });

    it('without the sync daemon, the same takeover loses the connections and the download', async () => {
      const o = await run(method, false);
      console.log(`# ${method} sync off: ${summary(o)}`);
      assert.equal(o.listedBeforeKill, 0, 'the backup listed conns it was never sent');
      const lost = o.report.conns.filter((c) => !kept(c));
      assert.equal(lost.length, CONNS, `only ${lost.length} of ${CONNS} lost`);
      const dl = o.report.dl;
      assert.ok(!dl.digestOk, JSON.stringify(dl));
    });
  });
}
