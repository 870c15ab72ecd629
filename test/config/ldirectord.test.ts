import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { checkConfig, detectFormat } from '../../src/config/check-config.js';
import { parseLdirectord } from '../../src/config/ldirectord/parser.js';
import { FWD, PROTO, SVC_F } from '../../src/core/types.js';
import { destConfig } from '../helpers/table.js';

const fixture = readFileSync(new URL('../fixtures/ldirectord/director.cf', import.meta.url), 'utf8');
const F = '/etc/ha.d/ldirectord.cf';
const parse = (t: string) => parseLdirectord(F, t);
const byId = (t: string, id: string) => {
  const s = parse(t).model.services.find((x) => x.id === id);
  assert.ok(s, id);
  return s;
};

/** The example upstream ships as ldirectord/ldirectord.cf (the same as Debian's examples). */
const SPEC_EXAMPLE = `checktimeout=3
checkinterval=1
autoreload=yes
quiescent=no

virtual=192.168.6.240:80
	servicename=Web Site
	comment=Test load balanced web site
	real=192.168.6.2:80 gate
	real=192.168.6.3:80 gate
	real=192.168.6.6:80 gate
	fallback=127.0.0.1:80 gate
	service=http
	scheduler=rr
	#persistent=600
	protocol=tcp
	checktype=negotiate
	checkport=80
	request="index.html"
	receive="Test Page"
	virtualhost=www.x.y.z
`;

test('the spec example parses clean with its globals and one HTTP virtual', () => {
  const r = parse(SPEC_EXAMPLE);
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.exitCode, 0);
  assert.equal(r.model.globals.autoreload, true);
  assert.equal(r.model.globals.checkInterval, 1000);
  const s = r.model.services[0]!;
  assert.equal(s.id, 'TCP 192.168.6.240:80');
  assert.equal(s.config.scheduler, 'rr');
  assert.equal(s.name, 'Web Site');
  assert.deepEqual(s.sorry?.dest, destConfig('127.0.0.1', 80, { fwd: FWD.DROUTE, weight: 1 }));
  const ck = s.reals[0]!.checkers[0]!;
  assert.ok(ck.type === 'http');
  assert.deepEqual(
    [ck.urls[0]!.path, ck.urls[0]!.regex, ck.virtualhost, ck.connectTimeout, ck.delayLoop],
    ['/index.html', 'Test Page', 'www.x.y.z', 3000, 1000],
  );
});

test("Debian's packaged ldirectord example parses clean when present", (t) => {
  const p = '/usr/share/doc/ldirectord/examples/ldirectord.cf';
  if (!existsSync(p)) {
    // CI runs as root and .ci/run installs the package, so a missing example there is a failure.
    if (process.getuid?.() === 0) assert.fail(`${p} missing: .ci/run installs Debian's ldirectord`);
    return void t.skip('ldirectord package not installed and not root');
  }
  const r = parseLdirectord(p, readFileSync(p, 'utf8'));
  assert.equal(r.exitCode, 0, r.diagnostics.map((d) => d.message).join('\n'));
});

test('fixture: per-virtual overrides, ranges, per-real request/receive and thresholds', () => {
  const s = byId(fixture, 'TCP 192.0.2.10:80');
  assert.deepEqual(s.config, {
    scheduler: 'wlc',
    flags: SVC_F.PERSISTENT,
    timeout: 300,
    netmask: '255.255.255.0',
    pe: '',
  });
  assert.deepEqual(
    s.reals.map((r) => [r.dest.addr, r.dest.fwd, r.dest.weight, r.dest.lThreshold, r.dest.uThreshold]),
    [
      ['198.51.100.1', FWD.MASQ, 5, 0, 0],
      ['198.51.100.2', FWD.DROUTE, 2, 10, 100],
      ['198.51.100.3', FWD.DROUTE, 2, 10, 100],
      ['198.51.100.4', FWD.DROUTE, 2, 10, 100],
    ],
  );
  assert.equal(s.reals[0]!.inhibitOnFailure, false, 'virtual quiescent=no overrides the global yes');
  const a = s.reals[0]!.checkers[0]!;
  const b = s.reals[1]!.checkers[0]!;
  assert.ok(a.type === 'http' && b.type === 'http');
  assert.deepEqual(
    [a.method, a.urls[0]!.path, a.urls[0]!.regex, b.urls[0]!.path, b.urls[0]!.regex],
    ['HEAD', '/index.html', 'Welcome', '/alive.html', 'OK'],
  );
  // negotiatetimeout 12, failurecount 3 → retry 2 spaced by checkinterval 5 s, no first-failure shortcut.
  assert.deepEqual(
    [a.connectTimeout, a.retry, a.delayBeforeRetry, a.immediateFirstDown],
    [12000, 2, 5000, false],
  );
  assert.equal(s.sorry?.dest.fwd, FWD.MASQ, 'global fallback applies, port = virtual port');
});

test('fixture: dns on port 53 is UDP, connect check, external, combined, on, IPv6 ping', () => {
  const dns = byId(fixture, 'UDP 192.0.2.10:53');
  assert.equal(dns.keys[0]!.kind === 'addr' && dns.keys[0]!.protocol, PROTO.UDP);
  const d = dns.reals[0]!.checkers[0]!;
  assert.ok(d.type === 'dns' && d.name === 'example.com' && d.expect === '192.0.2.1');
  const smtp = byId(fixture, 'TCP 192.0.2.11:25');
  assert.equal(smtp.reals[0]!.checkers[0]!.type, 'tcp');
  assert.equal(smtp.reals[0]!.checkers[0]!.connectTimeout, 4000);
  assert.equal(smtp.sorry?.dest.addr, '198.51.100.99');
  const fwm = byId(fixture, 'FWM 7');
  const ext = fwm.reals[0]!.checkers[0]!;
  assert.ok(ext.type === 'misc');
  assert.deepEqual(ext.script.argv, ['/usr/local/bin/check-fwm', '7', '0', '198.51.100.7', '0']);
  assert.equal(ext.timeout, 2000);
  const comb = byId(fixture, 'TCP 192.0.2.12:7000');
  assert.deepEqual(
    comb.reals[0]!.checkers.map((c) => [c.type, c.negotiateEvery]),
    [
      ['tcp', undefined],
      ['simpletcp', 3],
    ],
  );
  assert.equal(comb.fallbackCommand?.command, '/usr/local/bin/fallback.sh');
  assert.equal(byId(fixture, 'TCP 192.0.2.13:110').reals[0]!.checkers.length, 0);
  const v6 = byId(fixture, 'TCP [2001:db8::10]:119');
  assert.deepEqual(
    [v6.reals[0]!.dest.addr, v6.reals[0]!.checkers[0]!.type, v6.sorry?.dest.addr],
    ['2001:db8::20', 'ping', '2001:db8::99'],
  );
});

test('fixture globals: autoreload, callback, checkinterval, emailalert', () => {
  const r = parse(fixture);
  assert.deepEqual(
    r.diagnostics.map((d) => d.message),
    [],
  );
  assert.equal(r.model.globals.autoreload, true);
  assert.equal(r.model.globals.callback?.command, '/usr/local/sbin/ld-callback');
  assert.equal(r.model.globals.checkInterval, 5000);
  assert.deepEqual(r.model.globals.notificationEmail, ['ops@example.com', 'oncall@example.com']);
});

test('defaults: scheduler wrr, checktype negotiate, service from port, quiescent off, timeouts 5/30', () => {
  const s = parse('virtual=10.0.0.1:443\n\treal=10.0.0.2:443 gate\n').model.services[0]!;
  assert.equal(s.config.scheduler, 'wrr');
  const ck = s.reals[0]!.checkers[0]!;
  assert.ok(ck.type === 'https' && ck.connectTimeout === 30000 && ck.retry === 0 && ck.delayLoop === 10000);
  assert.equal(s.reals[0]!.inhibitOnFailure, false);
});

test('a blank line ends a section, so following indented lines are errors', () => {
  const r = parse('virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\n\tscheduler=rr\n');
  assert.deepEqual(
    r.diagnostics.map((d) => [d.code, d.line]),
    [['ERR_CONFIG_UNKNOWN_KEYWORD', 4]],
  );
  assert.equal(r.exitCode, 2);
});

test('a trailing comment on a global line is part of the value (ldirectord behaviour)', () => {
  const r = parse('quiescent=no # comment\n');
  assert.deepEqual(
    r.diagnostics.map((d) => [d.code, d.line]),
    [['ERR_CONFIG_BAD_VALUE', 1]],
  );
});

test('deprecated timeout/connecttimeout, unknown directives, bad real lines and duplicates are coded errors', () => {
  const r = parse(
    'timeout=3\nvirtual=10.0.0.1:80\n\tconnecttimeout=3\n\tfoo=bar\n\treal=10.0.0.2:80 bogus\n\treal=10.0.0.3:80 gate 1 extra\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n',
  );
  assert.deepEqual(
    r.diagnostics.map((d) => [d.code, d.line]),
    [
      ['ERR_CONFIG_DEPRECATED', 1],
      ['ERR_CONFIG_DEPRECATED', 3],
      ['ERR_CONFIG_UNKNOWN_KEYWORD', 4],
      ['ERR_CONFIG_SYNTAX', 5],
      ['ERR_CONFIG_SYNTAX', 6],
      ['ERR_CONFIG_DUPLICATE', 7],
    ],
  );
});

test('hostnames resolve only through the caller', () => {
  const text = 'virtual=www.example:80\n\treal=web1:http gate\n';
  assert.equal(parse(text).exitCode, 2);
  const r = parseLdirectord(F, text, {
    resolveHost: (n) => (n === 'www.example' ? '192.0.2.1' : '198.51.100.1'),
  });
  assert.equal(r.exitCode, 0);
  assert.deepEqual(
    [r.model.services[0]!.id, r.model.services[0]!.reals[0]!.dest.port],
    ['TCP 192.0.2.1:80', 80],
  );
});

test('checktype=off marks the service so no real server or fallback is ever added', () => {
  const s = parse('virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tchecktype=off\n').model.services[0]!;
  assert.equal(s.checksOff, true);
});

test('format detection and checkConfig pick the right dialect and exit code', () => {
  assert.equal(detectFormat('/x/conf', SPEC_EXAMPLE), 'ldirectord');
  assert.equal(detectFormat('/x/conf', 'virtual_server 1.2.3.4 80 {\n}\n'), 'keepalived');
  const io = {
    readFile: (p: string) => (p === F ? 'virtual=10.0.0.1:80\n\tbogus=1\n' : undefined),
    glob: () => [],
  };
  const r = checkConfig(F, io);
  assert.deepEqual([r.format, r.exitCode], ['ldirectord', 2]);
});

test('logfile= naming a syslog facility is not honoured, so it is a notice at its line (exit status unchanged)', () => {
  const r = parse(
    `checktimeout=3\nlogfile="local0"\n\nvirtual=192.0.2.10:80\n\treal=198.51.100.12:80 masq\n`,
  );
  const n = r.diagnostics.filter((x) => x.code === 'ERR_CONFIG_IGNORED');
  assert.equal(n.length, 1, JSON.stringify(r.diagnostics));
  assert.equal(n[0]?.severity, 'notice');
  assert.equal(n[0]?.line, 2);
  assert.match(
    n[0]?.text ?? '',
    /^logfile="local0" is ignored: it names a syslog facility, and lvsd does not write to syslog/,
  );
  assert.equal(r.exitCode, 0);
  assert.equal(r.model?.globals.extra.logfile?.[0], 'local0');
});

test('logfile= naming a file is honoured (daemon/log-file.ts), so it is no finding', () => {
  const r = parse(
    `checktimeout=3\nlogfile="/var/log/ldirectord.log"\n\nvirtual=192.0.2.10:80\n\treal=198.51.100.12:80 masq\n`,
  );
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.model?.globals.extra.logfile?.[0], '/var/log/ldirectord.log');
});
