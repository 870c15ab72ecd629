/**
 * Lab links made ready for lvsd's XDP flow offload (`lab up --offload-links`, or the
 * offloadLinks option of labUp): what a veth needs so that the frames the director's XDP
 * program forwards arrive, and arrive as they would from a wire.
 *
 * - The far end of every director link gets an XDP_PASS program (xdp-pass.ts says why: a veth
 *   polls the frames XDP_TX'd or redirected to it only when it runs an XDP program itself).
 * - Every other host sends full checksums (`ethtool -K IF tx off`). A veth hands its peer
 *   CHECKSUM_PARTIAL segments whose TCP checksum holds only the pseudo-header sum; XDP sees no
 *   checksum state, so a frame it forwards would reach the real server with that partial sum
 *   and be dropped there (TcpInCsumErrors). Frames from a physical link always carry the full
 *   sum.
 */
import { spawnSync } from 'node:child_process';
import { type LabPlan, labNamespace } from './plan.js';
import { writeXdpPassObject } from './xdp-pass.js';

function run(argv: string[]): void {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`lab: ${argv.join(' ')}: ${(r.stderr ?? '').trim()}`);
}

/** Attaches XDP_PASS to the director links' far ends and turns TX checksum offload off elsewhere. */
export function prepareOffloadLinks(plan: LabPlan, stateDir: string): void {
  const obj = writeXdpPassObject(stateDir);
  for (const l of plan.links) {
    for (const [near, far] of [
      [l.a, l.b],
      [l.b, l.a],
    ] as const) {
      const ns = labNamespace(plan.mode, far.host);
      if (near.host.startsWith('director')) {
        run(['ip', '-n', ns, 'link', 'set', 'dev', far.ifname, 'xdpdrv', 'obj', obj, 'sec', 'xdp']);
      } else if (far.host !== 'sw' && !far.host.startsWith('director')) {
        run(['ip', 'netns', 'exec', ns, 'ethtool', '-K', far.ifname, 'tx', 'off']);
      }
    }
  }
}
