/**
 * `lvsd simulate` end to end: a capture of client (and real-server) frames per forwarding method
 * goes in, the output capture must hold exactly the frames the fixture tables expect, and the
 * summary must count them. Runs runSimulate in-process, and the built `bin/lvsd simulate` too.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseIPv6 } from '../../src/core/addr.js';
import { decodePcap, encodePcap, LINKTYPE_ETHERNET, pcapRecordAt } from '../../src/packet/index.js';
import { runSimulate } from '../../src/tools/simulate.js';
import { DIR_IP, DIR_MAC, GW, GW_MAC, NEIGHBOURS, RULES } from '../engine/lab.js';
import { CLIENT6, DIR6, fromGw6, GW6, RULES6, VIP6 } from '../engine/lab6.js';
import { DR, FULLNAT, NAT, runScenario, type Scenario, TUN } from '../forward/fixtures.js';
import { pkt } from '../helpers/packet-builder.js';

const dir = mkdtempSync(join(tmpdir(), 'lvs-simulate-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'rules'), RULES);
writeFileSync(join(dir, 'neighbours'), `# lab next hops\n${NEIGHBOURS}`);

const methods: [string, Scenario[]][] = [
  ['nat', NAT],
  ['dr', DR],
  ['tun', TUN],
  ['fullnat', FULLNAT.slice(0, 1)],
];

function writeInput(name: string, scenarios: Scenario[]): string {
  const frames = scenarios.flatMap((s) => s.steps.map((st) => st.in));
  const file = join(dir, `${name}-in.pcap`);
  writeFileSync(
    file,
    encodePcap({
      linktype: LINKTYPE_ETHERNET,
      snaplen: 65535,
      nanos: false,
      records: frames.map((f, i) => pcapRecordAt(1_000_000 + i, f)),
    }),
  );
  return file;
}

function args(name: string, input: string): string[] {
  return [
    '--rules',
    join(dir, 'rules'),
    '--in',
    input,
    '--out',
    join(dir, `${name}-out.pcap`),
    '--director-mac',
    DIR_MAC,
    '--director-ip',
    `${DIR_IP}/24`,
    '--gateway',
    GW,
    '--neighbours',
    join(dir, 'neighbours'),
  ];
}

function outFrames(name: string): string[] {
  return decodePcap(readFileSync(join(dir, `${name}-out.pcap`))).records.map((r) =>
    Buffer.from(r.data).toString('hex'),
  );
}

// Tunnel frames carry a run-time IP ID, so compare them with the IDs zeroed (checksum words too).
function norm(hex: string): string {
  const b = Buffer.from(hex, 'hex');
  if (b.length >= 34 && b.readUInt16BE(12) === 0x0800 && [4, 17, 47].includes(b[23]!)) {
    b.writeUInt16BE(0, 18);
    b.writeUInt16BE(0, 24);
  }
  return b.toString('hex');
}

describe('lvsd simulate', () => {
  for (const [name, scenarios] of methods) {
    it(`turns a ${name} capture into the frames the fixture table expects`, async () => {
      const expected = scenarios.flatMap((s) => runScenario(s)).map((b) => norm(b.toString('hex')));
      const input = writeInput(name, scenarios);
      const code = await runSimulate(args(name, input));
      assert.equal(code, 0);
      assert.deepEqual(outFrames(name).map(norm), expected);
    });
  }

  it('takes IPv6 with --director-ip6 and --gateway6: answers the VIP solicitation, forwards DR, resolves by NDP', async () => {
    writeFileSync(join(dir, 'rules6'), RULES6);
    const frames = [
      pkt()
        .eth({ src: GW_MAC, dst: '33:33:ff:00:01:00' })
        .ipv6({ src: GW6, dst: 'ff02::1:ff00:100', hopLimit: 255 })
        .icmpv6({ type: 135 })
        .payload(Buffer.concat([Buffer.from(parseIPv6(VIP6)!), Buffer.from([1, 1, 2, 0, 0, 0, 0, 0xfe])]))
        .build(),
      fromGw6().ipv6({ src: CLIENT6, dst: VIP6 }).tcp({ sport: 40000, dport: 81, flags: 'S' }).build(),
    ];
    const input = join(dir, 'v6-in.pcap');
    writeFileSync(
      input,
      encodePcap({
        linktype: LINKTYPE_ETHERNET,
        snaplen: 65535,
        nanos: false,
        records: frames.map((f, i) => pcapRecordAt(1_000_000 + i, f)),
      }),
    );
    const a = [
      ...['--rules', join(dir, 'rules6'), '--in', input, '--out', join(dir, 'v6-out.pcap')],
      ...['--director-mac', DIR_MAC, '--director-ip', `${DIR_IP}/24`],
      ...['--director-ip6', `${DIR6}/64`, '--gateway6', GW6],
    ];
    assert.equal(await runSimulate(a), 0);
    const out = outFrames('v6').map((h) => Buffer.from(h, 'hex'));
    // The advert for the VIP, then the three solicitations for the real server (no neighbours
    // file): the SYN waits for an answer the capture does not hold, and is dropped after them.
    assert.deepEqual(
      out.map((f) => f[54]),
      [136, 135, 135, 135],
    );
    assert.equal(await runSimulate([...a.slice(0, -2), '--gateway6', 'nope']), 2);
  });

  it('refuses missing options with exit 2', async () => {
    assert.equal(await runSimulate(['--rules', join(dir, 'rules')]), 2);
  });

  it('fails with exit 1 on an unreadable capture', async () => {
    assert.equal(await runSimulate(args('nope', join(dir, 'missing.pcap'))), 1);
  });

  const bin = join(process.cwd(), 'bin', 'lvsd');
  // npm test builds dist/ first; a missing or stale build fails here rather than skipping.
  it('runs as `lvsd simulate` from the built binary and prints the summary', () => {
    const input = writeInput('bin-nat', NAT);
    const r = spawnSync(process.execPath, [bin, 'simulate', ...args('bin-nat', input)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const expected = NAT.flatMap((s) => runScenario(s)).length;
    assert.match(r.stdout, /^frames in: 8$/m);
    assert.match(r.stdout, new RegExp(`^frames out: ${expected}$`, 'm'));
    assert.match(r.stdout, /^ {2}not_ours: 1$/m);
    assert.equal(outFrames('bin-nat').length, expected);
  });
});
