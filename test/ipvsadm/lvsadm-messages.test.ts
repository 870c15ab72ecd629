/**
 * Kernel-error lines: errorMessage() against what the real ipvsadm 1.31 printed when the fake
 * kernel refused each operation with each errno (oracle/errno-cases.json).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Errno } from '../../src/core/errors.js';
import { TABLE_ERRNO } from '../../src/core/errors.js';
import { errorMessage, type OperationKind, operationOf } from '../../src/ipvsadm/messages.js';

interface ErrnoCase {
  kind: OperationKind;
  errno: Errno;
  argv: string;
  stderr: string;
  status: number;
}
const cases: ErrnoCase[] = JSON.parse(
  readFileSync(new URL('../fixtures/ipvsadm/oracle/errno-cases.json', import.meta.url), 'utf8'),
);

for (const c of cases) {
  test(`ipvsadm ${c.argv} failing with ${c.errno} prints "${c.stderr}" and exits ${c.status}`, () => {
    assert.deepEqual(errorMessage(c.kind, c.errno), { text: c.stderr, exitCode: c.status });
  });
}

test('a missing service in a single-service listing is "No such service" with exit 1', () => {
  assert.deepEqual(errorMessage('get-service', 'ESRCH'), { text: 'No such service', exitCode: 1 });
});

test('every TableError code maps to a message for the operation that raises it', () => {
  assert.equal(
    errorMessage('add-service', TABLE_ERRNO.ERR_LVS_SERVICE_EXISTS).text,
    'Service already exists',
  );
  assert.equal(errorMessage('add-dest', TABLE_ERRNO.ERR_LVS_DEST_EXISTS).text, 'Destination already exists');
  assert.equal(errorMessage('del-dest', TABLE_ERRNO.ERR_LVS_NO_DEST).text, 'No such destination');
  assert.equal(errorMessage('add-dest', TABLE_ERRNO.ERR_LVS_NO_SERVICE).text, 'Service not defined');
  assert.equal(
    errorMessage('add-service', TABLE_ERRNO.ERR_LVS_NO_SCHEDULER).text,
    'Scheduler or persistence engine not found',
  );
  assert.equal(
    errorMessage('start-daemon', TABLE_ERRNO.ERR_LVS_DAEMON_RUNNING).text,
    'Daemon has already run',
  );
  assert.equal(
    errorMessage('stop-daemon', TABLE_ERRNO.ERR_LVS_DAEMON_NOT_RUNNING).text,
    'No daemon is running',
  );
  assert.equal(
    errorMessage('add-laddr', TABLE_ERRNO.ERR_LVS_LADDR_EXISTS).text,
    'Local address already exists',
  );
});

test('operationOf maps command ops to their error-message kind', () => {
  assert.equal(operationOf('add-dest'), 'add-dest');
  assert.equal(operationOf('clear'), 'flush');
  assert.equal(operationOf('set-sysctl'), 'other');
});
