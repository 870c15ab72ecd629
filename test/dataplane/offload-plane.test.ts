/**
 * `--xdp-offload` decisions of the packet plane (dataplane/packet-plane/offload-plane.ts): auto
 * hands conns to XDP only with every program in the driver's mode on NICs with a device, on also
 * elsewhere, off never; the controller detaches (folding its entries back) on close.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OffloadPlane } from '../../src/dataplane/packet-plane/offload-plane.js';
import type { XdpPath } from '../../src/dataplane/packet-plane/xdp-plane.js';
import { FakeFlowMap } from '../../src/engine/fake-flow-map.js';
import { lab } from '../engine/lab.js';
import { establish, T0 } from '../engine/offload-lab.js';

function path(modes: string[]): XdpPath {
  return { program: { flows: new FakeFlowMap(16) }, modes } as unknown as XdpPath;
}

describe('XDP offload plane', () => {
  const start = (modes: string[], mode: 'auto' | 'on' | 'off', physical: boolean) => {
    const sim = lab();
    const why: string[] = [];
    const p = OffloadPlane.start(
      sim.engine,
      sim.director,
      path(modes),
      mode,
      (w) => why.push(w),
      ['eth0'],
      () => physical,
    );
    return { sim, p, why };
  };

  it("auto: on with the driver's mode on a physical NIC", () => {
    const { sim, p, why } = start(['drv'], 'auto', true);
    assert.ok(p);
    assert.deepEqual(why, []);
    assert.equal(sim.engine.ip.offload, p.offload);
    p.close();
    assert.equal(sim.engine.ip.offload, null);
  });

  it('auto: DR conns only; on: NAT requests too', () => {
    for (const [mode, want] of [
      ['auto', 0],
      ['on', 1],
    ] as const) {
      const { sim, p } = start(['drv'], mode, true);
      assert.ok(p);
      // Port 80 is the lab's NAT service (VIP:80 -> RS1:8080).
      establish(sim, 40000, T0, 80);
      sim.engine.afterBatch(T0);
      assert.equal(p.offload.size, want, mode);
      p.close();
    }
  });

  it('auto: off in generic mode, and on a virtual link, saying why', () => {
    const a = start(['skb'], 'auto', true);
    assert.equal(a.p, undefined);
    assert.match(a.why[0]!, /generic \(skb\) mode/);
    const b = start(['drv'], 'auto', false);
    assert.equal(b.p, undefined);
    assert.match(b.why[0]!, /eth0: no device \(veth or another virtual link\)/);
    assert.equal(b.sim.engine.ip.offload, null);
  });

  it('on: hands conns down anyway; off: never', () => {
    const on = start(['skb'], 'on', false);
    assert.ok(on.p);
    establish(on.sim, 40000);
    on.sim.engine.afterBatch(T0);
    assert.equal(on.p.offload.size, 1);
    on.p.close();
    assert.equal(on.p.offload.size, 0, 'close folds and removes every entry');
    assert.equal(start(['drv'], 'off', true).p, undefined);
  });
});
