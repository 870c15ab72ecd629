import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { prettyLine } from '../../src/daemon/logger.js';
import { parseLvsdArgs } from '../../src/daemon/options.js';
import { defaultSocketPath, ROOT_SOCKET_PATH } from '../../src/daemon/socket-path.js';

const user = { env: {}, uid: 1000, tmp: '/tmp' };

describe('default socket path', () => {
  it('uses LVSD_SOCKET above everything', () => {
    assert.equal(
      defaultSocketPath({ env: { LVSD_SOCKET: '/x.sock', XDG_RUNTIME_DIR: '/run/user/1' }, uid: 0 }),
      '/x.sock',
    );
  });
  it('uses /run/lvsd.sock for root', () => {
    assert.equal(defaultSocketPath({ env: { XDG_RUNTIME_DIR: '/run/user/0' }, uid: 0 }), ROOT_SOCKET_PATH);
  });
  it('uses $XDG_RUNTIME_DIR for other users', () => {
    assert.equal(
      defaultSocketPath({ env: { XDG_RUNTIME_DIR: '/run/user/1000' }, uid: 1000 }),
      '/run/user/1000/lvsd.sock',
    );
  });
  it('falls back to a per-user directory under the temp dir', () => {
    assert.equal(defaultSocketPath(user), '/tmp/lvsd-1000/lvsd.sock');
  });
});

describe('lvsd options', () => {
  it('defaults to the proxy plane, 12 table bits, info logs, and the demo when given no options', () => {
    const a = parseLvsdArgs([], user);
    assert.deepEqual(a, {
      kind: 'run',
      options: {
        socket: '/tmp/lvsd-1000/lvsd.sock',
        dataplane: 'proxy',
        interfaces: [],
        connTabBits: 12,
        logLevel: 'info',
        tickMs: 250,
        demo: true,
      },
    });
  });

  it('reads every option', () => {
    const a = parseLvsdArgs(
      [
        '--socket',
        '/s',
        '--restore',
        '/r',
        '--dataplane',
        'packet',
        '--interface',
        'veth0',
        '--interface',
        'veth1',
        '--conn-tab-bits',
        '20',
        '--log-level',
        'debug',
      ],
      user,
    );
    assert.deepEqual(a.kind === 'run' && a.options, {
      socket: '/s',
      restore: '/r',
      dataplane: 'packet',
      interfaces: ['veth0', 'veth1'],
      xdp: 'auto',
      xdpOffload: 'auto',
      connTabBits: 20,
      logLevel: 'debug',
      tickMs: 250,
      demo: false,
    });
  });

  for (const [argv, re] of [
    [['--conn-tab-bits', '7'], /--conn-tab-bits must be an integer in 8\.\.20, got '7'/],
    [['--conn-tab-bits', '1e1'], /got '1e1'/],
    [['--dataplane', 'xdp'], /unknown data plane 'xdp'/],
    [
      ['--dataplane', 'packet', '--interface', 'eth0', '--xdp', 'maybe'],
      /--xdp must be auto\|on\|off, got 'maybe'/,
    ],
    [['--xdp', 'on'], /--xdp needs --dataplane packet/],
    [['--listen-backlog', '0'], /--listen-backlog must be an integer in 1\.\.65535, got '0'/],
    [['--listen-backlog', '1e3'], /got '1e3'/],
    [['--listen-backlog', '65536'], /got '65536'/],
    [['--dataplane', 'none', '--listen-backlog', '128'], /--listen-backlog needs --dataplane proxy/],
    [['--log-level', 'loud'], /unknown log level 'loud'/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['extra'], /Unexpected argument 'extra'/],
    [['--demo', '--restore', '/r'], /--demo and --restore cannot be used together/],
    [
      ['--sysctl', 'net.ipv4.vs.nonesuch=1'],
      /--sysctl 'net.ipv4.vs.nonesuch=1': .*\(ERR_LVS_SYSCTL_UNKNOWN\)/,
    ],
    [['--sysctl', 'est_nice=1'], /\(ERR_LVS_SYSCTL_UNSUPPORTED\)/],
    [['--sysctl', 'sync_ports=3'], /not a power of two: 3 \(ERR_LVS_SYSCTL_VALUE\)/],
    [['--sysctl', 'conn_reuse_mode=x'], /\(ERR_LVS_SYSCTL_VALUE\)/],
    [['--sysctl', 'sloppy_tcp'], /expected NAME=VALUE \(ERR_LVS_SYSCTL_SYNTAX\)/],
    [['--sysctl-files', ','], /--sysctl-files needs/],
  ] as const) {
    it(`refuses ${argv.join(' ')} with exit 2`, () => {
      const a = parseLvsdArgs([...argv], user);
      assert.equal(a.kind, 'error');
      assert.ok(a.kind === 'error');
      assert.equal(a.exitCode, 2);
      assert.match(a.text, re);
    });
  }

  it('takes --sysctl (repeatable, with or without net.ipv4.vs.) and --sysctl-files', () => {
    const a = parseLvsdArgs(
      [
        '--sysctl',
        'net.ipv4.vs.sloppy_tcp=1',
        '--sysctl',
        'sync_threshold=10 100',
        '--sysctl-files',
        '/a,/b.conf',
      ],
      user,
    );
    assert.ok(a.kind === 'run');
    assert.deepEqual(a.options.sysctls, [
      { arg: 'net.ipv4.vs.sloppy_tcp=1', setting: { name: 'sloppy_tcp', values: [1] } },
      { arg: 'sync_threshold=10 100', setting: { name: 'sync_threshold', values: [10, 100] } },
    ]);
    assert.deepEqual(a.options.sysctlFiles, ['/a', '/b.conf']);
    const none = parseLvsdArgs(['--sysctl-files', 'none'], user);
    assert.equal(none.kind === 'run' && none.options.sysctlFiles, 'none');
  });

  it('takes --xdp on/off on the packet plane, auto by default, and none on the proxy plane', () => {
    const xdpOf = (argv: string[]) => {
      const a = parseLvsdArgs(argv, user);
      return a.kind === 'run' ? a.options.xdp : 'error';
    };
    const pk = ['--dataplane', 'packet', '--interface', 'eth0'];
    assert.equal(xdpOf(pk), 'auto');
    assert.equal(xdpOf([...pk, '--xdp', 'on']), 'on');
    assert.equal(xdpOf([...pk, '--xdp', 'off']), 'off');
    assert.equal(xdpOf([]), undefined);
  });

  it('takes --ftp-ports on the packet plane (absent: no helper) and refuses bad lists or another plane', () => {
    const of = (argv: string[]) => {
      const a = parseLvsdArgs(argv, user);
      return a.kind === 'run' ? a.options.ftpPorts : a.kind === 'error' ? a.text : a.kind;
    };
    const pk = ['--dataplane', 'packet', '--interface', 'eth0'];
    assert.equal(of(pk), undefined);
    assert.deepEqual(of([...pk, '--ftp-ports', '21']), [21]);
    assert.deepEqual(of([...pk, '--ftp-ports', '21,2121']), [21, 2121]);
    for (const bad of ['0', '65536', 'ftp', '', '21,,22', '1,2,3,4,5,6,7,8,9'])
      assert.match(String(of([...pk, '--ftp-ports', bad])), /--ftp-ports needs 1 to 8/, bad);
    assert.match(String(of(['--ftp-ports', '21'])), /--ftp-ports needs --dataplane packet/);
  });

  it('takes --listen-backlog on the proxy plane, absent by default (the plane chooses)', () => {
    const of = (argv: string[]) => {
      const a = parseLvsdArgs(argv, user);
      return a.kind === 'run' ? a.options.listenBacklog : 'error';
    };
    assert.equal(of([]), undefined);
    assert.equal(of(['--listen-backlog', '128']), 128);
    assert.equal(of(['--dataplane', 'proxy', '--listen-backlog', '65535']), 65535);
  });

  it('takes --xdp-offload auto/on/off on the packet plane: auto by default, off with --xdp off', () => {
    const offOf = (argv: string[]) => {
      const a = parseLvsdArgs(argv, user);
      return a.kind === 'run' ? a.options.xdpOffload : a.kind === 'error' ? a.text : 'other';
    };
    const pk = ['--dataplane', 'packet', '--interface', 'eth0'];
    assert.equal(offOf(pk), 'auto');
    assert.equal(offOf([...pk, '--xdp', 'on']), 'auto');
    assert.equal(offOf([...pk, '--xdp-offload', 'auto']), 'auto');
    assert.equal(offOf([...pk, '--xdp-offload', 'on']), 'on');
    assert.equal(offOf([...pk, '--xdp-offload', 'off']), 'off');
    assert.equal(offOf([...pk, '--xdp', 'off']), 'off');
    assert.match(
      String(offOf([...pk, '--xdp', 'off', '--xdp-offload', 'on'])),
      /--xdp-offload on needs --xdp/,
    );
    assert.match(String(offOf([...pk, '--xdp-offload', 'maybe'])), /--xdp-offload must be auto\|on\|off/);
    assert.match(String(offOf(['--xdp-offload', 'on'])), /--xdp-offload needs --dataplane packet/);
    assert.equal(offOf([]), undefined);
  });

  it('runs the demo with --demo alongside other options, and not with options alone', () => {
    const on = parseLvsdArgs(['--demo', '--socket', '/s'], user);
    const off = parseLvsdArgs(['--socket', '/s'], user);
    assert.deepEqual(
      [on.kind === 'run' && on.options.demo, off.kind === 'run' && off.options.demo],
      [true, false],
    );
  });

  it('prints help naming the default socket', () => {
    const a = parseLvsdArgs(['-h'], user);
    assert.ok(a.kind === 'help');
    assert.match(a.text, /default \/tmp\/lvsd-1000\/lvsd\.sock/);
  });
});

describe('pretty log lines', () => {
  it('renders time, level, message and extra fields', () => {
    const line = prettyLine(
      JSON.stringify({
        level: 40,
        time: Date.UTC(2024, 0, 1, 12, 3, 4, 5),
        pid: 1,
        msg: 'hi',
        vip: 'TCP 1.2.3.4:80',
        n: 2,
      }),
    );
    assert.equal(line, '12:03:04.005 WARN  hi vip=TCP 1.2.3.4:80 n=2');
  });
  it('passes non-JSON through', () => {
    assert.equal(prettyLine('plain'), 'plain');
  });
});

describe('lvsd --config with no file', () => {
  const KA = '/etc/keepalived/keepalived.conf';
  const LD = '/etc/ha.d/ldirectord.cf';
  const only =
    (...present: string[]) =>
    (p: string) =>
      present.includes(p);
  const config = (argv: string[], exists: (p: string) => boolean) => {
    const a = parseLvsdArgs(argv, user, exists);
    assert.equal(a.kind, 'run', JSON.stringify(a));
    return a.kind === 'run' ? a.options : undefined;
  };
  it("reads keepalived's default file, as keepalived does without -f", () => {
    assert.equal(config(['--config'], only(KA, LD))?.config, KA);
    assert.equal(config(['--config', '--log-level', 'warn'], only(KA))?.config, KA);
  });
  it("reads ldirectord's default file when only that exists, or when --config-format says so", () => {
    assert.equal(config(['--config'], only(LD))?.config, LD);
    assert.equal(config(['--config', '--config-format', 'ldirectord'], only(KA, LD))?.config, LD);
    assert.equal(config(['--config-format=ldirectord', '--config'], only(KA))?.config, LD);
  });
  it("names keepalived's default when neither exists (the start then reports it missing)", () => {
    assert.equal(config(['--config'], only())?.config, KA);
  });
  it('keeps an explicit file, and plain lvsd still runs the demo with no configuration', () => {
    assert.equal(config(['--config', '/x.conf'], only(KA))?.config, '/x.conf');
    const demo = config([], only(KA, LD));
    assert.equal(demo?.demo, true);
    assert.equal(demo?.config, undefined);
  });
  it('--check-config with no file checks the same default', () => {
    const a = parseLvsdArgs(['--check-config'], user, only(LD));
    assert.deepEqual(a, { kind: 'check', file: LD });
  });
});

describe('lvsd argv property', () => {
  it('never throws on any argv, bare --config/--check-config included, and answers one of its four kinds', () => {
    const token = fc.oneof(
      fc.constantFrom(
        '--config',
        '--check-config',
        '--config-format',
        'keepalived',
        'ldirectord',
        '--config-format=ldirectord',
        '--sysctl',
        'sync_threshold=9 8',
        'net/ipv4/vs/sync_ports=0x10',
        '--sysctl-files',
        'none',
        '--listen-backlog',
        '4096',
        '--demo',
        '--restore',
        '--socket',
        '-h',
        '--',
        '-',
        '',
      ),
      fc.string({ maxLength: 12 }),
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 8 }), fc.boolean(), (argv, present) => {
        const a = parseLvsdArgs(argv, user, () => present);
        assert.ok(['run', 'help', 'check', 'error'].includes(a.kind));
      }),
      { numRuns: 2000 },
    );
  });
});
