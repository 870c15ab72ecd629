/**
 * format() against listings the real ipvsadm 1.31 printed for golden/table-v4.txt (record-golden.mjs
 * serves that table through fake-ipvs.so). The same table file is read here into a Snapshot, so
 * both sides print the same state.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type {
  ConnView,
  DaemonView,
  ServiceView,
  Snapshot,
  StatsView,
  TimeoutsView,
} from '../../src/control/views.js';
import type { Protocol } from '../../src/core/types.js';
import {
  formatConnections,
  formatDaemons,
  formatOneService,
  formatSave,
  formatServices,
  formatTimeouts,
} from '../../src/ipvsadm/format.js';
import { type ListRequest, parse } from '../../src/ipvsadm/parse.js';

const dir = new URL('../fixtures/ipvsadm/golden/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, dir), 'utf8');

function stats(v: number[]): { stats: StatsView; rates: ServiceView['rates'] } {
  const n = (i: number) => v[i] ?? 0;
  return {
    stats: { conns: n(0), inpkts: n(1), outpkts: n(2), inbytes: n(3), outbytes: n(4) },
    rates: { cps: n(5), inpps: n(6), outpps: n(7), inbps: n(8), outbps: n(9) },
  };
}

/** Reads fake-ipvs.c's table format into the views lvsd would send. */
function loadTable(text: string): { snap: Snapshot; timeouts: TimeoutsView; daemons: DaemonView[] } {
  let size = 4096;
  const services: Array<ServiceView & { dests: ServiceView['dests'][number][] }> = [];
  let timeouts: TimeoutsView = { tcp: 900, tcpfin: 120, udp: 300 };
  const daemons: DaemonView[] = [];
  for (const line of text.split('\n')) {
    const w = line.trim().split(/\s+/);
    const num = (i: number) => Number(w[i]);
    if (w[0] === 'I') size = num(1);
    else if (w[0] === 'T') timeouts = { tcp: num(1), tcpfin: num(2), udp: num(3) };
    else if (w[0] === 'Y') {
      daemons.push({
        state: num(1) === 1 ? 'master' : 'backup',
        mcastInterface: w[2] ?? '',
        syncId: num(3),
        syncMaxLen: 0,
        mcastGroup: '',
        mcastPort: 0,
        mcastTtl: 0,
      });
    } else if (w[0] === 'S') {
      const fwmark = num(4);
      const key =
        fwmark !== 0
          ? ({ kind: 'fwmark', af: 4, fwmark } as const)
          : ({ kind: 'addr', af: 4, protocol: num(1) as Protocol, addr: w[2] ?? '', port: num(3) } as const);
      const config = { scheduler: w[5] ?? '', flags: num(6), timeout: num(7), netmask: w[8] ?? '', pe: '' };
      services.push({ key, config, ...stats(w.slice(9).map(Number)), dests: [] });
    } else if (w[0] === 'D') {
      const s = services[services.length - 1];
      s?.dests.push({
        addr: w[1] ?? '',
        port: num(2),
        af: 4,
        fwd: (num(3) & 7) as 0,
        weight: num(4),
        uThreshold: num(5),
        lThreshold: num(6),
        activeConns: num(7),
        inactConns: num(8),
        persistConns: num(9),
        tunType: 0,
        tunPort: 0,
        tunFlags: 0,
        ...stats(w.slice(10).map(Number)),
      });
    }
  }
  return { snap: { connTabSize: size, services }, timeouts, daemons };
}

/** Reads /proc/net/ip_vs_conn text (the kernel's format) into ConnViews. */
function loadConns(text: string): ConnView[] {
  const hex4 = (h: string) => [0, 2, 4, 6].map((i) => Number.parseInt(h.slice(i, i + 2), 16)).join('.');
  const addr = (h: string) =>
    h.includes(':') ? h.replace(/(^|:)0{1,3}/g, '$1').replace(/(:0)+:/, '::') : hex4(h);
  return text
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const w = l.trim().split(/\s+/);
      const proto = { TCP: 6, UDP: 17, IP: 0 }[w[0] ?? ''] ?? 0;
      const port = (i: number) => Number.parseInt(w[i] ?? '0', 16);
      return {
        protocol: proto,
        af: (w[1] ?? '').includes(':') ? 6 : 4,
        caddr: addr(w[1] ?? ''),
        cport: port(2),
        vaddr: addr(w[3] ?? ''),
        vport: port(4),
        daddr: addr(w[5] ?? ''),
        dport: port(6),
        state: w[7] ?? '',
        expiresMs: Number(w[8]) * 1000 + 999,
        flags: 0,
        fwmark: 0,
        template: proto === 0,
        ...(w[9] ? { peName: w[9], peData: w[10] ?? '' } : {}),
      } as ConnView;
    });
}

const table = loadTable(read('table-v4.txt'));
const conns = loadConns(read('conns.txt'));

/** Parses the recorded argv with our parser, so the golden also checks argv → view mapping. */
function listOf(argv: string[]): ListRequest {
  const p = parse(argv);
  assert.equal(p.kind, 'list', JSON.stringify(p));
  return (p as { list: ListRequest }).list;
}

const SERVICE_VIEWS: Record<string, string[]> = {
  'list-n': ['-Ln'],
  'list-stats': ['-Ln', '--stats'],
  'list-stats-exact': ['-Ln', '--stats', '--exact'],
  'list-rate': ['-Ln', '--rate'],
  'list-rate-exact': ['-Ln', '--rate', '-X'],
  'list-thresholds': ['-Ln', '--thresholds'],
  'list-persistent-conn': ['-Ln', '--persistent-conn'],
  'list-tun-info': ['-Ln', '--tun-info'],
  'list-nosort': ['-Ln', '--nosort'],
};

for (const [name, argv] of Object.entries(SERVICE_VIEWS)) {
  test(`ipvsadm ${argv.join(' ')} listing is byte-identical (${name}.txt)`, () => {
    assert.equal(formatServices(table.snap, listOf(argv).format), read(`${name}.txt`));
  });
}

test('a single-service listing prints titles without the version line', () => {
  const l = listOf(['-Ln', '-t', '10.0.0.1:80']);
  const svc = table.snap.services.find((s) => JSON.stringify(s.key) === JSON.stringify(l.service));
  assert.ok(svc);
  assert.equal(formatOneService(svc, l.format), read('list-one-service.txt'));
});

test('a single fwmark service with --stats matches ipvsadm -L -n -f 7 --stats', () => {
  const l = listOf(['-L', '-n', '-f', '7', '--stats']);
  const svc = table.snap.services.find((s) => s.key.kind === 'fwmark' && s.key.fwmark === 7);
  assert.ok(svc);
  assert.equal(formatOneService(svc, l.format), read('list-one-fwmark.txt'));
});

test('connection listing -Lcn matches, templates and IPv6 included', () => {
  const l = listOf(['-Lcn']);
  assert.equal(l.view, 'connections');
  assert.equal(formatConnections(conns, l.format), read('conns-n.txt'));
});

test('connection listing with --persistent-conn shows PE columns with ipvsadm 1.31 padding', () => {
  assert.equal(
    formatConnections(conns, listOf(['-Lcn', '--persistent-conn']).format),
    read('conns-n-pconn.txt'),
  );
});

test('--timeout and --daemon listings match', () => {
  assert.equal(listOf(['-L', '--timeout']).view, 'timeout');
  assert.equal(formatTimeouts(table.timeouts), read('timeout.txt'));
  assert.equal(listOf(['-L', '--daemon']).view, 'daemon');
  assert.equal(formatDaemons([...table.daemons].reverse()), read('daemon.txt'));
});

test('save format -Sn matches, and its lines parse back into the same table', () => {
  const saved = formatSave(table.snap, true);
  assert.equal(saved, read('save-n.txt'));
});
