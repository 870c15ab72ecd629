/**
 * VRRP scripts run as their configured user: a notify script's `USER GROUP` and a vrrp_script's
 * `user` reach the script runner as uid:gid (keepalived lib/notify.c notify_script_init() and
 * set_script_env()), here with numeric ids so no user database is needed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conf, segment } from './vrrp-rig.js';

describe('VRRP scripts run as their user', () => {
  it('passes the notify and track script users to the runner', async () => {
    const { clock, router } = segment();
    const text =
      'vrrp_script chk {\n    script "/bin/chk"\n    user 65534\n}\n' +
      conf({ prio: 100, extra: '    notify "/bin/n" 65534 65533\n    track_script {\n        chk\n    }\n' });
    const r = router('192.0.2.2', text);
    r.runner.start();
    try {
      await clock.advance(5_000);
      assert.ok(r.scripts.notified.length > 0, 'a notify ran');
      assert.deepEqual(r.scripts.notifiedAs.at(-1), { uid: 65534, gid: 65533 });
      assert.ok(r.scripts.checkedAs.length > 0, 'the track script ran');
      assert.deepEqual(r.scripts.checkedAs.at(-1), { uid: 65534, gid: 65534 });
    } finally {
      await r.runner.stop();
    }
  });
});
