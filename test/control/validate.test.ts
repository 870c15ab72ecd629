import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { RequestError, validateCommand, validateQuery } from '../../src/control/validate.js';
import { destConfig, svcConfig, tcp } from '../helpers/table.js';

test('a well-formed command passes through validation unchanged', () => {
  const cmds = [
    { op: 'add-service', service: tcp('192.0.2.1', 80), config: svcConfig({ scheduler: 'rr' }) },
    {
      op: 'add-dest',
      service: tcp('192.0.2.1', 80),
      dest: destConfig('198.51.100.1', 8080, { fwd: 0, proxyProtocol: 0 }),
    },
    { op: 'del-dest', service: tcp('192.0.2.1', 80), dest: { addr: '198.51.100.1', port: 8080 } },
    { op: 'set-timeouts', tcp: 900, tcpfin: 120, udp: 300 },
    { op: 'zero' },
    { op: 'clear' },
  ];
  for (const c of cmds) assert.deepEqual(validateCommand(JSON.parse(JSON.stringify(c))), c);
});

test('addresses are canonicalised during validation', () => {
  const c = validateCommand({
    op: 'del-service',
    service: { kind: 'addr', af: 6, protocol: 6, addr: '2001:DB8:0::1', port: 80 },
  });
  assert.equal(c.op === 'del-service' && c.service.kind === 'addr' && c.service.addr, '2001:db8::1');
});

test('malformed commands are refused with ERR_LVS_BAD_REQUEST', () => {
  const bad: unknown[] = [
    null,
    42,
    [],
    { op: 'nope' },
    { op: 'add-service' },
    {
      op: 'add-service',
      service: { kind: 'addr', af: 4, protocol: 6, addr: 'not-ip', port: 80 },
      config: svcConfig(),
    },
    {
      op: 'add-service',
      service: { kind: 'addr', af: 6, protocol: 6, addr: '192.0.2.1', port: 80 },
      config: svcConfig(),
    },
    { op: 'add-service', service: tcp('192.0.2.1', 70000), config: svcConfig() },
    { op: 'set-timeouts', tcp: -1, tcpfin: 0, udp: 0 },
    { op: 'set-sysctl', name: 'rm_rf', value: 1 },
    { op: 'add-dest', service: tcp('192.0.2.1', 80), dest: { ...destConfig('198.51.100.1', 80), fwd: 4 } },
  ];
  for (const b of bad) {
    assert.throws(
      () => validateCommand(b),
      (e: unknown) => e instanceof RequestError && e.code === 'ERR_LVS_BAD_REQUEST',
    );
  }
});

test('any JSON value either validates or fails with a coded RequestError', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      for (const f of [validateCommand, validateQuery]) {
        try {
          f(v);
        } catch (e) {
          assert.ok(e instanceof RequestError, String(e));
          assert.equal(e.code, 'ERR_LVS_BAD_REQUEST');
        }
      }
    }),
    { numRuns: 2000 },
  );
});

test('mutated valid commands either validate or fail with a coded RequestError', () => {
  const base = { op: 'add-dest', service: tcp('192.0.2.1', 80), dest: destConfig('198.51.100.1', 80) };
  const keys = [
    'op',
    'service',
    'dest',
    'kind',
    'af',
    'protocol',
    'addr',
    'port',
    'weight',
    'fwd',
    'uThreshold',
  ];
  fc.assert(
    fc.property(fc.constantFrom(...keys), fc.jsonValue(), (k, v) => {
      const c = JSON.parse(JSON.stringify(base));
      for (const o of [c, c.service, c.dest]) if (k in o) o[k] = v;
      try {
        validateCommand(c);
      } catch (e) {
        assert.ok(e instanceof RequestError);
      }
    }),
    { numRuns: 2000 },
  );
});
