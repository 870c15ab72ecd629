import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DATAPLANE_FAULT_CODES,
  dataplaneFaultChannel,
  healthTransitionChannel,
  reloadChannel,
  tableChangeChannel,
} from '../../src/control/channels.js';
import { faultLine, reloadLines, subscribeLogger, tableChangeLine } from '../../src/daemon/log-subscriber.js';
import { memLogger } from '../helpers/channels.js';
import { destConfig, tcp } from '../helpers/table.js';

const src = {};

test('every fault code has its own log text', () => {
  const texts = DATAPLANE_FAULT_CODES.map((code) => faultLine({ source: src, plane: 'packet', code }).msg);
  assert.equal(new Set(texts).size, DATAPLANE_FAULT_CODES.length);
  assert.ok(texts.every((t) => t.length > 0));
});

test('a fault is written with the text, level and fields lvsd logged before the channels', () => {
  assert.deepEqual(faultLine({ source: src, plane: 'packet', code: 'packet-socket-error', err: 'EIO' }), {
    level: 'warn',
    msg: 'packet socket error',
    fields: { err: 'EIO' },
  });
  assert.deepEqual(
    faultLine({ source: src, plane: 'packet', code: 'xdp-unavailable', detail: { reason: 'no BTF' } }),
    {
      level: 'warn',
      msg: 'AF_XDP fast path unavailable, using AF_PACKET only',
      fields: { reason: 'no BTF' },
    },
  );
  assert.deepEqual(
    faultLine({
      source: src,
      plane: 'proxy',
      code: 'proxy-listen-failed',
      detail: { service: 'TCP 192.0.2.1:80', reason: 'EADDRNOTAVAIL' },
    }),
    {
      level: 'warn',
      msg: 'cannot serve [192.0.2.1]:tcp:80: address not on this host (EADDRNOTAVAIL); will retry',
      fields: { service: '[192.0.2.1]:tcp:80', reason: 'EADDRNOTAVAIL' },
    },
  );
  assert.deepEqual(
    faultLine({
      source: src,
      plane: 'proxy',
      code: 'unserved-change',
      detail: { op: 'add-dest', reason: '-g needs the packet plane' },
    }),
    {
      level: 'warn',
      msg: 'accepted into the table but not served: -g needs the packet plane',
      fields: { op: 'add-dest' },
    },
  );
  const e = new Error('boom');
  assert.deepEqual(faultLine({ source: src, plane: 'director', code: 'tick-failed', err: e }), {
    level: 'error',
    msg: 'tick failed',
    fields: { err: e },
  });
});

test('findings are written one per line at their severity, as file:line: severity: text (code)', () => {
  const f = (severity: 'notice' | 'warning' | 'error', line: number) => ({
    severity,
    code: 'ERR_CONFIG_UNKNOWN_KEYWORD',
    file: '/etc/k.conf',
    line,
    text: 'unknown keyword',
  });
  const lines = reloadLines({
    phase: 'checked',
    source: src,
    file: '/etc/k.conf',
    findings: [f('notice', 1), f('warning', 2), f('error', 3)],
  });
  assert.deepEqual(
    lines.map((l) => [l.level, l.msg]),
    [
      ['info', '/etc/k.conf:1: notice: unknown keyword (ERR_CONFIG_UNKNOWN_KEYWORD)'],
      ['warn', '/etc/k.conf:2: warning: unknown keyword (ERR_CONFIG_UNKNOWN_KEYWORD)'],
      ['error', '/etc/k.conf:3: error: unknown keyword (ERR_CONFIG_UNKNOWN_KEYWORD)'],
    ],
  );
  assert.deepEqual(lines[2]!.fields, { file: '/etc/k.conf', line: 3, code: 'ERR_CONFIG_UNKNOWN_KEYWORD' });
});

test('a finished load and reload are written with file, services and commands', () => {
  const base = { phase: 'finished', source: src, file: '/f', format: 'keepalived', services: 2, commands: 5 };
  assert.deepEqual(reloadLines({ ...base, phase: 'finished', initial: true, diff: { 'add-service': 2 } }), [
    {
      level: 'info',
      msg: 'configuration loaded',
      fields: { file: '/f', format: 'keepalived', services: 2, commands: 5 },
    },
  ]);
  assert.deepEqual(reloadLines({ ...base, phase: 'finished', initial: false, diff: {} }), [
    { level: 'info', msg: 'configuration reloaded', fields: { file: '/f', services: 2, commands: 5 } },
  ]);
});

test('the subscribed logger writes what each channel publishes, only from accepted sources, until unsubscribed', () => {
  const log = memLogger();
  const other = {};
  const unsubscribe = subscribeLogger(log, (s) => s === src);
  const vip = tcp('10.0.0.1', 80);
  tableChangeChannel.publish({
    source: src,
    origin: 'socket',
    cmd: { op: 'del-service', service: vip },
    changes: [{ kind: 'service-deleted', service: vip }],
    at: 0,
  });
  tableChangeChannel.publish({ source: other, origin: 'socket', cmd: { op: 'clear' }, changes: [], at: 0 });
  healthTransitionChannel.publish({
    source: src,
    svc: 'S',
    rs: undefined,
    up: true,
    at: 0,
    message: 'quorum',
  });
  reloadChannel.publish({ phase: 'started', source: src, file: '/f', reason: 'SIGHUP' });
  dataplaneFaultChannel.publish({
    source: src,
    plane: 'packet',
    code: 'host-config-unreadable',
    err: 'EACCES',
  });
  unsubscribe();
  reloadChannel.publish({ phase: 'started', source: src, file: '/f', reason: 'SIGHUP' });
  assert.deepEqual(log.lines, [
    { level: 'info', msg: 'applied', fields: { op: 'del-service', service: '[10.0.0.1]:tcp:80' } },
    { level: 'info', msg: 'virtual service S UP: quorum', fields: {} },
    { level: 'info', msg: 'reloading configuration', fields: { file: '/f', reason: 'SIGHUP' } },
    { level: 'warn', msg: 'cannot re-read host config', fields: { err: 'EACCES' } },
  ]);
});

test('a destination change names its real server in keepalived notation, and its weight when it sets one', () => {
  const vip = tcp('192.0.2.10', 80);
  const line = (cmd: Parameters<typeof tableChangeLine>[0]['cmd']) =>
    tableChangeLine({ source: src, origin: 'socket', cmd, changes: [], at: 0 });
  assert.deepEqual(
    line({ op: 'add-dest', service: vip, dest: destConfig('198.51.100.12', 8081, { weight: 3 }) }),
    {
      level: 'info',
      msg: 'applied',
      fields: {
        op: 'add-dest',
        service: '[192.0.2.10]:tcp:80',
        server: '[198.51.100.12]:tcp:8081',
        weight: 3,
      },
    },
  );
  assert.deepEqual(line({ op: 'del-dest', service: vip, dest: { addr: '2001:db8::5', port: 443 } }).fields, {
    op: 'del-dest',
    service: '[192.0.2.10]:tcp:80',
    server: '[2001:db8::5]:tcp:443',
  });
  // A firewall-mark service has no protocol: keepalived writes `FWM 1` and `none` (format_rs()).
  assert.deepEqual(
    line({
      op: 'add-dest',
      service: { kind: 'fwmark', af: 4, fwmark: 1 },
      dest: destConfig('198.51.100.12', 80),
    }).fields,
    { op: 'add-dest', service: 'FWM 1', server: '[198.51.100.12]:none:80', weight: 1 },
  );
});

test('a sysctl write names the sysctl and its value', () => {
  const l = tableChangeLine({
    source: src,
    origin: 'socket',
    cmd: { op: 'set-sysctl', name: 'expire_nodest_conn', value: 1 },
    changes: [],
    at: 0,
  });
  assert.deepEqual(l.fields, { op: 'set-sysctl', sysctl: 'expire_nodest_conn', value: 1 });
});

test('a busy or privileged port says so in the line, with the fix for a privileged one', () => {
  const msg = (reason: string) =>
    faultLine({
      source: src,
      plane: 'proxy',
      code: 'proxy-listen-failed',
      detail: { service: 'TCP 127.0.0.1:8080', reason },
    }).msg;
  assert.equal(
    msg('EADDRINUSE'),
    'cannot serve [127.0.0.1]:tcp:8080: port busy, another program listens there (EADDRINUSE); will retry',
  );
  assert.match(msg('EACCES'), /need root or CAP_NET_BIND_SERVICE \(EACCES\); will retry$/);
  assert.equal(msg('EMFILE'), 'cannot serve [127.0.0.1]:tcp:8080: EMFILE; will retry');
});
