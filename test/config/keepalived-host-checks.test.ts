/**
 * The host checks `keepalived -t` makes that need the host's user database and the order of the
 * file: script users and groups (getpwnam/getgrnam, here through HostFacts) and track_bfd names,
 * which must name a bfd_instance defined above the instance (vrrp_parser.c).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseKeepalived } from '../../src/config/keepalived/index.js';
import { memIo } from './mem-io.js';

const P = '/etc/keepalived/keepalived.conf';
const host = {
  userExists: (n: string) => n === 'root' || n === 'nobody',
  groupExists: (n: string) => n === 'root' || n === 'nogroup',
};
const parse = (text: string, h: object = host) =>
  parseKeepalived(P, memIo({ [P]: text }), h).diagnostics.map(
    (d) => `${d.line} ${d.code} ${d.message.replace(`${P}:${d.line}: `, '')}`,
  );

const instance = (extra = '') =>
  `vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n  192.0.2.100\n }\n${extra}}\n`;

describe('keepalived host checks', () => {
  it('reports an unknown global script_user or group at its line, in keepalived words', () => {
    assert.deepEqual(parse('global_defs {\n script_user nobody nogroup\n}\n'), []);
    assert.deepEqual(parse('global_defs {\n script_user ghost\n}\n'), [
      '2 ERR_CONFIG_BAD_VALUE Error setting global script uid/gid',
    ]);
    assert.deepEqual(parse('global_defs {\n script_user root ghosts\n}\n'), [
      '2 ERR_CONFIG_BAD_VALUE Error setting global script uid/gid',
    ]);
  });

  it("reports a vrrp_script's unknown user, naming the script", () => {
    const text = 'vrrp_script chk {\n script "/bin/true"\n user ghost\n}\n';
    assert.deepEqual(parse(text), ["3 ERR_CONFIG_BAD_VALUE Unable to set uid/gid for script '/bin/true'"]);
  });

  it('checks no user when the host gives no lookups', () => {
    assert.deepEqual(parse('global_defs {\n script_user ghost\n}\n', {}), []);
  });

  it('track_bfd finds only a bfd_instance defined above the instance', () => {
    const track = ' track_bfd {\n  B1\n }\n';
    const bfd = 'bfd_instance B1 {\n neighbor_ip 192.0.2.2\n}\n';
    assert.deepEqual(
      parse(bfd + instance(track)).filter((l) => l.includes('bfd')),
      [],
    );
    assert.deepEqual(
      parse(instance(track) + bfd).filter((l) => l.includes('bfd')),
      ['8 ERR_CONFIG_IGNORED (VI_1) track bfd B1 not found, ignoring...'],
    );
  });
});
