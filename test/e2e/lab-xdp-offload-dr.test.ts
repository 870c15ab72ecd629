/**
 * The DR lab with lvsd's XDP flow offload on (`--xdp on --xdp-offload on`, root only), its links
 * prepared as a wire (tools/lab/offload-links.ts: XDP_PASS on the switch port facing the director,
 * full checksums from the client): transfers through the VIP keep their digests while their
 * established segments are forwarded by the XDP program itself, lvsd's engine sees fewer frames
 * than the client sent, `lvsadm -Ln --stats --exact` counts exactly the packets and bytes the
 * client put on its link for the VIP, and the conns' entries leave the map once they end.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { run as lvsadm, processEnv } from '../../src/programs/lvsadm/main.js';
import { labPlan } from '../../src/tools/lab/plan.js';
import { labPattern } from '../../src/tools/lab/rs-http.js';
import { type LabState, labDown, labExec, labUp, tail } from '../../src/tools/lab/topology.js';
import { netnsSkipReason } from '../helpers/netns.js';

const mode = 'dr';
process.env.LVS_LAB_PREFIX ??= `lvsts${process.pid}`;
const skip = netnsSkipReason();
if (skip) console.log(`# skipping the XDP offload lab: ${skip}`);
const plan = labPlan(mode);
const root = `/run/lvs-ts/lab-offload-${process.pid}`;
let st: LabState | undefined;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function lvsadmOut(argv: string[]): Promise<string> {
  let text = '';
  const code = await lvsadm(['--socket', st!.socket, ...argv], {
    ...processEnv(),
    stdout: (t) => {
      text += t;
    },
    stderr: (t) => {
      text += t;
    },
  });
  assert.equal(code, 0, text);
  return text;
}

interface Offload {
  flows: number;
  installs: number;
  refused: number;
  removed: number;
  packets: number;
  bytes: number;
}

async function offloadLine(): Promise<Offload> {
  const s = await lvsadmOut(['-L', '--status']);
  const m =
    /xdp flow offload: (\d+) flows in XDP, (\d+) installed, (\d+) refused \(map full\), (\d+) removed; (\d+) packets, (\d+) bytes/.exec(
      s,
    );
  assert.ok(m, s);
  const [flows, installs, refused, removed, packets, bytes] = m.slice(1).map(Number) as number[];
  return {
    flows: flows!,
    installs: installs!,
    refused: refused!,
    removed: removed!,
    packets: packets!,
    bytes: bytes!,
  };
}

/** The VIP service's InPkts and InBytes, exact. */
async function serviceIn(): Promise<{ pkts: number; bytes: number }> {
  const s = await lvsadmOut(['-Ln', '--stats', '--exact']);
  const line = s.split('\n').find((l) => l.startsWith('TCP') && l.includes(`${plan.vip}:${plan.port}`));
  assert.ok(line, s);
  const f = line.trim().split(/\s+/);
  return { pkts: Number(f[3]), bytes: Number(f[5]) };
}

/** The director's XDP counters (drivers/net/veth.c rx_queue_0_xdp_*): frames sent back out, and handed to lvsd's socket. */
function directorXdp(): { tx: number; redirect: number } {
  const out = labExec(mode, 'director', ['ethtool', '-S', 'eth0']).stdout;
  const n = (k: string): number =>
    Number(new RegExp(`rx_queue_0_xdp_${k}: (\\d+)`).exec(out)?.[1] ?? Number.NaN);
  return { tx: n('tx'), redirect: n('redirect') };
}

/** What the client put on its link for the VIP: an nftables counter at the switch port's ingress. */
function clientToVip(): { pkts: number; bytes: number } {
  const out = labExec(mode, 'sw', ['nft', 'list', 'table', 'netdev', 'wire']).stdout;
  const m = /counter packets (\d+) bytes (\d+)/.exec(out);
  assert.ok(m, out);
  return { pkts: Number(m[1]), bytes: Number(m[2]) };
}

test('DR lab with the XDP flow offload', { skip }, async (t) => {
  before(() => {
    labDown(mode, root);
    st = labUp(mode, {
      stateRoot: root,
      lvsdArgs: ['--xdp', 'on', '--xdp-offload', 'on'],
      offloadLinks: true,
    });
    const rules = join(st.stateDir, 'wire.nft');
    writeFileSync(
      rules,
      `table netdev wire {\n chain in {\n  type filter hook ingress device client priority 0;\n  ip daddr ${plan.vip} tcp dport ${plan.port} counter\n }\n}\n`,
    );
    const r = labExec(mode, 'sw', ['nft', '-f', rules]);
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => {
    labDown(mode, root);
    rmSync(root, { recursive: true, force: true });
  });

  await t.test('lvsd says the offload is on, and the switch port runs the XDP_PASS program', () => {
    assert.match(tail(st!, 'lvsd', 60), /XDP flow offload on/);
    assert.match(
      labExec(mode, 'sw', ['ip', '-d', 'link', 'show', 'director']).stdout,
      /prog\/xdp id \d+ name xdp_pass/,
    );
  });

  await t.test(
    'transfers keep their digests, the program forwards their segments, and the stats count every one exactly',
    async () => {
      const svc0 = await serviceIn();
      const wire0 = clientToVip();
      const xdp0 = directorXdp();
      const off0 = await offloadLine();
      const n = 20_000_000;
      const want = createHash('sha256').update(labPattern(n)).digest('hex');
      // Two bulk transfers (one to each real server, rr) and a few short requests.
      for (let i = 0; i < 2; i++) {
        const url = `http://${plan.vip}:${plan.port}/bytes/${n}`;
        const r = labExec(mode, 'client', ['sh', '-c', `curl -s -m 60 ${url} | sha256sum`], 90_000);
        assert.equal(r.stdout.split(' ')[0], want, `transfer ${i}: ${r.stderr}`);
      }
      for (let i = 0; i < 4; i++) {
        const r = labExec(mode, 'client', ['curl', '-s', '-m', '5', `http://${plan.vip}:${plan.port}/`]);
        assert.match(r.stdout, /this is rs[12]/);
      }
      // The last FINs go through the engine, which takes each entry back.
      let off = await offloadLine();
      for (let i = 0; i < 40 && off.flows > 0; i++) {
        await sleep(100);
        off = await offloadLine();
      }
      const wire = clientToVip();
      const sent = { pkts: wire.pkts - wire0.pkts, bytes: wire.bytes - wire0.bytes };
      const xdp = directorXdp();
      const svc = await serviceIn();
      const forwarded = off.packets - off0.packets;
      const handed = xdp.redirect - xdp0.redirect;
      const detail = JSON.stringify({ sent, forwarded, handed, xdpTx: xdp.tx - xdp0.tx, off0, off });

      assert.ok(off.installs - off0.installs >= 2, `both bulk conns installed: ${detail}`);
      assert.equal(off.refused, 0, detail);
      // How many frames the client sends depends on its receive coalescing (hundreds to
      // thousands for these transfers); the engine keeps the SYNs, FINs and first segments.
      assert.ok(forwarded > 200, `segments forwarded in XDP: ${detail}`);
      // Every frame the program sent back out is one it counted as forwarded.
      assert.equal(xdp.tx - xdp0.tx, forwarded, detail);
      // lvsd's engine saw only the rest: fewer frames than the client sent.
      assert.ok(handed * 4 < sent.pkts, `frames handed to lvsd: ${detail}`);
      assert.equal(handed + forwarded, sent.pkts, `every client frame either forwarded or handed: ${detail}`);
      // The stats count each client segment once, exactly: packets, and IP bytes (at netdev
      // ingress the Ethernet header is already pulled, so the nft counter counts IP bytes too).
      assert.equal(svc.pkts - svc0.pkts, sent.pkts, `InPkts: ${detail}`);
      assert.equal(svc.bytes - svc0.bytes, sent.bytes, `InBytes: ${detail}`);
      assert.equal(off.bytes - off0.bytes <= sent.bytes, true, detail);
      // The conns ended: no entry is left in the map.
      assert.equal(off.flows, 0, detail);
      assert.equal(off.removed, off.installs, detail);
    },
  );
});
