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
