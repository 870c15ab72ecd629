import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseKeepalived } from '../../src/config/keepalived/index.js';
import type { CheckerConfig, VirtualService } from '../../src/config/model.js';
import { FWD, PROTO, SVC_F, TUN_F, TUN_TYPE } from '../../src/core/types.js';
import { memIo } from './mem-io.js';

const fixture = readFileSync(new URL('../fixtures/keepalived/director.conf', import.meta.url), 'utf8');
const P = '/etc/keepalived/keepalived.conf';
const parse = (text: string, opts = {}) => parseKeepalived(P, memIo({ [P]: text }), opts);
const codes = (text: string) => parse(text).diagnostics.map((d) => d.code);
const svc = (m: { services: readonly VirtualService[] }, id: string) => {
  const s = m.services.find((x) => x.id === id);
  assert.ok(s, `service ${id}`);
  return s;
};
const vsText = (body: string, head = '10.0.0.1 80') =>
  `virtual_server ${head} {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n${body}\n}\n`;

test('the representative fixture parses with only the sync-group weight finding keepalived -t reports too', () => {
  const r = parse(fixture);
  // VI_1 is in sync group G1 and chk_lvs has weight -20: keepalived/vrrp/vrrp.c
  // vrrp_complete_instance() reports "ignoring tracked script chk_lvs with weights due to SYNC group".
  assert.deepEqual(
    r.diagnostics.map((d) => [d.line, d.code]),
    [[143, 'ERR_CONFIG_IGNORED']],
  );
  assert.equal(r.model.services.length, 5);
});

test('virtual_server keywords map to ServiceConfig, keys and quorum settings', () => {
  const s = svc(parse(fixture).model, 'TCP 192.0.2.10:80');
  assert.deepEqual(s.keys, [{ kind: 'addr', af: 4, protocol: PROTO.TCP, addr: '192.0.2.10', port: 80 }]);
  assert.deepEqual(s.config, {
    scheduler: 'wrr',
    flags: SVC_F.PERSISTENT,
    timeout: 120,
    netmask: '255.255.255.255',
    pe: '',
  });
  assert.equal(s.quorum, 2);
  assert.equal(s.hysteresis, 1);
  assert.deepEqual(s.quorumUp?.argv, ['/usr/local/bin/vs-up.sh', 'web vip']);
  assert.equal(s.omega, true);
  assert.equal(s.sorry?.dest.addr, '203.0.113.99');
  assert.equal(s.sorry?.dest.port, 8080);
  assert.equal(s.sorry?.dest.fwd, FWD.MASQ);
  assert.deepEqual(
    s.reals.map((r) => [r.dest.addr, r.dest.port, r.dest.weight]),
    [
      ['198.51.100.1', 8080, 3],
      ['198.51.100.2', 8080, 3],
      ['198.51.100.3', 8080, 2],
    ],
  );
});

test('real_server settings: inhibit, notify scripts with user, alpha inherited from the VS', () => {
  const rs = svc(parse(fixture).model, 'TCP 192.0.2.10:80').reals[2]!;
  assert.equal(rs.inhibitOnFailure, true);
  assert.equal(rs.alpha, true);
  assert.deepEqual(rs.notifyDown, {
    command: '/usr/local/bin/down.sh rs3',
    argv: ['/usr/local/bin/down.sh', 'rs3'],
    user: 'nobody',
  });
  assert.equal(rs.smtpAlert, true);
});

test('HTTP_GET url, digest, status codes and timing resolve checker → VS → built-in', () => {
  const [http, tcp] = svc(parse(fixture).model, 'TCP 192.0.2.10:80').reals[2]!.checkers as [
    CheckerConfig,
    CheckerConfig,
  ];
  assert.equal(http.type, 'http');
  if (http.type !== 'http') return;
  assert.deepEqual(http.urls, [
    {
      path: '/health',
      digest: '640205b7b0fc66c1ea91c463fac6334d',
      statusCodes: [
        [200, 200],
        [301, 302],
      ],
      regexNoMatch: false,
    },
  ]);
  assert.deepEqual(
    [http.connectTimeout, http.retry, http.delayBeforeRetry, http.delayLoop, http.warmup],
    [3000, 2, 2000, 6000, 6000],
  );
  assert.equal(http.httpProtocol, '1.0');
  assert.equal(http.immediateFirstDown, true);
  assert.equal(tcp.type, 'tcp');
  if (tcp.type !== 'tcp') return;
  assert.deepEqual(
    [tcp.connectIp, tcp.connectPort, tcp.retry, tcp.delayBeforeRetry, tcp.connectTimeout],
    ['198.51.100.3', 8081, 1, 1000, 5000],
  );
});

test('SSL_GET virtualhost, MISC_CHECK dynamic/timeout, DR port fill and sh-port flag', () => {
  const s = svc(parse(fixture).model, 'TCP 192.0.2.11:443');
  assert.equal(s.config.flags, SVC_F.SCHED2);
  const [a, b] = s.reals;
  assert.equal(b!.dest.port, 443, 'DR real server without port takes the VS port');
  const ssl = a!.checkers[0]!;
  assert.ok(
    ssl.type === 'https' &&
      ssl.virtualhost === 'www.example.com' &&
      ssl.retry === 1 &&
      ssl.delayBeforeRetry === 3000,
  );
  const misc = b!.checkers[0]!;
  assert.ok(misc.type === 'misc');
  assert.deepEqual(
    [misc.dynamic, misc.timeout, misc.retry, misc.script.argv],
    [true, 4000, 0, ['/usr/local/bin/check.sh', '198.51.100.11']],
  );
});

test('TUN gue method, ops on UDP, DNS/UDP/PING checker defaults', () => {
  const s = svc(parse(fixture).model, 'UDP 192.0.2.12:53');
  assert.equal(s.config.flags, SVC_F.ONEPACKET);
  const rs = s.reals[0]!;
  assert.deepEqual(
    [rs.dest.fwd, rs.dest.tunType, rs.dest.tunPort, rs.dest.tunFlags],
    [FWD.TUNNEL, TUN_TYPE.GUE, 6080, TUN_F.CSUM],
  );
  const [dns, udp, ping] = rs.checkers;
  assert.ok(
    dns?.type === 'dns' &&
      dns.queryType === 'A' &&
      dns.name === 'example.com' &&
      dns.retry === 3 &&
      dns.delayBeforeRetry === 60000,
  );
  assert.ok(udp?.type === 'udp');
  assert.deepEqual([...udp.payload], [0, 1]);
  assert.deepEqual([...udp.requireReply!.bytes, ...udp.requireReply!.mask], [0, 0x01, 0xf0, 0xff]);
  assert.equal(ping?.type, 'ping');
});

test('SMTP_CHECK helo and FILE_CHECK weight reverse', () => {
  const [smtp, file] = svc(parse(fixture).model, 'TCP 192.0.2.13:25').reals[0]!.checkers;
  assert.ok(smtp?.type === 'smtp' && smtp.heloName === 'mail.example.com');
  assert.ok(file?.type === 'file' && file.trackFile === 'weightfile' && file.weight === 2 && file.reverse);
});

test('virtual_server group expands ranges and fwmarks into keys sharing the real servers', () => {
  const s = svc(parse(fixture).model, 'group WEB tcp');
  assert.deepEqual(
    s.keys.map((k) => (k.kind === 'addr' ? `${k.addr}:${k.port}` : `fwm${k.fwmark}`)),
    ['192.0.2.20:80', '192.0.2.30:80', '192.0.2.31:80', '192.0.2.32:80', 'fwm5'],
  );
});

test('globals: router_id, lvs_timeouts, lvs_sync_daemon, notification_email', () => {
  const g = parse(fixture).model.globals;
  assert.equal(g.routerId, 'LVS_MAIN');
  assert.deepEqual(g.lvsTimeouts, { tcp: 900, tcpfin: 30, udp: 300 });
  assert.deepEqual(g.lvsSyncDaemon, { ifname: 'eth0', syncId: 7 });
  assert.deepEqual(g.notificationEmail, ['ops@example.com']);
});

test('vrrp_instance, vrrp_script and sync group are modelled', () => {
  const v = parse(fixture).model.vrrp;
  const vi = v.instances[0]!;
  assert.deepEqual(
    [vi.name, vi.state, vi.vrid, vi.priority, vi.advertInt, vi.interface],
    ['VI_1', 'BACKUP', 51, 150, 1000, 'eth0'],
  );
  assert.deepEqual(vi.auth, { type: 'PASS', pass: 's3cret' });
  assert.deepEqual(
    vi.vips.map((x) => [x.addr, x.prefix, x.dev]),
    [
      ['192.0.2.10', 24, 'eth0'],
      ['192.0.2.11', 32, undefined],
    ],
  );
  assert.deepEqual(
    vi.trackScripts.map((t) => t.name),
    ['chk_lvs'],
  );
  assert.deepEqual(vi.notify.master?.argv, ['/usr/local/bin/notify.sh', 'master']);
  assert.deepEqual(
    v.scripts.map((s) => [s.name, s.interval, s.timeout, s.weight, s.fall, s.rise]),
    [['chk_lvs', 2000, 2000, -20, 2, 3]],
  );
  assert.deepEqual(v.syncGroups[0]?.members, ['VI_1']);
});

test('a vrrp_sync_group takes notify scripts and members; other keywords are unknown', () => {
  const r = parse(
    'vrrp_instance VI_1 {\n state MASTER\n interface eth0\n virtual_router_id 51\n priority 100\n' +
      ' virtual_ipaddress {\n 192.0.2.10\n }\n}\n' +
      'vrrp_sync_group G1 {\n group {\n VI_1\n }\n notify_master "/bin/m up"\n notify /bin/any\n bogus_kw 1\n}\n',
  );
  const g = r.model.vrrp.syncGroups[0];
  assert.deepEqual(g?.members, ['VI_1']);
  assert.deepEqual(g?.notify.master?.argv, ['/bin/m', 'up']);
  assert.deepEqual(g?.notify.any?.argv, ['/bin/any']);
  assert.deepEqual(
    r.diagnostics.map((d) => [d.code, d.line]),
    [['ERR_CONFIG_UNKNOWN_KEYWORD', 16]],
  );
});

test('missing protocol, scheduler and method default to UDP, wlc and NAT with warnings', () => {
  const r = parse('virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n }\n}\n');
  assert.deepEqual(
    r.diagnostics.map((d) => [d.severity, d.code]),
    [
      ['warning', 'ERR_CONFIG_DEFAULTED'],
      ['warning', 'ERR_CONFIG_DEFAULTED'],
      ['warning', 'ERR_CONFIG_DEFAULTED'],
    ],
  );
  const s = r.model.services[0]!;
  assert.equal(s.id, 'UDP 10.0.0.1:80');
  assert.equal(s.config.scheduler, 'wlc');
  assert.equal(s.reals[0]!.dest.fwd, FWD.MASQ);
});

test('silent fixes: DR port reset, duplicate RS removed, quorum and hysteresis lowered, zero port made persistent', () => {
  const r = parse(
    vsText(
      ' quorum 10\n hysteresis 20\n real_server 10.0.0.3 81 { weight 2 }\n real_server 10.0.0.3 80 { weight 2 }\n real_server 10.0.0.3 80 { weight 5 }',
      '10.0.0.1 0',
    ).replace('NAT', 'DR'),
  );
  const s = r.model.services[0]!;
  assert.deepEqual(
    s.reals.map((x) => [x.dest.port, x.dest.weight]),
    [[0, 2]],
  );
  assert.equal(s.quorum, 2);
  assert.equal(s.hysteresis, 1);
  assert.equal(s.config.timeout, 360);
  assert.ok(s.config.flags & SVC_F.PERSISTENT);
  assert.deepEqual(r.diagnostics.map((d) => d.code).sort(), [
    'ERR_CONFIG_ADJUSTED',
    'ERR_CONFIG_ADJUSTED',
    'ERR_CONFIG_ADJUSTED',
    'ERR_CONFIG_ADJUSTED',
    'ERR_CONFIG_ADJUSTED',
    'ERR_CONFIG_ADJUSTED',
    'ERR_CONFIG_DUPLICATE',
    'ERR_CONFIG_DUPLICATE',
  ]);
});

test('RS weight 0 is kept (not silently made 1) and RS weight defaults to the VS weight', () => {
  const s = parse(vsText(' weight 4\n real_server 10.0.0.2 80 { weight 0 }\n real_server 10.0.0.3 80 { }'))
    .model.services[0]!;
  assert.deepEqual(
    s.reals.map((r) => r.dest.weight),
    [0, 4],
  );
});

test('a VS without real servers is dropped with an error', () => {
  const r = parse(vsText(''));
  assert.equal(r.model.services.length, 0);
  assert.deepEqual(
    r.diagnostics.map((d) => [d.severity, d.code, d.line]),
    [['error', 'ERR_CONFIG_IGNORED', 1]],
  );
});

test('unknown keywords, bad values and deprecated nb_get_retry are located and coded', () => {
  const r = parse(
    vsText(
      ' foo bar\n lb_algo nope\n real_server 10.0.0.2 80 {\n  weight abc\n  HTTP_GET {\n   nb_get_retry 3\n   url {\n    path /\n   }\n  }\n }',
    ),
  );
  assert.deepEqual(
    r.diagnostics.map((d) => [d.code, d.line]),
    [
      ['ERR_CONFIG_UNKNOWN_KEYWORD', 5],
      ['ERR_CONFIG_BAD_VALUE', 6],
      ['ERR_CONFIG_BAD_VALUE', 8],
      ['ERR_CONFIG_DEPRECATED', 10],
    ],
  );
  const ck = r.model.services[0]!.reals[0]!.checkers[0]!;
  assert.equal(ck.retry, 3);
});

test('brace errors are reported: extra } and missing }', () => {
  assert.ok(codes(`${vsText(' real_server 10.0.0.2 80 { }')}}\n`).includes('ERR_CONFIG_SYNTAX'));
  assert.ok(codes(vsText(' real_server 10.0.0.2 80 { }').slice(0, -2)).includes('ERR_CONFIG_SYNTAX'));
});

test('HTTP_GET without url and url without path are dropped', () => {
  const r = parse(
    vsText(' real_server 10.0.0.2 80 {\n HTTP_GET {\n }\n SSL_GET {\n url {\n digest 00\n }\n }\n }'),
  );
  assert.equal(r.model.services[0]!.reals[0]!.checkers.length, 0);
  assert.ok(r.diagnostics.filter((d) => d.code === 'ERR_CONFIG_IGNORED').length >= 2);
});

test('fwmark VS: protocol ignored with a warning, non-NAT RS port cleared', () => {
  const r = parse(
    'virtual_server fwmark 9 {\n protocol TCP\n lb_algo rr\n lb_kind DR\n real_server 10.0.0.2 80 { }\n}\n',
  );
  const s = r.model.services[0]!;
  assert.deepEqual(s.keys, [{ kind: 'fwmark', af: 4, fwmark: 9 }]);
  assert.equal(s.reals[0]!.dest.port, 0);
  assert.deepEqual(
    r.diagnostics.map((d) => d.code),
    ['ERR_CONFIG_ADJUSTED', 'ERR_CONFIG_ADJUSTED'],
  );
});

test('sh-port before lvs_sched sh is rejected; TUN options are validated', () => {
  assert.ok(codes(vsText(' sh-port\n real_server 10.0.0.2 80 { }')).includes('ERR_CONFIG_CONFLICT'));
  assert.ok(
    codes(vsText(' real_server 10.0.0.2 80 { lvs_method TUN type gue }')).includes('ERR_CONFIG_BAD_VALUE'),
  );
  assert.ok(
    codes(vsText(' real_server 10.0.0.2 80 { lvs_method TUN type ipip csum }')).includes(
      'ERR_CONFIG_BAD_VALUE',
    ),
  );
});

test('VRRP fix-ups: state from priority, AH master cleared, v3 rounding, unknown track script', () => {
  const r = parse(
    [
      'vrrp_instance A {\n interface eth0\n virtual_router_id 1\n priority 255\n}',
      'vrrp_instance B {\n interface eth0\n virtual_router_id 2\n state MASTER\n priority 100\n authentication {\n auth_type AH\n auth_pass x\n }\n}',
      'vrrp_instance C {\n interface eth0\n virtual_router_id 3\n version 3\n advert_int 0.123\n track_script {\n nope\n }\n}',
      'vrrp_instance D {\n virtual_router_id 4\n}',
    ].join('\n'),
  );
  const [a, b, c] = r.model.vrrp.instances;
  assert.equal(a!.state, 'MASTER');
  assert.equal(b!.state, 'BACKUP');
  assert.equal(c!.advertInt, 120);
  assert.equal(c!.trackScripts.length, 0);
  assert.equal(r.model.vrrp.instances.length, 3, 'D has no interface and is dropped');
  assert.deepEqual(
    r.diagnostics.map((d) => d.code),
    ['ERR_CONFIG_ADJUSTED', 'ERR_CONFIG_ADJUSTED', 'ERR_CONFIG_IGNORED', 'ERR_CONFIG_MISSING_VALUE'],
  );
});

test('interfaces are checked only when the caller says which exist', () => {
  const text = 'vrrp_instance A {\n interface eth9\n virtual_router_id 1\n}\n';
  assert.equal(parse(text).diagnostics.length, 0);
  const r = parse(text, { interfaceExists: (n: string) => n === 'eth0' });
  assert.deepEqual(
    r.diagnostics.map((d) => [d.code, d.line]),
    // At the `interface` line, where keepalived -t reports it ("(file: Line 2) WARNING - interface ...").
    [['ERR_CONFIG_NO_INTERFACE', 2]],
  );
});

test('Allman-style braces on their own line open the block of the previous statement', () => {
  const r = parse(
    'virtual_server 10.0.0.1 80\n{\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 10.0.0.2 80\n {\n weight 7\n }\n}\n',
  );
  assert.deepEqual(
    r.diagnostics.map((d) => d.message),
    [],
  );
  assert.equal(r.model.services[0]!.reals[0]!.dest.weight, 7);
});
