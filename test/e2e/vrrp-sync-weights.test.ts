/**
 * A sync group member's weighted track_script, against keepalived 2.2.7 as the oracle (root only).
 * keepalived ignores the weighted script of a member of a group without
 * `sync_group_tracking_weight` (keepalived/vrrp/vrrp.c vrrp_complete_instance(): "ignoring tracked
 * script ... with weights due to SYNC group"), so a failing one neither lowers its priority nor
 * faults it. The same configuration is run on keepalived as MASTER (lvsd, BACKUP at 120 with
 * preempt, stays BACKUP), then on lvsd as MASTER (it must stay MASTER at 150, keepalived BACKUP).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  hasVip,
  kaSays,
  lvsdState,
  row,
  type Side,
  vrrpInteropSkipReason,
  vrrpPair,
} from './vrrp-keepalived-helpers.js';

const skip = vrrpInteropSkipReason();
if (skip) console.log(`# skipping the sync-group weight interop test: ${skip}`);

/** A script that always fails, weight −60 (150 would drop to 90, under the peer's 120). */
const BLOCKS =
  'vrrp_script chk {\n  script "/bin/false"\n  interval 1\n  weight -60\n  fall 1\n  rise 1\n}\n' +
  'vrrp_sync_group G {\n  group {\n    VI_1\n  }\n}\n';
const TRACKED: Side = {
  state: 'MASTER',
  priority: 150,
  version: 2,
  blocks: BLOCKS,
  inner: '  track_script {\n    chk\n  }\n',
};
const PEER: Side = { state: 'BACKUP', priority: 120, version: 2 };
/** Several script runs at interval 1 s, fall 1: a tracked failure would have acted long before. */
const WATCH_MS = 6000;

describe('a sync group member with a weighted track_script, keepalived 2.2.7 as the oracle', { skip }, () => {
  const pair = vrrpPair();
  before(() => pair.setup());
  after(() => pair.teardown());

  it('keepalived ignores the failing weighted script and stays MASTER; so does lvsd', async () => {
    await pair.scenario({ ka: TRACKED, lv: PEER }, async (ka, lv) => {
      const ns = pair.ns();
      const k = ka();
      await kaSays(k, '(VI_1) Entering MASTER STATE', 10_000);
      await kaSays(k, 'ignoring tracked script chk with weights due to SYNC group', 1000);
      const d = lv();
      await lvsdState(d, 'BACKUP', 10_000);
      await new Promise((r) => setTimeout(r, WATCH_MS));
      assert.equal((await row(d))?.state, 'BACKUP', 'keepalived kept MASTER (priority 150)');
      assert.ok(hasVip(ns, 'ka') && !hasVip(ns, 'lv'), 'the VIP on keepalived only');
    });
    await pair.scenario({ ka: PEER, lv: TRACKED }, async (ka, lv) => {
      const ns = pair.ns();
      const d = lv();
      await lvsdState(d, 'MASTER', 10_000);
      const k = ka();
      await kaSays(k, '(VI_1) Entering BACKUP STATE', 10_000);
      const from = k.log().length;
      await new Promise((r) => setTimeout(r, WATCH_MS));
      assert.equal((await row(d))?.state, 'MASTER', `lvsd stays MASTER; lvsd said:\n${d.log()}`);
      assert.ok(!k.log().includes('Entering MASTER STATE', from), 'keepalived stayed BACKUP');
      assert.ok(hasVip(ns, 'lv') && !hasVip(ns, 'ka'), 'the VIP on lvsd only');
    });
  });
});
