/**
 * The in-memory sync network the daemon tests run on behaves like the kernel's sockets where the
 * tests rely on it: multicast loop off, one link per interface name, group and port matching,
 * the backup's maxlen cut, closed sockets silent, and an unknown interface refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeSyncNetwork } from '../../src/sync/fake-sync-transport.js';
import type { SyncEndpoint } from '../../src/sync/sync-transport.js';

const ep = (o: Partial<SyncEndpoint> = {}): SyncEndpoint => ({
  ifname: 'eth0',
  af: 4,
  group: '224.0.0.81',
  port: 8848,
  ttl: 1,
  sockSize: 0,
  maxLen: 1472,
  ...o,
});
const noop = () => {};

describe('FakeSyncNetwork', () => {
  it("delivers to other directors' receivers on the same link, group and port only", () => {
    const net = new FakeSyncNetwork();
    const a = net.transport('192.0.2.1', { eth0: 1500, eth1: 1500 });
    const b = net.transport('192.0.2.2', { eth0: 1500, eth1: 1500 });
    const got: string[] = [];
    const listen = (t: typeof a, name: string, e: SyncEndpoint) =>
      t.openReceiver(e, (d) => got.push(`${name}<${d.src}:${[...d.data]}`), noop);
    listen(a, 'a-own', ep());
    listen(b, 'b', ep());
    listen(b, 'b-eth1', ep({ ifname: 'eth1' }));
    listen(b, 'b-port', ep({ port: 8849 }));
    listen(b, 'b-group', ep({ group: '239.0.0.1' }));
    const tx = a.openSender(ep(), noop);
    let done = 0;
    tx.send(Uint8Array.of(1, 2), (err) => {
      assert.equal(err, undefined);
      done++;
    });
    assert.equal(done, 1);
    assert.deepEqual(got, ['b<192.0.2.1:1,2']);
    assert.equal(net.sent[0]?.ttl, 1);
  });

  it("cuts a datagram to the receiver's maxLen, and a closed receiver hears nothing", () => {
    const net = new FakeSyncNetwork();
    const a = net.transport('192.0.2.1');
    const b = net.transport('192.0.2.2');
    const lens: number[] = [];
    const rx = b.openReceiver(ep({ maxLen: 3 }), (d) => lens.push(d.data.length), noop);
    const tx = a.openSender(ep(), noop);
    tx.send(new Uint8Array(10), noop);
    rx.close();
    tx.send(new Uint8Array(10), noop);
    assert.deepEqual(lens, [3]);
    assert.deepEqual(net.open, { senders: 1, receivers: 0 });
  });

  it('refuses an unknown interface with ENODEV and a closed sender with EBADF', () => {
    const net = new FakeSyncNetwork();
    const a = net.transport('192.0.2.1');
    assert.throws(() => a.openSender(ep({ ifname: 'nosuch0' }), noop), { code: 'ENODEV' });
    assert.equal(a.interfaceMtu('nosuch0'), undefined);
    assert.equal(a.interfaceMtu('eth0'), 1500);
    const tx = a.openSender(ep(), noop);
    tx.close();
    let code: unknown;
    tx.send(Uint8Array.of(1), (err) => {
      code = (err as { code?: unknown } | undefined)?.code;
    });
    assert.equal(code, 'EBADF');
  });
});
