/**
 * A reload reads and parses its configuration in a worker thread (load-config-off-loop.ts): a
 * SIGHUP with a large keepalived.conf must not stall forwarding (issue: config includes were read
 * and parsed on the daemon's thread). The loop's longest hold is measured (test/helpers/
 * loop-gap.ts: CPU time of this thread between two turns, asserted; wall time and
 * monitorEventLoopDelay's max logged) while the same file loads on this thread and off it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import type { ConfigCheck } from '../../src/config/check-config.js';
import { loadConfig } from '../../src/daemon/config-loader.js';
import { loadConfigOffLoop } from '../../src/daemon/load-config-off-loop.js';
import { ConfigSession } from '../../src/daemon/reload.js';
import { type LoopGap, loopGap } from '../helpers/loop-gap.js';

/** What a check says, without object identities: the model and each finding's fields. */
const plain = (c: ConfigCheck) => ({
  format: c.format,
  exitCode: c.exitCode,
  model: c.model,
  findings: c.diagnostics.map((d) => [d.severity, d.code, d.text, d.file, d.line]),
});

const gapText = (g: LoopGap) =>
  `longest hold ${g.cpuMs.toFixed(0)} ms CPU, ${g.wallMs.toFixed(0)} ms wall (ELD max ${g.eldMs.toFixed(0)} ms)`;

let dir: string;
let big: string;
const FILES = 50;
const PER_FILE = 40;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lvs-reload-off-loop-'));
  for (let f = 0; f < FILES; f++) {
    let s = '';
    for (let i = 0; i < PER_FILE; i++) {
      const n = f * PER_FILE + i;
      s += `virtual_server 192.0.2.${1 + (n % 250)} ${1000 + n} {\n  delay_loop 10\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n`;
      for (let r = 0; r < 4; r++)
        s += `  real_server 198.51.100.${1 + r} ${8000 + n} {\n    weight 1\n    TCP_CHECK {\n      connect_timeout 3\n    }\n  }\n`;
      s += '}\n';
    }
    writeFileSync(join(dir, `svc${f}.conf`), s);
  }
  big = join(dir, 'keepalived.conf');
  writeFileSync(big, `global_defs {\n  router_id big\n}\ninclude ${dir}/svc*.conf\n`);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('a reload of 2,000 services over 50 includes keeps the event loop turning', async () => {
  let inline: ConfigCheck | undefined;
  let off: ConfigCheck | undefined;
  const on = await loopGap(async () => {
    inline = await loadConfig(big);
  });
  const offLoop = await loopGap(async () => {
    off = await loadConfigOffLoop(big);
  });
  console.log(`2,000 services, 50 includes: on the loop ${gapText(on)}; in a worker ${gapText(offLoop)}`);
  assert.ok(inline && off);
  assert.equal(off.model.services.length, 2000);
  assert.deepEqual(plain(off), plain(inline), 'the worker reads what the daemon thread reads');
  // The same file on this thread stalls the loop for its whole parse (about a second here).
  assert.ok(on.cpuMs > 200, `loading on the loop held it only ${on.cpuMs} ms`);
  assert.ok(offLoop.cpuMs < 100, `a reload in a worker held the loop ${offLoop.cpuMs} ms`);
});

test('a ConfigSession reload of the large file keeps the loop turning and applies it', async () => {
  const small = join(dir, 'small.conf');
  writeFileSync(small, `include ${dir}/svc0.conf\n`);
  const main = join(dir, 'session.conf');
  writeFileSync(main, `include ${small}\n`);
  let reloaded = 0;
  const opened = await ConfigSession.open({
    path: main,
    log: pino({ level: 'silent' }),
    engine: () => ({
      start() {},
      reload() {
        reloaded++;
      },
      stop() {},
      healthView: () => undefined,
      availabilityView: () => undefined,
    }),
  });
  assert.ok(opened.ok);
  const s = opened.session;
  s.start(() => {});
  assert.equal(s.current.services.length, PER_FILE);
  writeFileSync(main, `include ${dir}/svc*.conf\n`);
  let outcome: Awaited<ReturnType<ConfigSession['reload']>> | undefined;
  const g = await loopGap(async () => {
    outcome = await s.reload('test');
  });
  console.log(`ConfigSession.reload of 2,000 services: ${gapText(g)}`);
  assert.deepEqual(outcome, { ok: true, commands: 0, services: 2000 });
  assert.equal(reloaded, 1);
  assert.equal(s.current.services.length, 2000);
  assert.ok(g.cpuMs < 100, `the reload held the loop ${g.cpuMs} ms`);
  await s.close();
});

test('off the loop, FIFO, device, self and mutual includes are bounded as on it', async () => {
  const fifo = join(dir, 'fifo.conf');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const self = join(dir, 'self.conf');
  writeFileSync(self, `include ${self}\ninclude ${self}\n`);
  const a = join(dir, 'mutual-a.conf');
  const b = join(dir, 'mutual-b.conf');
  writeFileSync(a, `include ${b}\ninclude ${b}\nvirtual_server 192.0.2.1 80 {\n  protocol TCP\n}\n`);
  writeFileSync(b, `include ${a}\ninclude ${a}\n`);
  const hostile = join(dir, 'hostile.conf');
  writeFileSync(hostile, `include /dev/zero\ninclude ${fifo}\ninclude ${self}\ninclude ${a}\n`);
  const t0 = performance.now();
  const off = await loadConfigOffLoop(hostile);
  const ms = performance.now() - t0;
  const inline = await loadConfig(hostile);
  assert.ok(ms < 10_000, `the hostile includes took ${ms} ms`);
  assert.deepEqual(plain(off), plain(inline));
  assert.ok(off.diagnostics.some((d) => d.code === 'ERR_CONFIG_INCLUDE_LIMIT'));
});

test('a worker past its time limit is refused with ERR_CONFIG_LOAD_TIMEOUT', async () => {
  const c = await loadConfigOffLoop(big, {}, 1);
  assert.equal(c.exitCode, 4);
  assert.deepEqual(
    c.diagnostics.map((d) => [d.severity, d.code]),
    [['fatal', 'ERR_CONFIG_LOAD_TIMEOUT']],
  );
  assert.equal(c.model.services.length, 0);
});
