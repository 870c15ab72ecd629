/**
 * `lvsd --config keepalived.conf` end to end: real lvsd and lvsadm processes, HTTP real servers
 * on loopback, the proxy data plane on a 127.0.0.1 VIP. Checks the table the file builds, health
 * checks removing and restoring servers within keepalived's bound, inhibit_on_failure, the sorry
 * server, failover without a failed request, and SIGHUP reloads (good and broken).
 */
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { LvsdProc } from '../daemon/lvsd-process.js';
import { freePort } from '../proxy/helpers.js';
import {
  type ConfigLab,
  destWeight,
  get,
  lvsadm,
  type RealHttp,
  startConfigLab,
  tableShape,
  until,
} from './config-helpers.js';

const FIXTURE = 'test/fixtures/keepalived/e2e-web.conf';
// Fixture timing: delay_loop 0.5 s, retry 1, delay_before_retry 0.5 s, connect_timeout 0.5 s.
// keepalived declares a server down within delay_loop × (retry+1) + (retry+1) × connect_timeout.
const DOWN_BOUND_MS = 500 * 2 + 2 * 500;
// Scheduling slack for a loaded test machine (process start-up, polling every 100 ms).
const SLACK_MS = 1500;

let lab: ConfigLab;
let conf: string;
let d: LvsdProc;
let A: RealHttp;
let B: RealHttp;
let S: RealHttp;
let vport: number;

const list = () => lab.list();

before(async () => {
  lab = await startConfigLab({
    confName: 'keepalived.conf',
    servers: ['A', 'B', 'sorry'],
    args: ['--log-level', 'info'],
    write: ({ dir, conf, vport, servers: [a, b, s] }) => {
      writeFileSync(
        join(dir, 'ports.conf'),
        `$VPORT=${vport}\n$RS_A=${a?.port}\n$RS_B=${b?.port}\n$SORRY=${s?.port}\n`,
      );
      copyFileSync(FIXTURE, conf);
    },
  });
  ({ conf, d, vport } = lab);
  [A, B, S] = lab.servers as [RealHttp, RealHttp, RealHttp];
  // Both servers pass their first check before the tests start.
  await until(
    async () => /http ok.*\n.*tcp ok/.test((await lvsadm(d.socket, '--health')).stdout),
    10_000,
    'first checks',
  );
});

after(() => lab?.stop());

test('the file builds the table: service, both real servers at their weights, no sorry server', async () => {
  const out = await list();
  assert.match(out, new RegExp(`TCP  127\\.0\\.0\\.1:${vport} rr`));
  assert.equal(destWeight(out, A.port), 1);
  assert.equal(destWeight(out, B.port), 2);
  assert.equal(destWeight(out, S.port), undefined);
  assert.ok(['A', 'B'].includes(await get(vport)));
});

test('lvsadm --health and --availability show every real server from the daemon', async () => {
  const h = await lvsadm(d.socket, '--health');
  assert.equal(h.code, 0, h.stderr);
  assert.match(h.stdout, new RegExp(`TCP 127\\.0\\.0\\.1:${vport}  quorum up`));
  assert.match(h.stdout, new RegExp(`-> 127\\.0\\.0\\.1:${A.port}  UP .* http ok`));
  assert.match(h.stdout, new RegExp(`-> 127\\.0\\.0\\.1:${B.port}  UP .* tcp ok`));
  const av = await lvsadm(d.socket, '--availability');
  assert.equal(av.code, 0, av.stderr);
  assert.match(av.stdout, /^Subject\s+State\s+Uptime%\s+Failures\s+MTBF\s+MTTR\s+A$/m);
  assert.match(av.stdout, new RegExp(`^  127\\.0\\.0\\.1:${A.port}\\s+UP\\s+100\\.000\\s+0`, 'm'));
});

test('a dead real server is removed within delay_loop × (retry+1) + timeouts and returns when healthy', async () => {
  await A.kill();
  const took = await until(async () => destWeight(await list(), A.port) === undefined, 10_000, 'A removed');
  assert.ok(took <= DOWN_BOUND_MS + SLACK_MS, `removed after ${took} ms`);
  assert.match((await lvsadm(d.socket, '--health')).stdout, new RegExp(`${A.port}  DOWN .*http FAIL`));
  await A.restore();
  await until(async () => destWeight(await list(), A.port) === 1, 5000, 'A back');
  const av = (await lvsadm(d.socket, '--availability')).stdout;
  assert.match(av, new RegExp(`^  127\\.0\\.0\\.1:${A.port}\\s+UP\\s+\\d+\\.\\d+\\s+1\\s`, 'm'));
});

test('inhibit_on_failure keeps a dead server at weight 0, then restores its weight', async () => {
  await B.kill();
  const took = await until(async () => destWeight(await list(), B.port) === 0, 10_000, 'B at weight 0');
  assert.ok(took <= DOWN_BOUND_MS + SLACK_MS, `weight 0 after ${took} ms`);
  await B.restore();
  await until(async () => destWeight(await list(), B.port) === 2, 5000, 'B weight 2');
});

test('requests through the VIP never fail while one of two real servers dies', async () => {
  const seen: string[] = [];
  for (let i = 0; i < 40; i++) {
    if (i === 10) await A.kill();
    seen.push(await get(vport));
  }
  assert.ok(seen.slice(0, 10).includes('A'), 'A served before it died');
  assert.deepEqual(new Set(seen.slice(10)), new Set(['B']));
  await A.restore();
  await until(async () => destWeight(await list(), A.port) === 1, 8000, 'A back');
});

test('with every real server down the sorry server serves, and the real ones return after', async () => {
  await Promise.all([A.kill(), B.kill()]);
  await until(async () => (await get(vport).catch(() => '')) === 'sorry', 10_000, 'sorry server serving');
  const out = await list();
  assert.equal(destWeight(out, S.port), 1);
  assert.equal(destWeight(out, A.port), undefined);
  assert.equal(destWeight(out, B.port), 0, 'inhibited B stays at weight 0');
  await Promise.all([A.restore(), B.restore()]);
  await until(async () => ['A', 'B'].includes(await get(vport).catch(() => '')), 8000, 'real servers back');
  await until(
    async () => {
      const l = await list();
      return (
        destWeight(l, S.port) === undefined && destWeight(l, A.port) === 1 && destWeight(l, B.port) === 2
      );
    },
    8000,
    'sorry server removed',
  );
});

/** Opens a keep-alive HTTP/1.1 connection through the VIP and returns a request function on it. */
async function held(port: number): Promise<{ ask(): Promise<string>; sock: net.Socket }> {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise<void>((r, j) => sock.once('connect', r).once('error', j));
  const ask = () =>
    new Promise<string>((resolve, reject) => {
      let got = '';
      const on = (c: Buffer) => {
        got += c.toString();
        const m = /content-length: (\d+)\r\n[\s\S]*?\r\n\r\n/i.exec(got);
        if (m && got.length >= got.indexOf('\r\n\r\n') + 4 + Number(m[1])) {
          sock.off('data', on);
          resolve(got.slice(got.indexOf('\r\n\r\n') + 4));
        }
      };
      sock.on('data', on);
      sock.once('error', reject);
      sock.write('GET / HTTP/1.1\r\nHost: vip\r\nConnection: keep-alive\r\n\r\n');
    });
  return { ask, sock };
}

test('a SIGHUP reload applies the edit and keeps an open connection open', async () => {
  const c = await held(vport);
  try {
    const first = await c.ask();
    const text = readFileSync(conf, 'utf8');
    const vport2 = await freePort();
    writeFileSync(
      conf,
      `${text.replace(/weight 1\n/, 'weight 3\n')}
virtual_server 127.0.0.1 ${vport2} {
    lvs_sched wlc
    lvs_method NAT
    protocol TCP
    real_server 127.0.0.1 $RS_B {
    }
}
`,
    );
    d.proc.kill('SIGHUP');
    await until(async () => destWeight(await list(), A.port) === 3, 5000, 'reloaded weight');
    assert.match(await list(), new RegExp(`TCP  127\\.0\\.0\\.1:${vport2} wlc`));
    assert.equal(await get(vport2), 'B');
    assert.equal(await c.ask(), first, 'the connection opened before the reload still works');
    assert.ok(!c.sock.destroyed);
  } finally {
    c.sock.destroy();
  }
});

test('a reload of a broken file keeps the old configuration and table', async () => {
  const before = tableShape(await list());
  const good = readFileSync(conf, 'utf8');
  // Drop the last closing brace and change a weight: neither must reach the table.
  writeFileSync(conf, good.replace(/weight 3\n/, 'weight 9\n').replace(/}\s*$/, '\n'));
  const logged = d.stderr().length;
  d.proc.kill('SIGHUP');
  await until(async () => d.stderr().slice(logged).includes('reload refused'), 5000, 'refusal logged');
  const log = d.stderr().slice(logged);
  assert.match(log, /keepalived\.conf:\d+: error: .*missing '\}'/);
  assert.equal(tableShape(await list()), before);
  assert.ok(['A', 'B'].includes(await get(vport)));
  // Fixing the file and reloading again works.
  writeFileSync(conf, good.replace(/weight 3\n/, 'weight 4\n'));
  d.proc.kill('SIGHUP');
  await until(async () => destWeight(await list(), A.port) === 4, 5000, 'fixed file applied');
});
