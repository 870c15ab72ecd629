/**
 * `use_vmac` with the packet data plane is refused (src/dataplane/packet-plane/vrrp-vmac-refusal.ts):
 * `lvsd --dataplane packet --config` prints the finding at the vrrp_instance's line with its code
 * and exits 1 before it touches an interface; the proxy plane is not refused.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseKeepalived } from '../../src/config/keepalived/index.js';
import { packetPlaneVmacConflicts } from '../../src/dataplane/packet-plane/vrrp-vmac-refusal.js';
import { memIo } from '../config/mem-io.js';
import { runBin } from './config-helpers.js';

const CONF = `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  use_vmac
  virtual_ipaddress {
    192.0.2.100/32
  }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 52
  virtual_ipaddress {
    192.0.2.101/32
  }
}
`;

test('packetPlaneVmacConflicts names each use_vmac instance at its line, and only those', () => {
  const P = '/k.conf';
  const { model } = parseKeepalived(P, memIo({ [P]: CONF }), {});
  const f = packetPlaneVmacConflicts(model);
  assert.deepEqual(
    f.map((d) => [
      d.severity,
      d.code,
      d.line,
      /\(VI_1\) use_vmac is not supported by the packet data plane/.test(d.text),
    ]),
    [['fatal', 'ERR_CONFIG_CONFLICT', 1, true]],
  );
});

test('lvsd --dataplane packet --config with use_vmac refuses to start: exit 1, the finding printed, no socket', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lvs-vmac-ref-'));
  try {
    const p = join(dir, 'k.conf');
    writeFileSync(p, CONF);
    const socket = join(dir, 'l.sock');
    const r = await runBin('lvsd', [
      '--socket',
      socket,
      '--dataplane',
      'packet',
      '--interface',
      'lo',
      '--config',
      p,
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `^${p}:1: fatal: \\(VI_1\\) use_vmac is not supported by the packet data plane.*\\(ERR_CONFIG_CONFLICT\\)$`,
        'm',
      ),
    );
    assert.equal(existsSync(socket), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
