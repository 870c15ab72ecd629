/**
 * `lvsd simulate`'s per-frame log against golden text: fixed captures and rules
 * (test/fixtures/simulate, made by make-inputs.ts) for NAT, DR, TUN and FULLNAT must print exactly
 * the NAME.txt beside them: each frame in, each frame out with the fields it changed, each drop with
 * its reason in words, DR's direct replies as such, then the summary. UPDATE_GOLDEN=1 rewrites the
 * goldens (review the diff). A rule the table refuses is reported at FILE:LINE.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runSimulate } from '../../src/tools/simulate.js';
import { DIR_IP, DIR_MAC, GW } from '../engine/lab.js';

const fx = join(import.meta.dirname, '..', 'fixtures', 'simulate');
const tmp = mkdtempSync(join(tmpdir(), 'lvs-simlog-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs `lvsd simulate` in-process with stdout and stderr captured. */
async function simulate(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => {
    stdout += s;
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => {
    stderr += s;
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await runSimulate(argv);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

const base = (rules: string, input: string): string[] => [
  ...['--rules', rules, '--in', input],
  ...['--director-mac', DIR_MAC, '--director-ip', `${DIR_IP}/24`, '--gateway', GW],
  ...['--neighbours', join(fx, 'neighbours')],
];

describe('lvsd simulate per-frame log', () => {
  for (const mode of ['nat', 'dr', 'tun', 'fullnat']) {
    it(`prints the ${mode} capture frame by frame as the golden text says`, async () => {
      const r = await simulate(base(join(fx, 'rules'), join(fx, `${mode}.pcap`)));
      assert.equal(r.code, 0, r.stderr);
      const golden = join(fx, `${mode}.txt`);
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, r.stdout);
      assert.equal(r.stdout, readFileSync(golden, 'utf8'));
    });
  }

  it('calls DR direct replies what they are, not drops', async () => {
    const r = await simulate(base(join(fx, 'rules'), join(fx, 'dr.pcap')));
    assert.match(r.stdout, /^ {3}bypass: a real server's direct reply/m);
    assert.match(r.stdout, /^direct replies \(real server to client, bypassing the director\): 1$/m);
    assert.match(r.stdout, /^drops: 0$/m);
    assert.doesNotMatch(r.stdout, /not_ours/);
  });

  it('lists exactly the destination MAC and the TTL as what DR changed', async () => {
    const r = await simulate(base(join(fx, 'rules'), join(fx, 'dr.pcap')));
    const syn = r.stdout.split('\n').findIndex((l) => / > 192\.0\.2\.100\.81 TCP \[S\]/.test(l));
    assert.ok(syn >= 0, r.stdout);
    assert.equal(
      r.stdout.split('\n')[syn + 2],
      '        changed: dst-mac 02:00:00:00:00:01 -> 02:00:00:00:00:0a, ttl 64 -> 63',
    );
  });

  it('prints only the summary with --summary, and writes --out when given', async () => {
    const out = join(tmp, 'nat-out.pcap');
    const r = await simulate([...base(join(fx, 'rules'), join(fx, 'nat.pcap')), '--summary', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^frames in: 8\nframes out: 7\n/);
    assert.ok(existsSync(out));
  });

  it('names the file and line of a rule the table refuses (unknown scheduler)', async () => {
    const rules = join(tmp, 'bad.rules');
    writeFileSync(rules, '-A -t 192.0.2.100:80 -s rr\n# a comment\n-A -t 192.0.2.100:81 -s rrr\n');
    const r = await simulate(base(rules, join(fx, 'dr.pcap')));
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `lvsd simulate: ${rules}:3: scheduler not found: rrr\n`);
  });
});
