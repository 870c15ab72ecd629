import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connectClient } from '../../src/programs/lvsadm/client.js';
import { spawnLvsd, tempDir, waitReady } from './lvsd-process.js';

describe('lvsd process', () => {
  it('creates its control socket with mode 0600', async () => {
    const d = spawnLvsd();
    try {
      await waitReady(d);
      assert.equal(statSync(d.socket).mode & 0o777, 0o600);
    } finally {
      await d.stop();
    }
  });

  it('refuses to start a second daemon on the same socket and leaves the first serving', async () => {
    const a = spawnLvsd();
    try {
      await waitReady(a);
      const b = spawnLvsd([], { socket: a.socket, dir: tempDir() });
      try {
        assert.equal(await b.exited, 1);
        assert.match(b.stderr(), /another lvsd is already listening on/);
      } finally {
        await b.stop();
      }
      const c = await connectClient(a.socket);
      const r = await c.request({ query: { q: 'status' } });
      c.close();
      assert.equal(r.ok, true);
    } finally {
      await a.stop();
    }
  });

  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    it(`stops cleanly on ${sig} and removes the socket`, async () => {
      const d = spawnLvsd();
      try {
        await waitReady(d);
        d.proc.kill(sig);
        assert.equal(await d.exited, 0);
        assert.equal(existsSync(d.socket), false);
      } finally {
        await d.stop();
      }
    });
  }

  it('replaces a stale socket file nobody listens on', async () => {
    const dir = tempDir();
    const socket = join(dir, 'lvsd.sock');
    // Leave a real socket file behind with no listener, as a SIGKILLed daemon would.
    const holder = spawn(
      process.execPath,
      ['-e', `require('net').createServer().listen(${JSON.stringify(socket)}, () => console.log('up'))`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise((r) => holder.stdout?.once('data', r));
    } finally {
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
    }
    const d = spawnLvsd([], { socket, dir });
    try {
      assert.equal(existsSync(socket), true);
      await waitReady(d);
    } finally {
      await d.stop();
    }
  });

  it('refuses a socket path that is a regular file, without deleting it', async () => {
    const dir = tempDir();
    const socket = join(dir, 'not-a-socket');
    writeFileSync(socket, 'keep me');
    const d = spawnLvsd([], { socket, dir });
    try {
      assert.equal(await d.exited, 1);
      assert.match(d.stderr(), /exists and is not a socket/);
      assert.equal(existsSync(socket), true);
    } finally {
      await d.stop();
    }
  });

  it('reports the conn table size 2^--conn-tab-bits in status', async () => {
    const d = spawnLvsd(['--conn-tab-bits', '8']);
    try {
      await waitReady(d);
      const c = await connectClient(d.socket);
      const r = await c.request({ query: { q: 'status' } });
      c.close();
      assert.ok(r.ok && 'result' in r && r.result.q === 'status');
      assert.equal(r.result.status.connTabSize, 256);
    } finally {
      await d.stop();
    }
  });

  it('refuses --dataplane packet without an --interface with exit 2', async () => {
    const d = spawnLvsd(['--dataplane', 'packet']);
    try {
      assert.equal(await d.exited, 2);
      assert.match(d.stderr(), /--dataplane packet needs at least one --interface/);
      assert.equal(existsSync(d.socket), false);
    } finally {
      await d.stop();
    }
  });

  it('refuses an out-of-range --conn-tab-bits with exit 2', async () => {
    const d = spawnLvsd(['--conn-tab-bits', '21']);
    try {
      assert.equal(await d.exited, 2);
      assert.match(d.stderr(), /--conn-tab-bits must be an integer in 8\.\.20/);
    } finally {
      await d.stop();
    }
  });

  it('answers an oversized request with a coded error and keeps serving', async () => {
    const d = spawnLvsd();
    try {
      await waitReady(d);
      const { connect } = await import('node:net');
      const s = connect(d.socket);
      const reply = await new Promise<string>((resolve) => {
        let got = '';
        s.on('data', (b) => {
          got += b.toString();
        });
        s.on('close', () => resolve(got));
        s.on('error', () => resolve(got));
        s.write('x'.repeat(2 * 1024 * 1024));
      });
      assert.equal(JSON.parse(reply).error.code, 'ERR_LVS_PROTO_TOO_LARGE');
      const c = await connectClient(d.socket);
      const r = await c.request({ query: { q: 'timeouts' } });
      c.close();
      assert.equal(r.ok, true);
    } finally {
      await d.stop();
    }
  });
});

describe('lvsd --demo', () => {
  it('starts with the quick-start table: rr on 127.0.0.1:8080 over three masq real servers', async () => {
    const d = spawnLvsd(['--demo']);
    try {
      await waitReady(d);
      const r = spawnSync(process.execPath, ['bin/lvsadm', '-Sn', '--socket', d.socket], {
        encoding: 'utf8',
      });
      const lines = r.stdout.split('\n').filter((l) => l !== '');
      assert.equal(lines[0], '-A -t 127.0.0.1:8080 -s rr');
      assert.equal(lines.length, 4);
      for (const l of lines.slice(1))
        assert.match(l, /^-a -t 127\.0\.0\.1:8080 -r 127\.0\.0\.1:\d+ -m -w 1$/);
    } finally {
      await d.stop();
    }
  });
});

describe('lvsd --restore', () => {
  const RULES = `-A -t 12.0.0.1:80 -s rr
-a -t 12.0.0.1:80 -r 172.16.0.2:80 -m -w 1
-a -t 12.0.0.1:80 -r 172.16.0.3:80 -m -w 2
-A -u 10.0.0.53:53 -s wlc -p 600
`;

  function save(socket: string): string {
    const r = spawnSync(process.execPath, ['bin/lvsadm', '-Sn', '--socket', socket], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  }

  it('loads ipvsadm-save rules (with # comments) before serving', async () => {
    const dir = tempDir();
    const file = join(dir, 'rules');
    writeFileSync(file, `# saved by ipvsadm-save\n${RULES}`);
    const d = spawnLvsd(['--restore', file], { dir });
    try {
      await waitReady(d);
      assert.equal(save(d.socket), RULES);
    } finally {
      await d.stop();
    }
  });

  it('keeps loading past a rule the table refuses, and logs it', async () => {
    const dir = tempDir();
    const file = join(dir, 'rules');
    writeFileSync(file, `${RULES}-A -t 12.0.0.1:80 -s wlc\n-A -t 12.0.0.2:80 -s rr\n`);
    const d = spawnLvsd(['--restore', file], { dir });
    try {
      await waitReady(d);
      assert.equal(
        save(d.socket),
        `${RULES.split('-A -u')[0]}-A -t 12.0.0.2:80 -s rr\n-A -u${RULES.split('-A -u')[1]}`,
      );
      assert.match(d.stderr(), /Service already exists/);
    } finally {
      await d.stop();
    }
  });

  it('refuses to start on a syntax error, naming file and line', async () => {
    const dir = tempDir();
    const file = join(dir, 'rules');
    writeFileSync(file, '-A -t 12.0.0.1:80 -s rr\n-A -t 12.0.0.2:80 -w 3\n');
    const d = spawnLvsd(['--restore', file], { dir });
    try {
      assert.equal(await d.exited, 1);
      assert.equal(d.stderr(), `lvsd: ${file}:2: Illegal 'weight' option with the 'add-service' command\n`);
      assert.equal(existsSync(d.socket), false);
    } finally {
      await d.stop();
    }
  });

  it('refuses to start when the rules file cannot be read', async () => {
    const dir = tempDir();
    const d = spawnLvsd(['--restore', join(dir, 'missing')], { dir });
    try {
      assert.equal(await d.exited, 1);
      assert.match(d.stderr(), /cannot read rules \(ENOENT\)/);
    } finally {
      await d.stop();
    }
  });
});
