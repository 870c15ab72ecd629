/** PacketSocket wrapper over a fake binding: validation, states, errno mapping, batching. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { TxBatch } from '../../src/io/driver.js';
import { BIND_IGNORE_OUTGOING, BIND_PROMISC, BIND_QDISC_BYPASS } from '../../src/io/packet-socket/addon.js';
import { PacketSystemError } from '../../src/io/packet-socket/errors.js';
import { PacketSocket, PacketSocketState } from '../../src/io/packet-socket/packet-socket.js';
import { FakeBinding } from './fake-binding.js';

function make(opts: ConstructorParameters<typeof PacketSocket>[0] = {}) {
  const binding = new FakeBinding();
  const sock = new PacketSocket({ ...opts, binding });
  return { binding, sock };
}

const code = (c: string) => ({ code: c });

describe('PacketSocket option validation', () => {
  it('rejects a block size that is not a power of two', () => {
    assert.throws(() => make({ blockSize: 5000 }), code('ERR_INVALID_ARG_VALUE'));
    assert.throws(() => make({ blockSize: 2048 }), code('ERR_INVALID_ARG_VALUE'));
  });

  it('rejects a non-integer block count and an out-of-range retire timeout', () => {
    assert.throws(() => make({ blockCount: 1.5 }), code('ERR_INVALID_ARG_TYPE'));
    assert.throws(() => make({ retireMs: 0 }), code('ERR_INVALID_ARG_VALUE'));
  });

  it('rejects an unknown fanout mode and an out-of-range group', () => {
    assert.throws(
      () => make({ fanout: { group: 1, mode: 'bogus' as 'hash' } }),
      code('ERR_INVALID_ARG_VALUE'),
    );
    assert.throws(() => make({ fanout: { group: 70000 } }), code('ERR_INVALID_ARG_VALUE'));
  });

  it('rejects interface names the kernel could not hold', () => {
    const { sock } = make();
    assert.throws(() => sock.bind(3 as unknown as string), code('ERR_INVALID_ARG_TYPE'));
    assert.throws(() => sock.bind(''), code('ERR_INVALID_ARG_VALUE'));
    assert.throws(() => sock.bind('a-very-long-ifname'), code('ERR_INVALID_ARG_VALUE'));
    assert.throws(() => sock.bind('eth/0'), code('ERR_INVALID_ARG_VALUE'));
    assert.equal(sock.state, PacketSocketState.UNBOUND);
  });
});

describe('PacketSocket bind arguments', () => {
  it('passes ring geometry and ignores outgoing frames by default', () => {
    const { binding, sock } = make({ blockSize: 1 << 16, blockCount: 8, retireMs: 4 });
    sock.bind('eth0');
    assert.deepEqual(binding.calls.find((c) => c.fn === 'bind')?.args, [
      'eth0',
      1 << 16,
      8,
      4,
      BIND_IGNORE_OUTGOING,
      -1,
    ]);
    assert.equal(sock.ifindex, 7);
    assert.equal(sock.ifname, 'eth0');
  });

  it('encodes promiscuous, qdisc bypass and a fanout group with its flags', () => {
    const { binding, sock } = make({
      promiscuous: true,
      ignoreOutgoing: false,
      qdiscBypass: true,
      fanout: { group: 7, mode: 'lb', defrag: true, rollover: true },
    });
    sock.bind('eth0');
    const args = binding.calls.find((c) => c.fn === 'bind')!.args;
    assert.equal(args[4], BIND_PROMISC | BIND_QDISC_BYPASS);
    // PACKET_FANOUT arg: group id in the low 16 bits, type | flags in the high 16 bits.
    assert.equal(args[5], 7 + (1 | 0x8000 | 0x1000) * 0x10000);
  });
});

describe('PacketSocket state machine', () => {
  it('goes UNBOUND → BOUND → CLOSED and refuses a second bind', () => {
    const { sock } = make();
    assert.equal(sock.state, PacketSocketState.UNBOUND);
    sock.bind('eth0');
    assert.equal(sock.state, PacketSocketState.BOUND);
    assert.throws(() => sock.bind('eth1'), code('ERR_PACKET_SOCKET_ALREADY_BOUND'));
    sock.close();
    assert.equal(sock.state, PacketSocketState.CLOSED);
    assert.throws(() => sock.bind('eth0'), code('ERR_PACKET_SOCKET_CLOSED'));
  });

  it('refuses to send, start or read stats before bind', () => {
    const { sock } = make();
    assert.throws(() => sock.send([]), code('ERR_PACKET_SOCKET_NOT_BOUND'));
    assert.throws(() => sock.start(() => {}), code('ERR_PACKET_SOCKET_NOT_BOUND'));
    assert.throws(() => sock.stats(), code('ERR_PACKET_SOCKET_NOT_BOUND'));
  });

  it('refuses every operation after close', () => {
    const { sock } = make();
    sock.bind('eth0').close();
    assert.throws(() => sock.send([]), code('ERR_PACKET_SOCKET_CLOSED'));
    assert.throws(() => sock.start(() => {}), code('ERR_PACKET_SOCKET_CLOSED'));
  });

  it('closes the native handle once and emits close once', async () => {
    const { binding, sock } = make();
    sock.bind('eth0');
    let closes = 0;
    sock.on('close', () => closes++);
    sock.close();
    sock.close();
    await once(sock, 'close');
    await new Promise((r) => setImmediate(r));
    assert.equal(binding.names().filter((n) => n === 'close').length, 1);
    assert.equal(closes, 1);
  });

  it('refuses a second start and a poll before start', () => {
    const { sock } = make();
    sock.bind('eth0');
    assert.throws(() => sock.poll(), code('ERR_PACKET_SOCKET_NOT_RECEIVING'));
    sock.start(() => {});
    assert.throws(() => sock.start(() => {}), code('ERR_PACKET_SOCKET_ALREADY_RECEIVING'));
  });
});

describe('PacketSocket errno mapping', () => {
  it('turns a failed bind into a PacketSystemError and stays UNBOUND', () => {
    const { binding, sock } = make();
    binding.bindResult = -1;
    assert.throws(
      () => sock.bind('eth0'),
      (e: unknown) =>
        e instanceof PacketSystemError &&
        e.code === 'EPERM' &&
        e.syscall === 'bind' &&
        e.errnum === -1 &&
        e.ifname === 'eth0',
    );
    assert.equal(sock.state, PacketSocketState.UNBOUND);
    assert.deepEqual(binding.names(), ['createHandle', 'bind', 'close']);
  });

  it('maps ENODEV for a missing interface', () => {
    const { binding, sock } = make();
    binding.bindResult = -19;
    assert.throws(() => sock.bind('nope0'), code('ENODEV'));
  });

  it('emits a receive error as an error event with the errno name', async () => {
    const { binding, sock } = make();
    sock.bind('eth0').start(() => assert.fail('no batch expected'));
    const err = once(sock, 'error');
    binding.deliver(0, -100);
    const [e] = (await err) as [PacketSystemError];
    assert.equal(e.code, 'ENETDOWN');
    assert.equal(e.syscall, 'recv');
  });

  it('throws non-transient send failures with the sendmmsg syscall name', () => {
    const { binding, sock } = make();
    sock.bind('eth0');
    binding.sendResult = -100;
    assert.throws(
      () => sock.send([Buffer.alloc(60)]),
      (e: unknown) => e instanceof PacketSystemError && e.code === 'ENETDOWN' && e.syscall === 'sendmmsg',
    );
  });

  it('reports a full transmit queue as zero frames sent, not an error', () => {
    const { binding, sock } = make();
    sock.bind('eth0');
    binding.sendResult = -105; // ENOBUFS
    assert.equal(sock.send([Buffer.alloc(60)]), 0);
    binding.sendResult = -11; // EAGAIN
    assert.equal(sock.sendBatch([Buffer.alloc(60)]), 0);
  });

  it('turns a failed stats read into a getsockopt error', () => {
    const { binding, sock } = make();
    sock.bind('eth0');
    binding.stats3 = [10, 2, 1];
    assert.deepEqual(sock.stats(), { packets: 10, drops: 2, freezes: 1 });
    binding.statsResult = -9;
    assert.throws(() => sock.stats(), { code: 'EBADF', syscall: 'getsockopt' });
  });
});

describe('PacketSocket batches', () => {
  it('hands each native batch to the handler once, as one reused batch object', () => {
    const { binding, sock } = make();
    const seen: [number, number][] = [];
    const objs = new Set<object>();
    sock.bind('eth0').start((b) => {
      seen.push([b.count, b.ifindex]);
      objs.add(b);
    });
    binding.deliver(5);
    binding.deliver(3);
    assert.deepEqual(seen, [
      [5, 7],
      [3, 7],
    ]);
    assert.equal(objs.size, 1);
  });

  it('sizes the record array for two full blocks of minimum frames', () => {
    const { binding, sock } = make({ blockSize: 1 << 16 });
    sock.bind('eth0').start(() => {});
    assert.deepEqual(binding.calls.find((c) => c.fn === 'readStart')?.args, [((2 << 16) / 64) * 6]);
  });

  it('sends a packed TxBatch with its offset/length pairs in one call', () => {
    const { binding, sock } = make();
    sock.bind('eth0');
    const tx = new TxBatch(4096, 8);
    tx.push(Buffer.alloc(60, 1));
    tx.push(Buffer.alloc(61, 2));
    assert.equal(sock.send(tx), 2);
    assert.deepEqual(binding.calls.at(-1), { fn: 'send', args: [4096, [0, 60, 64, 61], 2] });
  });

  it('sends frames straight from a caller buffer with sendFrom, validating its arguments', () => {
    const { binding, sock } = make();
    sock.bind('eth0');
    const ring = Buffer.alloc(8192);
    const pairs = new Uint32Array([100, 60, 4000, 64, 0, 0]);
    assert.equal(sock.sendFrom(ring, pairs, 2), 2);
    assert.deepEqual(binding.calls.at(-1), { fn: 'send', args: [8192, [100, 60, 4000, 64], 2] });
    const before = binding.calls.length;
    assert.equal(sock.sendFrom(ring, pairs, 0), 0);
    assert.equal(binding.calls.length, before, 'an empty run makes no native call');
    assert.throws(() => sock.sendFrom(ring, pairs, 4), code('ERR_INVALID_ARG_VALUE'));
    assert.throws(
      () => sock.sendFrom(ring, [1, 2] as unknown as Uint32Array, 1),
      code('ERR_INVALID_ARG_TYPE'),
    );
    binding.sendResult = -105; // ENOBUFS: a full queue, not an error
    assert.equal(sock.sendFrom(ring, pairs, 1), 0);
    binding.sendResult = -100;
    assert.throws(
      () => sock.sendFrom(ring, pairs, 1),
      (e: unknown) => e instanceof PacketSystemError && e.code === 'ENETDOWN' && e.syscall === 'sendmmsg',
    );
  });

  it('sends an array of frames with sendv and rejects non-byte elements', () => {
    const { binding, sock } = make();
    sock.bind('eth0');
    assert.equal(sock.send([Buffer.alloc(60), new Uint8Array(64)]), 2);
    assert.deepEqual(binding.calls.at(-1), { fn: 'sendv', args: [2] });
    assert.throws(() => sock.send(['x' as unknown as Uint8Array]), code('ERR_INVALID_ARG_TYPE'));
    assert.throws(() => sock.send('x' as unknown as Uint8Array[]), code('ERR_INVALID_ARG_TYPE'));
  });

  it('stops receiving on stop() and makes no native call for an empty send', () => {
    const { binding, sock } = make();
    let batches = 0;
    sock.bind('eth0').start(() => batches++);
    sock.stop();
    binding.deliver(4);
    assert.equal(batches, 0);
    const before = binding.calls.length;
    assert.equal(sock.send([]), 0);
    assert.equal(sock.send(new TxBatch(64, 1)), 0);
    assert.equal(binding.calls.length, before);
  });
});
