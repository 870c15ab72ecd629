/**
 * completion/lvsadm.bash in a real bash: the words it offers, the virtual services it reads from a
 * running lvsd, and that it knows every option lvsadm and lvsd parse.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parseLvsdArgs } from '../../src/daemon/options.js';
import { COMMAND_OPTS, OPTION_OPTS, SCHED_FLAGS_OPT } from '../../src/ipvsadm/parse-tables.js';
import { CLUSTER_MODE, HA_MODE, LAB_MODES } from '../../src/tools/lab/plan.js';
import { type LvsdProc, spawnLvsd, waitReady } from '../daemon/lvsd-process.js';

const FILE = 'completion/lvsadm.bash';

/** COMPREPLY for the command line `words` (the last one being completed), one word per entry. */
function complete(words: string[], env: NodeJS.ProcessEnv = {}): string[] {
  const fn = words[0] === 'lvsd' ? '_lvsd' : '_lvsadm';
  const script = `source ${FILE}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
${fn}; printf '%s\\n' "\${COMPREPLY[@]}"`;
  // bin/ first on PATH: the completion runs `lvsadm -S -n` for the services.
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, PATH: `${process.cwd()}/test/programs/fixtures-bin:${process.env.PATH}`, ...env },
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '');
}

describe('bash completion', () => {
  it('offers schedulers after -s and the sync roles after --start-daemon', () => {
    assert.deepEqual(complete(['lvsadm', '-A', '-t', '192.0.2.1:80', '-s', 'w']), ['wrr', 'wlc']);
    assert.deepEqual(complete(['lvsadm', '--start-daemon', '']), ['master', 'backup']);
    assert.deepEqual(complete(['lvsd', '--log-format', '']), ['json', 'text']);
    assert.deepEqual(complete(['lvsd', '--dataplane', 'p']), ['proxy', 'packet']);
  });

  it('offers the lab actions, every lab mode and the cluster lab options', () => {
    assert.ok(complete(['lvsadm', 'lab', '']).includes('join'));
    assert.deepEqual(
      complete(['lvsadm', 'lab', 'up', '']).sort(),
      [...LAB_MODES, HA_MODE, CLUSTER_MODE].sort(),
    );
    assert.deepEqual(complete(['lvsadm', 'lab', 'up', 'cluster', '--s']), ['--sched', '--sync']);
    assert.deepEqual(complete(['lvsadm', 'lab', 'up', 'dr', '--s']), []);
  });

  it('knows every option lvsadm parses, long and short', () => {
    const offered = new Set(complete(['lvsadm', '-']));
    for (const o of [...COMMAND_OPTS, ...OPTION_OPTS, SCHED_FLAGS_OPT]) {
      for (const w of [o.long && `--${o.long}`, o.short && `-${o.short}`]) {
        if (w) assert.ok(offered.has(w), `${w} is not completed`);
      }
    }
  });

  it('knows every long option in lvsd --help', () => {
    const help = parseLvsdArgs(['--help']);
    assert.ok(help.kind === 'help');
    const offered = new Set(complete(['lvsd', '--']));
    for (const m of help.text.matchAll(/^\s+(?:-\w, )?(--[a-z-]+)/gm)) {
      assert.ok(offered.has(m[1] as string), `${m[1]} is not completed`);
    }
  });

  describe('with a running lvsd', () => {
    let d: LvsdProc;
    before(async () => {
      d = spawnLvsd(['--dataplane', 'none']);
      await waitReady(d);
      for (const args of [
        ['-A', '-t', '192.0.2.10:80'],
        ['-A', '-t', '192.0.2.11:443'],
        ['-A', '-u', '192.0.2.10:53'],
      ]) {
        const r = spawnSync(process.execPath, ['bin/lvsadm', '--socket', d.socket, ...args], {
          encoding: 'utf8',
        });
        assert.equal(r.status, 0, r.stderr);
      }
    });
    after(() => d.stop());

    it('completes -t and -u with the services lvsd holds (lvsadm -S -n), through --socket', () => {
      assert.deepEqual(complete(['lvsadm', '--socket', d.socket, '-a', '-t', '192.0.2.1']), [
        '192.0.2.10:80',
        '192.0.2.11:443',
      ]);
      assert.deepEqual(complete(['lvsadm', '--socket', d.socket, '-d', '-u', '']), ['192.0.2.10:53']);
    });
  });

  it('is valid bash', () => {
    assert.equal(spawnSync('bash', ['-n', FILE]).status, 0);
    assert.match(readFileSync(FILE, 'utf8'), /complete -F _lvsadm lvsadm/);
  });
});
