/**
 * The director's interface going down and up under lvsd's packet plane (root, namespaces; issue
 * #16 point 3): lvsd keeps running and forwards again within 10 s of the link coming back.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { labPlan } from '../../src/tools/lab/plan.js';
import { labDown, labExec, labUp, tail, waitFor } from '../../src/tools/lab/topology.js';
import { netnsSkipReason } from '../helpers/netns.js';

process.env.LVS_LAB_PREFIX ??= `lvslf${process.pid}`;
const stateRoot = `/run/lvs-ts/link-flap-test-${process.pid}`;
const skip = netnsSkipReason();
const mode = 'nat' as const;
const plan = labPlan(mode);

after(() => {
  labDown(mode, stateRoot);
  rmSync(stateRoot, { recursive: true, force: true });
});

const fetchOk = () =>
  labExec(
    mode,
    'client',
    ['curl', '-s', '-m', '2', `http://${plan.vip}:${plan.port}/`],
    5000,
  ).stdout.includes('this is rs');

for (const xdp of ['off', 'on'] as const) {
  test(`the director's interface down for 2 s and up again (--xdp ${xdp}): lvsd keeps running and forwards again within 10 s`, {
    skip,
    timeout: 90_000,
  }, async (t) => {
    labDown(mode, stateRoot);
    const st = labUp(mode, { stateRoot, lvsdArgs: ['--xdp', xdp] });
    try {
      waitFor('served', fetchOk, 20_000);
      for (const i of plan.directorIfs) labExec(mode, 'director', ['ip', 'link', 'set', i, 'down']);
      assert.equal(fetchOk(), false, 'nothing served while the links are down');
      await new Promise((r) => setTimeout(r, 2000));
      const t0 = Date.now();
      for (const i of plan.directorIfs) labExec(mode, 'director', ['ip', 'link', 'set', i, 'up']);
      waitFor(`served again (lvsd: ${tail(st, 'lvsd', 5)})`, fetchOk, 10_000);
      t.diagnostic(`served again ${Date.now() - t0} ms after the links came up`);
      process.kill(st.pids.lvsd as number, 0); // still running (throws if not)
      for (let i = 0; i < 3; i++) assert.ok(fetchOk(), `fetch ${i} after the flap`);
    } finally {
      labDown(mode, stateRoot);
    }
  });
}
