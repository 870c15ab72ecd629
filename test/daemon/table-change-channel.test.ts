import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { tableChangeChannel } from '../../src/control/channels.js';
import type { Command } from '../../src/control/commands.js';
import { startDaemon } from '../../src/daemon/daemon.js';
import { connectClient } from '../../src/programs/lvsadm/client.js';
import { record } from '../helpers/channels.js';
import { svcConfig, tcp } from '../helpers/table.js';

const VIP = tcp('10.0.0.1', 80);
const addSvc: Command = { op: 'add-service', service: VIP, config: svcConfig({ scheduler: 'rr' }) };

async function daemonWithLog() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  const socket = join(mkdtempSync(join(tmpdir(), 'lvs-chan-')), 'lvsd.sock');
  const d = await startDaemon({ socket, connTabBits: 8, tickMs: 1000, logger });
  return { d, lines };
}

test('a service added over the control socket is published on lvs:table:change', async () => {
  const rec = record(tableChangeChannel);
  const { d, lines } = await daemonWithLog();
  try {
    const c = await connectClient(d.socket);
    const r = await c.request({ command: addSvc });
    c.close();
    assert.equal(r.ok, true);
    assert.equal(rec.got.length, 1);
    const m = rec.got[0]!;
    assert.equal(m.origin, 'socket');
    assert.equal(m.source, d.director);
    assert.deepEqual(m.cmd, addSvc);
    assert.deepEqual(m.changes, [{ kind: 'service-added', service: VIP }]);
    assert.equal(typeof m.at, 'number');
    // The daemon's logger, subscribed, writes the line, the service in keepalived's notation.
    const applied = lines.filter((l) => l.msg === 'applied');
    assert.equal(applied.length, 1);
    assert.equal(applied[0]!.level, 30);
    assert.equal(applied[0]!.op, 'add-service');
    assert.equal(applied[0]!.service, '[10.0.0.1]:tcp:80');
  } finally {
    rec.stop();
    await d.close();
  }
});

test('a command the table refuses is not published as a change', async () => {
  const rec = record(tableChangeChannel);
  const { d } = await daemonWithLog();
  try {
    const c = await connectClient(d.socket);
    await c.request({ command: addSvc });
    const r = await c.request({ command: addSvc });
    c.close();
    assert.equal(r.ok, false);
    assert.equal(rec.got.length, 1);
  } finally {
    rec.stop();
    await d.close();
  }
});

test("a command lvsd applies itself (health, reload) is published with origin 'daemon'", async () => {
  const rec = record(tableChangeChannel);
  const { d, lines } = await daemonWithLog();
  try {
    d.apply(addSvc);
    assert.deepEqual(
      rec.got.map((m) => [m.origin, m.cmd.op]),
      [['daemon', 'add-service']],
    );
    assert.ok(lines.some((l) => l.msg === 'applied' && l.op === 'add-service'));
  } finally {
    rec.stop();
    await d.close();
  }
});

test('a closed daemon stops logging what the channels publish', async () => {
  const { d, lines } = await daemonWithLog();
  await d.close();
  tableChangeChannel.publish({
    source: d.director,
    origin: 'daemon',
    cmd: { op: 'clear' },
    changes: [],
    at: 0,
  });
  assert.equal(lines.filter((l) => l.msg === 'applied').length, 0);
  assert.equal(tableChangeChannel.hasSubscribers, false);
});
