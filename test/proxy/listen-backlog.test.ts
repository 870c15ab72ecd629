import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { readSomaxconn } from '../../src/io/host/somaxconn.js';
import { fdBudgetSize } from '../../src/io/proxy/fd-budget.js';
import {
  defaultListenBacklog,
  effectiveListenBacklog,
  LISTEN_BACKLOG_MAX_DEFAULT,
} from '../../src/io/proxy/listen-backlog.js';

test('the default backlog is the TCP connections the descriptor budget carries, at most 4096', () => {
  // ulimit -n 1024: 1024 - 256 reserved (a quarter) - 20 held = 748 descriptors, 374 connections.
  assert.equal(defaultListenBacklog(fdBudgetSize(1024, 20).total), 374);
  assert.equal(defaultListenBacklog(fdBudgetSize(20000, 22).total), LISTEN_BACKLOG_MAX_DEFAULT);
  assert.equal(defaultListenBacklog(fdBudgetSize(Number.POSITIVE_INFINITY, 22).total), 4096);
  // A budget with no room left still listens (backlog 1): refusals then come from the budget.
  assert.equal(defaultListenBacklog(0), 1);
  fc.assert(
    fc.property(fc.nat(1 << 22), (fds) => {
      const b = defaultListenBacklog(fds);
      assert.ok(Number.isInteger(b) && b >= 1 && b <= 4096);
      assert.ok(b <= Math.max(1, fds / 2));
    }),
  );
});

test('the kernel caps the backlog at somaxconn, and an unknown somaxconn leaves it as asked', () => {
  assert.equal(effectiveListenBacklog(4096, 128), 128);
  assert.equal(effectiveListenBacklog(100, 4096), 100);
  assert.equal(effectiveListenBacklog(100, undefined), 100);
});

test('somaxconn is read from procfs; a missing or garbled file gives undefined', () => {
  const dir = mkdtempSync(join(tmpdir(), 'somaxconn-'));
  try {
    const f = join(dir, 'somaxconn');
    writeFileSync(f, '4096\n');
    assert.equal(readSomaxconn(f), 4096);
    writeFileSync(f, 'lots\n');
    assert.equal(readSomaxconn(f), undefined);
    assert.equal(readSomaxconn(join(dir, 'none')), undefined);
    const here = readSomaxconn();
    assert.ok(here === undefined || here >= 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
