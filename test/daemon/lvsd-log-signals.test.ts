/** A real lvsd's logs: `--log-format text` lines for journald, and SIGUSR2's level toggle. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { spawnLvsd, waitReady } from './lvsd-process.js';

async function until(pred: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('lvsd --log-format text writes one plain line per record and SIGUSR2 flips debug on and off', {
  timeout: 30_000,
}, async () => {
  const d = spawnLvsd(['--dataplane', 'none', '--log-format', 'text', '--log-level', 'warn']);
  try {
    await waitReady(d);
    d.proc.kill('SIGUSR2');
    await until(() => /log level changed from=warn to=debug/.test(d.stderr()));
    d.proc.kill('SIGUSR2');
    await until(() => /log level changed from=debug to=warn/.test(d.stderr()));
    d.proc.kill('SIGTERM');
    assert.equal(await d.exited, 0);
    const lines = d.stderr().trimEnd().split('\n');
    // Not a terminal: no time stamp, no colour; the level word first. At warn, the ready and
    // stopping lines (info) stay out.
    assert.deepEqual(lines, [
      'INFO  log level changed from=warn to=debug signal=SIGUSR2',
      'INFO  log level changed from=debug to=warn signal=SIGUSR2',
    ]);
  } finally {
    await d.stop();
  }
});
