/**
 * Runs frames through tshark with IP/TCP/UDP checksum validation on and reports, per frame, the
 * malformed flags, error-level expert items and checksum complaints (the same criteria as
 * test/packet/tshark.test.ts, which checks the codecs; this one checks what the engine emits).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePcap, LINKTYPE_ETHERNET, pcapRecordAt } from '../../src/packet/index.js';

/** True when tshark runs here. */
export const hasTshark = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;

const PI_ERROR = 0x00800000;
const PI_CHECKSUM = 0x01000000;
const PI_MALFORMED = 0x07000000;

/**
 * Problems tshark reports for each frame (empty lists for clean frames); also the protocol stacks.
 * Payloads are decoded as plain data: application dissectors guessing from port numbers (DNS,
 * mDNS, game protocols) would flag our synthetic payloads. `quotedTcpChecksum: false` turns TCP
 * checksum checks off, for ICMP errors that quote a cut-short segment (tshark then checks the
 * quoted segment's checksum over the bytes present, which cannot match).
 */
export function dissect(
  frames: readonly Uint8Array[],
  opts: { quotedTcpChecksum?: boolean } = {},
): { problems: string[]; protocols: string }[] {
  const dir = mkdtempSync(join(tmpdir(), 'lvs-engine-tshark-'));
  try {
    const file = join(dir, 'out.pcap');
    writeFileSync(
      file,
      encodePcap({
        linktype: LINKTYPE_ETHERNET,
        snaplen: 262144,
        nanos: false,
        records: frames.map((d, i) => pcapRecordAt(1_700_000_000_000 + i, d)),
      }),
    );
    const o = (k: string) => ['-o', `${k}:TRUE`];
    const r = spawnSync(
      'tshark',
      [
        '-n',
        '-r',
        file,
        ...o('ip.check_checksum'),
        '-o',
        `tcp.check_checksum:${opts.quotedTcpChecksum === false ? 'FALSE' : 'TRUE'}`,
        ...o('udp.check_checksum'),
        '-d',
        'tcp.port==1-65535,data',
        '-d',
        'udp.port==1-65535,data',
        '-T',
        'fields',
        '-E',
        'separator=\t',
        '-E',
        'occurrence=a',
        '-E',
        'aggregator=|',
        '-e',
        'frame.number',
        '-e',
        '_ws.expert.severity',
        '-e',
        '_ws.expert.group',
        '-e',
        '_ws.malformed',
        '-e',
        '_ws.expert.message',
        '-e',
        'frame.protocols',
      ],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    assert.equal(r.status, 0, `tshark failed: ${r.stderr}`);
    return r.stdout
      .trimEnd()
      .split('\n')
      .map((line) => {
        const [, sev = '', grp = '', malformed = '', msg = '', protocols = ''] = line.split('\t');
        const sevs = sev ? sev.split('|').map(Number) : [];
        const grps = grp ? grp.split('|').map(Number) : [];
        const msgs = msg ? msg.split('|') : [];
        const problems = sevs.flatMap((s, i) =>
          s >= PI_ERROR || grps[i] === PI_CHECKSUM || grps[i] === PI_MALFORMED
            ? [msgs[i] ?? `severity ${s}`]
            : [],
        );
        if (malformed) problems.push('malformed');
        return { problems, protocols };
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
