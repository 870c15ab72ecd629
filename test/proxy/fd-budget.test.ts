import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { openFilesLine } from '../../src/daemon/open-files-log.js';
import { countOpenFds, parseOpenFilesLimit, readOpenFilesLimit } from '../../src/io/host/open-files.js';
import { CountNotice } from '../../src/io/proxy/count-notice.js';
import { FdBudget, fdBudgetSize } from '../../src/io/proxy/fd-budget.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units     
Max cpu time              unlimited            unlimited            seconds   
Max open files            1024                 524288               files     
Max locked memory         8388608              8388608              bytes     
`;

test('the Max open files row of /proc/self/limits gives the soft and hard RLIMIT_NOFILE', () => {
  assert.deepEqual(parseOpenFilesLimit(LIMITS), { soft: 1024, hard: 524288 });
  assert.deepEqual(parseOpenFilesLimit(LIMITS.replace('524288 ', 'unlimited')), {
    soft: 1024,
    hard: Number.POSITIVE_INFINITY,
  });
  assert.equal(parseOpenFilesLimit('Max open files            lots   1024 files\n'), undefined);
  assert.equal(parseOpenFilesLimit(''), undefined);
});

test('this process reads its own limit and descriptor count from /proc', () => {
  const lim = readOpenFilesLimit();
  assert.ok(lim && lim.soft > 0 && lim.hard >= lim.soft);
  const n = countOpenFds();
  assert.ok(n !== undefined && n >= 3 && n < lim.soft);
});

test('parseOpenFilesLimit never throws and returns whole numbers or nothing, for any text', () => {
  const row = fc
    .tuple(fc.constantFrom('Max open files', 'Max open', 'Max open filesx'), fc.string(), fc.string())
    .map(([a, b, c]) => `${a} ${b} ${c}`);
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.string(), row), { maxLength: 6 }), (lines) => {
      const r = parseOpenFilesLimit(lines.join('\n'));
      if (r === undefined) return true;
      return [r.soft, r.hard].every((v) => v === Number.POSITIVE_INFINITY || (Number.isInteger(v) && v >= 0));
    }),
  );
});

test('the start line says the soft limit was raised to the hard one, or warns when it is below it', () => {
  assert.deepEqual(openFilesLine({ soft: 256, hard: 256 }), {
    level: 'info',
    msg: 'open files limit 256 (soft limit raised to the hard limit at start)',
  });
  assert.equal(openFilesLine({ soft: 256, hard: 4096 }).level, 'warn');
  assert.equal(openFilesLine({ soft: 1048576, hard: Number.POSITIVE_INFINITY }).level, 'info');
  assert.equal(openFilesLine(undefined).level, 'warn');
});

test('the budget leaves what lvsd holds plus a quarter of the limit (96 to 1024) and gives UDP half', () => {
  assert.deepEqual(fdBudgetSize(256, 20), { limit: 256, reserve: 116, total: 140, udpMax: 70 });
  assert.deepEqual(fdBudgetSize(1024, 24), { limit: 1024, reserve: 280, total: 744, udpMax: 372 });
  assert.deepEqual(fdBudgetSize(1048576, 30), {
    limit: 1048576,
    reserve: 1054,
    total: 1047522,
    udpMax: 523761,
  });
  assert.equal(fdBudgetSize(Number.POSITIVE_INFINITY, 0).limit, 2 ** 20);
  assert.deepEqual(fdBudgetSize(64, 30), { limit: 64, reserve: 126, total: 0, udpMax: 0 });
});

test('UDP flows stop at half the budget, TCP connections (two descriptors each) at the rest, refusals counted', () => {
  let tcp = 0;
  const b = new FdBudget(
    fdBudgetSize(256, 20),
    () => tcp,
    () => 2,
  );
  // 140 total, 2 listeners: UDP takes its 70 and no more.
  let udp = 0;
  while (b.admitUdp()) {
    b.udpSockets++;
    udp++;
  }
  assert.equal(udp, 70);
  assert.equal(b.udpRefused.count, 1);
  // TCP still has (140 - 2 - 70) / 2 = 34 connections.
  while (b.admitTcp()) tcp++;
  assert.equal(tcp, 34);
  assert.equal(b.tcpRefused.count, 1);
  assert.equal(b.inUse(), 140);
  // A flow that closes makes room for one more flow, not for a TCP connection.
  b.udpSockets--;
  assert.equal(b.admitTcp(), false);
  assert.equal(b.admitUdp(), true);
});

test('a refusal notice is due at once, then at most once per period, with the count since the last', () => {
  const n = new CountNotice(10_000);
  assert.equal(n.due(0), 0);
  n.add();
  assert.equal(n.due(1000), 1);
  for (let i = 0; i < 500; i++) n.add();
  assert.equal(n.due(5000), 0);
  assert.equal(n.due(10_999), 0);
  assert.equal(n.due(11_000), 500);
  assert.equal(n.due(30_000), 0);
  assert.equal(n.count, 501);
});
