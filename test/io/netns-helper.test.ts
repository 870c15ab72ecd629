/** The netns test helper itself: documentation-only addresses and cleanup on every exit path. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { createNetns, listTestNamespaces, netnsSkipReason, withNetns } from '../helpers/netns.js';

const skip = netnsSkipReason();
if (skip) console.log(`# skipping netns helper tests: ${skip}`);

/** Runs a child that builds a namespace, prints its pid, then ends the way `how` says. */
function childThat(how: 'sigterm' | 'sigkill' | 'throw'): { pid: number; status: number | null } {
  const ending = {
    sigterm: "process.kill(process.pid, 'SIGTERM'); setTimeout(() => {}, 5000);",
    sigkill: "process.kill(process.pid, 'SIGKILL');",
    throw: "throw new Error('boom');",
  }[how];
  const code = `import { createNetns } from './test/helpers/netns.ts';
    createNetns({ namespaces: ['x'] });
    console.log(process.pid);
    ${ending}`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { pid: Number(r.stdout.trim()), status: r.status };
}

describe('netns test helper', { skip }, () => {
  it('refuses addresses outside the documentation ranges and leaves nothing behind', () => {
    const before = listTestNamespaces(process.pid).length;
    assert.throws(
      () => createNetns({ namespaces: ['a', 'b'], links: [{ a: 'a', b: 'b', aAddrs: ['10.0.0.1/24'] }] }),
      /documentation ranges/,
    );
    assert.equal(listTestNamespaces(process.pid).length, before);
  });

  it('creates veth ends inside the namespaces with their addresses, never on the host', async () => {
    await withNetns(
      {
        namespaces: ['a', 'b'],
        links: [{ a: 'a', b: 'b', aIf: 'lvq0', bIf: 'lvq1', aAddrs: ['198.51.100.1/24', '2001:db8::1/64'] }],
      },
      (ns) => {
        assert.match(ns.ip('a', 'addr', 'show', 'lvq0'), /198\.51\.100\.1\/24[\s\S]*2001:db8::1\/64/);
        assert.match(ns.ip('b', 'link', 'show', 'lvq1'), /state UP|LOWER_UP/);
        const now = spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' }).stdout;
        assert.equal(now.includes('lvq0') || now.includes('lvq1'), false);
      },
    );
  });

  it('deletes its namespaces when the process dies of SIGTERM', () => {
    const { pid } = childThat('sigterm');
    assert.ok(pid > 0);
    assert.deepEqual(listTestNamespaces(pid), []);
  });

  it('deletes its namespaces when the process exits on an uncaught exception', () => {
    const { pid, status } = childThat('throw');
    assert.notEqual(status, 0);
    assert.deepEqual(listTestNamespaces(pid), []);
  });

  it('sweeps namespaces of a SIGKILLed run the next time it is used', async () => {
    const { pid } = childThat('sigkill');
    // SIGKILL cannot be caught, so one is left (unless a concurrent test's helper swept it already).
    assert.ok(listTestNamespaces(pid).length <= 1);
    await withNetns({ namespaces: ['y'] }, () => {});
    assert.deepEqual(listTestNamespaces(pid), []);
  });
});
