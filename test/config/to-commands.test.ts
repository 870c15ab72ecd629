import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseKeepalived } from '../../src/config/keepalived/index.js';
import { buildCommands, diffCommands, tableOf } from '../../src/config/to-commands.js';
import { memIo } from './mem-io.js';

const P = '/k.conf';
const model = (text: string) => parseKeepalived(P, memIo({ [P]: text })).model;
const vs = (head: string, body: string, sched = 'rr') =>
  `virtual_server ${head} {\n protocol TCP\n lb_algo ${sched}\n lb_kind NAT\n${body}\n}\n`;
const ops = (cmds: { op: string }[]) => cmds.map((c) => c.op);

const BASE =
  'global_defs {\n lvs_timeouts tcp 900\n lvs_flush\n}\n' +
  vs('10.0.0.1 80', ' real_server 10.0.1.1 80 { weight 2 }\n real_server 10.0.1.2 80 { weight 3 }') +
  vs('10.0.0.2 80', ' real_server 10.0.2.1 80 { }');

test('buildCommands creates every service and destination, after flush and timeouts', () => {
  const cmds = buildCommands(model(BASE));
  assert.deepEqual(ops(cmds), [
    'clear',
    'set-timeouts',
    'add-service',
    'add-dest',
    'add-dest',
    'add-service',
    'add-dest',
  ]);
  const d = cmds.find((c) => c.op === 'add-dest');
  assert.ok(d && d.op === 'add-dest' && d.dest.addr === '10.0.1.1' && d.dest.weight === 2);
});

test('an unchanged reload produces no commands', () => {
  assert.deepEqual(diffCommands(model(BASE), model(BASE)), []);
});

test('reload diff: edit-service for scheduler change, edit-dest for weight, del and add for the rest', () => {
  const next =
    vs('10.0.0.1 80', ' real_server 10.0.1.1 80 { weight 5 }\n real_server 10.0.1.3 80 { }', 'wlc') +
    vs('10.0.0.3 80', ' real_server 10.0.3.1 80 { }');
  const cmds = diffCommands(model(BASE), model(next));
  assert.deepEqual(
    cmds.map((c) => [
      c.op,
      'service' in c && c.service?.kind === 'addr' ? c.service.addr : '',
      'dest' in c ? c.dest.addr : '',
    ]),
    [
      ['del-service', '10.0.0.2', ''],
      ['del-dest', '10.0.0.1', '10.0.1.2'],
      ['edit-service', '10.0.0.1', ''],
      ['edit-dest', '10.0.0.1', '10.0.1.1'],
      ['add-dest', '10.0.0.1', '10.0.1.3'],
      ['add-service', '10.0.0.3', ''],
      ['add-dest', '10.0.0.3', '10.0.3.1'],
    ],
  );
});

test('alpha servers start out of the table; inhibited failed servers sit at weight 0', () => {
  const m = model(
    vs(
      '10.0.0.1 80',
      ' alpha\n real_server 10.0.1.1 80 { inhibit_on_failure }\n real_server 10.0.1.2 80 { }',
    ),
  );
  const t = tableOf(m).get('TCP 10.0.0.1:80')!;
  assert.deepEqual(
    [...t.dests.values()].map((d) => [d.addr, d.weight]),
    [['10.0.1.1', 0]],
  );
});

test('quorum loss swaps the real servers for the sorry server', () => {
  const m = model(
    vs(
      '10.0.0.1 80',
      ' quorum 3\n sorry_server 10.9.9.9 80\n real_server 10.0.1.1 80 { weight 2 }\n real_server 10.0.1.2 80 { weight 2 }',
    ),
  );
  const up = tableOf(m).get('TCP 10.0.0.1:80')!;
  assert.deepEqual([...up.dests.keys()], ['[10.0.1.1]:80', '[10.0.1.2]:80']);
  const down = tableOf(m, { isAlive: (_s, r) => r.dest.addr === '10.0.1.1' }).get('TCP 10.0.0.1:80')!;
  assert.deepEqual(
    [...down.dests.values()].map((d) => [d.addr, d.weight]),
    [['10.9.9.9', 1]],
  );
  const cmds = diffCommands(m, m, {});
  assert.deepEqual(cmds, []);
});

test('a group virtual server yields one service per group entry with the same destinations', () => {
  const m = model(
    'virtual_server_group G {\n 10.0.0.1 80\n 10.0.0.2 80\n}\n' +
      vs('group G', ' real_server 10.0.1.1 80 { }'),
  );
  assert.deepEqual(ops(buildCommands(m)), ['add-service', 'add-dest', 'add-service', 'add-dest']);
});
