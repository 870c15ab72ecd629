import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { type ConfigCheck, checkConfig } from '../../src/config/check-config.js';
import { ConfigDiagnostic } from '../../src/config/diagnostics.js';
import type { LvsModel } from '../../src/config/model.js';
import type { Command } from '../../src/control/commands.js';
import { subscribeLogger } from '../../src/daemon/log-subscriber.js';
import {
  blockingFindings,
  ConfigSession,
  type EngineFactory,
  type HealthEngine,
} from '../../src/daemon/reload.js';
import { memIo } from '../config/mem-io.js';

const PATH = '/etc/keepalived/keepalived.conf';

const svc = (port: number, weight = 1) => `virtual_server 10.0.0.1 ${port} {
    lvs_sched rr
    lvs_method NAT
    protocol TCP
    real_server 10.0.0.2 ${port} {
        weight ${weight}
    }
}
`;

const VRRP = `vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        10.0.0.1
    }
}
`;

/** A session over an in-memory file whose text the test changes between reloads. */
function rig(initial: string, opts: { gate?: () => Promise<void> } = {}) {
  const files: Record<string, string> = { [PATH]: initial };
  const logs: Array<{ level: number; msg: string }> = [];
  const log = pino({ level: 'info' }, { write: (s: string) => logs.push(JSON.parse(s)) });
  const calls = { starts: 0, reloads: [] as LvsModel[], stops: 0 };
  const applied: Command[] = [];
  let loads = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const engine: EngineFactory = (_model, apply): HealthEngine => ({
    start() {
      calls.starts++;
      apply({ op: 'clear' });
    },
    reload(m) {
      calls.reloads.push(m);
      apply({ op: 'zero' });
      apply({ op: 'zero' });
    },
    stop() {
      calls.stops++;
    },
    healthView: () => ({ now: 0, services: [] }),
    availabilityView: () => ({ now: 0, services: [] }),
  });
  const load = async (path: string): Promise<ConfigCheck> => {
    loads++;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      await opts.gate?.();
      return checkConfig(path, memIo(files), { format: 'keepalived' });
    } finally {
      inFlight--;
    }
  };
  return {
    files,
    logs,
    calls,
    applied,
    stats: () => ({ loads, maxInFlight }),
    open: async () => {
      const o = await ConfigSession.open({ path: PATH, log, engine, load });
      // Loads and reloads reach the log through lvs:config:reload, as in lvsd.
      if (o.ok) subscribeLogger(log, (s) => s === o.session);
      return o;
    },
  };
}

async function opened(r: ReturnType<typeof rig>): Promise<ConfigSession> {
  const o = await r.open();
  assert.ok(o.ok);
  o.session.start((c) => r.applied.push(c));
  return o.session;
}

test('start builds the table through the engine and the given apply path', async () => {
  const r = rig(svc(80));
  const s = await opened(r);
  assert.equal(r.calls.starts, 1);
  assert.deepEqual(r.applied, [{ op: 'clear' }]);
  assert.equal(s.current.services.length, 1);
  assert.ok(r.logs.some((l) => l.msg === 'configuration loaded'));
  s.close();
  assert.equal(r.calls.stops, 1);
});

test('a reload with errors keeps the old configuration and never reaches the engine', async () => {
  const r = rig(svc(80));
  const s = await opened(r);
  const old = s.current;
  r.files[PATH] = `${svc(81)}bogus_keyword 1\n`;
  const out = await s.reload('test');
  assert.equal(out.ok, false);
  assert.ok(!out.ok && out.findings.some((f) => f.code === 'ERR_CONFIG_UNKNOWN_KEYWORD' && f.line === 9));
  assert.equal(s.current, old);
  assert.equal(r.calls.reloads.length, 0);
  assert.ok(r.logs.some((l) => l.level === 50 && /keepalived\.conf:9: error: unknown keyword/.test(l.msg)));
  assert.ok(r.logs.some((l) => /reload refused/.test(l.msg)));
});

test('a clean reload hands the new model to the engine and counts the commands it applied', async () => {
  const r = rig(svc(80));
  const s = await opened(r);
  r.files[PATH] = svc(80, 5);
  const out = await s.reload('SIGHUP');
  assert.deepEqual(out, { ok: true, commands: 2, services: 1 });
  assert.equal(r.calls.reloads.length, 1);
  assert.equal(r.calls.reloads[0]?.services[0]?.reals[0]?.dest.weight, 5);
  assert.equal(s.current.services[0]?.reals[0]?.dest.weight, 5);
});

test('onReloaded listeners get the new model after the engine moved to it, and nothing after a refused reload', async () => {
  const r = rig(svc(80));
  const s = await opened(r);
  const seen: { weight: number | undefined; engineReloads: number }[] = [];
  s.onReloaded((m) =>
    seen.push({ weight: m.services[0]?.reals[0]?.dest.weight, engineReloads: r.calls.reloads.length }),
  );
  r.files[PATH] = svc(80, 5);
  assert.equal((await s.reload('SIGHUP')).ok, true);
  r.files[PATH] = `${svc(80, 7)}bogus_keyword 1\n`;
  assert.equal((await s.reload('SIGHUP')).ok, false);
  assert.deepEqual(seen, [{ weight: 5, engineReloads: 1 }]);
});

test('reloads asked for during a reload run once more afterwards, never concurrently', async () => {
  const gates: Array<() => void> = [];
  const r = rig(svc(80), {
    gate: () =>
      new Promise<void>((res) => {
        gates.push(res);
      }),
  });
  // Releases loads one at a time as they arrive, until `n` have run. A reload first reads the
  // file's digest through fs/promises, so a load arrives after an unknown number of loop turns.
  const release = async (n: number) => {
    const until = Date.now() + 10_000;
    while ((r.stats().loads < n || gates.length > 0) && Date.now() < until) {
      await new Promise((res) => setTimeout(res, 1));
      gates.shift()?.();
    }
  };
  const opening = r.open();
  await release(1);
  const o = await opening;
  assert.ok(o.ok);
  o.session.start(() => {});
  const first = o.session.reload('a');
  const second = o.session.reload('b');
  const third = o.session.reload('c');
  await release(3);
  await Promise.all([first, second, third]);
  assert.equal(r.stats().maxInFlight, 1);
  assert.equal(r.stats().loads, 3, 'the open, one reload, and one more for the requests during it');
  assert.equal(r.calls.reloads.length, 2);
});

test('vrrp blocks are logged once as parsed but not applied', async () => {
  const r = rig(`${svc(80)}${VRRP}`);
  const s = await opened(r);
  const note = (l: { msg: string }) => /vrrp_\* blocks are parsed .* not applied/.test(l.msg);
  assert.equal(r.logs.filter(note).length, 1);
  r.files[PATH] = `${svc(80, 2)}${VRRP}`;
  assert.equal((await s.reload('x')).ok, true);
  assert.equal(r.logs.filter(note).length, 1, 'an unchanged VRRP section is not announced again');
});

test('a start refused by fatal findings returns them and builds nothing', async () => {
  const r = rig(svc(80));
  delete r.files[PATH];
  const o = await r.open();
  assert.equal(o.ok, false);
  assert.ok(!o.ok && o.findings.some((f) => f.code === 'ERR_CONFIG_FILE_NOT_FOUND'));
  assert.equal(r.calls.starts, 0);
});

test('blocking findings: keepalived starts past errors, ldirectord does not; reload refuses errors but a missing interface', () => {
  const diag = (
    sev: 'warning' | 'error' | 'fatal',
    code: 'ERR_CONFIG_BAD_VALUE' | 'ERR_CONFIG_NO_INTERFACE',
  ) => new ConfigDiagnostic(sev, code, 'x', PATH, 1);
  const base = checkConfig(PATH, memIo({ [PATH]: svc(80) }), { format: 'keepalived' });
  const with_ = (format: 'keepalived' | 'ldirectord', ...ds: ConfigDiagnostic[]): ConfigCheck => ({
    ...base,
    format,
    diagnostics: ds,
  });
  const err = diag('error', 'ERR_CONFIG_BAD_VALUE');
  const noIf = diag('error', 'ERR_CONFIG_NO_INTERFACE');
  const warn = diag('warning', 'ERR_CONFIG_BAD_VALUE');
  const fatal = diag('fatal', 'ERR_CONFIG_BAD_VALUE');
  assert.deepEqual(blockingFindings(with_('keepalived', err, warn), 'start'), []);
  assert.deepEqual(blockingFindings(with_('keepalived', fatal), 'start'), [fatal]);
  assert.deepEqual(blockingFindings(with_('ldirectord', err, warn), 'start'), [err]);
  assert.deepEqual(blockingFindings(with_('keepalived', err, noIf, warn), 'reload'), [err]);
  assert.deepEqual(blockingFindings(with_('ldirectord', noIf, warn), 'reload'), []);
});
