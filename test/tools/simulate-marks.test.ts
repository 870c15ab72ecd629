/**
 * `lvsd simulate --mark/--mark-file`: offline, the engine classifies a capture by mark rules as
 * lvsd's packet plane does, so a fwmark service's frames come out forwarded, and a bad rule is
 * refused with its position.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { decodePcap, encodePcap, LINKTYPE_ETHERNET, pcapRecordAt } from '../../src/packet/index.js';
import { runSimulate } from '../../src/tools/simulate.js';
import { DIR_IP, DIR_MAC, GW, GW_MAC, NEIGHBOURS, RS1, RS1_MAC } from '../engine/lab.js';
import { pkt } from '../helpers/packet-builder.js';

const dir = mkdtempSync(join(tmpdir(), 'lvs-sim-marks-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'rules'), `-A -f 1 -s rr -p 300\n-a -f 1 -r ${RS1} -g -w 1\n`);
writeFileSync(join(dir, 'neighbours'), NEIGHBOURS);
const frames = [80, 443].map((dport, i) =>
  pkt()
    .eth({ src: GW_MAC, dst: DIR_MAC })
    .ipv4({ src: '203.0.113.7', dst: '192.0.2.150' })
    .tcp({ sport: 40000 + i, dport, flags: 'S', seq: 1 })
    .build(),
);
writeFileSync(
  join(dir, 'in.pcap'),
  encodePcap({
    linktype: LINKTYPE_ETHERNET,
    snaplen: 65535,
    nanos: false,
    records: frames.map((f, i) => pcapRecordAt(1_000_000 + i, f)),
  }),
);
const base = [
  '--rules',
  join(dir, 'rules'),
  '--in',
  join(dir, 'in.pcap'),
  '--out',
  join(dir, 'out.pcap'),
].concat([
  '--director-mac',
  DIR_MAC,
  '--director-ip',
  `${DIR_IP}/24`,
  '--gateway',
  GW,
  '--neighbours',
  join(dir, 'neighbours'),
  '--summary',
]);

// Runs the simulation with stdout/stderr captured.
async function run(extra: string[]): Promise<{ code: number; err: string }> {
  const w = { out: process.stdout.write, err: process.stderr.write };
  let err = '';
  process.stdout.write = () => true;
  process.stderr.write = (s: string | Uint8Array) => {
    err += String(s);
    return true;
  };
  try {
    return { code: await runSimulate([...base, ...extra]), err };
  } finally {
    process.stdout.write = w.out;
    process.stderr.write = w.err;
  }
}

it("forwards a fwmark service's frames when a --mark rule sets the mark, and none without", async () => {
  assert.equal((await run([])).code, 0);
  assert.equal(decodePcap(readFileSync(join(dir, 'out.pcap'))).records.length, 0);
  writeFileSync(join(dir, 'marks'), 'tcp dst 192.0.2.150 dport 80,443 iif eth0 mark 1\n');
  assert.equal((await run(['--mark-file', join(dir, 'marks')])).code, 0);
  const out = decodePcap(readFileSync(join(dir, 'out.pcap'))).records;
  assert.equal(out.length, 2);
  for (const r of out)
    assert.equal(Buffer.from(r.data.subarray(0, 6)).toString('hex'), RS1_MAC.replace(/:/g, ''));
});

it('refuses a bad --mark with its position (exit 1)', async () => {
  const r = await run(['--mark', 'tcp dport 80 mark']);
  assert.equal(r.code, 1);
  assert.equal(r.err, "lvsd simulate: --mark:1:14: 'mark' needs a value (ERR_MARK_SYNTAX)\n");
});
