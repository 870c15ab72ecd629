/**
 * Views the legacy-sockopt oracle cannot produce (IPv6, IPv6 fwmark, GUE/GRE tunnel info,
 * FULLNAT, SCTP, PE names, T-scale counters) against hand-checked text in fixtures/ipvsadm/hand.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { addrPort, format, formatSave, formatServices, largenum } from '../../src/ipvsadm/format.js';
import { type ListFormat, parse } from '../../src/ipvsadm/parse.js';
import { tableResolver } from '../../src/ipvsadm/resolve.js';
import { HAND_SNAPSHOT } from '../fixtures/ipvsadm/hand/snapshot.js';

const read = (n: string) =>
  readFileSync(new URL(`../fixtures/ipvsadm/hand/${n}.txt`, import.meta.url), 'utf8');
const fmt = (argv: string[]): ListFormat => {
  const p = parse(argv);
  assert.equal(p.kind, 'list');
  return (p as { list: { format: ListFormat } }).list.format;
};

for (const [name, argv] of Object.entries({
  'list-n': ['-Ln'],
  'list-stats': ['-Ln', '--stats'],
  'list-stats-exact': ['-Ln', '--stats', '--exact'],
  'list-tun-info': ['-Ln', '--tun-info'],
})) {
  test(`${argv.join(' ')} prints IPv6, fwmark IPv6, tunnels and FullNat as in hand/${name}.txt`, () => {
    assert.equal(formatServices(HAND_SNAPSHOT, fmt(argv)), read(name));
  });
}

test('-Sn writes tunnels with their type, port and checksum switch, FULLNAT as -b', () => {
  assert.equal(formatSave(HAND_SNAPSHOT, true), read('save-n'));
});

test('largenum scales at 1e8, 1e9, 1e11 and 1e14 as print_largenum does', () => {
  assert.equal(largenum(99_999_999, false), ' 99999999');
  assert.equal(largenum(100_000_000, false), '  100000K');
  assert.equal(largenum(999_999_999, false), '  999999K');
  assert.equal(largenum(1_000_000_000, false), '    1000M');
  assert.equal(largenum(99_999_999_999, false), '   99999M');
  assert.equal(largenum(100_000_000_000, false), '     100G');
  assert.equal(largenum(100_000_000_000_000, false), '     100T');
  assert.equal(largenum(12_345_678, true), ' 12345678');
  assert.equal(largenum(123_456_789, true), ' 123456789');
});

test('without -n names replace addresses and ports; IPv4 service labels are cut to 33 bytes', () => {
  const r = tableResolver({
    reverse: new Map([
      ['10.0.0.1', 'a-very-long-virtual-host-name.example.org'],
      ['192.168.1.10', 'real-server-number-one.example.org'],
    ]),
    ports: new Map([['80/tcp', 'http']]),
  });
  assert.equal(addrPort(4, '10.0.0.1', 80, 6, false, r), 'a-very-long-virtual-host-name.example.org:http');
  assert.equal(addrPort(4, '10.0.0.1', 80, 6, true, r), '10.0.0.1:80');
  assert.equal(addrPort(4, '10.0.0.1', 80, 132, false, r), 'a-very-long-virtual-host-name.example.org:80');
  const snap = {
    connTabSize: 4096,
    services: [
      {
        ...HAND_SNAPSHOT.services[3],
        key: { kind: 'addr', af: 4, protocol: 6, addr: '10.0.0.1', port: 80 },
        dests: [{ ...HAND_SNAPSHOT.services[3]?.dests[0], addr: '192.168.1.10', port: 80, fwd: 0 }],
      },
    ],
  } as unknown as Parameters<typeof formatServices>[0];
  const out = formatServices(snap, fmt(['-L']), r).split('\n');
  assert.equal(out[3], 'TCP  a-very-long-virtual-host-nam lc');
  assert.equal(out[4], '  -> real-server-number-one.examp Masq    4      0          0         ');
});

test('format() dispatches views and reports a missing single service', () => {
  const f = fmt(['-Ln']);
  const all = format({ view: 'services', format: f }, { snapshot: HAND_SNAPSHOT });
  assert.deepEqual(all, { ok: true, text: read('list-n') });
  const missing = format(
    { view: 'services', format: f, service: { kind: 'fwmark', af: 4, fwmark: 99 } },
    { snapshot: HAND_SNAPSHOT },
  );
  assert.deepEqual(missing, { ok: false, missing: 'service' });
  const one = format(
    { view: 'services', format: f, service: { kind: 'fwmark', af: 6, fwmark: 42 } },
    { snapshot: HAND_SNAPSHOT },
  );
  assert.ok(one.ok && one.text.startsWith('Prot LocalAddress:Port') && one.text.includes('FWM  42 IPv6 rr'));
  assert.deepEqual(format({ view: 'timeout', format: f }, { timeouts: { tcp: 1, tcpfin: 2, udp: 3 } }), {
    ok: true,
    text: 'Timeout (tcp tcpfin udp): 1 2 3\n',
  });
});

test('-G lists FULLNAT local addresses per service', () => {
  const snap = {
    connTabSize: 4096,
    services: [{ ...HAND_SNAPSHOT.services[3], laddrs: ['192.0.2.200', '192.0.2.201'] }],
  };
  const out = format({ view: 'laddrs', format: fmt(['-Ln']) }, { snapshot: snap as typeof HAND_SNAPSHOT });
  assert.ok(out.ok);
  assert.equal(out.text.split('\n')[1], `${'SCTP 192.0.2.2:3868'.padEnd(33)} 192.0.2.200`);
});
