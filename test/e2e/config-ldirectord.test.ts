/**
 * `lvsd --config ldirectord.cf` end to end: negotiate HTTP checks against loopback real servers,
 * quiescent (weight 0 instead of removal), recovery, and autoreload picking up an edit of the
 * file without a signal.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { LvsdProc } from '../daemon/lvsd-process.js';
import {
  type ConfigLab,
  destWeight,
  get,
  lvsadm,
  type RealHttp,
  startConfigLab,
  until,
} from './config-helpers.js';

const TEMPLATE = 'test/fixtures/ldirectord/e2e-web.cf.in';
// checkinterval 1 s, checktimeout 1 s, failurecount 1: down after the next failing check.
const DOWN_BOUND_MS = 1000 + 1000;
const SLACK_MS = 1500;

let lab: ConfigLab;
let conf: string;
let d: LvsdProc;
let A: RealHttp;
let B: RealHttp;
let vport: number;

const list = () => lab.list();

before(async () => {
  lab = await startConfigLab({
    confName: 'ldirectord.cf',
    servers: ['A', 'B'],
    write: ({ conf, vport, servers: [a, b] }) =>
      writeFileSync(
        conf,
        readFileSync(TEMPLATE, 'utf8')
          .replaceAll('@VPORT@', String(vport))
          .replaceAll('@RS_A@', String(a?.port))
          .replaceAll('@RS_B@', String(b?.port)),
      ),
  });
  ({ conf, d, vport } = lab);
  [A, B] = lab.servers as [RealHttp, RealHttp];
});

after(() => lab?.stop());

test('ldirectord.cf loads: the rr service with both real servers once their checks pass', async () => {
  await until(
    async () => {
      const l = await list();
      return destWeight(l, A.port) === 1 && destWeight(l, B.port) === 1;
    },
    5000,
    'both real servers checked in',
  );
  assert.match(await list(), new RegExp(`TCP  127\\.0\\.0\\.1:${vport} rr`));
  assert.ok(['A', 'B'].includes(await get(vport)));
  const h = await lvsadm(d.socket, '--health');
  assert.match(h.stdout, new RegExp(`-> 127\\.0\\.0\\.1:${A.port}  UP .* http ok`));
});

test('quiescent: a dead real server goes to weight 0 within the check bound and back when healthy', async () => {
  await A.kill();
  const took = await until(async () => destWeight(await list(), A.port) === 0, 10_000, 'A at weight 0');
  assert.ok(took <= DOWN_BOUND_MS + SLACK_MS, `weight 0 after ${took} ms`);
  for (let i = 0; i < 4; i++) assert.equal(await get(vport), 'B');
  await A.restore();
  await until(async () => destWeight(await list(), A.port) === 1, 5000, 'A back at weight 1');
});

test('autoreload applies an edit of the file without a signal', async () => {
  const text = readFileSync(conf, 'utf8');
  writeFileSync(conf, text.replace(`real=127.0.0.1:${B.port} masq 1`, `real=127.0.0.1:${B.port} masq 3`));
  await until(async () => destWeight(await list(), B.port) === 3, 8000, 'B weight 3');
  assert.equal(destWeight(await list(), A.port), 1, 'the untouched server keeps its entry');
});

test('autoreload of a file with an error keeps the old table', async () => {
  const text = readFileSync(conf, 'utf8');
  const logged = d.stderr().length;
  writeFileSync(conf, `${text}bogusdirective=1\n`);
  await until(async () => d.stderr().slice(logged).includes('reload refused'), 8000, 'refusal logged');
  assert.match(d.stderr().slice(logged), /ldirectord\.cf:\d+: error: /);
  assert.equal(destWeight(await list(), B.port), 3);
});
