/** Test helper: a HealthRunner on a fake clock and fake prober, recording its commands and scripts. */
import type { LvsModel } from '../../src/config/model.js';
import type { Command } from '../../src/control/commands.js';
import { FakeClock, FakeProber } from '../../src/health/fake-prober.js';
import { HealthRunner } from '../../src/health/runner.js';

/** Everything a runner test drives or inspects. */
export interface FakeRunner {
  readonly clock: FakeClock;
  readonly prober: FakeProber;
  /** Commands the runner applied, in order. */
  readonly cmds: Command[];
  /** Scripts the runner spawned, as `command arg...`. */
  readonly scripts: string[];
  readonly runner: HealthRunner;
}

/** Builds (does not start) a runner over `m` with the clock at `start` ms and a random() of 0. */
export function fakeRunner(m: LvsModel, start = 0): FakeRunner {
  const clock = new FakeClock(start);
  const prober = new FakeProber();
  const cmds: Command[] = [];
  const scripts: string[] = [];
  const runner = new HealthRunner({
    model: m,
    apply: (c) => cmds.push(c),
    now: clock,
    prober: prober.factory,
    spawn: (s, args) => scripts.push([s.command, ...args].join(' ')),
    random: () => 0,
  });
  return { clock, prober, cmds, scripts, runner };
}
