import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { peerOf } from '../../bench/lib/packet-lab.js';

describe('packet bench lab helpers', () => {
  it('finds the transmitting peer of each director interface (where TSO must go off for NAPI)', () => {
    // NAT: the client is cabled straight to the director; the inside leg goes to the switch.
    assert.deepEqual(peerOf('nat', 'eth0'), { host: 'client', ifname: 'eth0' });
    assert.deepEqual(peerOf('nat', 'eth1'), { host: 'sw', ifname: 'director' });
    // DR: the director's one leg is a switch port.
    assert.deepEqual(peerOf('dr', 'eth0'), { host: 'sw', ifname: 'director' });
  });

  it('refuses an interface the lab does not give the director', () => {
    assert.throws(() => peerOf('dr', 'eth1'), /no director interface eth1/);
  });
});
