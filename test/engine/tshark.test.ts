import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FRAME_F } from '../../src/engine/engine.js';
import { ALL, fromClient, runScenario } from '../forward/fixtures.js';
import { pkt } from '../helpers/packet-builder.js';
import { CLIENT, GW, GW_MAC, LIP, lab, run, VIP } from './lab.js';
import { dissect, hasTshark } from './tshark-dissect.js';

const isRoot = process.getuid?.() === 0;
// CI runs as root with tshark installed: there a missing tshark fails the first test instead of skipping.
const skip = !hasTshark && !isRoot ? 'tshark is not installed; skipped because not root' : false;

// Frames the engine originates itself, beyond the method fixtures.
function originated(): { desc: string; frames: Buffer[] }[] {
  const out: { desc: string; frames: Buffer[] }[] = [];
  const add = (desc: string, frames: Buffer[]) => out.push({ desc, frames });
  const sim = lab();
  const arp = (t: string) =>
    pkt()
      .eth({ src: GW_MAC, dst: 'ff:ff:ff:ff:ff:ff' })
      .arp({ senderMac: GW_MAC, senderIp: GW, targetIp: t })
      .build();
  add('ARP reply for a VIP', run(sim, arp(VIP)).tx);
  add('ARP reply for a LIP', run(sim, arp(LIP)).tx);
  add(
    'echo reply',
    run(
      sim,
      fromClient().ipv4({ src: CLIENT, dst: VIP }).icmp({ type: 8, id: 1, seq: 1 }).payload(56).build(),
    ).tx,
  );
  add(
    'port unreachable',
    run(sim, fromClient().ipv4({ src: CLIENT, dst: VIP }).tcp({ sport: 1, dport: 86, flags: 'S' }).build())
      .tx,
  );
  add(
    'time exceeded',
    run(
      sim,
      fromClient().ipv4({ src: CLIENT, dst: VIP, ttl: 1 }).tcp({ sport: 2, dport: 80, flags: 'S' }).build(),
    ).tx,
  );
  add(
    'ARP request',
    run(
      lab({ neighbours: false }),
      fromClient().ipv4({ src: CLIENT, dst: VIP }).tcp({ sport: 3, dport: 80, flags: 'S' }).build(),
    ).tx,
  );
  for (const port of [80, 81, 82, 84, 85]) {
    const s = lab();
    run(s, fromClient().ipv4({ src: CLIENT, dst: VIP }).tcp({ sport: 4, dport: port, flags: 'S' }).build());
    const big = fromClient()
      .ipv4({ src: CLIENT, dst: VIP, df: true })
      .tcp({ sport: 4, dport: port, flags: 'PA', csum: 'partial' })
      .payload(5000)
      .build();
    add(`GSO segments to port ${port}`, run(s, big, FRAME_F.GSO | FRAME_F.PARTIAL_CSUM).tx);
  }
  return out;
}

describe('tshark cross-check of engine output', { skip }, () => {
  it('tshark is installed (required when running as root, as in CI)', () => {
    assert.ok(hasTshark, 'tshark not found on PATH: apt-get install -y tshark');
  });

  it('every frame of every method fixture and every originated frame dissects cleanly', {
    skip: !hasTshark,
  }, () => {
    const groups = [...ALL.map((s) => ({ desc: s.desc, frames: runScenario(s) })), ...originated()];
    const frames = groups.flatMap((g) => g.frames);
    const descs = groups.flatMap((g) => g.frames.map((_, i) => `${g.desc} #${i + 1}`));
    assert.ok(frames.length >= 40, `enough frames checked (${frames.length})`);
    const out = dissect(frames);
    assert.equal(out.length, frames.length);
    const bad = out.flatMap((d, i) =>
      d.problems.length > 0 ? [`${descs[i]}: ${d.problems.join('; ')}`] : [],
    );
    // The one frame quoting a cut-short TCP segment (frag-needed for a 1490-byte packet, quoted up to
    // 576 bytes as icmp_send does) is checked again below with the quoted-TCP check off.
    const cut = descs.findIndex((d) => d.includes('frag-needed sized for the tunnel #4'));
    assert.ok(cut >= 0);
    assert.deepEqual(
      bad.filter((b) => !b.startsWith(`${descs[cut]}: Bad checksum [should be `)),
      [],
    );
    assert.deepEqual(dissect([frames[cut]!], { quotedTcpChecksum: false })[0]?.problems, []);
    // IPIP and GRE were dissected down to the inner TCP, so inner checksums were checked too (tshark
    // has no GUE dissector; the GUE fixture compares bytes with an independently built frame instead).
    const protos = out.map((d) => d.protocols).join('\n');
    assert.match(protos, /ip:gre:ip:tcp/);
    assert.match(protos, /ip:ip:tcp/);
  });
});
