/** man/lvsd.8 and man/lvsadm.8 document every option the programs parse, and render cleanly. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { LVSD_SUBCOMMANDS, parseLvsdArgs } from '../../src/daemon/options.js';
import { COMMAND_OPTS, OPTION_OPTS, SCHED_FLAGS_OPT } from '../../src/ipvsadm/parse-tables.js';

/** The page's text with roff's `\-` as a plain hyphen. */
const page = (name: string) => readFileSync(`man/${name}.8`, 'utf8').replaceAll('\\-', '-');
const noGroff = spawnSync('groff', ['--version']).status === 0 ? undefined : 'groff is not installed';

describe('man pages', () => {
  it('lvsd.8 names every option of lvsd --help, every subcommand and SIGUSR2', () => {
    const text = page('lvsd');
    const help = parseLvsdArgs(['--help']);
    assert.ok(help.kind === 'help');
    for (const m of help.text.matchAll(/^\s+(?:-\w, )?(--[a-z-]+)/gm)) {
      assert.ok(text.includes(m[1] as string), `${m[1]} is in lvsd.8`);
    }
    for (const s of Object.keys(LVSD_SUBCOMMANDS)) assert.ok(text.includes(`.B ${s}`), `${s} in lvsd.8`);
    for (const w of [
      'SIGUSR2',
      'SIGHUP',
      'READY=1',
      'RELOADING=1',
      'MONOTONIC_USEC=',
      'STOPPING=1',
      'STATUS=',
    ]) {
      assert.ok(text.includes(w), `${w} in lvsd.8`);
    }
  });

  it('lvsadm.8 names every option lvsadm parses', () => {
    const text = page('lvsadm');
    for (const o of [...COMMAND_OPTS, ...OPTION_OPTS, SCHED_FLAGS_OPT]) {
      if (o.long) assert.ok(text.includes(`--${o.long}`), `--${o.long} is in lvsadm.8`);
      else assert.ok(text.includes(`-${o.short}`), `-${o.short} is in lvsadm.8`);
    }
  });

  it('render without groff warnings', { skip: noGroff }, () => {
    for (const name of ['lvsd', 'lvsadm']) {
      const r = spawnSync('groff', ['-man', '-ww', '-z', `man/${name}.8`], { encoding: 'utf8' });
      assert.equal(r.status, 0);
      assert.equal(r.stderr, '', `${name}.8: ${r.stderr}`);
    }
  });
});
