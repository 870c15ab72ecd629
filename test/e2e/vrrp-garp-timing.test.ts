/**
 * Gratuitous ARP timing against keepalived 2.2.7 (root only): keepalived and lvsd (proxy plane)
 * each become MASTER of the same vrrp_instance, on their own link to a capture namespace, and
 * tshark records every gratuitous ARP for the VIP (sender and target address both the VIP). For
 * `garp_master_delay`, `garp_master_repeat`, `garp_master_refresh` with
 * `garp_master_refresh_repeat`, global `vrrp_min_garp` and global `vrrp_garp_interval`, lvsd must
 * send as many as keepalived, each within TOLERANCE_MS of keepalived's time (both counted from
 * each side's first GARP). keepalived.conf(5) global_defs and "VRRP instance(s)";
 * keepalived/vrrp/vrrp.c vrrp_send_link_update(), vrrp_state_master_tx(); vrrp_arp.c.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { spawnKeepalived } from '../helpers/keepalived.js';
import { createNetns, type Netns } from '../helpers/netns.js';
import { hasTshark } from '../helpers/tshark.js';
import { vrrpInteropSkipReason } from './vrrp-keepalived-helpers.js';

const skip = vrrpInteropSkipReason() ?? (hasTshark ? undefined : 'tshark is not installed');
if (skip) console.log(`# skipping GARP timing comparison with keepalived: ${skip}`);

const VIP = '192.0.2.100';
/** How far lvsd's GARP may be from keepalived's (timers, process scheduling on a loaded host). */
const TOLERANCE_MS = 150;

interface Case {
  name: string;
  global?: string;
  inner?: string;
  /** How long to watch after the first GARP: past the last expected one, short of the next. */
  watchMs: number;
}

const CASES: Case[] = [
  { name: 'defaults: garp_master_delay 5, garp_master_repeat 5', watchMs: 7000 },
  {
    name: 'garp_master_delay 2, garp_master_repeat 3',
    inner: 'garp_master_delay 2\ngarp_master_repeat 3',
    watchMs: 4000,
  },
  {
    name: 'garp_master_refresh 3 with garp_master_refresh_repeat 2 (no delayed burst)',
    inner: 'garp_master_delay 0\ngarp_master_repeat 2\ngarp_master_refresh 3\ngarp_master_refresh_repeat 2',
    watchMs: 8000,
  },
  { name: 'global vrrp_min_garp', global: 'vrrp_min_garp true', watchMs: 7000 },
  {
    name: 'global vrrp_garp_interval 0.2 with garp_master_repeat 3',
    global: 'vrrp_garp_interval 0.2',
    inner: 'garp_master_repeat 3\ngarp_master_delay 2',
    watchMs: 4000,
  },
];

function confText(id: string, c: Case): string {
  const ind = (s: string | undefined) => (s ? `${s.replace(/^/gm, '  ')}\n` : '');
  return `global_defs {\n  router_id ${id}\n${ind(c.global)}}\nvrrp_instance VI_1 {\n  state MASTER\n  interface eth0\n  virtual_router_id 51\n  priority 150\n  advert_int 1\n${ind(c.inner)}  virtual_ipaddress {\n    ${VIP}/32\n  }\n}\n`;
}

/** tshark on `ifname` of namespace `cap`, keeping the epoch times of gratuitous ARPs for the VIP. */
function capture(ns: Netns, ifname: string): { times: number[]; ready: Promise<void>; proc: ChildProcess } {
  const filter = `arp and arp[14:4] = 0x${VIP.split('.')
    .map((b) => Number(b).toString(16).padStart(2, '0'))
    .join('')} and arp[24:4] = arp[14:4]`;
  const proc = ns.spawn('cap', [
    'tshark',
    '-i',
    ifname,
    '-l',
    '-n',
    '-f',
    filter,
    '-T',
    'fields',
    '-e',
    'frame.time_epoch',
  ]);
  const times: number[] = [];
  let buf = '';
  proc.stdout?.on('data', (d) => {
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const l of lines) if (l.trim()) times.push(Math.round(Number(l) * 1000));
  });
  const ready = new Promise<void>((resolve) => {
    let err = '';
    proc.stderr?.on('data', (d) => {
      err += d;
      if (err.includes('Capturing on')) resolve();
    });
  });
  return { times, ready, proc };
}

const rel = (t: number[]) => t.map((x) => x - (t[0] ?? 0));

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('gratuitous ARPs on becoming MASTER: lvsd sends what keepalived 2.2.7 sends, when it sends them', {
  skip,
}, () => {
  let ns: Netns;
  before(() => {
    ns = createNetns({
      namespaces: ['ka', 'lv', 'cap'],
      links: [
        {
          a: 'ka',
          b: 'cap',
          aIf: 'eth0',
          bIf: 'k0',
          aAddrs: ['198.51.100.2/24'],
          bAddrs: ['198.51.100.9/24'],
        },
        {
          a: 'lv',
          b: 'cap',
          aIf: 'eth0',
          bIf: 'l0',
          aAddrs: ['198.51.100.1/24'],
          bAddrs: ['198.51.100.8/24'],
        },
      ],
    });
  });
  after(() => ns?.destroy());

  for (const c of CASES)
    it(c.name, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'lvs-garp-'));
      const kc = capture(ns, 'k0');
      const lc = capture(ns, 'l0');
      let ka: ReturnType<typeof spawnKeepalived> | undefined;
      let lv: ChildProcess | undefined;
      let lvLog = '';
      try {
        await Promise.race([
          Promise.all([kc.ready, lc.ready]),
          new Promise((_, rej) => setTimeout(() => rej(new Error('tshark did not start')), 15_000)),
        ]);
        writeFileSync(join(dir, 'ka.conf'), confText('garp-ka', c));
        writeFileSync(join(dir, 'lv.conf'), confText('garp-lv', c));
        ka = spawnKeepalived(ns, 'ka', join(dir, 'ka.conf'), join(dir, 'ka-'));
        lv = ns.spawn(
          'lv',
          [
            process.execPath,
            'bin/lvsd',
            '--sysctl-files',
            'none',
            '--socket',
            join(dir, 'lvsd.sock'),
            '--dataplane',
            'proxy',
            '--config',
            join(dir, 'lv.conf'),
          ],
          { cwd: process.cwd(), env: { ...process.env, LVSD_SOCKET: '' } },
        );
        lv.stdout?.on('data', (d) => (lvLog += d));
        lv.stderr?.on('data', (d) => (lvLog += d));
        await waitFor(
          () => kc.times.length > 0 && lc.times.length > 0,
          15_000,
          'a first GARP from each side',
        );
        const last = Math.max(kc.times[0] ?? 0, lc.times[0] ?? 0);
        await new Promise((r) => setTimeout(r, c.watchMs - (Date.now() - last)));
        // Only what fell inside each side's own window counts.
        const k = rel(kc.times).filter((t) => t <= c.watchMs);
        const l = rel(lc.times).filter((t) => t <= c.watchMs);
        console.log(`# ${c.name}\n#   keepalived: ${k.join(' ')}\n#   lvsd:       ${l.join(' ')}`);
        assert.ok(k.length > 0);
        assert.equal(l.length, k.length, `lvsd sent ${l.length} GARPs, keepalived ${k.length}\n${lvLog}`);
        for (const [i, t] of k.entries())
          assert.ok(
            Math.abs((l[i] ?? Number.NaN) - t) <= TOLERANCE_MS,
            `GARP ${i + 1}: lvsd at ${l[i]} ms, keepalived at ${t} ms`,
          );
      } finally {
        lv?.kill('SIGKILL');
        await ka?.stop();
        kc.proc.kill('SIGTERM');
        lc.proc.kill('SIGTERM');
        for (const label of ['ka', 'lv'])
          ns.exec(label, ['ip', 'addr', 'flush', 'dev', 'eth0', 'to', `${VIP}/32`]);
        rmSync(dir, { recursive: true, force: true });
      }
    });
});
