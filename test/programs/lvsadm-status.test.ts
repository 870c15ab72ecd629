import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatStatus } from '../../src/programs/lvsadm/main.js';

test('--status prints the daemon line, then each service as served, served with a caveat, or not served with the reason', () => {
  const text = formatStatus({
    version: '1.0.0',
    pid: 42,
    uptimeMs: 61_500,
    dataplane: 'packet',
    connTabSize: 4096,
    services: 3,
    vips: [
      { service: 'TCP  192.0.2.100:80', serving: true },
      {
        service: 'TCP  [2001:db8:1::100]:80',
        serving: true,
        reason: 'some real servers skipped: tunnels to real servers of the other family are not carried yet',
      },
      {
        service: 'UDP  [2001:db8:1::100]:53',
        serving: false,
        reason: 'real servers of the other family need a tunnel',
      },
    ],
  });
  assert.equal(
    text,
    [
      'lvsd 1.0.0 pid 42 up 61s, data plane packet, 3 services, size=4096',
      'TCP  192.0.2.100:80        served',
      'TCP  [2001:db8:1::100]:80  served (some real servers skipped: tunnels to real servers of the other family are not carried yet)',
      'UDP  [2001:db8:1::100]:53  not served: real servers of the other family need a tunnel',
      '',
    ].join('\n'),
  );
});

test('--status lists each real server under its service, as -L does, served or not with the reason', () => {
  const text = formatStatus({
    version: '1.0.0',
    pid: 42,
    uptimeMs: 1000,
    dataplane: 'proxy',
    connTabSize: 4096,
    services: 1,
    vips: [
      {
        service: 'TCP 192.0.2.10:80',
        serving: false,
        reason: 'no real server can be reached: direct routing (-g) needs the packet data plane',
        dests: [
          {
            dest: '198.51.100.11:80',
            serving: false,
            reason: 'direct routing (-g) needs the packet data plane',
          },
          { dest: '[2001:db8::1]:80', serving: true },
        ],
      },
    ],
  });
  assert.equal(
    text,
    [
      'lvsd 1.0.0 pid 42 up 1s, data plane proxy, 1 services, size=4096',
      'TCP 192.0.2.10:80      not served: no real server can be reached: direct routing (-g) needs the packet data plane',
      '  -> 198.51.100.11:80  not served: direct routing (-g) needs the packet data plane',
      '  -> [2001:db8::1]:80  served',
      '',
    ].join('\n'),
  );
});

test('--status prints the XDP flow offload line when the packet plane runs it', () => {
  const text = formatStatus({
    version: '1.0.0',
    pid: 42,
    uptimeMs: 1000,
    dataplane: 'packet',
    connTabSize: 4096,
    services: 0,
    vips: [],
    plane: {
      drops: {},
      offload: { installed: 2, installs: 5, refused: 1, removed: 3, failed: 0, packets: 700, bytes: 36400 },
    },
  });
  assert.equal(
    text.split('\n')[1],
    'xdp flow offload: 2 flows in XDP, 5 installed, 1 refused (map full), 3 removed; 700 packets, 36400 bytes forwarded in XDP',
  );
});
