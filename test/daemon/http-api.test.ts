/**
 * lvsd's HTTP API on an in-process daemon: writes reach the same table lvsadm's socket reads,
 * errno semantics become HTTP statuses, drain/undrain remembers weights, bad bodies change
 * nothing, and the event stream carries table changes from both the API and the socket.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { healthTransitionChannel, vrrpTransitionChannel } from '../../src/control/channels.js';
import { ipBytes } from '../../src/core/addr.js';
import { PacketInfo } from '../../src/core/director.js';
import { connectClient } from '../../src/programs/lvsadm/client.js';
import { healthView } from './http-fixtures.js';
import { type Rig, startRig, TOKEN } from './http-rig.js';

const SVC = 'tcp:192.0.2.10:80';
const DEST = '198.51.100.1:80';

async function listing(rig: Rig): Promise<unknown> {
  const c = await connectClient(rig.daemon.socket);
  try {
    const r = await c.request({ query: { q: 'list' } });
    assert.equal(r.ok, true);
    return (r as { result: unknown }).result;
  } finally {
    c.close();
  }
}

async function addBasics(rig: Rig): Promise<void> {
  assert.equal((await rig.req('POST', '/api/services', { token: true, body: { service: SVC } })).status, 201);
  const d = await rig.req('POST', `/api/services/${SVC}/dests`, {
    token: true,
    body: { addr: '198.51.100.1', port: 80, fwd: 'masq', weight: 5 },
  });
  assert.equal(d.status, 201, d.text);
}

describe('HTTP API on an in-process lvsd', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ health: { health: healthView, availability: () => undefined } });
  });
  after(() => rig.close());
  beforeEach(async () => {
    assert.equal(
      (await rig.req('POST', '/api/commands', { token: true, body: { op: 'clear' } })).status,
      200,
    );
  });

  it('a service added through the API is what lvsadm lists over the socket', async () => {
    await addBasics(rig);
    const snap = (await listing(rig)) as { snapshot: { services: Array<{ config: { scheduler: string } }> } };
    assert.equal(snap.snapshot.services.length, 1);
    assert.equal(snap.snapshot.services[0]!.config.scheduler, 'wlc');
    const one = await rig.req('GET', `/api/services/${SVC}`);
    assert.equal(one.status, 200);
    assert.equal((one.json as { dests: Array<{ id: string; weight: number }> }).dests[0]!.id, DEST);
  });

  it('maps ipvsadm errno to HTTP status with the stable code', async () => {
    await addBasics(rig);
    const dup = await rig.req('POST', '/api/services', { token: true, body: { service: SVC } });
    assert.equal(dup.status, 409);
    assert.equal((dup.json as { code: string }).code, 'ERR_LVS_SERVICE_EXISTS');
    const noSvc = await rig.req('DELETE', '/api/services/udp:192.0.2.10:53', { token: true });
    assert.equal(noSvc.status, 404);
    assert.equal((noSvc.json as { code: string }).code, 'ERR_LVS_NO_SERVICE');
    const noDest = await rig.req('DELETE', `/api/services/${SVC}/dests/198.51.100.9:80`, { token: true });
    assert.equal(noDest.status, 404);
    assert.equal((noDest.json as { code: string }).code, 'ERR_LVS_NO_DEST');
    const badSched = await rig.req('PUT', `/api/services/${SVC}`, {
      token: true,
      body: { scheduler: 'nope' },
    });
    assert.equal(badSched.status, 404);
    assert.equal((badSched.json as { code: string }).code, 'ERR_LVS_NO_SCHEDULER');
    const range = await rig.req('POST', '/api/sysctls', {
      token: true,
      body: { name: 'expire_nodest_conn', value: 9 },
    });
    assert.equal(range.status, 400);
    const sync = await rig.req('POST', '/api/commands', {
      token: true,
      body: { op: 'stop-daemon', state: 'master' },
    });
    assert.equal(sync.status, 501);
    assert.equal((sync.json as { code: string }).code, 'ERR_LVS_NOT_SUPPORTED');
  });

  it('drain sets weight 0 and undrain restores the remembered weight', async () => {
    await addBasics(rig);
    const weight = async () =>
      ((await rig.req('GET', `/api/services/${SVC}/dests/${DEST}`)).json as { weight: number }).weight;
    const dr = await rig.req('POST', `/api/services/${SVC}/dests/${DEST}/drain`, { token: true });
    assert.equal(dr.status, 200);
    assert.equal(await weight(), 0);
    // Draining twice keeps the first remembered weight.
    await rig.req('POST', `/api/services/${SVC}/dests/${DEST}/drain`, { token: true });
    const un = await rig.req('POST', `/api/services/${SVC}/dests/${DEST}/undrain`, { token: true });
    assert.equal(un.status, 200, un.text);
    assert.equal(await weight(), 5);
  });

  it('undrain of a server set to 0 elsewhere uses the health checker weight, a given weight, or refuses', async () => {
    await addBasics(rig);
    // The fixture's health view configures 198.51.100.2:80 with weight 7.
    const d2 = await rig.req('POST', `/api/services/${SVC}/dests`, {
      token: true,
      body: { addr: '198.51.100.2', port: 80, fwd: 0, weight: 0 },
    });
    assert.equal(d2.status, 201);
    const un = await rig.req('POST', `/api/services/${SVC}/dests/198.51.100.2:80/undrain`, { token: true });
    assert.equal(un.status, 200, un.text);
    assert.equal((un.json as { weight: number }).weight, 7);
    // 198.51.100.3:80 is not in the health view: set to 0 by a PUT, its weight is unknown.
    const D3 = '198.51.100.3:80';
    await rig.req('POST', `/api/services/${SVC}/dests`, {
      token: true,
      body: { addr: '198.51.100.3', port: 80, fwd: 0 },
    });
    await rig.req('PUT', `/api/services/${SVC}/dests/${D3}`, { token: true, body: { weight: 0 } });
    const refused = await rig.req('POST', `/api/services/${SVC}/dests/${D3}/undrain`, { token: true });
    assert.equal(refused.status, 409);
    assert.equal((refused.json as { code: string }).code, 'ERR_LVS_HTTP_UNDRAIN_WEIGHT');
    const given = await rig.req('POST', `/api/services/${SVC}/dests/${D3}/undrain`, {
      token: true,
      body: { weight: 2 },
    });
    assert.equal(given.status, 200);
    assert.equal((given.json as { weight: number }).weight, 2);
  });

  it('PUT edits keep the fields left out; sysctls and timeouts show in /api/settings', async () => {
    await addBasics(rig);
    assert.equal(
      (await rig.req('PUT', `/api/services/${SVC}/dests/${DEST}`, { token: true, body: { weight: 9 } }))
        .status,
      200,
    );
    const d = (await rig.req('GET', `/api/services/${SVC}/dests/${DEST}`)).json as {
      weight: number;
      fwd: number;
    };
    assert.deepEqual([d.weight, d.fwd], [9, 0]);
    await rig.req('POST', '/api/sysctls', { token: true, body: { name: 'sloppy_tcp', value: 1 } });
    await rig.req('PUT', '/api/timeouts', { token: true, body: { tcp: 600 } });
    const s = (await rig.req('GET', '/api/settings')).json as {
      sysctls: Record<string, number>;
      timeouts: { tcp: number; udp: number };
    };
    assert.equal(s.sysctls.sloppy_tcp, 1);
    assert.deepEqual([s.timeouts.tcp, s.timeouts.udp], [600, 300]);
  });

  it('malformed JSON, unknown fields, wrong shapes and oversized bodies get coded 4xx and change nothing', async () => {
    await addBasics(rig);
    const before = await listing(rig);
    const cases: Array<[string, string, string, number, string]> = [
      ['POST', '/api/commands', '{nope', 400, 'ERR_LVS_HTTP_JSON'],
      ['POST', '/api/commands', '{"op":"clear","x":1}', 400, 'ERR_LVS_HTTP_UNKNOWN_FIELD'],
      ['POST', '/api/commands', '[]', 400, 'ERR_LVS_BAD_REQUEST'],
      [
        'POST',
        '/api/commands',
        '{"op":"del-service","service":{"kind":"addr","af":4,"protocol":6,"addr":"192.0.2.10","port":80,"extra":1}}',
        400,
        'ERR_LVS_HTTP_UNKNOWN_FIELD',
      ],
      ['PUT', `/api/services/${SVC}`, '{"schedular":"rr"}', 400, 'ERR_LVS_HTTP_UNKNOWN_FIELD'],
      ['PUT', `/api/services/${SVC}/dests/${DEST}`, '{"weight":"9"}', 400, 'ERR_LVS_BAD_REQUEST'],
      ['POST', '/api/sysctls', '{"op":"clear"}', 400, 'ERR_LVS_HTTP_UNKNOWN_FIELD'],
      ['POST', '/api/sysctls', '{"name":"no_such","value":1}', 400, 'ERR_LVS_BAD_REQUEST'],
      ['DELETE', '/api/services/tcp:999.1.1.1:80', '', 400, 'ERR_LVS_HTTP_BAD_PATH'],
      ['PUT', '/api/log-level', '{"level":"loud"}', 400, 'ERR_LVS_BAD_REQUEST'],
      [
        'POST',
        '/api/commands',
        `{"op":"clear","pad":"${'x'.repeat(70_000)}"}`,
        413,
        'ERR_LVS_HTTP_TOO_LARGE',
      ],
    ];
    for (const [m, url, raw, status, code] of cases) {
      const r = await rig.req(m, url, { token: true, raw });
      assert.equal(r.status, status, `${m} ${url} ${raw.slice(0, 60)}: ${r.text}`);
      assert.equal((r.json as { code: string }).code, code, `${m} ${url}`);
      assert.doesNotMatch(r.text, /at .*\.ts:\d+/);
    }
    assert.deepEqual(await listing(rig), before);
  });

  it('an oversized chunked body is cut off with 413 before it is read whole', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const r = httpRequest(
        {
          host: '127.0.0.1',
          port: rig.port,
          method: 'POST',
          path: '/api/commands',
          headers: { authorization: `Bearer ${TOKEN}`, 'transfer-encoding': 'chunked' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      r.on('error', reject);
      for (let i = 0; i < 20; i++) r.write('x'.repeat(8192));
      r.end();
    });
    assert.equal(status, 413);
  });

  it('pages and filters the connection table', async () => {
    await addBasics(rig);
    await rig.req('POST', `/api/services/${SVC}/dests`, {
      token: true,
      body: { addr: '198.51.100.2', port: 80, fwd: 'masq' },
    });
    const director = rig.daemon.director.director;
    const p = new PacketInfo();
    p.dstAddr = ipBytes('192.0.2.10') as Uint8Array;
    p.dstPort = 80;
    p.tcpFlags = 0x02;
    p.length = 60;
    const syn = (client: string, sport: number) => {
      p.srcAddr = ipBytes(client) as Uint8Array;
      p.srcPort = sport;
      assert.ok(director.inPacket(p, Date.now()) >= 0);
    };
    for (let i = 0; i < 25; i++) syn('203.0.113.9', 40000 + i);
    for (let i = 0; i < 5; i++) syn('203.0.113.7', 50000 + i);
    type Page = { total: number; next?: string; connections: Array<{ caddr: string; cport: number }> };
    const get = async (q: string) => {
      const r = await rig.req('GET', `/api/connections${q}`);
      assert.equal(r.status, 200, r.text);
      return r.json as Page;
    };
    const seen: string[] = [];
    let page = await get('?limit=10');
    assert.equal(page.total, 30);
    for (;;) {
      seen.push(...page.connections.map((c) => `${c.caddr}:${c.cport}`));
      if (page.next === undefined) break;
      page = await get(`?limit=10&cursor=${page.next}`);
    }
    assert.equal(seen.length, 30);
    assert.equal(new Set(seen).size, 30, 'no entry twice across pages');
    assert.equal((await get('?client=203.0.113.7')).total, 5);
    assert.equal((await get('?client=203.0.113.9:40003')).total, 1);
    assert.equal((await get(`?service=${SVC}&state=syn_recv`)).total, 30);
    assert.equal((await get('?state=ESTABLISHED')).total, 0);
    assert.equal((await get('?service=udp:192.0.2.10:80')).total, 0);
    const byDest = (await get('?dest=198.51.100.1:80')).total + (await get('?dest=198.51.100.2:80')).total;
    assert.equal(byDest, 30);
    for (const bad of ['?limit=0', '?limit=5000', '?cursor=-1', '?client=nope', '?color=red']) {
      const r = await rig.req('GET', `/api/connections${bad}`);
      assert.equal(r.status, 400, bad);
      assert.equal((r.json as { code: string }).code, 'ERR_LVS_HTTP_BAD_QUERY');
    }
  });

  it('answers unknown paths 404 and wrong methods 405 with codes', async () => {
    const a = await rig.req('GET', '/api/nothing');
    assert.equal(a.status, 404);
    assert.equal((a.json as { code: string }).code, 'ERR_LVS_HTTP_NOT_FOUND');
    const b = await rig.req('DELETE', '/api/status', { token: true });
    assert.equal(b.status, 405);
    assert.equal((b.json as { code: string }).code, 'ERR_LVS_HTTP_METHOD');
  });

  it('PUT /api/log-level changes the logger level', async () => {
    const r = await rig.req('PUT', '/api/log-level', { token: true, body: { level: 'debug' } });
    assert.deepEqual(r.json, { level: 'debug', previous: 'info' });
    assert.equal(((await rig.req('GET', '/api/log-level')).json as { level: string }).level, 'debug');
    await rig.req('PUT', '/api/log-level', { token: true, body: { level: 'info' } });
  });

  it('/api/events streams health and VRRP transitions', async () => {
    const got: string[] = [];
    const req = httpRequest({ host: '127.0.0.1', port: rig.port, path: '/api/events' });
    await new Promise<void>((resolve, reject) => {
      req.on('error', reject);
      req.on('response', (res) => {
        res.on('data', (c: Buffer) => got.push(c.toString()));
        resolve();
      });
      req.end();
    });
    try {
      await new Promise((r) => setTimeout(r, 50));
      healthTransitionChannel.publish({
        source: {},
        svc: 'TCP 192.0.2.10:80',
        rs: '198.51.100.1:80',
        up: false,
        at: 5,
        message: 'connect timed out',
      });
      vrrpTransitionChannel.publish({
        source: {},
        instance: 'VI_1',
        from: 'BACKUP',
        to: 'MASTER',
        priority: 100,
        at: 6,
      });
      const deadline = Date.now() + 3000;
      while (!got.join('').includes('event: vrrp') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      const text = got.join('');
      assert.match(
        text,
        /event: health\ndata: \{"at":5,"service":"TCP 192.0.2.10:80","real":"198.51.100.1:80","up":false,"message":"connect timed out"\}/,
      );
      assert.match(
        text,
        /event: vrrp\ndata: \{"at":6,"instance":"VI_1","from":"BACKUP","to":"MASTER","priority":100\}/,
      );
    } finally {
      req.destroy();
    }
  });

  it('/api/events streams table changes made through the API and through the socket', async () => {
    const events: Array<{ event: string; data: Record<string, unknown> }> = [];
    const req = httpRequest({ host: '127.0.0.1', port: rig.port, path: '/api/events' });
    const opened = new Promise<void>((resolve, reject) => {
      req.on('error', reject);
      req.on('response', (res) => {
        assert.match(String(res.headers['content-type']), /^text\/event-stream/);
        let buf = '';
        res.on('data', (c: Buffer) => {
          buf += c.toString();
          let i = buf.indexOf('\n\n');
          while (i >= 0) {
            const frame = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const ev = /^event: (.*)$/m.exec(frame)?.[1];
            const data = /^data: (.*)$/m.exec(frame)?.[1];
            if (ev && data) events.push({ event: ev, data: JSON.parse(data) });
            i = buf.indexOf('\n\n');
          }
        });
        resolve();
      });
    });
    req.end();
    await opened;
    try {
      await rig.req('POST', '/api/services', { token: true, body: { service: SVC } });
      const c = await connectClient(rig.daemon.socket);
      await c.request({
        command: {
          op: 'del-service',
          service: { kind: 'addr', af: 4, protocol: 6, addr: '192.0.2.10', port: 80 },
        },
      });
      c.close();
      const deadline = Date.now() + 3000;
      while (events.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(
        events.map((e) => [e.event, e.data.op, e.data.origin, e.data.service]),
        [
          ['table', 'add-service', 'http', SVC],
          ['table', 'del-service', 'socket', SVC],
        ],
      );
    } finally {
      req.destroy();
    }
  });
});

describe('HTTP API without a token file', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ token: null });
  });
  after(() => rig.close());

  it('serves reads on loopback and refuses every write with 403', async () => {
    assert.equal((await rig.req('GET', '/api/services')).status, 200);
    const w = await rig.req('POST', '/api/commands', { body: { op: 'clear' }, token: 'Bearer anything' });
    assert.equal(w.status, 403);
    assert.equal((w.json as { code: string }).code, 'ERR_LVS_HTTP_WRITES_DISABLED');
  });
});
