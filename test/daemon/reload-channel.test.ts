import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { type ConfigCheck, checkConfig } from '../../src/config/check-config.js';
import { type ReloadMessage, reloadChannel } from '../../src/control/channels.js';
import type { Command } from '../../src/control/commands.js';
import { ConfigSession, type EngineFactory } from '../../src/daemon/reload.js';
import { memIo } from '../config/mem-io.js';
import { record } from '../helpers/channels.js';

const PATH = '/etc/keepalived/keepalived.conf';

const svc = (port: number) => `virtual_server 10.0.0.1 ${port} {
    lvs_sched rr
    lvs_method NAT
    protocol TCP
    real_server 10.0.0.2 ${port} {
        weight 1
    }
}
`;

/** A session whose engine applies one clear at start and, per reload, a zero per service. */
async function session(files: Record<string, string>): Promise<ConfigSession> {
  const engine: EngineFactory = (_m, apply) => ({
    start: () => apply({ op: 'clear' }),
    reload: (m) => {
      for (const _ of m.services) apply({ op: 'zero' });
      apply({ op: 'set-timeouts', tcp: 0, tcpfin: 0, udp: 0 });
    },
    stop() {},
    healthView: () => ({ now: 0, services: [] }),
    availabilityView: () => ({ now: 0, services: [] }),
  });
  const load = async (path: string): Promise<ConfigCheck> =>
    checkConfig(path, memIo(files), { format: 'keepalived' });
  const o = await ConfigSession.open({ path: PATH, log: silent, engine, load });
  assert.ok(o.ok);
  return o.session;
}

const silent = pino({ level: 'silent' });

const phases = (got: readonly ReloadMessage[]) => got.map((m) => m.phase);

test('a reload is published with its diff', async () => {
  const files = { [PATH]: svc(80) };
  const rec = record(reloadChannel);
  const s = await session(files);
  try {
    const applied: Command[] = [];
    s.start((c) => applied.push(c));
    assert.deepEqual(phases(rec.got), ['checked', 'finished']);
    const loaded = rec.got[1]!;
    assert.ok(loaded.phase === 'finished');
    assert.equal(loaded.initial, true);
    assert.equal(loaded.source, s);
    assert.deepEqual(loaded.diff, { clear: 1 });

    files[PATH] = svc(80) + svc(81);
    rec.got.length = 0;
    const out = await s.reload('SIGHUP');
    assert.equal(out.ok, true);
    assert.deepEqual(phases(rec.got), ['started', 'checked', 'finished']);
    const [started, , finished] = rec.got;
    assert.ok(started?.phase === 'started' && finished?.phase === 'finished');
    assert.equal(started.reason, 'SIGHUP');
    assert.equal(started.file, PATH);
    assert.equal(finished.initial, false);
    assert.equal(finished.services, 2);
    assert.equal(finished.commands, 3);
    assert.deepEqual(finished.diff, { zero: 2, 'set-timeouts': 1 }, 'only this reload, by op');
  } finally {
    rec.stop();
    s.close();
  }
});

test('a refused reload is published as failed with the findings that refused it', async () => {
  const files = { [PATH]: svc(80) };
  const rec = record(reloadChannel);
  const s = await session(files);
  try {
    s.start(() => {});
    files[PATH] = `${svc(80)}virtual_server 10.0.0.1 81 {\n    bogus_keyword 1\n`;
    rec.got.length = 0;
    const out = await s.reload('autoreload');
    assert.equal(out.ok, false);
    assert.deepEqual(phases(rec.got), ['started', 'checked', 'failed']);
    const checked = rec.got[1]!;
    const failed = rec.got[2]!;
    assert.ok(checked.phase === 'checked' && failed.phase === 'failed');
    assert.ok(failed.findings.length > 0);
    assert.ok(failed.findings.every((f) => f.severity === 'error' || f.severity === 'fatal'));
    assert.ok(
      failed.findings.every((f) => checked.findings.includes(f)),
      'checked lists every finding',
    );
  } finally {
    rec.stop();
    s.close();
  }
});
