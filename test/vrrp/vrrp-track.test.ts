import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { trackedPriority, VrrpScriptState } from '../../src/vrrp/vrrp-track.js';

const t = (up: boolean | undefined, weight: number, reverse = false) => ({ up, weight, reverse });

describe('tracking priority arithmetic (keepalived vrrp_track.c)', () => {
  it('positive weights add while up, negative weights subtract while down', () => {
    assert.deepEqual(trackedPriority(100, [t(true, 20), t(false, 20)]), { priority: 120, fault: false });
    assert.deepEqual(trackedPriority(100, [t(false, -30), t(true, -30)]), { priority: 70, fault: false });
  });

  it('reverse flips the sign of the weight', () => {
    assert.deepEqual(trackedPriority(100, [t(true, 20, true)]), { priority: 80, fault: false });
    assert.deepEqual(trackedPriority(100, [t(false, -30, true)]), { priority: 130, fault: false });
  });

  it('weight 0 faults while down (while up with reverse), and while a script has not reported', () => {
    assert.equal(trackedPriority(100, [t(false, 0)]).fault, true);
    assert.equal(trackedPriority(100, [t(true, 0)]).fault, false);
    assert.equal(trackedPriority(100, [t(true, 0, true)]).fault, true);
    assert.equal(trackedPriority(100, [t(undefined, 0)]).fault, true);
    assert.deepEqual(trackedPriority(100, [t(undefined, 50)]), { priority: 100, fault: false });
  });

  it('clamps to 1..254 and never changes an owner', () => {
    assert.equal(trackedPriority(200, [t(true, 100)]).priority, 254);
    assert.equal(trackedPriority(10, [t(false, -100)]).priority, 1);
    assert.deepEqual(trackedPriority(255, [t(false, -100), t(false, 0)]), { priority: 255, fault: true });
  });

  it('always lands in 1..254 for non-owners', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 254 }),
        fc.array(
          fc.record({
            up: fc.option(fc.boolean(), { nil: undefined }),
            weight: fc.integer({ min: -253, max: 253 }),
            reverse: fc.boolean(),
          }),
        ),
        (base, tr) => {
          const p = trackedPriority(base, tr).priority;
          assert.ok(p >= 1 && p <= 254);
        },
      ),
    );
  });
});

describe('vrrp_script rise/fall', () => {
  it('the first result decides the state, then fall failures bring it down and rise successes up', () => {
    const s = new VrrpScriptState(2, 3);
    assert.equal(s.up, undefined);
    assert.equal(s.report(true), true);
    assert.equal(s.report(false), undefined);
    assert.equal(s.report(false), undefined);
    assert.equal(s.report(false), false);
    assert.equal(s.report(true), undefined);
    assert.equal(s.report(true), true);
    assert.equal(s.up, true);
  });

  it('a first failure marks it down at once', () => {
    const s = new VrrpScriptState(2, 3);
    assert.equal(s.report(false), false);
  });

  it('a success between failures restarts the fall count', () => {
    const s = new VrrpScriptState(1, 2);
    s.report(true);
    s.report(false);
    s.report(true);
    assert.equal(s.report(false), undefined);
    assert.equal(s.report(false), false);
  });

  it('init_fail starts down and needs rise successes', () => {
    const s = new VrrpScriptState(3, 1, true);
    assert.equal(s.up, false);
    assert.equal(s.report(true), undefined);
    assert.equal(s.report(true), undefined);
    assert.equal(s.report(true), true);
  });
});
