/**
 * The dashboard's pure model (assets/dashboard/model.js, the browser's own module loaded in
 * Node): the API's services, health and availability merged into one row per real server. Health
 * ids are matched as the health runner writes them (`TCP 192.0.2.10:80`, `[198.51.100.1]:80` in
 * events); a real server the health check removed from the table keeps a row, DOWN; weight 0 is
 * DRAINING; a service key matches its health service by text, a virtual_server_group by real server.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

type Row = { key: string; rid: string; inTable: boolean; weight?: number; state: string; avail?: unknown };
type Model = Array<{ id: string; text: string; healthService?: string; rows: Row[] }>;
const m = (await import('../../assets/dashboard/model.js' as string)) as {
  buildModel(services: unknown[], health?: unknown, availability?: unknown): Model;
  serviceText(key: unknown): string;
  normalizeReal(s: string): string;
};

const rates = { cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0 };
const dest = (addr: string, port: number, weight: number) => ({
  id: addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`,
  addr,
  port,
  weight,
  activeConns: 0,
  inactConns: 0,
  rates,
});
const svc = (key: Record<string, unknown>, id: string, dests: unknown[]) => ({
  id,
  key,
  config: { scheduler: 'rr' },
  rates,
  dests,
});
const real = (addr: string, port: number, up: boolean) => ({
  addr,
  port,
  up,
  since: 1000,
  weight: up ? 1 : 0,
  configuredWeight: 1,
  message: up ? 'ok' : 'connect refused',
  checkers: [],
});
const TCP80 = { kind: 'addr', af: 4, protocol: 6, addr: '192.0.2.10', port: 80 };

describe('dashboard model', () => {
  it('names services as the health view does, IPv6 bracketed, fwmarks as FWM', () => {
    assert.equal(m.serviceText(TCP80), 'TCP 192.0.2.10:80');
    assert.equal(
      m.serviceText({ kind: 'addr', af: 6, protocol: 17, addr: '2001:db8::10', port: 53 }),
      'UDP [2001:db8::10]:53',
    );
    assert.equal(m.serviceText({ kind: 'fwmark', af: 6, fwmark: 7 }), 'FWM 7 IPv6');
    assert.equal(m.normalizeReal('[198.51.100.1]:80'), '198.51.100.1:80');
    assert.equal(m.normalizeReal('[2001:db8::1]:80'), '[2001:db8::1]:80');
  });

  it('gives UP, DRAINING (weight 0) and DOWN (checks fail, removed from the table) rows', () => {
    const services = [
      svc(TCP80, 'tcp:192.0.2.10:80', [dest('198.51.100.1', 80, 2), dest('198.51.100.2', 80, 0)]),
    ];
    const health = {
      now: 2000,
      services: [
        {
          id: 'TCP 192.0.2.10:80',
          quorumUp: true,
          reals: [
            real('198.51.100.1', 80, true),
            real('198.51.100.2', 80, true),
            real('198.51.100.3', 80, false),
          ],
        },
      ],
    };
    const availability = {
      now: 2000,
      services: [
        {
          service: { subject: 'TCP 192.0.2.10:80', uptimePct: 100 },
          reals: [{ subject: '198.51.100.3:80', uptimePct: 50, failures: 1 }],
        },
      ],
    };
    const [s] = m.buildModel(services, health, availability);
    assert.equal(s?.healthService, 'TCP 192.0.2.10:80');
    assert.deepEqual(
      s?.rows.map((r) => [r.rid, r.inTable, r.state]),
      [
        ['198.51.100.1:80', true, 'up'],
        ['198.51.100.2:80', true, 'draining'],
        ['198.51.100.3:80', false, 'down'],
      ],
    );
    assert.deepEqual(s?.rows[2]?.avail, { subject: '198.51.100.3:80', uptimePct: 50, failures: 1 });
  });

  it('matches a virtual_server_group health service by its real servers; without health every row is UP or DRAINING', () => {
    const services = [svc(TCP80, 'tcp:192.0.2.10:80', [dest('198.51.100.1', 80, 1)])];
    const health = {
      now: 1,
      services: [{ id: 'group VSG_1 TCP', quorumUp: false, reals: [real('198.51.100.1', 80, false)] }],
    };
    assert.equal(m.buildModel(services, health)[0]?.rows[0]?.state, 'down');
    assert.equal(m.buildModel(services)[0]?.rows[0]?.state, 'up');
  });

  it('gives every real server exactly one row, keyed by service and real server', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 254 }), { maxLength: 30 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 254 }), { maxLength: 30 }),
        (inTable, checked) => {
          const services = [
            svc(
              TCP80,
              'tcp:192.0.2.10:80',
              inTable.map((o) => dest(`198.51.100.${o}`, 80, o % 3)),
            ),
          ];
          const health = {
            now: 1,
            services: [
              {
                id: 'TCP 192.0.2.10:80',
                quorumUp: true,
                reals: checked.map((o) => real(`198.51.100.${o}`, 80, o % 2 === 0)),
              },
            ],
          };
          const rows = m.buildModel(services, health)[0]?.rows ?? [];
          const want = new Set([...inTable, ...checked].map((o) => `198.51.100.${o}:80`));
          assert.equal(rows.length, want.size);
          assert.deepEqual(new Set(rows.map((r) => r.rid)), want);
          for (const r of rows) assert.ok(['up', 'down', 'draining'].includes(r.state));
        },
      ),
    );
  });
});
