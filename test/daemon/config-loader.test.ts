import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { NO_HEALTH_CODE, type Response } from '../../src/control/protocol.js';
import { globFiles, interfaceExists, loadConfig } from '../../src/daemon/config-loader.js';
import { type ControlDeps, handleRequest } from '../../src/daemon/control-handler.js';
import { parseLvsdArgs } from '../../src/daemon/options.js';
import { testTable } from '../helpers/table.js';
import { tempDir } from './lvsd-process.js';

let dir: string;
before(() => {
  dir = tempDir();
  mkdirSync(join(dir, 'conf.d', 'sub'), { recursive: true });
  const vs = (port: number) =>
    `virtual_server 127.0.0.1 ${port} {\n  lvs_sched rr\n  lvs_method NAT\n  protocol TCP\n  real_server 127.0.0.1 ${port + 1} {\n  }\n}\n`;
  writeFileSync(join(dir, 'conf.d', 'a.conf'), vs(1000));
  writeFileSync(join(dir, 'conf.d', 'b.conf'), vs(2000));
  writeFileSync(join(dir, 'conf.d', 'c.txt'), vs(3000));
  writeFileSync(join(dir, 'conf.d', 'sub', 'd.conf'), vs(4000));
  writeFileSync(join(dir, 'main.conf'), 'include conf.d/*.conf\ninclude conf.d/{sub/d,nothere}.conf\n');
  writeFileSync(join(dir, 'ld.cf'), 'virtual=localhost:80\n\treal=localhost:8080 masq\n\tservice=http\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('globFiles matches wildcards per path component and expands braces, sorted, files only', () => {
  assert.deepEqual(globFiles(join(dir, 'conf.d/*.conf')), [
    join(dir, 'conf.d/a.conf'),
    join(dir, 'conf.d/b.conf'),
  ]);
  assert.deepEqual(globFiles(join(dir, 'conf.d/{a,c}.*')), [
    join(dir, 'conf.d/a.conf'),
    join(dir, 'conf.d/c.txt'),
  ]);
  assert.deepEqual(globFiles(join(dir, '*/sub/?.conf')), [join(dir, 'conf.d/sub/d.conf')]);
  assert.deepEqual(globFiles(join(dir, 'conf.d/*')).length, 3, 'the sub directory is not a match');
  assert.deepEqual(globFiles(join(dir, 'none/*.conf')), []);
});

test('loadConfig reads includes with globs and braces relative to the including file', async () => {
  const c = await loadConfig(join(dir, 'main.conf'));
  assert.equal(c.format, 'keepalived');
  assert.equal(c.exitCode, 0, c.diagnostics.map((d) => d.message).join('\n'));
  assert.deepEqual(
    c.model.services.map((s) => s.id),
    ['TCP 127.0.0.1:1000', 'TCP 127.0.0.1:2000', 'TCP 127.0.0.1:4000'],
  );
});

test('loadConfig resolves ldirectord host names before parsing', async () => {
  const c = await loadConfig(join(dir, 'ld.cf'));
  assert.equal(c.format, 'ldirectord');
  assert.equal(c.exitCode, 0, c.diagnostics.map((d) => d.message).join('\n'));
  assert.equal(
    c.model.services[0]?.keys[0]?.kind === 'addr' && c.model.services[0].keys[0].addr,
    '127.0.0.1',
  );
  assert.equal(c.model.services[0]?.reals[0]?.dest.addr, '127.0.0.1');
});

test('interfaceExists sees the loopback interface and not a made-up one', () => {
  assert.equal(interfaceExists('lo'), true);
  assert.equal(interfaceExists('lvsts-none0'), false);
});

test('lvsd options: --config with format and id, --check-config, and their misuse', () => {
  const se = { uid: 1000, env: {} };
  const run = parseLvsdArgs(
    ['--config', 'k.conf', '--config-format', 'keepalived', '--config-id', 'high'],
    se,
  );
  assert.equal(run.kind, 'run');
  assert.ok(run.kind === 'run');
  assert.equal(run.options.config, 'k.conf');
  assert.equal(run.options.configFormat, 'keepalived');
  assert.equal(run.options.configId, 'high');
  assert.equal(run.options.demo, false);
  assert.deepEqual(parseLvsdArgs(['--check-config', 'x.cf', '--config-format', 'ldirectord'], se), {
    kind: 'check',
    file: 'x.cf',
    format: 'ldirectord',
  });
  for (const bad of [
    ['--config', 'k', '--config-format', 'nginx'],
    ['--config', 'k', '--demo'],
    ['--config', 'k', '--restore', 'r'],
    ['--config-id', 'x'],
    ['--config', ''],
  ]) {
    const r = parseLvsdArgs(bad, se);
    assert.equal(r.kind, 'error', bad.join(' '));
    assert.ok(r.kind === 'error' && r.exitCode === 2);
  }
});

function deps(health?: () => unknown): ControlDeps {
  return {
    target: { table: testTable(), setTimeouts() {}, setSysctl() {}, zeroGlobal() {} },
    connTabSize: 4096,
    timeouts: () => ({ tcp: 900, tcpfin: 120, udp: 300 }),
    daemons: () => [],
    conns: () => [],
    status: () => {
      throw new Error('unused');
    },
    now: () => 1000,
    ...(health
      ? { health: health as ControlDeps['health'], availability: () => ({ now: 1, services: [] }) }
      : {}),
  };
}

const ask = (d: ControlDeps, q: string): Response =>
  handleRequest(d, JSON.stringify({ v: 1, id: 7, query: { q } }));

test('health queries answer from the health provider, or with a coded error without one', () => {
  const none = ask(deps(), 'health');
  assert.ok(!none.ok && none.error.code === NO_HEALTH_CODE);
  const none2 = ask(
    deps(() => undefined),
    'availability',
  );
  assert.equal(none2.ok, true, 'availability has its own provider');
  const view = { now: 5, services: [{ id: 'TCP 1.2.3.4:80' }] };
  const h = ask(
    deps(() => view),
    'health',
  );
  assert.ok(h.ok && 'result' in h && h.result.q === 'health');
  assert.deepEqual(h.ok && 'result' in h && h.result.q === 'health' && h.result.health, view);
  const stopped = ask(
    deps(() => undefined),
    'health',
  );
  assert.ok(!stopped.ok && stopped.error.code === NO_HEALTH_CODE, 'a provider with nothing to show');
});
