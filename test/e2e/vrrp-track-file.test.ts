/**
 * track_file against a real keepalived 2.2.7 peer (root only): lvsd is MASTER (priority 150) with a
 * track_file of weight −60; keepalived is BACKUP at 120 with preempt. Writing 1 into the file
 * drops lvsd to 90, so keepalived preempts it; writing 0 back raises lvsd to 150 and lvsd preempts
 * keepalived (keepalived.conf(5) "track_file"; keepalived/trackers/track_file.c). lvsd re-reads
 * the file once a second (keepalived uses inotify), so each takeover is bounded by that poll, the
 * new master's Master_Down_Interval and some slack.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { lvsadm, until } from './config-helpers.js';
import {
  hasVip,
  kaSays,
  type Lvsd,
  lvsdState,
  SLACK_MS,
  vrrpInteropSkipReason,
  vrrpPair,
} from './vrrp-keepalived-helpers.js';

const skip = vrrpInteropSkipReason();
if (skip) console.log(`# skipping lvsd track_file interop test: ${skip}`);

/** lvsd's poll of the file. */
const POLL_MS = 1000;
/** Master_Down_Interval (RFC 3768 §6.1) of a backup at priority p, advert_int 1. */
const down = (p: number) => 3000 + ((256 - p) * 1000) / 256;

/** lvsd's effective priority of VI_1 from `lvsadm --vrrp` (column Prio). */
async function prio(d: Lvsd): Promise<number | undefined> {
  const r = await lvsadm(d.socket, '--vrrp');
  const cols = r.stdout
    .split('\n')
    .find((l) => l.startsWith('VI_1 '))
    ?.split(/\s+/);
  return cols ? Number(cols[5]) : undefined;
}

describe('lvsd track_file with keepalived 2.2.7 as the peer', { skip }, () => {
  const pair = vrrpPair();
  const dir = mkdtempSync(join(tmpdir(), 'lvs-track-file-'));
  const file = join(dir, 'weight');
  before(() => pair.setup());
  after(() => {
    pair.teardown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a value in the file hands MASTER to keepalived, 0 takes it back (preempt)', async () => {
    writeFileSync(file, '0\n');
    await pair.scenario(
      {
        ka: { state: 'BACKUP', priority: 120, version: 2 },
        lv: {
          state: 'MASTER',
          priority: 150,
          version: 2,
          blocks: `track_file tf {\n  file ${file}\n  weight -60\n}\n`,
          inner: '  track_file {\n    tf\n  }\n',
        },
      },
      async (ka, lv) => {
        const ns = pair.ns();
        const d = lv();
        await lvsdState(d, 'MASTER', 10_000);
        const k = ka();
        await kaSays(k, '(VI_1) Entering BACKUP STATE', 10_000);
        await until(async () => hasVip(ns, 'lv'), 5000, 'lvsd holding the VIP');
        assert.equal(await prio(d), 150);

        const from = k.log().length;
        writeFileSync(file, '1\n');
        await until(
          async () => (await prio(d)) === 90,
          POLL_MS + SLACK_MS,
          'lvsd priority 150 − 1 × 60 = 90',
        );
        const took = await kaSays(k, '(VI_1) Entering MASTER STATE', POLL_MS + down(120) + SLACK_MS, from);
        await lvsdState(d, 'BACKUP', 3000);
        await until(async () => hasVip(ns, 'ka') && !hasVip(ns, 'lv'), 3000, 'the VIP on keepalived only');
        console.log(`# keepalived took over ${took} ms after the write`);

        const from2 = k.log().length;
        writeFileSync(file, '0\n');
        await until(async () => (await prio(d)) === 150, POLL_MS + SLACK_MS, 'lvsd priority back to 150');
        await lvsdState(d, 'MASTER', down(150) + SLACK_MS);
        await kaSays(k, '(VI_1) Entering BACKUP STATE', 3000, from2);
        await until(async () => hasVip(ns, 'lv') && !hasVip(ns, 'ka'), 3000, 'the VIP back on lvsd only');
      },
    );
  });
});
