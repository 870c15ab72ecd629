/**
 * tshark for engine output: test/helpers/tshark.ts with payloads decoded as plain data, since
 * application dissectors guessing from port numbers (DNS, mDNS, game protocols) would flag our
 * synthetic payloads. `quotedTcpChecksum: false` turns TCP checksum checks off, for ICMP errors
 * that quote a cut-short segment (tshark then checks the quoted segment's checksum over the bytes
 * present, which cannot match).
 */
import { type Dissection, dissect as dissectFrames } from '../helpers/tshark.js';

export { hasTshark } from '../helpers/tshark.js';

/** Problems tshark reports for each frame (empty lists for clean frames); also the protocol stacks. */
export function dissect(
  frames: readonly Uint8Array[],
  opts: { quotedTcpChecksum?: boolean } = {},
): Dissection[] {
  return dissectFrames(frames, { ...opts, payloadAsData: true });
}
