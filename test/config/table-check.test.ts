/**
 * `--check-config` reports what the service table or a checker would refuse (config/table-check.ts),
 * in both formats, at the offending line and with the code lvsd logs at start; and a fast-check
 * property: a configuration that checks with no error builds its table with no refusal, in every
 * health state (all up, all down, as at start).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type ConfigCheck, checkConfig } from '../../src/config/check-config.js';
import type { LvsModel } from '../../src/config/model.js';
import { buildCommands } from '../../src/config/to-commands.js';
import { apply } from '../../src/control/apply.js';
import { createDirectorPort } from '../../src/daemon/director-port.js';
import { FakeClock, FakeProber } from '../../src/health/fake-prober.js';
import { HealthRunner } from '../../src/health/runner.js';
import { memIo } from './mem-io.js';

const LD = '/etc/ha.d/ldirectord.cf';
const KA = '/etc/keepalived/keepalived.conf';

function check(path: string, text: string): ConfigCheck {
  return checkConfig(path, memIo({ [path]: text }), { interfaceExists: () => true });
}

function errors(c: ConfigCheck): string[] {
  return c.diagnostics
    .filter((d) => d.severity === 'error' || d.severity === 'fatal')
    .map((d) => `${d.line} ${d.code}`);
}

test('ldirectord scheduler=wlcc is a --check-config error at the virtual line, code ERR_LVS_NO_SCHEDULER, exit 2', () => {
  const c = check(
    LD,
    ['checktimeout=3', 'virtual=192.0.2.10:80', '\treal=198.51.100.11:80 masq', '\tscheduler=wlcc', ''].join(
      '\n',
    ),
  );
  assert.deepEqual(errors(c), ['2 ERR_LVS_NO_SCHEDULER']);
  assert.equal(c.exitCode, 2);
  assert.equal(c.diagnostics[0]?.file, LD);
});

test('ldirectord: a multicast real server, thresholds upside down, a multicast fallback and a bad receive pattern are each a finding at their line', () => {
  const c = check(
    LD,
    [
      'fallback=224.0.0.7:80 masq',
      'virtual=192.0.2.10:80',
      '\treal=224.0.0.5:80 masq',
      '\treal=198.51.100.12:80 masq 1 "/" "ok" l:100 u:10',
      '\treal=198.51.100.13:80 masq 1 "/" "(("',
      '\tservice=http',
      '\tchecktype=negotiate',
      '',
    ].join('\n'),
  );
  assert.deepEqual(errors(c).sort(), [
    '2 ERR_LVS_INVALID',
    '3 ERR_LVS_INVALID',
    '4 ERR_LVS_RANGE',
    '5 ERR_CONFIG_BAD_VALUE',
  ]);
  assert.equal(c.exitCode, 2);
});

test('keepalived: an unknown persistence engine, fwmark 0, thresholds upside down, a multicast real server, lvs_timeouts above the table limit and a bad regex are each an error finding (exit 5)', () => {
  const c = check(
    KA,
    [
      'global_defs {',
      '  lvs_timeouts tcp 2500000',
      '}',
      'virtual_server 192.0.2.10 80 {',
      '  lb_algo rr',
      '  lb_kind NAT',
      '  protocol TCP',
      '  persistence_engine foo',
      '  real_server 198.51.100.11 80 {',
      '    uthreshold 5',
      '    lthreshold 10',
      '  }',
      '  real_server 224.0.0.5 80 {',
      '  }',
      '  real_server 198.51.100.12 80 {',
      '    HTTP_GET {',
      '      url {',
      '        path /',
      '        regex "(("',
      '      }',
      '    }',
      '  }',
      '}',
      'virtual_server fwmark 0 {',
      '  lb_kind NAT',
      '  real_server 198.51.100.12 80 {',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  assert.deepEqual(errors(c).sort(), [
    '13 ERR_LVS_INVALID',
    '16 ERR_CONFIG_BAD_VALUE',
    '2 ERR_LVS_INVALID',
    '24 ERR_LVS_INVALID',
    '4 ERR_LVS_NO_PE',
    '9 ERR_LVS_RANGE',
  ]);
  assert.equal(c.exitCode, 5);
});

test('a checker whose pattern JavaScript refuses fails its checks with a coded log line instead of throwing out of a timer', async () => {
  const c = check(
    LD,
    [
      'virtual=192.0.2.10:80',
      '\treal=198.51.100.13:80 masq 1 "/" "(("',
      '\tservice=http',
      '\tchecktype=negotiate',
      '',
    ].join('\n'),
  );
  const clock = new FakeClock();
  const logs: string[] = [];
  const runner = new HealthRunner({
    model: c.model,
    apply: () => {},
    now: clock,
    log: (level, msg, f) => logs.push(`${level} ${String(f?.code)} ${msg}`),
    random: () => 0,
  });
  runner.start();
  await clock.advance(20_000);
  runner.stop();
  assert.ok(
    logs.some((l) => l.startsWith('error ERR_CONFIG_BAD_VALUE checker cannot run')),
    logs.join('\n'),
  );
});

/** Every table refusal of `model` when built at start (HealthRunner), all up and all down. */
async function loadErrors(model: LvsModel): Promise<string[]> {
  const out: string[] = [];
  const views = [() => true, () => false];
  for (const isAlive of views) {
    const port = createDirectorPort(8);
    for (const cmd of buildCommands(model, { isAlive })) {
      try {
        apply(port, cmd, 0);
      } catch (e) {
        out.push(`${cmd.op} ${(e as { code?: string }).code}`);
      }
    }
  }
  const port = createDirectorPort(8);
  const clock = new FakeClock();
  const prober = new FakeProber();
  const runner = new HealthRunner({
    model,
    apply: (cmd) => apply(port, cmd, clock.now()),
    now: clock,
    prober: prober.factory,
    log: (level, msg, f) => {
      if (level === 'error') out.push(`${msg} ${String(f?.code)}`);
    },
    random: () => 0,
  });
  runner.start();
  runner.stop();
  return out;
}

const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);
const SCHEDS = ['rr', 'wlc', 'mh', 'sh', 'wlcc', 'lc', 'foo'];
const ADDRS = ['198.51.100.1', '198.51.100.2', '224.0.0.9', '255.255.255.255', '0.0.0.0', '203.0.113.5'];
const PATTERNS = ['ok', '((', '[a-', 'Welcome.*'];

const ldReal = fc.record({
  addr: pick(ADDRS),
  port: pick([80, 8080]),
  method: pick(['masq', 'gate', 'ipip']),
  weight: pick([0, 1, 5]),
  extra: pick(['', ' "/" "ok"', ' "/" "(("', ' "/" "ok" l:5 u:10', ' "/" "ok" l:10 u:5']),
});
const ldConfig = fc
  .record({
    vip: pick(['192.0.2.10:80', '192.0.2.11:443', '5']),
    scheduler: pick(SCHEDS),
    reals: fc.array(ldReal, { minLength: 0, maxLength: 3 }),
    receive: pick(PATTERNS),
    fallback: fc.option(pick(ADDRS), { nil: undefined }),
    persistent: fc.option(pick([0, 300]), { nil: undefined }),
  })
  .map((v) =>
    [
      ...(v.fallback ? [`fallback=${v.fallback}:80 masq`] : []),
      `virtual=${v.vip}`,
      ...v.reals.map((r) => `\treal=${r.addr}:${r.port} ${r.method} ${r.weight}${r.extra}`),
      `\tscheduler=${v.scheduler}`,
      `\treceive="${v.receive}"`,
      '\tservice=http',
      '\tchecktype=negotiate',
      ...(v.vip === '5' ? ['\tprotocol=fwm'] : []),
      ...(v.persistent !== undefined ? [`\tpersistent=${v.persistent}`] : []),
      '',
    ].join('\n'),
  );

const kaReal = fc.record({
  addr: pick(ADDRS),
  weight: pick([0, 1, 3]),
  thresholds: pick(['', 'uthreshold 10\n lthreshold 5', 'uthreshold 5\n lthreshold 10']),
  regex: fc.option(pick(PATTERNS), { nil: undefined }),
});
const kaConfig = fc
  .record({
    timeout: fc.option(pick([60, 2147483, 2147484, 2678400]), { nil: undefined }),
    key: pick(['192.0.2.10 80', 'fwmark 0', 'fwmark 7', '2001:db8::10 80']),
    sched: pick(SCHEDS),
    pe: fc.option(pick(['sip', 'foo']), { nil: undefined }),
    kind: pick(['NAT', 'DR', 'TUN']),
    reals: fc.array(kaReal, { minLength: 0, maxLength: 3 }),
    sorry: fc.option(pick(ADDRS), { nil: undefined }),
  })
  .map((v) =>
    [
      ...(v.timeout !== undefined ? ['global_defs {', ` lvs_timeouts tcp ${v.timeout}`, '}'] : []),
      `virtual_server ${v.key} {`,
      ` lb_algo ${v.sched}`,
      ` lb_kind ${v.kind}`,
      ...(v.key.startsWith('fwmark') ? [] : [' protocol TCP']),
      ...(v.pe ? [` persistence_engine ${v.pe}`] : []),
      ...(v.sorry ? [` sorry_server ${v.sorry} 80`] : []),
      ...v.reals.flatMap((r) => [
        ` real_server ${r.addr} 80 {`,
        `  weight ${r.weight}`,
        ...(r.thresholds ? [` ${r.thresholds}`] : []),
        ...(r.regex !== undefined
          ? ['  HTTP_GET {', '   url {', '    path /', `    regex "${r.regex}"`, '   }', '  }']
          : []),
        ' }',
      ]),
      '}',
      '',
    ].join('\n'),
  );

test('property: an ldirectord.cf that --check-config accepts with no error builds its table at start, all up and all down, with no refusal', async () => {
  await fc.assert(
    fc.asyncProperty(ldConfig, async (text) => {
      const c = check(LD, text);
      if (errors(c).length > 0) return;
      assert.deepEqual(await loadErrors(c.model), [], text);
    }),
    { numRuns: 150 },
  );
});

test('property: a keepalived.conf that --check-config accepts with no error builds its table at start, all up and all down, with no refusal', async () => {
  await fc.assert(
    fc.asyncProperty(kaConfig, async (text) => {
      const c = check(KA, text);
      if (errors(c).length > 0) return;
      assert.deepEqual(await loadErrors(c.model), [], text);
    }),
    { numRuns: 150 },
  );
});

test('property: the generators reach both sides (some configurations check clean, some are refused with table codes)', () => {
  const samples = fc.sample(fc.oneof(ldConfig.map((t) => check(LD, t))), 300);
  const clean = samples.filter((c) => errors(c).length === 0).length;
  const refused = samples.filter((c) => c.diagnostics.some((d) => d.code.startsWith('ERR_LVS_'))).length;
  assert.ok(clean > 10 && refused > 10, `clean ${clean}, refused ${refused}`);
});

test('keepalived lvs_sync_daemon on an interface the host lacks is an error at its line with the sync service code ERR_LVS_NO_DEVICE', () => {
  const text = ['global_defs {', '  lvs_sync_daemon nosuch0', '}', ''].join('\n');
  const c = checkConfig(KA, memIo({ [KA]: text }), { interfaceExists: (n) => n !== 'nosuch0' });
  assert.deepEqual(errors(c), ['2 ERR_LVS_NO_DEVICE']);
  const ok = checkConfig(KA, memIo({ [KA]: text.replace('nosuch0', 'eth0') }), {
    interfaceExists: () => true,
  });
  assert.deepEqual(errors(ok), []);
});
