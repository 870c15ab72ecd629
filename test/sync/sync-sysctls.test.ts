import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testDirector } from '../core/director/helpers.js';

test('sync sysctls keep the kernel defaults and refuse what proc_do_sync_threshold and proc_do_sync_ports refuse', () => {
  const d = testDirector();
  const s = d.settings.sysctls();
  assert.deepEqual(
    [
      s.sync_threshold,
      s.sync_period,
      s.sync_refresh_period,
      s.sync_retries,
      s.sync_persist_mode,
      s.sync_version,
      s.sync_ports,
      s.sync_sock_size,
    ],
    [3, 50, 0, 0, 0, 1, 1, 0],
  );
  assert.throws(() => d.setSysctl('sync_threshold', 50), { code: 'ERR_LVS_INVALID' });
  assert.throws(() => d.setSysctl('sync_period', 3), { code: 'ERR_LVS_INVALID' });
  d.setSysctl('sync_period', 0);
  d.setSysctl('sync_threshold', 70);
  assert.equal(d.settings.syncThreshold, 70);
  assert.throws(() => d.setSysctl('sync_retries', 4), { code: 'ERR_LVS_INVALID' });
  assert.throws(() => d.setSysctl('sync_version', 2), { code: 'ERR_LVS_INVALID' });
  assert.throws(() => d.setSysctl('sync_ports', 3), { code: 'ERR_LVS_INVALID' });
  assert.throws(() => d.setSysctl('sync_ports', 0), { code: 'ERR_LVS_INVALID' });
  d.setSysctl('sync_ports', 8);
  d.setSysctl('sync_refresh_period', 30);
  assert.equal(d.settings.syncRefreshPeriodMs, 30_000);
});
