import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ProcessMatchSpec, ProcessQuorum, processMatches } from '../../src/vrrp/vrrp-track-process.js';

const proc = (comm: string, argv: string[], zombie = false) => ({ comm, argv, zombie });
const spec = (o: Partial<ProcessMatchSpec> & { process: string }): ProcessMatchSpec => ({
  paramMatch: 'none',
  fullCommand: false,
  ...o,
});

describe('vrrp_track_process matching (keepalived track_process.c read_procs(), check_params())', () => {
  it('matches comm by default, and skips zombies', () => {
    assert.equal(processMatches(spec({ process: 'nginx' }), proc('nginx', ['/usr/sbin/nginx', '-g'])), true);
    assert.equal(processMatches(spec({ process: 'nginx' }), proc('nginx', [], true)), false);
    assert.equal(
      processMatches(spec({ process: '/usr/sbin/nginx' }), proc('nginx', ['/usr/sbin/nginx'])),
      false,
    );
  });

  it('full_command matches argv[0]', () => {
    const s = spec({ process: '/usr/sbin/nginx', fullCommand: true });
    assert.equal(processMatches(s, proc('nginx', ['/usr/sbin/nginx', '-g'])), true);
    assert.equal(processMatches(s, proc('nginx', ['nginx'])), false);
  });

  it('exact parameters must all be equal; exact without parameters wants none', () => {
    const s = spec({ process: 'sleep', params: ['100'], paramMatch: 'exact', fullCommand: true });
    assert.equal(processMatches(s, proc('sleep', ['sleep', '100'])), true);
    assert.equal(processMatches(s, proc('sleep', ['sleep', '1000'])), false);
    assert.equal(processMatches(s, proc('sleep', ['sleep', '100', 'x'])), false);
    const none = spec({ process: 'sleep', paramMatch: 'exact', fullCommand: true });
    assert.equal(processMatches(none, proc('sleep', ['sleep'])), true);
    assert.equal(processMatches(none, proc('sleep', ['sleep', '1'])), false);
  });

  it('partial: the given parameters lead; initial: the last one may be a prefix', () => {
    const p = spec({ process: 'srv', params: ['-c', 'a.conf'], paramMatch: 'partial', fullCommand: true });
    assert.equal(processMatches(p, proc('srv', ['srv', '-c', 'a.conf', '-v'])), true);
    assert.equal(processMatches(p, proc('srv', ['srv', '-c', 'a.conf.bak'])), false);
    const i = spec({ process: 'srv', params: ['-c', 'a'], paramMatch: 'initial', fullCommand: true });
    assert.equal(processMatches(i, proc('srv', ['srv', '-c', 'a.conf'])), true);
    assert.equal(processMatches(i, proc('srv', ['srv', '-d', 'a.conf'])), false);
  });
});

describe('vrrp_track_process quorum and delays', () => {
  it('the first scan decides at once; quorum is quorum..quorum_max', () => {
    assert.equal(new ProcessQuorum(2, 3, 0, 0, 1).up, false);
    assert.equal(new ProcessQuorum(2, 3, 0, 0, 2).up, true);
    assert.equal(new ProcessQuorum(2, 3, 0, 0, 4).up, false);
  });

  it('without delays a change applies at the next observation', () => {
    const q = new ProcessQuorum(1, 4294967295, 0, 0, 1);
    assert.equal(q.observe(0, 1000), true);
    assert.equal(q.up, false);
    assert.equal(q.observe(2, 2000), true);
    assert.equal(q.up, true);
  });

  it('terminate_delay holds a loss; fork_delay holds a gain; each applies when due', () => {
    const q = new ProcessQuorum(1, 4294967295, 500, 2000, 1);
    assert.equal(q.observe(0, 1000), false);
    assert.equal(q.deadline, 3000);
    assert.equal(q.tick(2999), false);
    assert.equal(q.tick(3000), true);
    assert.equal(q.up, false);
    assert.equal(q.observe(1, 4000), false);
    assert.equal(q.tick(4500), true);
    assert.equal(q.up, true);
  });

  it('the process coming back within terminate_delay cancels the loss', () => {
    const q = new ProcessQuorum(1, 4294967295, 0, 2000, 1);
    q.observe(0, 1000);
    assert.equal(q.observe(1, 1500), false);
    assert.equal(q.deadline, undefined);
    assert.equal(q.tick(5000), false);
    assert.equal(q.up, true);
  });
});
