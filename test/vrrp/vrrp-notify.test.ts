import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { notifyState, vrrpNotifyRuns, vrrpStateLogLine } from '../../src/vrrp/vrrp-notify.js';

const spec = (command: string) => ({ command, argv: command.split(' ') });

describe('VRRP notify scripts and log lines (keepalived vrrp_notify.c)', () => {
  it('runs the state script as written, then notify with INSTANCE name state priority', () => {
    const runs = vrrpNotifyRuns(
      'INSTANCE',
      'VI_1',
      { master: spec('/bin/m up'), any: spec('/bin/any') },
      'MASTER',
      150,
    );
    assert.deepEqual(
      runs.map((r) => r.argv),
      [
        ['/bin/m', 'up'],
        ['/bin/any', 'INSTANCE', 'VI_1', 'MASTER', '150'],
      ],
    );
  });

  it('a group reports priority 0; shutdown is STOP', () => {
    assert.deepEqual(
      vrrpNotifyRuns('GROUP', 'G1', { any: spec('/bin/any') }, notifyState('INIT'), 100).map((r) => r.argv),
      [['/bin/any', 'GROUP', 'G1', 'STOP', '0']],
    );
    assert.deepEqual(vrrpNotifyRuns('INSTANCE', 'VI_1', { master: spec('/bin/m') }, 'BACKUP', 100), []);
  });

  it("logs in keepalived's words", () => {
    assert.equal(vrrpStateLogLine('VI_1', 'BACKUP', 'MASTER'), '(VI_1) Entering MASTER STATE');
    assert.equal(vrrpStateLogLine('VI_1', 'MASTER', 'FAULT'), '(VI_1) Entering FAULT STATE');
    assert.equal(vrrpStateLogLine('VI_1', 'INIT', 'BACKUP'), '(VI_1) Entering BACKUP STATE (init)');
    assert.equal(vrrpStateLogLine('VI_1', 'MASTER', 'INIT'), '(VI_1) sent 0 priority');
    assert.equal(vrrpStateLogLine('VI_1', 'BACKUP', 'INIT'), undefined);
  });
});
