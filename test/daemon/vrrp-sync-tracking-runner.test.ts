/**
 * Tracking weights of sync group members through the runner, as keepalived 2.2.7 applies them
 * (keepalived/vrrp/vrrp.c vrrp_complete_instance()): without `sync_group_tracking_weight` a
 * weighted track_script is not tracked and a weighted track_interface faults like weight 0; with
 * it, both move the priority. The group's own weighted track_script moves every member's priority
 * (vrrp.c sync_group_tracking_init()).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conf, segment } from './vrrp-rig.js';

const SCRIPT =
  'vrrp_script chk {\n    script "/bin/chk"\n    interval 1\n    weight -60\n    fall 1\n    rise 1\n}\n';
const ZERO =
  'vrrp_script zero {\n    script "/bin/zero"\n    interval 1\n    weight 0\n    fall 1\n    rise 1\n}\n';

/** A two-member sync group (VI_1, VI_2) at `prio`, VI_1 with `extra` tracking lines. */
function two(prio: number, extra = '', groupExtra = ''): string {
  return (
    SCRIPT +
    ZERO +
    `vrrp_sync_group G {\n    group {\n        VI_1\n        VI_2\n    }\n${groupExtra}}\n` +
    conf({ prio, extra }) +
    conf({ name: 'VI_2', vrid: 52, prio, vips: '198.51.100.100/24' })
  );
}

describe('sync group members and tracking weights (runner)', () => {
  it('a weighted track_script of a member is not tracked: its failure changes neither priority nor state', async () => {
    const { clock, router } = segment();
    const a = router('192.0.2.1', two(150, '    track_script {\n        chk\n    }\n'));
    a.runner.start();
    await clock.advance(10_000);
    assert.deepEqual([a.state('VI_1'), a.state('VI_2')], ['MASTER', 'MASTER']);
    a.scripts.results.set('/bin/chk', false);
    await clock.advance(5_000);
    assert.deepEqual([a.state('VI_1'), a.state('VI_2')], ['MASTER', 'MASTER']);
    assert.equal(a.runner.view().instances.find((i) => i.name === 'VI_1')?.effectivePriority, 150);
    await a.runner.stop();
  });

  it('a weight-0 track_script of a member still faults the whole group', async () => {
    const { clock, router } = segment();
    const a = router('192.0.2.1', two(150, '    track_script {\n        chk\n        zero\n    }\n'));
    a.runner.start();
    await clock.advance(10_000);
    assert.deepEqual([a.state('VI_1'), a.state('VI_2')], ['MASTER', 'MASTER']);
    a.scripts.results.set('/bin/zero', false);
    await clock.advance(3_000);
    assert.deepEqual([a.state('VI_1'), a.state('VI_2')], ['FAULT', 'FAULT']);
    await a.runner.stop();
  });

  it('a weighted track_interface of a member faults the group when its link goes down (weight 0)', async () => {
    const { clock, router } = segment();
    const a = router('192.0.2.1', two(150, '    track_interface {\n        eth1 weight -10\n    }\n'));
    a.runner.start();
    await clock.advance(10_000);
    assert.deepEqual([a.state('VI_1'), a.state('VI_2')], ['MASTER', 'MASTER']);
    a.host.links.set('eth1', false);
    await clock.advance(3_000);
    assert.deepEqual([a.state('VI_1'), a.state('VI_2')], ['FAULT', 'FAULT']);
    assert.equal(a.runner.view().instances.find((i) => i.name === 'VI_1')?.effectivePriority, 150);
    await a.runner.stop();
  });

  it('with sync_group_tracking_weight the weights move the priority instead of faulting', async () => {
    const { clock, router } = segment();
    const extra =
      '    track_script {\n        chk\n    }\n    track_interface {\n        eth1 weight -10\n    }\n';
    const a = router('192.0.2.1', two(150, extra, '    sync_group_tracking_weight\n'));
    a.runner.start();
    await clock.advance(10_000);
    assert.deepEqual([a.state('VI_1'), a.state('VI_2')], ['MASTER', 'MASTER']);
    const vi1 = () => a.runner.view().instances.find((i) => i.name === 'VI_1');
    a.host.links.set('eth1', false);
    await clock.advance(3_000);
    assert.deepEqual([vi1()?.state, vi1()?.effectivePriority], ['MASTER', 140], 'interface weight, no fault');
    a.scripts.results.set('/bin/chk', false);
    await clock.advance(3_000);
    assert.deepEqual([vi1()?.state, vi1()?.effectivePriority], ['MASTER', 80], 'script weight, no fault');
    assert.equal(a.state('VI_2'), 'MASTER');
    await a.runner.stop();
  });
  it("a sync group's weighted track_script lowers every member's priority and the peer takes the group", async () => {
    const { clock, router } = segment();
    const groupScript = '    track_script {\n        chk\n    }\n';
    const a = router('192.0.2.1', two(150, '', groupScript));
    const b = router('192.0.2.2', two(100, '', groupScript));
    a.runner.start();
    b.runner.start();
    await clock.advance(10_000);
    assert.deepEqual(
      [a.state('VI_1'), a.state('VI_2'), b.state('VI_1'), b.state('VI_2')],
      ['MASTER', 'MASTER', 'BACKUP', 'BACKUP'],
    );
    a.scripts.results.set('/bin/chk', false);
    await clock.advance(10_000);
    assert.deepEqual(
      a.runner.view().instances.map((i) => [i.name, i.state, i.effectivePriority]),
      [
        ['VI_1', 'BACKUP', 90],
        ['VI_2', 'BACKUP', 90],
      ],
    );
    assert.deepEqual([b.state('VI_1'), b.state('VI_2')], ['MASTER', 'MASTER']);
    await Promise.all([a.runner.stop(), b.runner.stop()]);
  });
});
