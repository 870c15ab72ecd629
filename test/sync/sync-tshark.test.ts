/**
 * Wireshark's own IPVS sync dissector (epan/dissectors/packet-ipvs-syncd.c, protocol `ipvs`) as
 * an oracle: our datagrams, in UDP/IPv4 to 224.0.0.81:8848 as the kernel's master sends them, must
 * dissect with no malformed flag, error-level expert item or checksum complaint, and the dissector
 * must read our fields back. Its version 1 dissector steps 36 or 72 bytes per entry whatever the
 * entry's size says (it does not walk options), so entries with options go last in a datagram.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodePcap, LINKTYPE_ETHERNET, pcapRecordAt } from '../../src/packet/index.js';
import { SyncMessageBuilder } from '../../src/sync/sync-builder.js';
import { syncMessageCodec } from '../../src/sync/sync-codec.js';
import type { SyncMessage } from '../../src/sync/sync-entry.js';
import { pkt } from '../helpers/packet-builder.js';
import { peerSkipReason } from '../helpers/peers.js';
import { dissect, hasTshark } from '../helpers/tshark.js';
import { FULLNAT_CONN, SEQ_CONN, TEMPLATE, V4_CONN, V6_CONN } from './sync-fixtures.js';

const skip = peerSkipReason('tshark', hasTshark);

/** One datagram as the master sends it: from its interface address to the sync group. */
function frame(payload: Uint8Array): Uint8Array {
  return pkt()
    .eth({ src: '02:00:00:00:00:01', dst: '01:00:5e:00:00:51' })
    .ipv4({ src: '192.0.2.1', dst: '224.0.0.81', ttl: 1 })
    .udp({ sport: 40000, dport: 8848 })
    .payload(payload)
    .build();
}

function encode(m: SyncMessage): Uint8Array {
  const out = new Uint8Array(syncMessageCodec.encodingLength(m));
  syncMessageCodec.encode(m, out, 0);
  return out;
}

const FIELDS = [
  'ipvs.conncount',
  'ipvs.syncid',
  'ipvs.size',
  'ipvs.version',
  'ipvs.type',
  'ipvs.proto',
  'ipvs.size.v1',
  'ipvs.flags.v1',
  'ipvs.flags',
  'ipvs.state',
  'ipvs.cport',
  'ipvs.vport',
  'ipvs.dport',
  'ipvs.fwmark',
  'ipvs.timeout',
  'ipvs.caddr',
  'ipvs.vaddr',
  'ipvs.daddr',
  'ipvs.caddr6',
  'ipvs.vaddr6',
  'ipvs.daddr6',
  'ipvs.in_seq.initial',
  'ipvs.out_seq.delta',
] as const;

type Decoded = Record<(typeof FIELDS)[number], string>;

/** The ipvs fields tshark reads from each frame, every occurrence joined by `|`. */
function ipvsFields(frames: readonly Uint8Array[]): Decoded[] {
  const dir = mkdtempSync(join(tmpdir(), 'lvs-sync-tshark-'));
  try {
    const file = join(dir, 'sync.pcap');
    writeFileSync(
      file,
      encodePcap({
        linktype: LINKTYPE_ETHERNET,
        snaplen: 65535,
        nanos: false,
        records: frames.map((d, i) => pcapRecordAt(1_700_000_000_000 + i, d)),
      }),
    );
    const r = spawnSync(
      'tshark',
      [
        '-n',
        '-r',
        file,
        '-d',
        'udp.port==8848,ipvs',
        '-T',
        'fields',
        '-E',
        'separator=\t',
        '-E',
        'occurrence=a',
        '-E',
        'aggregator=|',
        ...FIELDS.flatMap((f) => ['-e', f]),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, `tshark failed: ${r.stderr}`);
    return r.stdout
      .trimEnd()
      .split('\n')
      .map((line) => {
        const cols = line.split('\t');
        return Object.fromEntries(FIELDS.map((f, i) => [f, cols[i] ?? ''])) as Decoded;
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('Wireshark decodes our sync datagrams', { skip }, () => {
  const mixed = encode({ syncId: 5, version: 1, entries: [V4_CONN, V6_CONN, TEMPLATE] });
  const seq = encode({ syncId: 5, version: 1, entries: [V4_CONN, SEQ_CONN] });
  const fullnat = encode({ syncId: 5, version: 1, entries: [V4_CONN, FULLNAT_CONN] });
  const v0 = encode({ syncId: 7, version: 0, entries: [V4_CONN, SEQ_CONN] });
  const builder = new SyncMessageBuilder({ syncId: 9 });
  for (let i = 0; i < 40; i++) builder.add({ ...V4_CONN, cport: 1000 + i });
  const full = builder.flush()!;
  const frames = [mixed, seq, fullnat, v0, full].map(frame);

  it('with no malformed field, error expert item or checksum complaint', () => {
    const d = dissect(frames);
    assert.equal(d.length, frames.length);
    for (const f of d) {
      assert.match(f.protocols, /udp:ipvs$/, `frame ${f.frame}`);
      assert.deepEqual(f.problems, [], `frame ${f.frame}`);
    }
  });

  it('flags a datagram cut short, so the check can fail', () => {
    const cut = mixed.slice(0, mixed.length - 20);
    const [d] = dissect([frame(cut)]);
    assert.ok(d && d.problems.length > 0, 'tshark saw no problem in a cut datagram');
  });

  it('reading back the header, ports, addresses and the v1 fields', () => {
    const [m, s, fn, z, b] = ipvsFields(frames);
    assert.ok(m && s && fn && z && b);
    assert.equal(m['ipvs.conncount'], '3');
    assert.equal(m['ipvs.syncid'], '5');
    assert.equal(m['ipvs.size'], String(mixed.length));
    assert.equal(m['ipvs.version'], '1');
    assert.equal(m['ipvs.type'], '0|1|0');
    assert.equal(m['ipvs.proto'], '0x06|0x11|0x00');
    assert.equal(m['ipvs.size.v1'], '36|72|36');
    assert.equal(m['ipvs.flags.v1'], '0x00000003|0x00000002|0x00001003');
    assert.equal(m['ipvs.cport'], '40000|5353|0');
    assert.equal(m['ipvs.vport'], '80|53|0');
    assert.equal(m['ipvs.dport'], '8080|53|0');
    assert.equal(m['ipvs.fwmark'], '0x00000000|0x0000002a|0x00000007');
    assert.equal(m['ipvs.timeout'], '900|300|360');
    assert.equal(m['ipvs.caddr'], '192.0.2.10|192.0.2.10');
    assert.equal(m['ipvs.vaddr'], '198.51.100.1|0.0.0.7');
    assert.equal(m['ipvs.daddr'], '203.0.113.5|203.0.113.5');
    assert.equal(m['ipvs.caddr6'], '2001:db8::10');
    assert.equal(m['ipvs.vaddr6'], '2001:db8::80');
    assert.equal(m['ipvs.daddr6'], '2001:db8:0:1::5');
    // An entry with options last: its fixed part is read, its size counts the options.
    assert.equal(s['ipvs.size.v1'], '36|62');
    assert.equal(s['ipvs.flags.v1'], '0x00000003|0x00000600');
    assert.equal(fn['ipvs.size.v1'], '36|44');
    assert.equal(fn['ipvs.flags.v1'], '0x00000003|0x00000005');
    assert.equal(fn['ipvs.daddr'], '203.0.113.5|203.0.113.5');
    assert.equal(b['ipvs.conncount'], '40');
    assert.equal(b['ipvs.size'], '1448');
    assert.equal(b['ipvs.cport'].split('|').length, 40);
    assert.equal(b['ipvs.cport'].split('|')[39], '1039');
  });

  it('reading version 0 entries, sequence data where the flags put it', () => {
    const [, , , z] = ipvsFields(frames);
    assert.ok(z);
    assert.equal(z['ipvs.conncount'], '2');
    assert.equal(z['ipvs.syncid'], '7');
    assert.equal(z['ipvs.size'], String(v0.length));
    assert.equal(z['ipvs.version'], '');
    assert.equal(z['ipvs.flags'], '0x0003|0x0600');
    assert.equal(z['ipvs.state'], '0x0001|0x0001');
    assert.equal(z['ipvs.cport'], '40000|40000');
    assert.equal(z['ipvs.daddr'], '203.0.113.5|203.0.113.5');
    // Wireshark reads the v0 sequence words big-endian; the kernel (and we) write them in
    // little-endian host order, so it shows them byte-swapped, at the right offsets.
    assert.equal(z['ipvs.in_seq.initial'], '0x44332211');
    assert.equal(z['ipvs.out_seq.delta'], '0xf0ffffff');
  });
});
