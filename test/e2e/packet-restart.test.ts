/**
 * lvsd SIGKILLed on the packet plane and started again with `--restore` (root, namespaces; issue
 * #16 point 3): the dead process ran no close, so what it changed on the host stays: the NAPI
 * deferral of AF_XDP busy polling (napi_defer_hard_irqs, gro_flush_timeout) and the
 * ingress-bypass nftables tables. Its XDP programs go with it (attached through BPF links, which
 * die with their fds). The next lvsd, started without XDP and without the bypass, writes the
 * recorded NAPI originals back, removes the leftover tables, and serves again.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { labPlan } from '../../src/tools/lab/plan.js';
import {
  labDown,
  labExec,
  labUp,
  logHas,
  procArgv,
  startDetached,
  tail,
  waitFor,
} from '../../src/tools/lab/topology.js';
import { netnsSkipReason } from '../helpers/netns.js';

process.env.LVS_LAB_PREFIX ??= `lvsrs${process.pid}`;
const stateRoot = `/run/lvs-ts/restart-test-${process.pid}`;
const skip = netnsSkipReason();
const mode = 'nat' as const;
const plan = labPlan(mode);
const ifname = plan.directorIfs[0] as string;

after(() => {
  labDown(mode, stateRoot);
  rmSync(stateRoot, { recursive: true, force: true });
});

const sysfs = (k: string) =>
  labExec(mode, 'director', ['cat', `/sys/class/net/${ifname}/${k}`]).stdout.trim();
const fetchOk = () =>
  labExec(
    mode,
    'client',
    ['curl', '-s', '-m', '2', `http://${plan.vip}:${plan.port}/`],
    5000,
  ).stdout.includes('this is rs');
const bypassTable = () =>
  labExec(mode, 'director', ['nft', 'list', 'tables', 'netdev']).stdout.includes(`lvsd_bypass_${ifname}`);
const xdpAttached = () => /\bxdp/.test(labExec(mode, 'director', ['ip', 'link', 'show', ifname]).stdout);

test('after SIGKILL on the packet plane, the next lvsd restores the NAPI settings, removes the bypass tables and serves', {
  skip,
  timeout: 120_000,
}, async (t) => {
  labDown(mode, stateRoot);
  const st = labUp(mode, { stateRoot, lvsdArgs: ['--xdp', 'on', '--ingress-bypass'] });
  const before = { defer: '0', gro: '0' };
  waitFor('lvsd served', fetchOk, 20_000);
  waitFor('the bypass table', bypassTable, 10_000);
  const during = { defer: sysfs('napi_defer_hard_irqs'), gro: sysfs('gro_flush_timeout') };
  assert.deepEqual(
    during,
    { defer: '2', gro: '200000' },
    `busy polling deferred NAPI: ${tail(st, 'lvsd', 5)}`,
  );
  assert.ok(xdpAttached(), 'an XDP program on the interface while lvsd runs');

  process.kill(st.pids.lvsd as number, 'SIGKILL');
  // Gone (a zombie until this process reaps it: /proc says Z).
  waitFor('lvsd gone', () => {
    try {
      return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${st.pids.lvsd}/stat`, 'utf8'));
    } catch {
      return true;
    }
  });
  // What the dead process left.
  assert.equal(sysfs('napi_defer_hard_irqs'), '2', 'left changed by the SIGKILL');
  assert.ok(bypassTable(), 'the bypass table outlives the process');
  waitFor('XDP program detached with its link', () => !xdpAttached(), 5000);

  const t0 = Date.now();
  startDetached(
    st,
    'lvsd2',
    'director',
    procArgv(
      'lvsd',
      ...plan.directorIfs.flatMap((i) => ['--interface', i]),
      ...['--socket', st.socket, '--restore', join(st.stateDir, 'rules'), '--xdp', 'off'],
    ),
  );
  waitFor('second lvsd ready', () => logHas(st, 'lvsd2', 'lab lvsd ready'), 30_000);
  waitFor('served again', fetchOk, 20_000);
  const resumedMs = Date.now() - t0;
  waitFor('bypass leftovers removed', () => !bypassTable(), 10_000);
  t.diagnostic(`serving again ${resumedMs} ms after the restart was started; lvsd2: ${tail(st, 'lvsd2', 4)}`);
  assert.deepEqual({ defer: sysfs('napi_defer_hard_irqs'), gro: sysfs('gro_flush_timeout') }, before);
  assert.ok(logHas(st, 'lvsd2', 'restored NAPI settings a previous lvsd left changed'), tail(st, 'lvsd2', 8));
  assert.ok(logHas(st, 'lvsd2', 'removed ingress-bypass tables a previous lvsd left'), tail(st, 'lvsd2', 8));
  for (let i = 0; i < 5; i++) assert.ok(fetchOk(), `fetch ${i} after the restart`);
});
