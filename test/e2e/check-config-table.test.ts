/**
 * `lvsd --check-config` and `lvsd --config` agree, as processes: a value the table refuses is a
 * finding with file:line and the code lvsd logs at start. ldirectord `scheduler=wlcc` (issue 20):
 * the check exits 2 naming ERR_LVS_NO_SCHEDULER at the virtual's line, and the start is refused
 * with the same line instead of "ready: no services configured". keepalived `persistence_engine
 * foo`: the check exits 5 naming ERR_LVS_NO_PE, and lvsd, which starts as keepalived does,
 * logs the table's refusal with that same code.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { spawnLvsd, tempDir, waitReady } from '../daemon/lvsd-process.js';
import { runBin, until } from './config-helpers.js';

test('ldirectord scheduler=wlcc: --check-config exits 2 with FILE:3 ERR_LVS_NO_SCHEDULER, and lvsd --config refuses to start with the same finding', async () => {
  const dir = tempDir();
  const file = join(dir, 'ldirectord.cf');
  writeFileSync(
    file,
    [
      'checktimeout=3',
      'quiescent=no',
      'virtual=192.0.2.10:80',
      '\treal=198.51.100.11:80 masq',
      '\tscheduler=wlcc',
      '',
    ].join('\n'),
  );
  const line = `${file}:3: error: virtual server TCP 192.0.2.10:80: scheduler not found: wlcc (the table would refuse it) (ERR_LVS_NO_SCHEDULER)`;
  const c = await runBin('lvsd', ['--check-config', file]);
  assert.equal(c.code, 2, c.stdout + c.stderr);
  assert.equal(c.stderr, `${line}\n`);
  assert.match(c.stdout, /ldirectord configuration not usable: 1 virtual services, 1 findings/);
  const d = spawnLvsd(['--dataplane', 'none', '--config', file], { dir });
  try {
    assert.equal(await d.exited, 1, d.stderr());
    assert.ok(d.stderr().includes(line), d.stderr());
    assert.ok(!d.stderr().includes('ready'), d.stderr());
  } finally {
    await d.stop();
  }
});

test('keepalived persistence_engine foo: --check-config exits 5 naming ERR_LVS_NO_PE at the virtual_server line, and lvsd logs that code at start', async () => {
  const dir = tempDir();
  const file = join(dir, 'keepalived.conf');
  writeFileSync(
    file,
    [
      'virtual_server 192.0.2.10 80 {',
      '  lb_algo rr',
      '  lb_kind NAT',
      '  protocol TCP',
      '  persistence_engine foo',
      '  real_server 198.51.100.11 80 {',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  const c = await runBin('lvsd', ['--check-config', file]);
  assert.equal(c.code, 5, c.stdout + c.stderr);
  assert.match(
    c.stderr,
    new RegExp(`^${file}:1: error: .*persistence engine not found: foo.*\\(ERR_LVS_NO_PE\\)$`, 'm'),
  );
  const d = spawnLvsd(['--dataplane', 'none', '--config', file], { dir });
  try {
    await waitReady(d);
    await until(async () => d.stderr().includes('"code":"ERR_LVS_NO_PE"'), 5000, 'the start log line');
    const codes = d
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('{') && l.includes('ERR_LVS_NO_PE'))
      .map((l) => (JSON.parse(l) as { msg: string }).msg);
    // The finding as --check-config printed it, then the table's refusal with the same code.
    assert.ok(
      codes.some((m) => m.startsWith(`${file}:1: error:`)),
      codes.join('\n'),
    );
    assert.ok(codes.includes('health command failed'), codes.join('\n'));
  } finally {
    await d.stop();
  }
});
