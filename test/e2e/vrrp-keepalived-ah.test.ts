/**
 * VRRPv2 `auth_type AH` between lvsd and Debian's keepalived 2.2.7 (root only): IPsec AH with an
 * HMAC-MD5-96 ICV over the IP header, AH header and advert (RFC 2402, RFC 2403;
 * keepalived/vrrp/vrrp.c vrrp_build_ipsecah(), vrrp_in_chk_ipsecah()). Each side accepts the
 * other's adverts in both roles, takes over after a SIGKILL of the other, and a wrong password is
 * refused by both: keepalived with its log line, lvsd with a counted VRRP_RX_AH_ICV.
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
if (skip) console.log(`# skipping lvsd/keepalived VRRP AH interop tests: ${skip}`);

describe('lvsd and keepalived 2.2.7 with auth_type AH', { skip }, () => {
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

  it('keepalived (150) and lvsd (100): lvsd is BACKUP under keepalived with no advert refused; SIGKILL of keepalived and lvsd takes over', async () => {
    await scenario(
      {
        // keepalived turns an AH `state MASTER` below 255 into BACKUP, so both start as BACKUP.
        ka: { state: 'BACKUP', priority: 150, version: 2, pass: 'secret1', ah: true },
        lv: { state: 'BACKUP', priority: 100, version: 2, pass: 'secret1', ah: true },
      },
      async (ka, lv) => {
        await kaSays(ka(), '(VI_1) Entering MASTER STATE', 10_000);
        const d = lv();
        await until(async () => ((await row(d))?.received ?? 0) >= 3, 8000, 'three AH adverts accepted');
        const b = (await row(d))!;
        assert.equal(b.state, 'BACKUP', JSON.stringify(b));
        assert.equal(b.master, KA, JSON.stringify(b));
        assert.equal(b.rxErrors, '-', JSON.stringify(b));
        assert.equal(hasVip(ns, 'lv'), false, 'a BACKUP lvsd must not hold the VIP');
        assert.doesNotMatch(ka().log(), KA_COMPLAINTS, ka().log());

        ka().crash();
        const t = await until(async () => (await row(d))?.state === 'MASTER', 10_000, 'lvsd MASTER');
        assert.ok(t <= DOWN_MS + SLACK_MS, `lvsd took ${t} ms to take over`);
        await until(async () => hasVip(ns, 'lv'), 2000, 'the VIP on lvsd');
      },
    );
  });

  it('lvsd (150) and keepalived (100): keepalived stays BACKUP and accepts every AH advert; SIGKILL of lvsd and keepalived takes over', async () => {
    await scenario(
      {
        ka: { state: 'BACKUP', priority: 100, version: 2, pass: 'secret1', ah: true },
        lv: { state: 'BACKUP', priority: 150, version: 2, pass: 'secret1', ah: true },
      },
      async (ka, lv) => {
        const d = lv();
        await lvsdState(d, 'MASTER', 10_000);
        const k = ka();
        await kaSays(k, '(VI_1) Entering BACKUP STATE', 10_000);
        // Longer than keepalived's down interval: it must have accepted lvsd's adverts all along.
        await new Promise((r) => setTimeout(r, DOWN_MS + 1000));
        assert.doesNotMatch(k.log(), /Entering MASTER STATE/, k.log());
        assert.doesNotMatch(k.log(), KA_COMPLAINTS, k.log());
        assert.doesNotMatch(k.log(), /IPSEC/, k.log());
        assert.equal(hasVip(ns, 'ka'), false, 'keepalived BACKUP must not hold the VIP');

        const from = k.log().length;
        d.proc.kill('SIGKILL');
        const t = await kaSays(k, '(VI_1) Entering MASTER STATE', 10_000, from);
        assert.ok(t <= DOWN_MS + SLACK_MS, `keepalived took ${t} ms to take over`);
        assert.ok(t >= 2000, `keepalived took over after ${t} ms, before its down interval`);
      },
    );
  });

  it('a wrong AH password: keepalived logs the bad HMAC and lvsd counts VRRP_RX_AH_ICV', async () => {
    await scenario(
      {
        ka: { state: 'BACKUP', priority: 150, version: 2, pass: 'secret1', ah: true },
        lv: { state: 'BACKUP', priority: 100, version: 2, pass: 'other12', ah: true },
      },
      async (ka, lv) => {
        const k = ka();
        const d = lv();
        await kaSays(
          k,
          '(VI_1) IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !',
          15_000,
        );
        await until(
          async () => /AH_ICV=\d+/.test((await row(d))?.rxErrors ?? ''),
          8000,
          `lvsd counting keepalived's AH adverts (${d.log()})`,
        );
        assert.equal((await row(d))?.received, 0);
      },
    );
  });
});
