import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeBgpFamilies } from '../../src/daemon/metrics/bgp-families.js';
import { Exposition } from '../../src/daemon/metrics/exposition.js';
import { bgpView } from '../daemon/http-fixtures.js';

test('/metrics says per VIP whether it is wanted and held by BIRD, the error state and each session', () => {
  const out = new Exposition();
  writeBgpFamilies(out, bgpView());
  const t = out.text();
  assert.match(t, /^lvs_bgp_vip_wanted\{vip="192\.0\.2\.10\/32"\} 1$/m);
  assert.match(t, /^lvs_bgp_vip_wanted\{vip="192\.0\.2\.11\/32"\} 0$/m);
  assert.match(t, /^lvs_bgp_vip_announced\{vip="192\.0\.2\.10\/32"\} 1$/m);
  assert.match(t, /^lvs_bgp_vip_announced\{vip="192\.0\.2\.11\/32"\} 0$/m);
  assert.match(t, /^lvs_bgp_error 1$/m);
  assert.match(t, /^lvs_bgp_session_up\{name="router1"\} 1$/m);
  assert.match(t, /^# TYPE lvs_bgp_session_up gauge$/m);
});
