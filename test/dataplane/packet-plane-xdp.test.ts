/**
 * The pieces of `lvsd --xdp` that need no root: the flag's parsing and default, the error codes
 * of refused bpf(2) calls, and how an interface's driver pair routes frames (engine output to
 * the AF_XDP socket, frames built outside a batch to AF_PACKET, both sockets receiving).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLvsdArgs } from '../../src/daemon/options.js';
import { XdpPlaneDriver } from '../../src/dataplane/packet-plane/xdp-plane.js';
import type { BatchHandler, Frames } from '../../src/io/driver.js';
import { XdpError, xdpSyscallError } from '../../src/io/packet-socket/errors.js';
import type { PacketSocket } from '../../src/io/packet-socket/index.js';
import type { XdpSocket } from '../../src/io/packet-socket/xdp-socket.js';

const se = { env: {}, uid: 0 };
const run = (argv: string[]) => {
  const r = parseLvsdArgs(argv, se);
  return r.kind === 'run' ? r.options : r;
};

describe('lvsd --xdp', () => {
  it('defaults to auto on the packet data plane and is absent elsewhere', () => {
    assert.equal((run(['--dataplane', 'packet', '--interface', 'eth0']) as { xdp?: string }).xdp, 'auto');
    assert.equal((run(['--dataplane', 'proxy']) as { xdp?: string }).xdp, undefined);
  });

  it('accepts on and off', () => {
    for (const v of ['on', 'off'])
      assert.equal((run(['--dataplane', 'packet', '--xdp', v]) as { xdp?: string }).xdp, v);
  });

  it('rejects other values and use without the packet plane (usage exit 2)', () => {
    for (const argv of [
      ['--dataplane', 'packet', '--xdp', 'yes'],
      ['--dataplane', 'proxy', '--xdp', 'on'],
    ]) {
      const r = parseLvsdArgs(argv, se);
      assert.equal(r.kind, 'error');
      assert.equal(r.kind === 'error' ? r.exitCode : 0, 2);
    }
  });
});

describe('XDP error codes', () => {
  it('EPERM and EACCES become ERR_XDP_NOT_PERMITTED, other errnos keep the step code', () => {
    assert.equal(xdpSyscallError('ERR_XDP_MAP', 'map', -1).code, 'ERR_XDP_NOT_PERMITTED');
    assert.equal(xdpSyscallError('ERR_XDP_ATTACH', 'link', -13).code, 'ERR_XDP_NOT_PERMITTED');
    const e = xdpSyscallError('ERR_XDP_ATTACH', 'link', -22);
    assert.ok(e instanceof XdpError);
    assert.equal(e.code, 'ERR_XDP_ATTACH');
    assert.equal(e.errnum, -22);
  });
});

describe('XdpPlaneDriver', () => {
  const calls: string[] = [];
  const packet = {
    start: (_h: BatchHandler) => calls.push('packet.start'),
    send: (f: Frames) => {
      calls.push('packet.send');
      return (f as readonly Uint8Array[]).length;
    },
    close: () => calls.push('packet.close'),
  } as unknown as PacketSocket;
  const xsk = {
    start: (_h: BatchHandler) => calls.push('xsk.start'),
    sendFrom: (_b: Uint8Array, _p: Uint32Array, n: number) => {
      calls.push(`xsk.sendFrom ${n}`);
      return n;
    },
    close: () => calls.push('xsk.close'),
  } as unknown as XdpSocket;
  const d = new XdpPlaneDriver(packet, xsk);

  it('receives from both sockets', () => {
    d.start(() => {});
    assert.deepEqual(calls.splice(0), ['packet.start', 'xsk.start']);
  });

  it('sends engine output through AF_XDP and other frames through AF_PACKET', () => {
    assert.equal(d.sendFrom(new Uint8Array(64), Uint32Array.of(0, 60, 0, 60), 2), 2);
    assert.equal(d.send([new Uint8Array(60)]), 1);
    assert.deepEqual(calls.splice(0), ['xsk.sendFrom 2', 'packet.send']);
  });

  it('closes the AF_XDP socket before the AF_PACKET one', () => {
    d.close();
    assert.deepEqual(calls.splice(0), ['xsk.close', 'packet.close']);
  });
});
