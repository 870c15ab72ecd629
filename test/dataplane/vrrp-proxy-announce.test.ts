import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VrrpVip } from '../../src/control/ports.js';
import { announceVips } from '../../src/dataplane/proxy-plane/vrrp-announce.js';
import { SIM_IFINDEX } from '../../src/tools/simulate.js';
import { lab } from '../engine/lab.js';

const v4 = (addr: string, extra: Partial<VrrpVip> = {}): VrrpVip => ({
  af: 4,
  addr,
  prefix: 32,
  dev: 'eth0',
  ...extra,
});
const v6 = (addr: string): VrrpVip => ({ af: 6, addr, prefix: 128, dev: 'eth0' });

describe('VRRP announcements of the proxy plane', () => {
  it('builds the same GARP and unsolicited NA frames as the packet engine, per interface', () => {
    const mac = Uint8Array.from([2, 0, 0, 0, 0, 1]);
    const sent: { dev: string; frames: readonly Uint8Array[] }[] = [];
    const r = announceVips([v4('192.0.2.100'), v6('2001:db8:1::100'), v4('198.51.100.7', { dev: 'eth1' })], {
      mac: () => mac,
      send: (dev, frames) => {
        sent.push({ dev, frames });
        return frames.length;
      },
    });
    assert.deepEqual(r, [
      { dev: 'eth0', sent: 2 },
      { dev: 'eth1', sent: 1 },
    ]);
    const sim = lab();
    sim.engine.announce(SIM_IFINDEX, 0xc0000264);
    sim.engine.announce6(
      SIM_IFINDEX,
      Uint8Array.from(Buffer.from('20010db8000100000000000000000100', 'hex')),
    );
    const a = sim.engine.actions;
    const want = [0, 1].map((i) => Buffer.from(a.bufs[i]!.subarray(a.off[i]!, a.off[i]! + a.len[i]!)));
    assert.deepEqual(
      sent[0]!.frames.map((f) => Buffer.from(f).toString('hex')),
      want.map((f) => f.toString('hex')),
    );
  });

  it('reports an interface it cannot send on and goes on with the others', () => {
    const r = announceVips([v4('192.0.2.100', { dev: 'nope0' }), v4('192.0.2.101')], {
      mac: (dev) => {
        if (dev === 'nope0') throw new Error('no such interface');
        return new Uint8Array(6);
      },
      send: (_dev, frames) => frames.length,
    });
    assert.equal(r[0]?.sent, 0);
    assert.match(String(r[0]?.error), /no such interface/);
    assert.deepEqual(r[1], { dev: 'eth0', sent: 1 });
  });
});
