import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VrrpRunner } from '../../src/daemon/vrrp/vrrp-runner.js';
import { FakeVrrpTrackIo } from '../../src/daemon/vrrp/vrrp-track-io.js';
import { conf, FakeHost, FakeScripts, model, segment } from './vrrp-rig.js';

/** Advances in 10 ms steps until `cond` holds; returns the fake time it first held. */
async function until(
  clock: { now(): number; advance(ms: number): Promise<void> },
  cond: () => boolean,
  maxMs = 30_000,
) {
  for (let t = 0; t <= maxMs; t += 10) {
    if (cond()) return clock.now();
    await clock.advance(10);
  }
  assert.fail('condition never held');
}

const FILE = 'track_file tf {\n    file /run/tf\n    weight -30\n}\n';
const PROC = (extra = '') => `vrrp_track_process tp {\n    process nginx\n${extra}}\n`;
const prio = (r: { runner: { view(): { instances: readonly { effectivePriority: number }[] } } }) =>
  r.runner.view().instances[0]?.effectivePriority;

describe('VrrpRunner with track_file and vrrp_track_process (fake files, fake /proc)', () => {
  it('a value written to the track file lowers the priority by value × weight; 0 gives MASTER back', async () => {
    const { clock, router } = segment();
    const a = router('192.0.2.1', FILE + conf({ prio: 150, extra: '    track_file {\n        tf\n    }\n' }));
    const b = router('192.0.2.2', conf({ prio: 100 }));
    a.trackIo.files.set('/run/tf', '0\n');
    a.runner.start();
    b.runner.start();
    await clock.advance(10_000);
    assert.deepEqual([a.state(), b.state(), prio(a)], ['MASTER', 'BACKUP', 150]);
    a.trackIo.files.set('/run/tf', '2\n');
    // Within one poll (1 s) the priority is 150 − 2 × 30 = 90, and b (100) preempts.
    await clock.advance(1_000);
    assert.equal(prio(a), 90);
    await until(clock, () => b.state() === 'MASTER', 5_000);
    assert.equal(a.state(), 'BACKUP');
    a.trackIo.files.set('/run/tf', '0\n');
    await until(clock, () => a.state() === 'MASTER', 5_000);
    assert.deepEqual([prio(a), b.state()], [150, 'BACKUP']);
    await Promise.all([a.runner.stop(), b.runner.stop()]);
  });

  it("the instance's weight and reverse override the block's; a deleted file reads 0", async () => {
    const { clock, router } = segment();
    const a = router(
      '192.0.2.1',
      FILE + conf({ prio: 100, extra: '    track_file {\n        tf weight 5 reverse\n    }\n' }),
    );
    a.trackIo.files.set('/run/tf', '3');
    a.runner.start();
    await clock.advance(100);
    assert.equal(prio(a), 85);
    a.trackIo.files.delete('/run/tf');
    await clock.advance(1_000);
    assert.equal(prio(a), 100);
    await a.runner.stop();
  });

  it('weight 0: a non-zero value faults the instance, 0 recovers it', async () => {
    const { clock, router } = segment();
    const a = router(
      '192.0.2.1',
      'track_file tf {\n    file /run/tf\n    weight 0\n}\n' +
        conf({ prio: 150, extra: '    track_file {\n        tf\n    }\n' }),
    );
    a.trackIo.files.set('/run/tf', '0');
    a.runner.start();
    await clock.advance(5_000);
    assert.equal(a.state(), 'MASTER');
    a.trackIo.files.set('/run/tf', '1');
    await clock.advance(1_000);
    assert.equal(a.state(), 'FAULT');
    a.trackIo.files.set('/run/tf', '0');
    await until(clock, () => a.state() === 'MASTER', 10_000);
    await a.runner.stop();
  });

  it('init_file writes its value when the file is missing, and not over an existing one', async () => {
    const { clock, router } = segment();
    const text = (path: string) =>
      `track_file tf {\n    file ${path}\n    init_file 4\n}\n` +
      conf({ prio: 100, extra: '    track_file {\n        tf\n    }\n' });
    const a = router('192.0.2.1', text('/run/new'));
    a.runner.start();
    await clock.advance(100);
    assert.equal(a.trackIo.files.get('/run/new'), '4\n');
    assert.equal(prio(a), 104);
    await a.runner.stop();
    const b = router('192.0.2.2', text('/run/old'));
    b.trackIo.files.set('/run/old', '1');
    b.runner.start();
    await clock.advance(100);
    assert.deepEqual([b.trackIo.files.get('/run/old'), prio(b)], ['1', 101]);
    // A reload creates a missing file but never overwrites one, even with `overwrite`.
    b.trackIo.files.delete('/run/old');
    b.runner.reload(model(text('/run/old').replace('init_file 4', 'init_file 4 overwrite')));
    assert.equal(b.trackIo.files.get('/run/old'), '4\n');
    b.trackIo.files.set('/run/old', '2');
    b.runner.reload(model(text('/run/old').replace('init_file 4', 'init_file 6 overwrite')));
    assert.equal(b.trackIo.files.get('/run/old'), '2');
    await b.runner.stop();
  });

  it("a sync group's track_file moves every member by the group's weight", async () => {
    const { clock, router } = segment();
    const group =
      'vrrp_sync_group G {\n    group {\n        VI_1\n        VI_2\n    }\n    track_file {\n        tf weight -10\n    }\n}\n';
    const a = router(
      '192.0.2.1',
      FILE +
        group +
        conf({ prio: 150 }) +
        conf({ name: 'VI_2', vrid: 52, prio: 150, vips: '198.51.100.100/24' }),
    );
    a.trackIo.files.set('/run/tf', '3');
    a.runner.start();
    await clock.advance(100);
    assert.deepEqual(
      a.runner.view().instances.map((i) => i.effectivePriority),
      [120, 120],
    );
    await a.runner.stop();
  });

  it('a tracked process lost lowers the priority after terminate_delay, and regained raises it', async () => {
    const { clock, router } = segment();
    const a = router(
      '192.0.2.1',
      PROC('    weight -40\n    terminate_delay 2\n') +
        conf({ prio: 150, extra: '    track_process {\n        tp\n    }\n' }),
    );
    a.trackIo.procs = [{ comm: 'nginx', argv: [], zombie: false }];
    a.runner.start();
    await clock.advance(100);
    assert.equal(prio(a), 150);
    a.trackIo.procs = [];
    const gone = clock.now();
    await clock.advance(1_500);
    assert.equal(prio(a), 150, 'still within terminate_delay');
    const lost = await until(clock, () => prio(a) === 110, 3_000);
    // Seen at the next 1 s poll, then held for the 2 s terminate_delay.
    assert.ok(lost >= gone + 2_000 && lost <= gone + 3_000 + 10, `lost after ${lost - gone} ms`);
    a.trackIo.procs = [{ comm: 'nginx', argv: [], zombie: true }];
    await clock.advance(1_500);
    assert.equal(prio(a), 110, 'a zombie does not count');
    a.trackIo.procs = [{ comm: 'nginx', argv: [], zombie: false }];
    await until(clock, () => prio(a) === 150, 1_500);
    await a.runner.stop();
  });

  it('weight 0 process below quorum faults the instance', async () => {
    const { clock, router } = segment();
    const a = router(
      '192.0.2.1',
      PROC('    quorum 2\n') + conf({ prio: 150, extra: '    track_process {\n        tp\n    }\n' }),
    );
    a.trackIo.procs = [{ comm: 'nginx', argv: [], zombie: false }];
    a.runner.start();
    await clock.advance(5_000);
    assert.equal(a.state(), 'FAULT');
    a.trackIo.procs.push({ comm: 'nginx', argv: [], zombie: false });
    await until(clock, () => a.state() === 'MASTER', 10_000);
    await a.runner.stop();
  });

  it('track_bfd is ignored with a warning that says why, and the instance runs', async () => {
    const { net, clock } = segment();
    const lines: string[] = [];
    const runner = new VrrpRunner({
      model: model(conf({ prio: 150, extra: '    track_bfd {\n        b1\n    }\n' })),
      transport: net.transport('192.0.2.1'),
      host: new FakeHost('192.0.2.1'),
      clock,
      scripts: new FakeScripts(),
      trackIo: new FakeVrrpTrackIo(),
      log: (level, msg) => lines.push(`${level} ${msg}`),
    });
    runner.start();
    await clock.advance(5_000);
    assert.ok(
      lines.some((l) => /^warn \(VI_1\) track_bfd is not supported .*BFD.*ignored/.test(l)),
      lines.join('\n'),
    );
    assert.equal(runner.view().instances[0]?.state, 'MASTER');
    await runner.stop();
  });
});
