/**
 * `lvsadm lab up ha` end to end (root only): two directors sharing the VIP through VRRPv3
 * (director1 lvsd priority 150; director2 lvsd, or Debian's keepalived 2.2.7, priority 100) in
 * front of two DR real servers. The client reaches both real servers through director1; director1
 * fails (processes SIGKILLed, link down: no priority-0 advert); the client is answered again
 * through director2 once its Master_Down_Interval has passed (RFC 5798 §6.4.2), and the trace shows
 * both directors' adverts and director2's gratuitous ARP. `lab down` leaves no namespace.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadVrrpBinding } from '../../src/io/vrrp/vrrp-binding.js';
import { HA_DOWN_MS, HA_VRID } from '../../src/tools/lab/ha-conf.js';
import type { HaVrrpEvent } from '../../src/tools/lab/ha-frame.js';
import { type HaPeer, haDirectorState, haUp } from '../../src/tools/lab/ha-lab.js';
import { formatHaTrace, haTrace } from '../../src/tools/lab/ha-trace.js';
import { HA_MODE, labPlan } from '../../src/tools/lab/plan.js';
import { labDown, labExec, labNamespacesPresent, labSpawn } from '../../src/tools/lab/topology.js';
import { netnsSkipReason } from '../helpers/netns.js';

function reason(): string | undefined {
  const n = netnsSkipReason();
  if (n) return n;
  if (spawnSync('keepalived', ['--version'], { stdio: 'ignore' }).status !== 0)
    return 'keepalived is not installed';
  try {
    loadVrrpBinding();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

const skip = reason();
if (skip) console.log(`# skipping lab ha tests: ${skip}`);
// Our own namespace names, so a concurrent `lvsadm lab up ha` never shares them.
process.env.LVS_LAB_PREFIX ??= `lvsha${process.pid}`;

const plan = labPlan(HA_MODE);
/** Capture length and when director1 fails in it. */
const TRACE_MS = 8500;
const FAIL_AFTER_MS = 1500;
/** Scheduling on two shared cores, the client's 100 ms cadence and one 400 ms request timeout. */
const SLACK_MS = 1500;

/**
 * The client: one fresh-connection GET to the VIP every 100 ms (400 ms timeout each), `n` in all,
 * printing `{start, end, body}` per request as JSON at the end (body '' on failure).
 */
const CLIENT_JS = `
const http = require('node:http');
const [vip, n] = process.argv.slice(1);
const out = [];
let left = Number(n);
const one = () => {
  const start = Date.now();
  let done = false;
  const finish = (body) => { if (done) return; done = true; out.push({ start, end: Date.now(), body });
    if (--left === 0) process.stdout.write(JSON.stringify(out)); };
  const req = http.get({ host: vip, port: 80, path: '/', agent: false, timeout: 400 }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c) => (body += c));
    res.on('end', () => finish(res.statusCode === 200 ? body.trim() : ''));
    res.on('error', () => finish(''));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', () => finish(''));
};
let sent = 0;
const t = setInterval(() => { one(); if (++sent === Number(n)) clearInterval(t); }, 100);
`;

const curl = () => labExec(HA_MODE, 'client', ['curl', '-s', '-m', '3', `http://${plan.vip}/`]).stdout.trim();
const macOf = (h: 'director1' | 'director2') =>
  (JSON.parse(labExec(HA_MODE, h, ['ip', '-j', 'link', 'show', 'eth0']).stdout) as { address: string }[])[0]!
    .address;
const vipNeigh = () =>
  (
    JSON.parse(labExec(HA_MODE, 'client', ['ip', '-j', 'neigh', 'show', 'dev', 'eth0']).stdout) as {
      dst: string;
      lladdr?: string;
    }[]
  ).find((r) => r.dst === plan.vip)?.lladdr;

async function takeover(peer: HaPeer): Promise<void> {
  const root = `/run/lvs-ts/lab-ha-test-${process.pid}`;
  labDown(HA_MODE, root);
  try {
    const st = haUp({ peer, stateRoot: root });
    assert.equal(haDirectorState(st, 'director1'), 'MASTER');
    assert.equal(haDirectorState(st, 'director2'), 'BACKUP');
    const d1 = macOf('director1');
    const d2 = macOf('director2');

    // Traffic reaches both real servers (lvsd's rr) through the master.
    const got = [1, 2, 3, 4].map(curl);
    assert.deepEqual(new Set(got), new Set(['this is rs1', 'this is rs2']), got.join(','));
    assert.equal(vipNeigh(), d1, 'the client resolved the VIP to director1');

    // The client runs through the whole trace (85 requests, 8.5 s), started before the capture.
    const client = labSpawn(HA_MODE, 'client', [process.execPath, '-e', CLIENT_JS, plan.vip, '85']);
    let out = '';
    client.stdout?.on('data', (d) => (out += d));
    const done = new Promise((r) => client.once('exit', r));
    const t = await haTrace({ durationMs: TRACE_MS, fail: 'director1', failAfterMs: FAIL_AFTER_MS });
    await Promise.race([done, new Promise((r) => setTimeout(r, 15_000))]);
    if (client.exitCode === null) client.kill('SIGKILL');
    const text = formatHaTrace(t);
    console.log(text.replace(/^/gm, '# '));

    // The trace: director1's adverts before the failure, none after; then director2's and its GARP.
    const failAt = t.failedAt!;
    const vrrp = (who: string) =>
      t.lines.filter(
        (l): l is { at: number; event: HaVrrpEvent } => l.event.kind === 'vrrp' && l.event.srcMac === who,
      );
    const v1 = vrrp(d1);
    const v2 = vrrp(d2);
    assert.ok(v1.length >= 1, `no advert of director1:\n${text}`);
    assert.ok(
      v1.every((l) => l.at <= failAt && l.event.vrid === HA_VRID && l.event.priority === 150),
      text,
    );
    assert.ok(v2.length >= 2, `director2 did not take over:\n${text}`);
    assert.ok(
      v2.every((l) => l.at > failAt && l.event.vrid === HA_VRID && l.event.priority === 100),
      text,
    );
    const took = v2[0]!.at - failAt;
    // Its down timer runs from director1's last advert, 0 to 1 s before the failure.
    assert.ok(took >= HA_DOWN_MS - 1000 - 200, `director2 took over ${took} ms after the failure`);
    assert.ok(took <= HA_DOWN_MS + SLACK_MS, `director2 took over ${took} ms after the failure`);
    const garp = t.lines.find(
      (l) =>
        l.event.kind === 'arp' &&
        l.event.gratuitous &&
        l.event.senderIp === plan.vip &&
        l.event.senderMac === d2 &&
        l.at >= v2[0]!.at - 100,
    );
    assert.ok(garp, `no gratuitous ARP for the VIP from director2:\n${text}`);
    assert.match(text, /director1 > 224\.0\.0\.18 VRRPv3 vrid 51 prio 150 int 1s vip 192\.0\.2\.100/);
    assert.match(text, /director2 > 224\.0\.0\.18 VRRPv3 vrid 51 prio 100 int 1s vip 192\.0\.2\.100/);
    assert.match(text, /director2 > broadcast GARP request 192\.0\.2\.100 is-at/);

    // The client: answered before the failure, not in the outage, again within the bound after it.
    const results = JSON.parse(out) as { start: number; end: number; body: string }[];
    assert.equal(results.length, 85);
    const failEpoch = t.startedAt + failAt;
    const ok = (r: { body: string }) => /^this is rs[12]$/.test(r.body);
    assert.ok(
      results.some((r) => ok(r) && r.end < failEpoch),
      'no answer through director1',
    );
    const outage = results.filter((r) => r.start > failEpoch + 100 && r.end < failEpoch + HA_DOWN_MS - 1200);
    assert.ok(outage.length > 0 && outage.every((r) => !ok(r)), 'answers while no director was master');
    const back = results.find((r) => r.start > failEpoch && ok(r));
    assert.ok(back, 'no answer after the failure');
    const recovered = back.end - failEpoch;
    console.log(`# ${peer}: director2 MASTER ${took} ms, first answer ${recovered} ms after the failure`);
    assert.ok(recovered <= HA_DOWN_MS + SLACK_MS, `answered again ${recovered} ms after the failure`);
    assert.ok(
      results.filter((r) => r.start > failEpoch + HA_DOWN_MS + SLACK_MS).every(ok),
      'a request failed after the takeover',
    );

    assert.equal(vipNeigh(), d2, 'the GARP moved the VIP to director2');
    assert.match(curl(), /^this is rs[12]$/);
    assert.equal(haDirectorState(st, 'director2'), 'MASTER');
    assert.match(haDirectorState(st, 'director1'), /^stopped/);
  } finally {
    labDown(HA_MODE, root);
    rmSync(root, { recursive: true, force: true });
  }
  assert.deepEqual(labNamespacesPresent(HA_MODE), [], 'lab down left namespaces');
}

describe('lvsadm lab up ha', { skip }, () => {
  it('two lvsd directors: traffic through director1, director1 fails, director2 takes over with adverts and a GARP, lab down leaves nothing', async () => {
    await takeover('lvsd');
  });

  it('lvsd and keepalived 2.2.7 (--peer keepalived): the same takeover from lvsd to keepalived', async () => {
    await takeover('keepalived');
  });
});
