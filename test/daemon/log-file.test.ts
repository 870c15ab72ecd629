/**
 * ldirectord `logfile=` (ldirectord(8): a path is a file, anything else a syslog facility): lvsd
 * writes its log to the file as well as to stderr, from the first line of the start, reopens it
 * on reload (logrotate), and says at --check-config that a facility is ignored.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_GLOBALS, EMPTY_VRRP, type LvsModel } from '../../src/config/model.js';
import { applyLogFile, type LogFileOpener, LogTee, logFileOf } from '../../src/daemon/log-file.js';
import { lvsadm, runBin, until } from '../e2e/config-helpers.js';
import { spawnLvsd, tempDir, waitReady } from './lvsd-process.js';

/** An in-memory opener: each path's lines, and which paths are open. */
function memFiles(fail?: string) {
  const files = new Map<string, string[]>();
  const open = new Set<string>();
  const opener: LogFileOpener = (path) => {
    if (path === fail) throw Object.assign(new Error(`EACCES: ${path}`), { code: 'EACCES' });
    const lines = files.get(path) ?? [];
    files.set(path, lines);
    open.add(path);
    return { write: (l) => void lines.push(l), close: () => void open.delete(path) };
  };
  return { files, open, opener };
}

const model = (source: LvsModel['source'], logfile?: string): LvsModel => ({
  source,
  globals: { ...DEFAULT_GLOBALS, extra: logfile ? { logfile: [logfile] } : {} },
  services: [],
  vrrp: EMPTY_VRRP,
});

test('a logfile path is the file; a syslog facility, no logfile and keepalived are none', () => {
  assert.equal(logFileOf(model('ldirectord', '/var/log/ldirectord.log')), '/var/log/ldirectord.log');
  assert.equal(logFileOf(model('ldirectord', 'local0')), undefined);
  assert.equal(logFileOf(model('ldirectord')), undefined);
  assert.equal(logFileOf(model('keepalived', '/var/log/x.log')), undefined);
});

test('the tee writes every line to stderr and, once set, to the file, the held start lines first', () => {
  const out: string[] = [];
  const m = memFiles();
  const tee = new LogTee({ write: (l) => void out.push(l) }, m.opener, true);
  tee.write('a\n');
  tee.write('b\n');
  tee.setFile('/log/1');
  tee.write('c\n');
  assert.deepEqual(out, ['a\n', 'b\n', 'c\n'], 'stderr has each line once');
  assert.deepEqual(m.files.get('/log/1'), ['a\n', 'b\n', 'c\n']);
  // The same path again (SIGHUP after logrotate): closed and reopened, nothing written twice.
  tee.setFile('/log/1');
  tee.write('d\n');
  assert.deepEqual(m.files.get('/log/1'), ['a\n', 'b\n', 'c\n', 'd\n']);
  tee.setFile(undefined);
  tee.write('e\n');
  assert.deepEqual(m.files.get('/log/1'), ['a\n', 'b\n', 'c\n', 'd\n']);
  assert.deepEqual([...m.open], [], 'a dropped logfile is closed');
  assert.equal(out.length, 5);
});

test('a tee not holding, or told there is no file, keeps nothing for later', () => {
  const m = memFiles();
  const tee = new LogTee({ write: () => {} }, m.opener);
  tee.write('early\n');
  tee.setFile('/log/2');
  assert.deepEqual(m.files.get('/log/2'), []);
  const held = new LogTee({ write: () => {} }, m.opener, true);
  held.write('x\n');
  held.setFile(undefined);
  held.setFile('/log/3');
  assert.deepEqual(m.files.get('/log/3'), []);
});

test('a logfile that cannot be opened is one warning with its errno, and stderr goes on', () => {
  const out: string[] = [];
  const m = memFiles('/root/nope.log');
  const tee = new LogTee({ write: (l) => void out.push(l) }, m.opener, true);
  const warned: [object, string][] = [];
  applyLogFile(tee, model('ldirectord', '/root/nope.log'), { warn: (f, msg) => void warned.push([f, msg]) });
  assert.deepEqual(warned, [
    [
      { file: '/root/nope.log', code: 'EACCES' },
      'cannot open logfile /root/nope.log: EACCES; logging to stderr only',
    ],
  ]);
  assert.equal(tee.path, undefined);
  tee.write('still\n');
  assert.deepEqual(out, ['still\n']);
});

const CF = (logfile: string) =>
  [
    'checktimeout=3',
    'quiescent=no',
    `logfile="${logfile}"`,
    'virtual=192.0.2.10:80',
    '\treal=198.51.100.11:80 masq',
    '\tchecktype=on',
    '\tscheduler=rr',
    '',
  ].join('\n');

/** The JSON lines of a log file, parsed. */
function jsonLines(path: string): { msg: string; [k: string]: unknown }[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { msg: string });
}

test('lvsd --config with ldirectord logfile=PATH writes its log there too, from the start, and reopens it on SIGHUP', async () => {
  const dir = tempDir();
  const file = join(dir, 'ldirectord.cf');
  const logfile = join(dir, 'ldirectord.log');
  writeFileSync(file, CF(logfile));
  const check = await runBin('lvsd', ['--check-config', file]);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  assert.ok(!check.stderr.includes('logfile'), check.stderr);
  const d = spawnLvsd(['--dataplane', 'none', '--config', file], { dir });
  const has = (path: string, text: string) => async () =>
    existsSync(path) && readFileSync(path, 'utf8').includes(text);
  try {
    await waitReady(d, 20_000);
    await until(has(logfile, '"lvsd ready"'), 5000, 'the start lines in the file');
    // The start's lines, written before the configuration named the file, are in it.
    assert.ok(jsonLines(logfile).some((l) => l.msg === 'configuration loaded'));
    assert.equal(
      (await lvsadm(d.socket, '-a', '-t', '192.0.2.10:80', '-r', '198.51.100.12:80', '-m')).code,
      0,
    );
    await until(has(logfile, '"applied"'), 5000, 'the table change in the file');
    const added = jsonLines(logfile).find((l) => l.msg === 'applied');
    assert.equal(added?.op, 'add-dest');
    assert.equal(added?.server, '[198.51.100.12]:tcp:80');
    assert.equal(added?.service, '[192.0.2.10]:tcp:80');
    // Every line of the file is a line of stderr: the file is a copy, not another log.
    for (const l of readFileSync(logfile, 'utf8').split('\n').filter(Boolean))
      assert.ok(d.stderr().includes(l));
    // logrotate: move the file away, HUP; the next lines go to a new file at the path.
    renameSync(logfile, `${logfile}.1`);
    d.proc.kill('SIGHUP');
    await until(async () => d.stderr().includes('"configuration reloaded"'), 5000, 'the reload');
    await until(async () => existsSync(logfile), 5000, 'the reopened file');
    assert.equal((await lvsadm(d.socket, '-d', '-t', '192.0.2.10:80', '-r', '198.51.100.12:80')).code, 0);
    await until(has(logfile, '"del-dest"'), 5000, 'the next table change in the new file');
    assert.ok(jsonLines(`${logfile}.1`).some((l) => l.msg === 'configuration loaded'));
    assert.ok(!readFileSync(`${logfile}.1`, 'utf8').includes('"del-dest"'), 'the rotated file is left alone');
  } finally {
    await d.stop();
  }
});

test('lvsd --check-config: logfile naming a syslog facility is a notice saying it is ignored, exit 0', async () => {
  const dir = tempDir();
  const file = join(dir, 'ldirectord.cf');
  writeFileSync(file, CF('local0'));
  const c = await runBin('lvsd', ['--check-config', file]);
  assert.equal(c.code, 0, c.stdout + c.stderr);
  assert.match(
    c.stderr,
    new RegExp(
      `^${file}:3: notice: logfile="local0" is ignored: it names a syslog facility, and lvsd does not write to syslog.*\\(ERR_CONFIG_IGNORED\\)$`,
      'm',
    ),
  );
});
