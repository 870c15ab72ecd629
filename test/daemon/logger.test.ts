import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { prettyLine, toggledLevel, toggleLogLevel } from '../../src/daemon/logger.js';
import { parseLvsdArgs } from '../../src/daemon/options.js';

const rec = (o: Record<string, unknown>) => JSON.stringify({ level: 30, time: 0, pid: 1, ...o });

describe('--log-format text lines', () => {
  it('leave out the time and colours for journald, level and message first', () => {
    assert.equal(
      prettyLine(rec({ level: 50, msg: 'bind failed', vip: 'TCP 192.0.2.1:80' }), { time: false }),
      'ERROR bind failed vip=TCP 192.0.2.1:80',
    );
  });
  it('colour the level on a terminal', () => {
    assert.equal(
      prettyLine(rec({ level: 40, msg: 'x' }), { time: false, colour: true }),
      '\u001b[33mWARN \u001b[0m x',
    );
  });
  it('quote a field or message that holds a newline, so a stack stays on its line', () => {
    const line = prettyLine(rec({ msg: 'a\nb', err: { stack: 'Error: x\n    at y' }, s: 'p\nq' }), {
      time: false,
    });
    assert.equal(line, 'INFO  "a\\nb" err={"stack":"Error: x\\n    at y"} s="p\\nq"');
  });
  it('are one line for any record (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.string(), (fields, msg) => {
        const line = prettyLine(JSON.stringify({ ...fields, msg }), { time: false });
        assert.ok(!line.includes('\n') && !line.includes('\r'), line);
      }),
    );
  });
  it('are one line for any input at all, JSON or not (property)', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        assert.ok(!prettyLine(s).includes('\n'));
      }),
    );
  });
});

describe('--log-format option', () => {
  it('accepts json and text and refuses anything else with a usage error', () => {
    const run = (f: string) => parseLvsdArgs(['--dataplane', 'none', '--log-format', f]);
    const j = run('json');
    assert.ok(j.kind === 'run' && j.options.logFormat === 'json');
    const t = run('text');
    assert.ok(t.kind === 'run' && t.options.logFormat === 'text');
    const bad = run('pretty');
    assert.ok(bad.kind === 'error' && bad.exitCode === 2);
    const none = parseLvsdArgs(['--dataplane', 'none']);
    assert.ok(none.kind === 'run' && none.options.logFormat === undefined);
  });
});

describe('SIGUSR2 log level toggle', () => {
  it('goes to debug and back to the starting level', () => {
    assert.equal(toggledLevel('info', 'info'), 'debug');
    assert.equal(toggledLevel('debug', 'info'), 'info');
    assert.equal(toggledLevel('warn', 'warn'), 'debug');
    assert.equal(toggledLevel('debug', 'warn'), 'warn');
    assert.equal(toggledLevel('debug', 'debug'), 'info');
    assert.equal(toggledLevel('trace', 'trace'), 'info');
    assert.equal(toggledLevel('info', 'trace'), 'debug');
  });
  it('logs the change both ways even when the starting level hides info', () => {
    const lines: { msg: string; from: string; to: string }[] = [];
    const log = pino({ level: 'warn' }, { write: (s: string) => lines.push(JSON.parse(s)) });
    assert.equal(toggleLogLevel(log, 'warn'), 'debug');
    assert.equal(log.level, 'debug');
    assert.equal(toggleLogLevel(log, 'warn'), 'warn');
    assert.equal(log.level, 'warn');
    assert.deepEqual(
      lines.map((l) => [l.msg, l.from, l.to]),
      [
        ['log level changed', 'warn', 'debug'],
        ['log level changed', 'debug', 'warn'],
      ],
    );
  });
});
