/**
 * Child process of vrrp-packet-plane.test.ts, run inside the director's namespace with
 * `ip netns exec NS node --import tsx test/dataplane/vrrp-packet-child.ts '<json>'`. It starts the
 * packet plane on `ifname` with a DR service on `vvip`:80 (the VIP of VRRP instance VI_1, known
 * from the start through `vrrpInstances`) and one on `vip`:80 (no VRRP), prints `{"ready":true}`,
 * then runs one JSON command per stdin line and prints one JSON reply line for each:
 * `{"op":"own","master"}`, `{"op":"announce"}`, `{"op":"status"}`, `{"op":"close"}` (exits).
 */
import { createInterface } from 'node:readline';
import type { DirectorPort, VrrpVip } from '../../src/control/ports.js';
import { Director } from '../../src/core/director.js';
import { findScheduler } from '../../src/core/schedulers/index.js';
import { FWD } from '../../src/core/types.js';
import { startPacketDataPlane } from '../../src/dataplane/packet-plane/index.js';
import { dest, svcConfig, tcpKey } from '../proxy/helpers.js';

const cfg = JSON.parse(process.argv[2] ?? '{}') as { ifname: string; vip: string; vvip: string; rs: string };
const say = (o: object): void => void process.stdout.write(`${JSON.stringify(o)}\n`);

const director = new Director({ schedulers: findScheduler });
for (const addr of [cfg.vip, cfg.vvip]) {
  director.table.addService(tcpKey(80, addr), svcConfig('rr'));
  director.table.addDest(tcpKey(80, addr), dest(80, 1, { addr: cfg.rs, fwd: FWD.DROUTE }));
}
const vips: VrrpVip[] = [{ af: 4, addr: cfg.vvip, prefix: 32, dev: cfg.ifname }];
const plane = startPacketDataPlane({ director } as unknown as DirectorPort, {
  interfaces: [cfg.ifname],
  vrrpInstances: [{ name: 'VI_1', vips }],
});
say({ ready: true });

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue;
  const cmd = JSON.parse(line) as { op: string; master?: boolean };
  try {
    if (cmd.op === 'own') {
      await plane.vrrpOwn('VI_1', vips, cmd.master === true);
      say({ ok: true });
    } else if (cmd.op === 'announce') {
      plane.vrrpAnnounce(vips);
      say({ ok: true });
    } else if (cmd.op === 'status') {
      const s = plane.status();
      say({ ok: true, garpSent: s.garpSent, drops: s.drops, vips: plane.vipStatus() });
    } else if (cmd.op === 'close') {
      await plane.close();
      say({ ok: true });
      process.exit(0);
    } else {
      say({ error: `unknown op ${cmd.op}` });
    }
  } catch (e) {
    say({ error: String(e) });
  }
}
