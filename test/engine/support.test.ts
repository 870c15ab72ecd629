import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serviceSupport } from '../../src/engine/support.js';
import { run } from './lab.js';
import { CLIENT6, fromGw6, lab6, VIP6 } from './lab6.js';

const syn = (dport: number) =>
  fromGw6().ipv6({ src: CLIENT6, dst: VIP6 }).tcp({ sport: 40000, dport, flags: 'S' }).build();

describe('packet-plane service support', () => {
  // Each row: the lab6 service port, what the status says, and what the engine does with a SYN.
  const rows: [number, boolean, RegExp | undefined, string][] = [
    [80, true, undefined, 'forwarded'],
    [81, true, undefined, 'forwarded'],
    [82, true, undefined, 'forwarded'],
    [83, true, undefined, 'forwarded'],
    [84, true, undefined, 'forwarded'],
    [85, true, undefined, 'forwarded'],
    [87, true, undefined, 'forwarded'],
  ];
  for (const [port, serving, reason, fate] of rows) {
    it(`IPv6 service port ${port}: status ${serving ? 'served' : 'not served'} agrees with the engine (${fate})`, () => {
      const sim = lab6();
      const svc = sim.director.table.list().find((s) => s.af === 6 && s.port === port);
      assert.ok(svc);
      const st = serviceSupport(svc);
      assert.equal(st.serving, serving);
      if (reason) assert.match(st.reason ?? '', reason);
      else assert.equal(st.reason, undefined);
      const r = run(sim, syn(port));
      if (fate === 'forwarded') assert.equal(r.tx.length, 1);
      else assert.deepEqual(r.drops, ['unsupported']);
    });
  }
});
