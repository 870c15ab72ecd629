import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apply, type ControlTarget } from '../../src/control/apply.js';
import type { Command } from '../../src/control/commands.js';
import { serviceViews } from '../../src/control/snapshot.js';
import { destConfig, svcConfig, tcp, testTable } from '../helpers/table.js';

function target(): ControlTarget & { timeouts: number[]; zeroed: number } {
  const t = {
    table: testTable(),
    timeouts: [900, 120, 300],
    zeroed: 0,
    setTimeouts(a: number, b: number, c: number) {
      this.timeouts = [a || this.timeouts[0], b || this.timeouts[1], c || this.timeouts[2]] as number[];
    },
    setSysctl() {},
    zeroGlobal() {
      this.zeroed++;
    },
  };
  return t;
}

const vip = tcp('192.0.2.1', 80);

test('apply builds the table from commands and reports each change', () => {
  const t = target();
  const cmds: Command[] = [
    { op: 'add-service', service: vip, config: svcConfig({ scheduler: 'rr' }) },
    { op: 'add-dest', service: vip, dest: destConfig('198.51.100.1', 80, { fwd: 0 }) },
    { op: 'add-dest', service: vip, dest: destConfig('198.51.100.2', 80, { fwd: 0 }) },
  ];
  const kinds = cmds.flatMap((c) => apply(t, c, 0)).map((c) => c.kind);
  assert.deepEqual(kinds, ['service-added', 'dest-added', 'dest-added']);
  const [view] = serviceViews(t.table);
  assert.deepEqual(
    view?.dests.map((d) => d.addr),
    ['198.51.100.2', '198.51.100.1'],
  );
});

test('set-timeouts keeps values given as zero', () => {
  const t = target();
  apply(t, { op: 'set-timeouts', tcp: 0, tcpfin: 30, udp: 0 }, 0);
  assert.deepEqual(t.timeouts, [900, 30, 300]);
});

test('zero without a service also zeroes the global counters', () => {
  const t = target();
  apply(t, { op: 'add-service', service: vip, config: svcConfig() }, 0);
  apply(t, { op: 'zero', service: vip }, 0);
  assert.equal(t.zeroed, 0);
  apply(t, { op: 'zero' }, 0);
  assert.equal(t.zeroed, 1);
});

test('sync daemon commands fail with ERR_LVS_NOT_SUPPORTED until sync exists', () => {
  const t = target();
  assert.throws(
    () => apply(t, { op: 'stop-daemon', state: 'master' }, 0),
    (e: unknown) =>
      (e as { code: string }).code === 'ERR_LVS_NOT_SUPPORTED' &&
      (e as { errno: string }).errno === 'EOPNOTSUPP',
  );
});

test('FULLNAT local addresses are added once and removed by address', () => {
  const t = target();
  apply(t, { op: 'add-service', service: vip, config: svcConfig() }, 0);
  apply(t, { op: 'add-laddr', service: vip, addr: '203.0.113.10' }, 0);
  assert.throws(() => apply(t, { op: 'add-laddr', service: vip, addr: '203.0.113.10' }, 0), {
    code: 'ERR_LVS_LADDR_EXISTS',
  });
  apply(t, { op: 'del-laddr', service: vip, addr: '203.0.113.10' }, 0);
  assert.throws(() => apply(t, { op: 'del-laddr', service: vip, addr: '203.0.113.10' }, 0), {
    code: 'ERR_LVS_NO_LADDR',
  });
});
