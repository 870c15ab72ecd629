import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { VipStatus } from '../../src/control/protocol.js';
import type { ServiceKey } from '../../src/core/types.js';
import { BgpAnnouncer } from '../../src/daemon/bgp/bgp-announcer.js';
import { FakeBirdPort } from '../../src/io/bird/fake-bird-port.js';

const KEY: ServiceKey = { kind: 'addr', af: 4, protocol: 6, addr: '192.0.2.10', port: 80 };
const KEY6: ServiceKey = { kind: 'addr', af: 6, protocol: 6, addr: '2001:db8::10', port: 80 };

async function until(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Rig {
  bird: FakeBirdPort;
  a: BgpAnnouncer;
  logs: { level: string; msg: string; fields?: Record<string, unknown> }[];
  serving: Map<string, boolean>;
}

const live: BgpAnnouncer[] = [];
afterEach(async () => {
  for (const a of live.splice(0)) await a.stop();
});

function rig(keys: ServiceKey[] = [KEY, KEY6]): Rig {
  const bird = new FakeBirdPort();
  const serving = new Map<string, boolean>();
  const logs: Rig['logs'] = [];
  const a = new BgpAnnouncer(
    {
      include: '/fake/lvs-vips.conf',
      socket: '/fake/bird.ctl',
      protocol: 'lvs_vips',
      evaluateMs: 10,
      debounceMs: 20,
      minIntervalMs: 40,
      retryMs: 40,
      pollMs: 30,
      stopTimeoutMs: 500,
    },
    {
      bird,
      log: (level, msg, fields) => logs.push({ level, msg, ...(fields ? { fields } : {}) }),
      input: () => ({
        services: keys,
        status: keys.map((k): VipStatus => {
          const service =
            k.kind === 'addr' && k.af === 6 ? `TCP [${k.addr}]:80` : `TCP ${(k as { addr: string }).addr}:80`;
          return serving.get(service)
            ? { service, serving: true }
            : { service, serving: false, reason: 'no real server' };
        }),
        quorum: new Map(),
      }),
    },
  );
  live.push(a);
  return { bird, a, logs, serving };
}

describe('BGP announcer against a fake BIRD', () => {
  it('writes an empty include at start, then announces a VIP once it is served', async () => {
    const r = rig();
    r.a.start();
    await until('the first reload', () => r.bird.commands.includes('configure'));
    assert.deepEqual(r.bird.loaded, []);
    r.serving.set('TCP 192.0.2.10:80', true);
    await until('the VIP in BIRD', () => r.bird.loaded.includes('192.0.2.10/32'));
    assert.deepEqual(r.bird.loaded, ['192.0.2.10/32']);
    assert.deepEqual(r.a.view().announced, ['192.0.2.10/32']);
    r.serving.set('TCP [2001:db8::10]:80', true);
    await until('the IPv6 VIP', () => r.bird.loaded.length === 2);
    assert.match(
      r.bird.include ?? '',
      /protocol static lvs_vips6 \{\n {2}ipv6;\n {2}route 2001:db8::10\/128 blackhole;/,
    );
  });

  it('withdraws a VIP when its service stops being served', async () => {
    const r = rig();
    r.serving.set('TCP 192.0.2.10:80', true);
    r.a.start();
    await until('announced', () => r.bird.loaded.includes('192.0.2.10/32'));
    r.serving.set('TCP 192.0.2.10:80', false);
    await until('withdrawn', () => r.bird.loaded.length === 0);
    const v = r.a.view().vips.find((x) => x.prefix === '192.0.2.10/32');
    assert.equal(v?.announce, false);
    assert.match(v?.reason ?? '', /no real server/);
  });

  it('gathers a burst of changes into few reloads', async () => {
    const r = rig();
    r.a.start();
    await until('the first reload', () => r.bird.commands.includes('configure'));
    const before = r.bird.commands.filter((c) => c === 'configure').length;
    for (let i = 0; i < 20; i++) {
      r.serving.set('TCP 192.0.2.10:80', i % 2 === 0);
      r.a.evaluate();
      await new Promise((res) => setTimeout(res, 2));
    }
    r.serving.set('TCP 192.0.2.10:80', true);
    await until('settled', () => r.bird.loaded.includes('192.0.2.10/32') && !r.a.view().pending);
    const reloads = r.bird.commands.filter((c) => c === 'configure').length - before;
    assert.ok(reloads <= 3, `20 changes in ~60 ms caused ${reloads} reloads`);
  });

  it('drains one VIP or all, and undrains them', async () => {
    const r = rig();
    r.serving.set('TCP 192.0.2.10:80', true);
    r.serving.set('TCP [2001:db8::10]:80', true);
    r.a.start();
    await until('both announced', () => r.bird.loaded.length === 2);
    r.a.drain('192.0.2.10', true);
    await until('one drained', () => r.bird.loaded.join() === '2001:db8::10/128');
    r.a.drain(undefined, true);
    await until('all drained', () => r.bird.loaded.length === 0);
    assert.equal(r.a.view().drainedAll, true);
    r.a.drain(undefined, false);
    await until('all back', () => r.bird.loaded.length === 2);
    assert.deepEqual(r.a.view().drained, []);
  });

  it('logs an unreachable BIRD once with its code, retries, and catches up when BIRD is back', async () => {
    const r = rig();
    r.bird.down = true;
    r.serving.set('TCP 192.0.2.10:80', true);
    r.a.start();
    await until('a few retries', () => r.bird.commands.filter((c) => c === 'configure').length >= 3);
    const errors = r.logs.filter((l) => l.level === 'error');
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.equal(errors[0]?.fields?.code, 'ERR_LVS_BIRD_UNREACHABLE');
    assert.equal(r.a.view().error?.code, 'ERR_LVS_BIRD_UNREACHABLE');
    assert.equal(r.a.view().pending, true);
    r.bird.down = false;
    await until('announced after recovery', () => r.bird.loaded.includes('192.0.2.10/32'));
    await until('error cleared', () => r.a.view().error === undefined);
    assert.ok(r.logs.some((l) => l.msg === 'bgp: BIRD reachable again'));
  });

  it("reports a refused reload with BIRD's message and code", async () => {
    const r = rig();
    r.bird.refuse = '/etc/bird/lvs-vips.conf:3:9 syntax error';
    r.serving.set('TCP 192.0.2.10:80', true);
    r.a.start();
    await until('the error', () => r.a.view().error !== undefined);
    assert.equal(r.a.view().error?.code, 'ERR_LVS_BIRD_CONFIGURE');
    assert.match(r.a.view().error?.message ?? '', /lvs-vips\.conf:3:9 syntax error/);
    r.bird.refuse = undefined;
    await until('accepted', () => r.bird.loaded.includes('192.0.2.10/32'));
  });

  it('after a refused reload, what BIRD announced stays (BIRD keeps its running configuration)', async () => {
    const r = rig();
    r.serving.set('TCP 192.0.2.10:80', true);
    r.a.start();
    await until('announced', () => r.bird.loaded.length === 1);
    r.bird.refuse = '/etc/bird/bird.conf:3:26 Symbol already defined';
    r.a.drain(undefined, true);
    await until('the refusal', () => r.a.view().error?.code === 'ERR_LVS_BIRD_CONFIGURE');
    assert.deepEqual(r.a.view().announced, ['192.0.2.10/32']);
    assert.equal(r.a.view().pending, true);
    r.bird.refuse = undefined;
    await until('withdrawn', () => r.a.view().announced.length === 0 && r.bird.loaded.length === 0);
  });

  it('reads BIRD sessions for the view, keeping BGP rows and its own protocols', async () => {
    const r = rig();
    r.bird.rows = [
      { name: 'device1', proto: 'Device', table: '---', state: 'up', since: '10:00:00', info: '' },
      { name: 'lvs_vips', proto: 'Static', table: 'master4', state: 'up', since: '10:00:00', info: '' },
      { name: 'router1', proto: 'BGP', table: '---', state: 'up', since: '10:00:01', info: 'Established' },
    ];
    r.a.start();
    await until('rows', () => r.a.view().bird.length > 0);
    assert.deepEqual(
      r.a.view().bird.map((x) => x.name),
      ['lvs_vips', 'router1'],
    );
  });

  it('withdraws everything at stop', async () => {
    const r = rig();
    r.serving.set('TCP 192.0.2.10:80', true);
    r.a.start();
    await until('announced', () => r.bird.loaded.length === 1);
    await r.a.stop();
    assert.deepEqual(r.bird.loaded, []);
    assert.doesNotMatch(r.bird.include ?? '', /^\s*route /m);
    const n = r.bird.commands.length;
    await new Promise((res) => setTimeout(res, 80));
    assert.equal(r.bird.commands.length, n, 'no command after stop');
  });
});
