/**
 * More lvsd/keepalived 2.2.7 interop cases (root only), on the harness of vrrp-keepalived.test.ts:
 * VRRPv3 unicast both ways (keepalived.conf(5) `unicast_src_ip` / `unicast_peer`), IPv6 on
 * ff02::12 (RFC 5798 §5.1.2), preemption by a higher priority and `nopreempt` (RFC 5798 §6.4.2,
 * keepalived/vrrp/vrrp.c vrrp_state_backup()), and a mismatched advert_int (RFC 3768 §7.1) or VIP
 * set rejected on both sides (vrrp.c vrrp_check_packet()). Each converged case also samples both
 * sides for several advert intervals: never two masters for longer than one interval.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { until } from './config-helpers.js';
import {
  assertNoSplitBrain,
  DOWN_MS,
  hasVip,
  KA,
  KA_COMPLAINTS,
  kaSays,
  LV,
  lvsdState,
  row,
  SLACK_MS,
  VIP,
  VIP6,
  vrrpInteropSkipReason,
  vrrpPair,
} from './vrrp-keepalived-helpers.js';

const skip = vrrpInteropSkipReason();
if (skip) console.log(`# skipping lvsd/keepalived VRRP interop tests: ${skip}`);

/** How long the split-brain watch runs: five advert intervals of 1 s. */
const WATCH_MS = 5000;
/** One advert interval: the longest two masters may coexist. */
const ONE_ADVERT_MS = 1000;

describe('lvsd and keepalived 2.2.7: unicast, IPv6, preemption, mismatches', { skip }, () => {
  const pair = vrrpPair();
  before(() => pair.setup());
  after(() => pair.teardown());

  it('v3 unicast, keepalived MASTER (150) and lvsd BACKUP (100): lvsd follows keepalived, no split brain, and takes over after a SIGKILL', async () => {
    await pair.scenario(
      {
        ka: { state: 'MASTER', priority: 150, version: 3, unicast: { src: KA, peer: LV } },
        lv: { state: 'BACKUP', priority: 100, version: 3, unicast: { src: LV, peer: KA } },
      },
      async (ka, lv) => {
        const ns = pair.ns();
        await kaSays(ka(), '(VI_1) Entering MASTER STATE', 10_000);
        const d = lv();
        await lvsdState(d, 'BACKUP', 10_000);
        await until(async () => ((await row(d))?.received ?? 0) >= 3, 6000, 'three adverts');
        const w = await assertNoSplitBrain(ns, d, WATCH_MS, ONE_ADVERT_MS);
        assert.equal(w.lvMaster, 0, `lvsd was MASTER in ${w.lvMaster} of ${w.samples} samples`);
        const b = (await row(d))!;
        assert.equal(b.master, KA, JSON.stringify(b));
        assert.equal(b.rxErrors, '-', JSON.stringify(b));
        assert.equal(hasVip(ns, 'lv'), false);

        ka().crash();
        const t = await until(async () => (await row(d))?.state === 'MASTER', 10_000, 'lvsd MASTER');
        assert.ok(t <= DOWN_MS + SLACK_MS, `lvsd took ${t} ms to take over`);
        await until(async () => hasVip(ns, 'lv'), 2000, 'the VIP on lvsd');
        assert.doesNotMatch(ka().log(), KA_COMPLAINTS, ka().log());
      },
    );
  });

  it('v3 unicast, lvsd MASTER (150) and keepalived BACKUP (100): keepalived accepts lvsd unicast adverts, no split brain, and takes over after a SIGKILL', async () => {
    await pair.scenario(
      {
        ka: { state: 'BACKUP', priority: 100, version: 3, unicast: { src: KA, peer: LV } },
        lv: { state: 'MASTER', priority: 150, version: 3, unicast: { src: LV, peer: KA } },
      },
      async (ka, lv) => {
        const ns = pair.ns();
        const d = lv();
        await lvsdState(d, 'MASTER', 10_000);
        const k = ka();
        await kaSays(k, '(VI_1) Entering BACKUP STATE', 10_000);
        // Longer than keepalived's down interval: it must hear lvsd all along.
        const w = await assertNoSplitBrain(ns, d, DOWN_MS + 1000, ONE_ADVERT_MS);
        assert.equal(w.kaMaster, 0, `keepalived held the VIP in ${w.kaMaster} of ${w.samples} samples`);
        assert.doesNotMatch(k.log(), /Entering MASTER STATE/, k.log());
        assert.doesNotMatch(k.log(), KA_COMPLAINTS, k.log());
        assert.equal(hasVip(ns, 'lv'), true, 'lvsd MASTER holds the VIP');

        const from = k.log().length;
        d.proc.kill('SIGKILL');
        const t = await kaSays(k, '(VI_1) Entering MASTER STATE', 10_000, from);
        assert.ok(t <= DOWN_MS + SLACK_MS, `keepalived took ${t} ms to take over`);
        assert.ok(t >= 2000, `keepalived took over after ${t} ms, before its down interval`);
      },
    );
  });

  it('IPv6 v3 on ff02::12, lvsd MASTER (150) and keepalived BACKUP (100): only lvsd holds the 2001:db8:: VIP, no split brain, keepalived takes over after a SIGKILL', async () => {
    await pair.scenario(
      {
        ka: { state: 'BACKUP', priority: 100, version: 3, vips: [VIP6] },
        lv: { state: 'MASTER', priority: 150, version: 3, vips: [VIP6] },
      },
      async (ka, lv) => {
        const ns = pair.ns();
        const d = lv();
        await lvsdState(d, 'MASTER', 10_000);
        await until(async () => hasVip(ns, 'lv', VIP6), 3000, 'the IPv6 VIP on lvsd');
        const k = ka();
        await kaSays(k, '(VI_1) Entering BACKUP STATE', 10_000);
        const w = await assertNoSplitBrain(ns, d, DOWN_MS + 1000, ONE_ADVERT_MS, VIP6);
        assert.equal(w.kaMaster, 0, `keepalived held the VIP in ${w.kaMaster} of ${w.samples} samples`);
        assert.doesNotMatch(k.log(), /Entering MASTER STATE/, k.log());
        assert.doesNotMatch(k.log(), KA_COMPLAINTS, k.log());

        const from = k.log().length;
        d.proc.kill('SIGKILL');
        const t = await kaSays(k, '(VI_1) Entering MASTER STATE', 10_000, from);
        assert.ok(t <= DOWN_MS + SLACK_MS, `keepalived took ${t} ms to take over`);
        await until(async () => hasVip(ns, 'ka', VIP6), 3000, 'the IPv6 VIP on keepalived');
      },
    );
  });

  it('a higher-priority lvsd (150, BACKUP, preempt) preempts a keepalived MASTER (100), then no split brain', async () => {
    await pair.scenario(
      {
        ka: { state: 'MASTER', priority: 100, version: 2 },
        lv: { state: 'BACKUP', priority: 150, version: 2 },
      },
      async (ka, lv) => {
        const ns = pair.ns();
        const k = ka();
        await kaSays(k, '(VI_1) Entering MASTER STATE', 10_000);
        const from = k.log().length;
        const d = lv();
        await lvsdState(d, 'MASTER', 10_000);
        await kaSays(k, '(VI_1) Entering BACKUP STATE', 5000, from);
        await until(async () => !hasVip(ns, 'ka') && hasVip(ns, 'lv'), 3000, 'the VIP moving to lvsd');
        const w = await assertNoSplitBrain(ns, d, WATCH_MS, ONE_ADVERT_MS);
        assert.equal(w.kaMaster, 0, `keepalived held the VIP in ${w.kaMaster} of ${w.samples} samples`);
        assert.equal(w.lvMaster, w.samples, 'lvsd stays MASTER');
        assert.doesNotMatch(k.log(), KA_COMPLAINTS, k.log());
      },
    );
  });

  it('nopreempt on lvsd (150, BACKUP): it stays BACKUP under a keepalived MASTER (100)', async () => {
    await pair.scenario(
      {
        ka: { state: 'MASTER', priority: 100, version: 2 },
        lv: { state: 'BACKUP', priority: 150, version: 2, nopreempt: true },
      },
      async (ka, lv) => {
        const ns = pair.ns();
        const k = ka();
        await kaSays(k, '(VI_1) Entering MASTER STATE', 10_000);
        const from = k.log().length;
        const d = lv();
        await lvsdState(d, 'BACKUP', 10_000);
        // Well past lvsd's own down interval (3 s + skew): a preempting lvsd would have taken over.
        const w = await assertNoSplitBrain(ns, d, DOWN_MS + 2000, ONE_ADVERT_MS);
        assert.equal(w.lvMaster, 0, `lvsd was MASTER in ${w.lvMaster} of ${w.samples} samples`);
        assert.equal((await row(d))?.master, KA);
        assert.equal(hasVip(ns, 'ka'), true, 'keepalived keeps the VIP');
        assert.doesNotMatch(k.log().slice(from), /Entering BACKUP STATE/, k.log());
      },
    );
  });

  it('a mismatched advert_int (v2, 1 s vs 2 s): keepalived logs the mismatch and lvsd counts it', async () => {
    await pair.scenario(
      {
        ka: { state: 'MASTER', priority: 150, version: 2, advertInt: 1 },
        lv: { state: 'MASTER', priority: 100, version: 2, advertInt: 2 },
      },
      async (ka, lv) => {
        const k = ka();
        const d = lv();
        await kaSays(k, "(VI_1) advertisement interval mismatch mine=1 sec rcv'd=2 sec", 10_000);
        await until(
          async () => /INTERVAL=\d+/.test((await row(d))?.rxErrors ?? ''),
          6000,
          `lvsd counting keepalived's interval (${d.log()})`,
        );
      },
    );
  });

  it('a mismatched VIP set: keepalived logs the missing address and lvsd counts it', async () => {
    await pair.scenario(
      {
        ka: { state: 'MASTER', priority: 150, version: 2, vips: [VIP] },
        lv: { state: 'MASTER', priority: 100, version: 2, vips: ['192.0.2.101'] },
      },
      async (ka, lv) => {
        const k = ka();
        const d = lv();
        // 2.2.7's wording: no space before the colon (vrrp.c vrrp_check_packet()).
        await kaSays(
          k,
          `(VI_1) ip address associated with VRID 51 not present in MASTER advert: ${VIP}`,
          10_000,
        );
        await until(
          async () => /VIP_MISSING=\d+/.test((await row(d))?.rxErrors ?? ''),
          6000,
          `lvsd counting keepalived's VIP set (${d.log()})`,
        );
      },
    );
  });
});
