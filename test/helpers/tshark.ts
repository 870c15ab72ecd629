/**
 * Runs frames through tshark with IP/TCP/UDP checksum validation on and reports, per frame, the
 * malformed flag, error-level expert items and checksum complaints, plus the protocol stack. Used
 * by test/packet/tshark.test.ts (the codecs) and test/engine/tshark-dissect.ts (engine output).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePcap, LINKTYPE_ETHERNET, pcapRecordAt } from '../../src/packet/index.js';

/** True when tshark runs here. */
export const hasTshark = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;

/** Error severity and the checksum/malformed groups from epan/proto.h (PI_ERROR, PI_CHECKSUM, PI_MALFORMED). */
const PI_ERROR = 0x00800000;
const PI_CHECKSUM = 0x01000000;
const PI_MALFORMED = 0x07000000;

/** What tshark said about one frame. */
export interface Dissection {
  /** 1-based frame number. */
  frame: number;
  /** Malformed flag, error-level expert items and checksum complaints; empty for a clean frame. */
  problems: string[];
  /** frame.protocols, e.g. `eth:ethertype:ip:tcp`. */
  protocols: string;
}

/** How to dissect. */
export interface DissectOptions {
  /** false turns TCP checksum checks off (ICMP errors quoting a cut-short segment cannot match). */
  quotedTcpChecksum?: boolean;
  /** Decode TCP/UDP payloads as plain data, so port-guessing application dissectors stay quiet. */
  payloadAsData?: boolean;
}

/** Dissects `frames` (Ethernet) in one tshark run; one entry per frame, in order. */
export function dissect(frames: readonly Uint8Array[], opts: DissectOptions = {}): Dissection[] {
  const dir = mkdtempSync(join(tmpdir(), 'lvs-tshark-'));
  try {
    const file = join(dir, 'frames.pcap');
    writeFileSync(
      file,
      encodePcap({
        linktype: LINKTYPE_ETHERNET,
        snaplen: 262144,
        nanos: false,
        records: frames.map((d, i) => pcapRecordAt(1_700_000_000_000 + i, d)),
      }),
    );
    const tcpCheck = opts.quotedTcpChecksum === false ? 'FALSE' : 'TRUE';
    const asData = opts.payloadAsData ? ['-d', 'tcp.port==1-65535,data', '-d', 'udp.port==1-65535,data'] : [];
    const fields = [
      'frame.number',
      '_ws.expert.severity',
      '_ws.expert.group',
      '_ws.malformed',
      '_ws.expert.message',
      'frame.protocols',
    ];
    const r = spawnSync(
      'tshark',
      [
        '-n',
        '-r',
        file,
        '-o',
        'ip.check_checksum:TRUE',
        '-o',
        `tcp.check_checksum:${tcpCheck}`,
        '-o',
        'udp.check_checksum:TRUE',
        ...asData,
        '-T',
        'fields',
        '-E',
        'separator=\t',
        '-E',
        'occurrence=a',
        '-E',
        'aggregator=|',
        ...fields.flatMap((f) => ['-e', f]),
      ],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    assert.equal(r.status, 0, `tshark failed: ${r.stderr}`);
    return r.stdout
      .trimEnd()
      .split('\n')
      .map((line) => {
        const [num, sev = '', grp = '', malformed = '', msg = '', protocols = ''] = line.split('\t');
        const sevs = sev ? sev.split('|').map(Number) : [];
        const grps = grp ? grp.split('|').map(Number) : [];
        const msgs = msg ? msg.split('|') : [];
        const problems = sevs.flatMap((s, i) =>
          s >= PI_ERROR || grps[i] === PI_CHECKSUM || grps[i] === PI_MALFORMED
            ? [msgs[i] ?? `severity ${s}`]
            : [],
        );
        if (malformed) problems.push('malformed');
        return { frame: Number(num), problems, protocols };
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
