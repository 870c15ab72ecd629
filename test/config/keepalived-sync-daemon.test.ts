/**
 * `lvs_sync_daemon` in global_defs as keepalived 2.2.7's lvs_syncd_handler() reads it: each line
 * here was run through `keepalived -t` (2.2.7) and gives the model and the reports keepalived
 * gave (the same messages, all counted as errors), and buildCommands turns a daemon without an
 * instance into both start-daemon commands, as keepalived's checker process starts both.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseKeepalived } from '../../src/config/keepalived/index.js';
import { buildCommands } from '../../src/config/to-commands.js';
import { memIo } from './mem-io.js';

const P = '/etc/keepalived/keepalived.conf';
const parse = (line: string) => {
  const r = parseKeepalived(P, memIo({ [P]: `global_defs {\n  ${line}\n}\n` }), {});
  return {
    sd: r.model.globals.lvsSyncDaemon,
    errors: r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.text),
    model: r.model,
  };
};

describe('lvs_sync_daemon parsing (keepalived 2.2.7 global_parser.c lvs_syncd_handler)', () => {
  const cases: [string, object | undefined, string[]][] = [
    ['lvs_sync_daemon eth0', { ifname: 'eth0' }, []],
    ['lvs_sync_daemon eth0 inst VI_1', { ifname: 'eth0', instance: 'VI_1' }, []],
    ['lvs_sync_daemon eth0 VI_1', { ifname: 'eth0', instance: 'VI_1' }, []],
    [
      'lvs_sync_daemon eth0 VI_1 5',
      { ifname: 'eth0', instance: 'VI_1', syncId: 5 },
      ['Please use keyword "id" before lvs_sync_daemon SYNCID'],
    ],
    [
      'lvs_sync_daemon eth0 VI_1 5 6',
      { ifname: 'eth0', instance: 'VI_1', syncId: 5 },
      [
        'Please use keyword "id" before lvs_sync_daemon SYNCID',
        'Unknown option 6 specified for lvs_sync_daemon',
      ],
    ],
    [
      'lvs_sync_daemon eth0 id',
      { ifname: 'eth0' },
      ['No value specified for lvs_sync_daemon id, defaulting to vrid'],
    ],
    ['lvs_sync_daemon eth0 id 300', { ifname: 'eth0' }, ['Invalid syncid (300) - defaulting to vrid']],
    [
      'lvs_sync_daemon eth0 group 10.0.0.1',
      { ifname: 'eth0' },
      ['lvs_sync_daemon group address 10.0.0.1 is not multicast - ignoring'],
    ],
    [
      'lvs_sync_daemon eth0 group ff02::81 port 0',
      { ifname: 'eth0', group: 'ff02::81' },
      ['Invalid lvs_sync_daemon port (0) - ignoring'],
    ],
    [
      'lvs_sync_daemon eth0 maxlen 65508 ttl 0',
      { ifname: 'eth0' },
      ['Invalid lvs_sync_daemon maxlen (65508) - ignoring', 'Invalid lvs_sync_daemon ttl (0) - ignoring'],
    ],
    [
      'lvs_sync_daemon eth0 bogus extra',
      { ifname: 'eth0', instance: 'bogus' },
      ['Invalid syncid (extra) - defaulting to vrid'],
    ],
    [
      'lvs_sync_daemon abcdefghijklmnopq',
      undefined,
      ["lvs_sync_daemon interface name 'abcdefghijklmnopq' too long - ignoring"],
    ],
    [
      'lvs_sync_daemon eth0 inst VI_1 inst VI_2',
      { ifname: 'eth0', instance: 'VI_1' },
      ['lvs_sync_daemon vrrp instance has already been specified as VI_1 - ignoring'],
    ],
    [
      'lvs_sync_daemon eth0 id 3 maxlen 1400 port 9000 ttl 2 group 239.1.1.1 inst VI_1',
      { ifname: 'eth0', syncId: 3, maxLen: 1400, port: 9000, ttl: 2, group: '239.1.1.1', instance: 'VI_1' },
      [],
    ],
    [
      'lvs_sync_daemon eth0 group',
      { ifname: 'eth0' },
      ['No value specified for lvs_sync_daemon group - ignoring'],
    ],
    [
      'lvs_sync_daemon eth0 group bad',
      { ifname: 'eth0' },
      ['Invalid lvs_sync_daemon group (bad) - ignoring'],
    ],
    ['lvs_sync_daemon', undefined, ['lvs_sync_daemon requires interface']],
  ];
  for (const [line, want, errors] of cases) {
    it(`${line}`, () => {
      const r = parse(line);
      assert.deepEqual(r.sd, want);
      assert.deepEqual(r.errors, errors);
    });
  }

  it('a second lvs_sync_daemon is reported and ignored', () => {
    const r = parse('lvs_sync_daemon eth0 inst VI_1\n  lvs_sync_daemon eth1 id 4');
    assert.deepEqual(r.sd, { ifname: 'eth0', instance: 'VI_1' });
    assert.deepEqual(r.errors, ['lvs_sync_daemon has already been specified as eth0 VI_1 - ignoring']);
  });
});

describe('lvs_sync_daemon commands', () => {
  it('without an instance, both roles start with the given settings', () => {
    const { model } = parse('lvs_sync_daemon eth0 id 3 maxlen 1400 port 9000 ttl 2 group 239.1.1.1');
    const cmds = buildCommands(model).filter((c) => c.op === 'start-daemon');
    const daemon = {
      mcastInterface: 'eth0',
      syncId: 3,
      syncMaxLen: 1400,
      mcastGroup: '239.1.1.1',
      mcastPort: 9000,
      mcastTtl: 2,
    };
    assert.deepEqual(cmds, [
      { op: 'start-daemon', daemon: { state: 'master', ...daemon } },
      { op: 'start-daemon', daemon: { state: 'backup', ...daemon } },
    ]);
  });

  it('with an instance, the table build starts nothing (the role follows VRRP)', () => {
    const { model } = parse('lvs_sync_daemon eth0 inst VI_1');
    assert.deepEqual(
      buildCommands(model).filter((c) => c.op === 'start-daemon'),
      [],
    );
  });
});
