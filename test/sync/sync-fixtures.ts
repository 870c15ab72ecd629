/**
 * Sync entries and the datagrams ip_vs_sync.c would send for them, written out by hand field by
 * field from `struct ip_vs_sync_mesg`, `ip_vs_sync_v4`, `ip_vs_sync_v6`, `ip_vs_sync_conn_v0` and
 * the option layout (net/netfilter/ipvs/ip_vs_sync.c), not produced by the code under test.
 */
import type { SyncConnEntry } from '../../src/sync/sync-entry.js';

/** An IPv4 dotted quad as core's AddrWords (word 0, host order). */
export function ip4(s: string): Uint32Array {
  const [a = 0, b = 0, c = 0, d = 0] = s.split('.').map(Number);
  return Uint32Array.of(((a << 24) | (b << 16) | (c << 8) | d) >>> 0, 0, 0, 0);
}

/** An IPv6 address as core's AddrWords (four words in network word order). */
export function ip6(s: string): Uint32Array {
  const [head = '', tail = ''] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t].map((g) => parseInt(g, 16));
  const w = new Uint32Array(4);
  for (let i = 0; i < 4; i++) w[i] = ((groups[2 * i]! << 16) | groups[2 * i + 1]!) >>> 0;
  return w;
}

/** Hex with spaces, comments (`# ...` to end of line) and newlines, to bytes. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/#[^\n]*/g, '').replace(/\s+/g, '');
  return Uint8Array.from(clean.match(/../g) ?? [], (b) => parseInt(b, 16));
}

/** A DR TCP conn, IPv4, ESTABLISHED, 900 s left. */
export const V4_CONN: SyncConnEntry = {
  af: 4,
  protocol: 6,
  flags: 0x0003,
  state: 1,
  cport: 40000,
  vport: 80,
  dport: 8080,
  fwmark: 0,
  timeoutS: 900,
  caddr: ip4('192.0.2.10'),
  vaddr: ip4('198.51.100.1'),
  daddr: ip4('203.0.113.5'),
};

/** The 36 bytes of V4_CONN (`struct ip_vs_sync_v4`). */
export const V4_CONN_BYTES = `
  00          # type: IPv4
  06          # protocol: TCP
  00 24       # ver_size: version 0, size 36
  00 00 00 03 # flags: IP_VS_CONN_F_DROUTE
  00 01       # state: IP_VS_TCP_S_ESTABLISHED
  9c 40       # cport 40000
  00 50       # vport 80
  1f 90       # dport 8080
  00 00 00 00 # fwmark
  00 00 03 84 # timeout 900 s
  c0 00 02 0a # caddr 192.0.2.10
  c6 33 64 01 # vaddr 198.51.100.1
  cb 00 71 05 # daddr 203.0.113.5
`;

/** A tunnelled UDP conn, IPv6, 300 s left, fwmark 0x2a. */
export const V6_CONN: SyncConnEntry = {
  af: 6,
  protocol: 17,
  flags: 0x0002,
  state: 0,
  cport: 5353,
  vport: 53,
  dport: 53,
  fwmark: 0x2a,
  timeoutS: 300,
  caddr: ip6('2001:db8::10'),
  vaddr: ip6('2001:db8::80'),
  daddr: ip6('2001:db8:0:1::5'),
};

/** The 72 bytes of V6_CONN (`struct ip_vs_sync_v6`). */
export const V6_CONN_BYTES = `
  01          # type: STYPE_F_INET6
  11          # protocol: UDP
  00 48       # ver_size: version 0, size 72
  00 00 00 02 # flags: IP_VS_CONN_F_TUNNEL
  00 00       # state: IP_VS_UDP_S_NORMAL
  14 e9       # cport 5353
  00 35       # vport 53
  00 35       # dport 53
  00 00 00 2a # fwmark 42
  00 00 01 2c # timeout 300 s
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 10 # caddr 2001:db8::10
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 80 # vaddr 2001:db8::80
  20 01 0d b8 00 00 00 01 00 00 00 00 00 00 00 05 # daddr 2001:db8:0:1::5
`;

/** A persistence template of a fwmark service: protocol IPPROTO_IP, no ports but dport. */
export const TEMPLATE: SyncConnEntry = {
  af: 4,
  protocol: 0,
  flags: 0x1003,
  state: 1,
  cport: 0,
  vport: 0,
  dport: 0,
  fwmark: 7,
  timeoutS: 360,
  caddr: ip4('192.0.2.10'),
  vaddr: ip4('0.0.0.7'),
  daddr: ip4('203.0.113.5'),
};

/** The 36 bytes of TEMPLATE. */
export const TEMPLATE_BYTES = `
  00          # type: IPv4
  00          # protocol: IPPROTO_IP (fwmark template)
  00 24       # ver_size: size 36
  00 00 10 03 # flags: IP_VS_CONN_F_TEMPLATE | DROUTE
  00 01       # state: IP_VS_CTPL_S_ASSURED
  00 00       # cport 0
  00 00       # vport 0
  00 00       # dport 0
  00 00 00 07 # fwmark 7
  00 00 01 68 # timeout 360 s (the persistence timeout)
  c0 00 02 0a # caddr 192.0.2.10
  00 00 00 07 # vaddr: the fwmark, as ip_vs_sched_persist() sets it for a fwmark service
  cb 00 71 05 # daddr 203.0.113.5
`;

/** A NAT TCP conn with sequence adjustment in both directions (SEQ_DATA option). */
export const SEQ_CONN: SyncConnEntry = {
  ...V4_CONN,
  flags: 0x0600,
  seq: {
    in: { initSeq: 0x11223344, delta: 16, previousDelta: 8 },
    out: { initSeq: 0x55667788, delta: 0xfffffff0, previousDelta: 0xfffffff8 },
  },
};

/** The 62 bytes of SEQ_CONN. */
export const SEQ_CONN_BYTES = `
  00 06 00 3e # type IPv4, TCP, ver_size: size 36 + 2 + 24 = 62
  00 00 06 00 # flags: IP_VS_CONN_F_IN_SEQ | OUT_SEQ, MASQ
  00 01 9c 40 00 50 1f 90 00 00 00 00 00 00 03 84
  c0 00 02 0a c6 33 64 01 cb 00 71 05
  01 18       # option IPVS_OPT_SEQ_DATA, length 24
  11 22 33 44 00 00 00 10 00 00 00 08 # in_seq: init_seq, delta, previous_delta (hton_seq)
  55 66 77 88 ff ff ff f0 ff ff ff f8 # out_seq
`;

/** A FULLNAT TCP conn: local address 203.0.113.100, local port 60000 in our optional option. */
export const FULLNAT_CONN: SyncConnEntry = {
  ...V4_CONN,
  flags: 0x0005,
  local: { laddr: ip4('203.0.113.100'), lport: 60000 },
};

/** The 44 bytes of FULLNAT_CONN. */
export const FULLNAT_CONN_BYTES = `
  00 06 00 2c # type IPv4, TCP, ver_size: size 36 + 8 = 44
  00 00 00 05 # flags: FULLNAT (our forwarding method 5)
  00 01 9c 40 00 50 1f 90 00 00 00 00 00 00 03 84
  c0 00 02 0a c6 33 64 01 cb 00 71 05
  7f 06       # option 0x7f (0x40 IPVS_OPT_F_PARAM | 0x3f), length 6
  cb 00 71 64 # laddr 203.0.113.100
  ea 60       # lport 60000
`;

/** The same for IPv6: local address 2001:db8::64. */
export const FULLNAT6_CONN: SyncConnEntry = {
  ...V6_CONN,
  protocol: 6,
  flags: 0x0005,
  state: 1,
  local: { laddr: ip6('2001:db8::64'), lport: 1024 },
};

/** The 92 bytes of FULLNAT6_CONN. */
export const FULLNAT6_CONN_BYTES = `
  01 06 00 5c # type INET6, TCP, ver_size: size 72 + 20 = 92
  00 00 00 05 00 01 14 e9 00 35 00 35 00 00 00 2a 00 00 01 2c
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 10
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 80
  20 01 0d b8 00 00 00 01 00 00 00 00 00 00 00 05
  7f 12       # option 0x7f, length 18
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 64 # laddr 2001:db8::64
  04 00       # lport 1024
`;

/** A SIP persistence template with PE_DATA (the Call-ID) and PE_NAME. */
export const PE_TEMPLATE: SyncConnEntry = {
  ...TEMPLATE,
  protocol: 17,
  vport: 5060,
  dport: 5060,
  fwmark: 0,
  vaddr: ip4('198.51.100.1'),
  peData: new TextEncoder().encode('abc@x'),
  peName: 'sip',
};

/** The 48 bytes of PE_TEMPLATE. */
export const PE_TEMPLATE_BYTES = `
  00 11 00 30 # type IPv4, UDP, ver_size: size 36 + (2 + 5) + (2 + 3) = 48
  00 00 10 03 # flags: TEMPLATE | DROUTE
  00 01 00 00 # state ASSURED, cport 0
  13 c4 13 c4 # vport 5060, dport 5060
  00 00 00 00 00 00 01 68
  c0 00 02 0a c6 33 64 01 cb 00 71 05
  02 05 61 62 63 40 78 # option IPVS_OPT_PE_DATA, length 5, "abc@x"
  03 03 73 69 70       # option IPVS_OPT_PE_NAME, length 3, "sip"
`;
