/**
 * lvsd and real keepalived (Debian's 2.2.7) as the two VRRP routers of one segment (root only):
 * each director in its own namespace, `lvsd --config keepalived.conf` on one side and keepalived
 * on the other, every case with advert_int 1 so each takes a few seconds. Election, takeover after
 * a SIGKILL (RFC 3768 §6.4.2 / RFC 5798 §6.4.2: Master_Down_Interval = 3 × Advertisement_Interval
 * + Skew_Time), the priority-0 advert of a clean stop (RFC 5798 §6.4.3, "Skew_Time" only) and the
 * rejection of a mismatched VRID or password on both sides (keepalived/vrrp/vrrp.c
 * vrrp_check_packet(), vrrp_scheduler.c vrrp_dispatcher_read()).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Netns } from '../helpers/netns.js';
import { until } from './config-helpers.js';
import {
  DOWN_MS,
  hasVip,
  KA,
  KA_COMPLAINTS,
  kaSays,
  lvsdState,
  row,
  SLACK_MS,
  vrrpInteropSkipReason,
  vrrpPair,
} from './vrrp-keepalived-helpers.js';

const skip = vrrpInteropSkipReason();
if (skip) console.log(`# skipping lvsd/keepalived VRRP interop tests: ${skip}`);

describe('lvsd and keepalived 2.2.7 as the two routers of one VRRP segment', { skip }, () => {
  const pair = vrrpPair();
  let ns: Netns;
  const scenario = pair.scenario;

  before(() => {
    pair.setup();
    ns = pair.ns();
  });
  after(() => {
    pair.teardown();
  });

  it('keepalived MASTER (150) and lvsd BACKUP (100), v2 PASS: lvsd is BACKUP under keepalived; SIGKILL of keepalived and lvsd takes over within the down interval', async () => {
    await scenario(
      {
        ka: { state: 'MASTER', priority: 150, version: 2, pass: 'secret1' },
        lv: { state: 'BACKUP', priority: 100, version: 2, pass: 'secret1' },
      },
      async (ka, lv) => {
        await kaSays(ka(), '(VI_1) Entering MASTER STATE', 10_000);
        const d = lv();
        await lvsdState(d, 'BACKUP', 10_000);
        // A few adverts later it is still BACKUP, with keepalived as the master it heard.
        await until(async () => ((await row(d))?.received ?? 0) >= 3, 6000, 'three adverts');
        const b = (await row(d))!;
        assert.equal(b.state, 'BACKUP', JSON.stringify(b));
        assert.equal(b.master, KA, JSON.stringify(b));
        assert.equal(b.rxErrors, '-', JSON.stringify(b));
        assert.equal(hasVip(ns, 'lv'), false, 'a BACKUP lvsd must not hold the VIP');
        assert.equal(hasVip(ns, 'ka'), true, 'keepalived MASTER holds the VIP');

        ka().crash();
        const t = await until(async () => (await row(d))?.state === 'MASTER', 10_000, 'lvsd MASTER');
        assert.ok(t <= DOWN_MS + SLACK_MS, `lvsd took ${t} ms to take over`);
        await until(async () => hasVip(ns, 'lv'), 2000, 'the VIP on lvsd');
        assert.doesNotMatch(ka().log(), KA_COMPLAINTS, ka().log());
      },
    );
  });

  it('lvsd MASTER (150) and keepalived BACKUP (100), v3 multicast: keepalived stays BACKUP, only lvsd holds the VIP; SIGKILL of lvsd and keepalived takes over within the down interval', async () => {
    await scenario(
      {
        ka: { state: 'BACKUP', priority: 100, version: 3 },
        lv: { state: 'MASTER', priority: 150, version: 3 },
      },
      async (ka, lv) => {
        const d = lv();
        await lvsdState(d, 'MASTER', 10_000);
        await until(async () => hasVip(ns, 'lv'), 3000, 'the VIP on lvsd');
        const k = ka();
        await kaSays(k, '(VI_1) Entering BACKUP STATE', 10_000);
        // Longer than keepalived's down interval: it must have heard lvsd all along.
        await new Promise((r) => setTimeout(r, DOWN_MS + 1000));
        assert.doesNotMatch(k.log(), /Entering MASTER STATE/, k.log());
        assert.doesNotMatch(k.log(), KA_COMPLAINTS, k.log());
        assert.equal(hasVip(ns, 'lv'), true, 'lvsd MASTER holds the VIP');
        assert.equal(hasVip(ns, 'ka'), false, 'keepalived BACKUP must not hold the VIP');
        assert.equal((await row(d))?.state, 'MASTER');

        const from = k.log().length;
        d.proc.kill('SIGKILL');
        const t = await kaSays(k, '(VI_1) Entering MASTER STATE', 10_000, from);
        assert.ok(t <= DOWN_MS + SLACK_MS, `keepalived took ${t} ms to take over`);
        // Not at once either: a SIGKILLed lvsd sent no priority 0. The down timer runs from the
        // last advert, 0 to 1 s before the kill, so the takeover comes 2.6 to 3.6 s after it.
        assert.ok(t >= 2000, `keepalived took over after ${t} ms, before its down interval`);
      },
    );
  });

  it('a clean stop (SIGTERM) of an lvsd MASTER sends priority 0 and keepalived takes over at once', async () => {
    await scenario(
      {
        ka: { state: 'BACKUP', priority: 100, version: 3 },
        lv: { state: 'MASTER', priority: 150, version: 3 },
      },
      async (ka, lv) => {
        const d = lv();
        await lvsdState(d, 'MASTER', 10_000);
        const k = ka();
        await kaSays(k, '(VI_1) Entering BACKUP STATE', 10_000);
        await new Promise((r) => setTimeout(r, 1500));
        assert.doesNotMatch(k.log(), /Entering MASTER STATE/, k.log());
        const from = k.log().length;
        d.proc.kill('SIGTERM');
        const t = await kaSays(k, '(VI_1) Entering MASTER STATE', 5000, from);
        // Skew_Time of priority 100 is 0.61 s; the down interval would be 3.61 s.
        assert.ok(t < 1500, `keepalived took ${t} ms after lvsd's priority 0`);
        await d.exited;
        assert.equal(hasVip(ns, 'lv'), false, 'lvsd releases the VIP on a clean stop');
      },
    );
  });

  it('a mismatched VRID: keepalived logs the unknown VRID and lvsd counts it', async () => {
    await scenario(
      {
        ka: { state: 'MASTER', priority: 150, version: 2, vrid: 51 },
        lv: { state: 'MASTER', priority: 100, version: 2, vrid: 52 },
      },
      async (ka, lv) => {
        const k = ka();
        const d = lv();
        await kaSays(k, 'Unknown VRID(52) received on interface(eth0). ignoring...', 10_000);
        await until(
          async () => /UNKNOWN_VRID=\d+/.test((await row(d))?.rxErrors ?? ''),
          6000,
          `lvsd counting keepalived's VRID 51 (${d.log()})`,
        );
      },
    );
  });

  it('a mismatched password: keepalived logs the bad password and lvsd counts an auth failure', async () => {
    await scenario(
      {
        ka: { state: 'MASTER', priority: 150, version: 2, pass: 'secret1' },
        lv: { state: 'MASTER', priority: 100, version: 2, pass: 'other12' },
      },
      async (ka, lv) => {
        const k = ka();
        const d = lv();
        await kaSays(k, '(VI_1) received an invalid passwd!', 10_000);
        await until(
          async () => /AUTH_FAILURE=\d+/.test((await row(d))?.rxErrors ?? ''),
          6000,
          `lvsd counting keepalived's password (${d.log()})`,
        );
      },
    );
  });
});
