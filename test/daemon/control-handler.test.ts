import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Command } from '../../src/control/commands.js';
import type { Response } from '../../src/control/protocol.js';
import type { ServiceTable } from '../../src/core/service-table.js';
import { SYSCTL_DEFAULTS } from '../../src/core/settings.js';
import { type ControlDeps, handleLine, handleRequest } from '../../src/daemon/control-handler.js';
import { destConfig, svcConfig, tcp, testTable } from '../helpers/table.js';

function deps(table: ServiceTable = testTable(), onChanges?: ControlDeps['onChanges']): ControlDeps {
  let tmo = { tcp: 900, tcpfin: 120, udp: 300 };
  return {
    target: {
      table,
      setTimeouts(t, f, u) {
        tmo = { tcp: t || tmo.tcp, tcpfin: f || tmo.tcpfin, udp: u || tmo.udp };
      },
      setSysctl() {},
      zeroGlobal() {},
    },
    connTabSize: 4096,
    timeouts: () => tmo,
    daemons: () => [],
    conns: () => [],
    status: () => ({
      version: 't',
      pid: 1,
      uptimeMs: 0,
      dataplane: 'none',
      connTabSize: 4096,
      services: table.size,
      vips: [],
    }),
    now: () => 1000,
    ...(onChanges ? { onChanges } : {}),
  };
}

function send(d: ControlDeps, body: object, id = 1): Response {
  return handleRequest(d, JSON.stringify({ v: 1, id, ...body }));
}

const VIP = tcp('10.0.0.1', 80);
const addSvc: Command = { op: 'add-service', service: VIP, config: svcConfig({ scheduler: 'rr' }) };

describe('control handler', () => {
  it("folds the plane's outside counters (beforeRead) before a listing or status, not before other queries", () => {
    let reads = 0;
    const d = { ...deps(), beforeRead: () => void reads++ };
    assert.equal(send(d, { query: { q: 'list' } }).ok, true);
    assert.equal(send(d, { query: { q: 'status' } }).ok, true);
    assert.equal(reads, 2);
    assert.equal(send(d, { query: { q: 'timeouts' } }).ok, true);
    assert.equal(reads, 2);
  });

  it('applies a command and returns its changes', () => {
    const d = deps();
    const r = send(d, { command: addSvc });
    assert.deepEqual(r, { v: 1, id: 1, ok: true, changes: [{ kind: 'service-added', service: VIP }] });
    assert.equal(d.target.table.size, 1);
  });

  it('reports a table error with its code and errno, echoing the id', () => {
    const d = deps();
    send(d, { command: addSvc });
    const r = send(d, { command: addSvc }, 42);
    assert.equal(r.ok, false);
    assert.deepEqual(!r.ok && [r.id, r.error.code, r.error.errno], [42, 'ERR_LVS_SERVICE_EXISTS', 'EEXIST']);
  });

  it('lists services as a snapshot with the conn table size', () => {
    const d = deps();
    send(d, { command: addSvc });
    send(d, { command: { op: 'add-dest', service: VIP, dest: destConfig('192.168.1.2', 80) } });
    const r = send(d, { query: { q: 'list' } });
    assert.ok(r.ok && 'result' in r && r.result.q === 'list');
    assert.equal(r.result.snapshot.connTabSize, 4096);
    assert.equal(r.result.snapshot.services.length, 1);
    assert.equal(r.result.snapshot.services[0]?.dests[0]?.addr, '192.168.1.2');
    assert.equal(r.result.snapshot.conns, undefined);
  });

  it('includes connections only when the list query asks for them', () => {
    const r = send(deps(), { query: { q: 'list', conns: true } });
    assert.deepEqual(r.ok && 'result' in r && r.result.q === 'list' && r.result.snapshot.conns, []);
  });

  it('answers a single-service list for a missing service with ESRCH', () => {
    const r = send(deps(), { query: { q: 'list', service: VIP } });
    assert.deepEqual(!r.ok && r.error.errno, 'ESRCH');
  });

  it('answers timeouts after --set, keeping values given as 0', () => {
    const d = deps();
    send(d, { command: { op: 'set-timeouts', tcp: 100, tcpfin: 0, udp: 50 } });
    const r = send(d, { query: { q: 'timeouts' } });
    assert.deepEqual(r.ok && 'result' in r && r.result, {
      q: 'timeouts',
      timeouts: { tcp: 100, tcpfin: 120, udp: 50 },
    });
  });

  it('answers the sysctls query with the current values, and EOPNOTSUPP without them', () => {
    const values = { ...SYSCTL_DEFAULTS, sloppy_tcp: 1 };
    const r = send({ ...deps(), sysctls: () => values }, { query: { q: 'sysctls' } });
    assert.deepEqual(r.ok && 'result' in r && r.result, { q: 'sysctls', sysctls: values });
    const none = send(deps(), { query: { q: 'sysctls' } });
    assert.deepEqual(!none.ok && [none.error.code, none.error.errno], [
      'ERR_LVS_NOT_SUPPORTED',
      'EOPNOTSUPP',
    ]);
  });

  it('refuses start-daemon with EOPNOTSUPP when the target has no sync', () => {
    const r = send(deps(), {
      command: { op: 'start-daemon', daemon: { state: 'master', mcastInterface: 'eth0', syncId: 0 } },
    });
    assert.deepEqual(!r.ok && [r.error.code, r.error.errno], ['ERR_LVS_NOT_SUPPORTED', 'EOPNOTSUPP']);
  });

  it('keeps a command successful when the change listener throws (data plane trouble)', () => {
    const d = deps(undefined, () => {
      throw new Error('EADDRNOTAVAIL');
    });
    const r = send(d, { command: addSvc });
    assert.equal(r.ok, true);
    assert.equal(d.target.table.size, 1);
  });

  it('turns a garbage line into a coded error with a null id', () => {
    const line = handleLine(deps(), '}{');
    assert.ok(line.endsWith('\n'));
    assert.deepEqual(JSON.parse(line), {
      v: 1,
      id: null,
      ok: false,
      error: { code: 'ERR_LVS_PROTO_JSON', message: 'request is not valid JSON' },
    });
  });

  it('never throws on random lines and always answers with one JSON line', () => {
    const d = deps();
    send(d, { command: addSvc });
    const anyCommand = fc.record({
      op: fc.constantFrom(
        'add-service',
        'edit-service',
        'del-service',
        'add-dest',
        'edit-dest',
        'del-dest',
        'zero',
        'clear',
        'set-timeouts',
        'set-sysctl',
        'start-daemon',
        'add-laddr',
      ),
      service: fc.oneof(fc.constant(VIP), fc.jsonValue()),
      config: fc.oneof(fc.constant(svcConfig()), fc.jsonValue()),
      dest: fc.oneof(fc.constant(destConfig('10.1.1.1', 80)), fc.jsonValue()),
      tcp: fc.integer(),
    });
    const line = fc.oneof(
      fc.string(),
      fc.jsonValue().map((j) => JSON.stringify(j)),
      fc.jsonValue().map((j) => JSON.stringify({ v: 1, id: 1, command: j })),
      fc.jsonValue().map((j) => JSON.stringify({ v: 1, id: 1, query: j })),
      anyCommand.map((c) => JSON.stringify({ v: 1, id: 2, command: c })),
    );
    fc.assert(
      fc.property(line, (l) => {
        const out = handleLine(d, l);
        assert.equal(out.indexOf('\n'), out.length - 1);
        const r = JSON.parse(out) as Response;
        assert.equal(r.v, 1);
        // ERR_LVS_INTERNAL would mean a non-coded exception escaped validation or apply.
        if (!r.ok) assert.match(r.error.code, /^ERR_LVS_(?!INTERNAL)/);
      }),
      { numRuns: 3000 },
    );
  });
});
