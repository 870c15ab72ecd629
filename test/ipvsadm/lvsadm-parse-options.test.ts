/**
 * One line per option and per extension: argv → the Command or request parse() returns, or the
 * exact error. ipvsadm's own options are also covered case by case by the oracle test; these
 * pin the shape of our results and everything ipvsadm does not have.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { namesIn, parse } from '../../src/ipvsadm/parse.js';
import { tableResolver } from '../../src/ipvsadm/resolve.js';
import { TERMINAL_NOTE } from '../../src/ipvsadm/usage.js';

const svc = { kind: 'addr', af: 4, protocol: 6, addr: '10.0.0.1', port: 80 } as const;
const base = { addr: '10.0.0.2', port: 80, af: 4, fwd: 3, weight: 1, uThreshold: 0, lThreshold: 0 };
const tun = { tunType: 0, tunPort: 0, tunFlags: 0 };
const cmdOf = (argv: string) => {
  const r = parse(argv.split(' '));
  assert.equal(r.kind, 'command', JSON.stringify(r));
  return (r as { command: unknown }).command;
};
const errOf = (argv: string) => {
  const r = parse(argv.split(' '), { prog: 'lvsadm' });
  assert.equal(r.kind, 'error', JSON.stringify(r));
  return r as { text: string; exitCode: number };
};
const listOf = (argv: string) => {
  const r = parse(argv.split(' '));
  assert.equal(r.kind, 'list', JSON.stringify(r));
  return (r as unknown as { list: { view: string; format: Record<string, boolean>; service?: unknown } })
    .list;
};

const cases: Array<[string, () => void]> = [
  [
    '-A builds add-service with wlc, no persistence and /32',
    () =>
      assert.deepEqual(cmdOf('-A -t 10.0.0.1:80'), {
        op: 'add-service',
        service: svc,
        config: { scheduler: 'wlc', flags: 0, timeout: 0, netmask: '255.255.255.255', pe: '' },
      }),
  ],
  [
    '-E is a full replacement carrying defaults',
    () =>
      assert.deepEqual(cmdOf('-E -t 10.0.0.1:80 -p'), {
        op: 'edit-service',
        service: svc,
        config: { scheduler: 'wlc', flags: 1, timeout: 360, netmask: '255.255.255.255', pe: '' },
      }),
  ],
  [
    '--pe sets the persistence engine',
    () =>
      assert.equal((cmdOf('-A -t 10.0.0.1:80 -p --pe sip') as { config: { pe: string } }).config.pe, 'sip'),
  ],
  [
    '-f -6 gives an IPv6 fwmark service with netmask 128',
    () =>
      assert.deepEqual((cmdOf('-A -f 5 -6') as { service: unknown }).service, {
        kind: 'fwmark',
        af: 6,
        fwmark: 5,
      }),
  ],
  [
    'IPv6 service address in brackets',
    () =>
      assert.deepEqual((cmdOf('-D -t [2001:db8::1]:443') as { service: unknown }).service, {
        kind: 'addr',
        af: 6,
        protocol: 6,
        addr: '2001:db8::1',
        port: 443,
      }),
  ],
  [
    '--sctp-service selects protocol 132',
    () =>
      assert.equal(
        (cmdOf('-D --sctp-service 10.0.0.1:80') as { service: { protocol: number } }).service.protocol,
        132,
      ),
  ],
  [
    '-a defaults to DR, weight 1, and the service port',
    () =>
      assert.deepEqual(cmdOf('-a -t 10.0.0.1:80 -r 10.0.0.2:8080'), {
        op: 'add-dest',
        service: svc,
        dest: { ...base, ...tun },
      }),
  ],
  [
    '-m keeps the real-server port',
    () =>
      assert.equal(
        (cmdOf('-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m') as { dest: { port: number } }).dest.port,
        8080,
      ),
  ],
  [
    'GUE tunnel options land in the dest',
    () =>
      assert.deepEqual(
        cmdOf('-e -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type gue --tun-port 6080 --tun-remcsum'),
        {
          op: 'edit-dest',
          service: svc,
          dest: { ...base, fwd: 2, tunType: 1, tunPort: 6080, tunFlags: 2 },
        },
      ),
  ],
  [
    '-d carries only the dest key',
    () =>
      assert.deepEqual(cmdOf('-d -t 10.0.0.1:80 -r 10.0.0.2'), {
        op: 'del-dest',
        service: svc,
        dest: { addr: '10.0.0.2', port: 80 },
      }),
  ],
  ['-C is clear', () => assert.deepEqual(cmdOf('-C'), { op: 'clear' })],
  ['-Z without a service zeroes all', () => assert.deepEqual(cmdOf('-Z'), { op: 'zero' })],
  [
    '--set carries three timeouts',
    () => assert.deepEqual(cmdOf('--set 10 20 30'), { op: 'set-timeouts', tcp: 10, tcpfin: 20, udp: 30 }),
  ],
  [
    '--start-daemon with every daemon option',
    () =>
      assert.deepEqual(
        cmdOf(
          '--start-daemon backup --mcast-interface eth1 --syncid 7 --sync-maxlen 1400 --mcast-group 224.0.0.82 --mcast-port 9000 --mcast-ttl 3',
        ),
        {
          op: 'start-daemon',
          daemon: {
            state: 'backup',
            mcastInterface: 'eth1',
            syncId: 7,
            syncMaxLen: 1400,
            mcastGroup: '224.0.0.82',
            mcastPort: 9000,
            mcastTtl: 3,
          },
        },
      ),
  ],
  [
    '--stop-daemon',
    () => assert.deepEqual(cmdOf('--stop-daemon master'), { op: 'stop-daemon', state: 'master' }),
  ],
  ['-S -n is a numeric save', () => assert.deepEqual(parse(['-S', '-n']), { kind: 'save', numeric: true })],
  ['-R is a restore', () => assert.deepEqual(parse(['-R']), { kind: 'restore' })],
  [
    'no arguments lists everything',
    () => assert.equal((parse([]) as { list: { view: string } }).list.view, 'services'),
  ],
  [
    '-L --stats --exact --nosort sets the format flags',
    () => {
      const f = listOf('-L --stats --exact --nosort').format;
      assert.ok(f.stats && f.exact && f.nosort && !f.numeric);
    },
  ],
  ['-L --rate', () => assert.ok(listOf('-L --rate').format.rate)],
  ['-L --thresholds', () => assert.ok(listOf('-L --thresholds').format.thresholds)],
  ['-L --persistent-conn', () => assert.ok(listOf('-L --persistent-conn').format.persistentConn)],
  ['-L --tun-info', () => assert.ok(listOf('-L --tun-info').format.tunInfo)],
  ['-Lc lists connections', () => assert.equal(listOf('-Lc').view, 'connections')],
  ['-L --timeout', () => assert.equal(listOf('-L --timeout').view, 'timeout')],
  ['-L --daemon', () => assert.equal(listOf('-L --daemon').view, 'daemon')],
  ['-L -t VIP:port names one service', () => assert.deepEqual(listOf('-L -t 10.0.0.1:80').service, svc)],
  [
    '-h prints usage with the program name',
    () => {
      const r = parse(['-h'], { prog: 'lvsadm' });
      assert.equal(r.kind, 'help');
      assert.match((r as { text: string }).text, /^ {2}lvsadm -C$/m);
    },
  ],
  [
    '-v prints the ipvsadm version line',
    () =>
      assert.deepEqual(parse(['-v']), {
        kind: 'version',
        text: 'ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n',
        terminalNote: TERMINAL_NOTE,
      }),
  ],
  // Extensions.
  [
    '-b on -a means FULLNAT (DPVS)',
    () =>
      assert.equal(
        (cmdOf('-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -b') as { dest: { fwd: number; port: number } }).dest.fwd,
        5,
      ),
  ],
  [
    'FULLNAT keeps the real-server port',
    () =>
      assert.equal(
        (cmdOf('-a -t 10.0.0.1:80 -r 10.0.0.2:8080 --fullnat') as { dest: { port: number } }).dest.port,
        8080,
      ),
  ],
  [
    '-b on -A still means scheduler flags',
    () =>
      assert.equal(
        (cmdOf('-A -t 10.0.0.1:80 -s sh -b sh-port') as { config: { flags: number } }).config.flags,
        16,
      ),
  ],
  [
    '-b with -m is a second forwarding method',
    () =>
      assert.deepEqual(errOf('-a -t 10.0.0.1:80 -r 10.0.0.2 -m -b'), {
        kind: 'error',
        text: "multiple 'forwarding-method' options specified",
        exitCode: 2,
      }),
  ],
  [
    '--fullnat is unknown outside -a/-e',
    () =>
      assert.deepEqual(errOf('-A -t 10.0.0.1:80 --fullnat'), {
        kind: 'error',
        text: '--fullnat: unknown option',
        exitCode: 255,
      }),
  ],
  [
    '-P adds a local address',
    () =>
      assert.deepEqual(cmdOf('-P -t 10.0.0.1:80 -z 192.0.2.9 -F eth0'), {
        op: 'add-laddr',
        service: svc,
        addr: '192.0.2.9',
        ifname: 'eth0',
      }),
  ],
  [
    '-Q deletes a local address',
    () =>
      assert.deepEqual(cmdOf('--del-laddr -t 10.0.0.1:80 -z 192.0.2.9'), {
        op: 'del-laddr',
        service: svc,
        addr: '192.0.2.9',
      }),
  ],
  [
    '-P needs -z',
    () =>
      assert.deepEqual(errOf('-P -t 10.0.0.1:80'), {
        kind: 'error',
        text: "You need to supply the 'laddr' option for the 'add-laddr' command",
        exitCode: 2,
      }),
  ],
  [
    '-z refuses a non-address',
    () =>
      assert.deepEqual(errOf('-P -t 10.0.0.1:80 -z nope'), {
        kind: 'error',
        text: 'illegal local address specified',
        exitCode: 2,
      }),
  ],
  ['-G lists local addresses', () => assert.equal(listOf('-G -t 10.0.0.1:80').view, 'laddrs')],
  [
    '-z is unknown to ipvsadm commands',
    () =>
      assert.deepEqual(errOf('-L -z 1.2.3.4'), { kind: 'error', text: '-z: unknown option', exitCode: 255 }),
  ],
  [
    '--proxy-protocol v2 on -a',
    () =>
      assert.equal(
        (cmdOf('-a -t 10.0.0.1:80 -r 10.0.0.2 -m --proxy-protocol v2') as { dest: { proxyProtocol: number } })
          .dest.proxyProtocol,
        2,
      ),
  ],
  [
    '--proxy-protocol refuses other versions',
    () =>
      assert.deepEqual(errOf('-a -t 10.0.0.1:80 -r 10.0.0.2 --proxy-protocol v3'), {
        kind: 'error',
        text: 'illegal proxy-protocol version specified',
        exitCode: 2,
      }),
  ],
  [
    '--status, --health, --availability are list views',
    () => {
      assert.equal(listOf('-L --status').view, 'status');
      assert.equal(listOf('-L --health').view, 'health');
      assert.equal(listOf('-L --availability').view, 'availability');
    },
  ],
  [
    '--status conflicts with -c',
    () =>
      assert.deepEqual(errOf('-L -c --status'), {
        kind: 'error',
        text: 'options conflicts in the list command',
        exitCode: 2,
      }),
  ],
  [
    '--socket may appear anywhere and is returned apart',
    () =>
      assert.deepEqual(parse(['-C', '--socket', '/tmp/x.sock']), {
        kind: 'command',
        command: { op: 'clear' },
        socket: '/tmp/x.sock',
      }),
  ],
  ['--socket=PATH before the command', () => assert.equal(parse(['--socket=/s', '-Ln']).socket, '/s')],
  [
    '--socket without a path is an error',
    () =>
      assert.deepEqual(errOf('-C --socket'), {
        kind: 'error',
        text: '--socket: missing argument',
        exitCode: 255,
      }),
  ],
  [
    'a host name is resolved through the resolver',
    () => {
      const r = parse(['-A', '-t', 'web:http'], {
        resolver: tableResolver({
          hosts: new Map([['web', '10.0.0.1']]),
          services: new Map([['http/tcp', 80]]),
        }),
      });
      assert.deepEqual((r as { command: { service: unknown } }).command.service, svc);
    },
  ],
  [
    'an unknown host name is refused like ipvsadm',
    () =>
      assert.deepEqual(errOf('-A -t web:80'), {
        kind: 'error',
        text: 'illegal virtual server address[:port] specified',
        exitCode: 2,
      }),
  ],
  [
    'namesIn lists the words that need resolving',
    () =>
      assert.deepEqual(
        namesIn(['-a', '-t', 'web:http', '-r', '10.0.0.2', '-r', 'db', '-t[2001:db8::1]:80']),
        ['web', 'db'],
      ),
  ],
];
for (const [name, fn] of cases) test(name, fn);

test('random argv arrays never throw: always a ParsedCommand', () => {
  const tok = fc.oneof(
    fc.constantFrom(
      '-A',
      '-E',
      '-D',
      '-C',
      '-R',
      '-S',
      '-a',
      '-e',
      '-d',
      '-L',
      '-l',
      '-Z',
      '--set',
      '-h',
      '-v',
    ),
    fc.constantFrom(
      '-t',
      '-u',
      '-f',
      '-6',
      '-s',
      '-p',
      '-M',
      '-b',
      '-o',
      '-r',
      '-g',
      '-i',
      '-m',
      '-w',
      '-x',
      '-y',
    ),
    fc.constantFrom(
      '-c',
      '-n',
      '-X',
      '--stats',
      '--rate',
      '--tun-type',
      '--tun-port',
      '--pe',
      '--start-daemon',
      '-P',
      '-z',
    ),
    fc.constantFrom(
      '10.0.0.1:80',
      '[2001:db8::1]:80',
      'master',
      'gue',
      'sh-port',
      '1',
      '0',
      '--',
      '-',
      '--socket',
    ),
    fc.string({ maxLength: 8 }),
  );
  fc.assert(
    fc.property(fc.array(tok, { maxLength: 10 }), (argv) => {
      const r = parse(argv);
      assert.ok(['command', 'list', 'save', 'restore', 'help', 'version', 'error'].includes(r.kind));
      if (r.kind === 'error') assert.ok([1, 2, 255].includes(r.exitCode) && r.text.length > 0);
    }),
    { numRuns: 3000 },
  );
});
