// The proxy e2e files that run on the plane's default (native accept, native/tcp_acceptor.c),
// run again with LVS_PROXY_ACCEPT=js, so the JS accept path (libuv accepts and connects, then
// hands the fds to the native relay) keeps the same scheduling, retry, refusal and fd-budget
// behaviour. Each file runs in its own process since the relay reads the variable at start.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { loadRelayBinding } from '../../src/io/proxy/native-relay.js';

const FILES = [
  'test/e2e/proxy-relay.test.ts',
  'test/e2e/proxy-retry-count.test.ts',
  'test/e2e/proxy-conn-max.test.ts',
  'test/e2e/proxy-fd-limit.test.ts',
  'test/e2e/proxy-emfile.test.ts',
  'test/e2e/proxy-sched.test.ts',
];

const b = loadRelayBinding();
const skip = b instanceof Error ? `native relay unavailable: ${b.message}` : false;
if (skip) console.log(`JS accept re-run skipped: ${skip}`);

for (const f of FILES) {
  test(`${f} passes with LVS_PROXY_ACCEPT=js`, { skip, timeout: 180_000 }, () => {
    // Without NODE_TEST_CONTEXT: a child that inherits it reports to this runner and runs nothing.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', f], {
      env: { ...env, LVS_PROXY_ACCEPT: 'js' },
      encoding: 'utf8',
      timeout: 170_000,
    });
    assert.equal(r.status, 0, `${f} failed with LVS_PROXY_ACCEPT=js:\n${r.stdout}\n${r.stderr}`);
    // The file really ran its tests, all passing.
    assert.match(r.stdout, /^# pass [1-9]/m, r.stdout);
    assert.match(r.stdout, /^# fail 0$/m, r.stdout);
  });
}
