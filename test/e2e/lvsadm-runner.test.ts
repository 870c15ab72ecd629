/**
 * The lvsadm runner in programmatic mode: `run` wired to an in-process lvsd request handler
 * through loopbackClient, so every path (including transport failures) is checked without
 * spawning processes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ControlDeps, handleLine } from '../../src/daemon/control-handler.js';
import { createDirectorPort } from '../../src/daemon/director-port.js';
import { tableResolver } from '../../src/ipvsadm/resolve.js';
import { ClientError, type ControlClient, loopbackClient } from '../../src/programs/lvsadm/client.js';
import { type RunnerEnv, run } from '../../src/programs/lvsadm/main.js';

function harness(connect?: (path: string) => Promise<ControlClient>) {
  const port = createDirectorPort(12);
  const deps: ControlDeps = {
    target: port,
    connTabSize: port.connTabSize,
    timeouts: () => port.timeouts(),
    daemons: () => port.daemons(),
    conns: (now) => port.conns(now),
    status: () => ({
      version: 't',
      pid: 1,
      uptimeMs: 0,
      dataplane: 'none',
      connTabSize: 4096,
      services: 0,
      vips: [],
    }),
    now: () => 0,
  };
  let out = '';
  let err = '';
  let stdin = '';
  const paths: string[] = [];
  const env: { -readonly [K in keyof RunnerEnv]: RunnerEnv[K] } = {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
    readStdin: async () => stdin,
    connect:
      connect ??
      (async (p) => {
        paths.push(p);
        return loopbackClient((line) => handleLine(deps, line));
      }),
    socketEnv: { env: { LVSD_SOCKET: '/env.sock' }, uid: 0 },
  };
  return {
    port,
    paths,
    async lvsadm(args: string, input = '') {
      out = '';
      err = '';
      stdin = input;
      const code = await run(args === '' ? [] : args.split(' '), env);
      return { code, out, err };
    },
    env,
  };
}

describe('lvsadm runner (programmatic)', () => {
  it('adds through the handler and lists with ipvsadm bytes', async () => {
    const h = harness();
    assert.deepEqual(await h.lvsadm('-A -t 10.0.0.1:80 -s rr'), { code: 0, out: '', err: '' });
    assert.deepEqual(await h.lvsadm('-a -t 10.0.0.1:80 -r 10.0.0.2 -m -w 3'), { code: 0, out: '', err: '' });
    assert.deepEqual(await h.lvsadm('-Sn'), {
      code: 0,
      out: '-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 3\n',
      err: '',
    });
    assert.equal(h.port.table.size, 1);
  });

  it('runs `lvsadm` with no arguments as -L', async () => {
    const h = harness();
    const r = await h.lvsadm('');
    assert.equal(r.code, 0);
    assert.match(r.out, /^IP Virtual Server version 1\.2\.1 \(size=4096\)\n/);
  });

  it('connects to LVSD_SOCKET, or to --socket wherever it appears', async () => {
    const h = harness();
    await h.lvsadm('-Ln');
    await h.lvsadm('-L --socket /opt.sock -n');
    assert.deepEqual(h.paths, ['/env.sock', '/opt.sock']);
  });

  it('does not connect at all for help, version and usage errors', async () => {
    const h = harness();
    assert.equal((await h.lvsadm('-h')).code, 0);
    assert.equal((await h.lvsadm('-v')).code, 0);
    assert.equal((await h.lvsadm('-A')).code, 2);
    assert.deepEqual(h.paths, []);
  });

  it('prints one line and exits 2 when no daemon answers', async () => {
    const h = harness(async (p) => {
      throw new ClientError('ERR_LVSADM_NO_DAEMON', 'connect ENOENT', p);
    });
    assert.deepEqual(await h.lvsadm('-C'), {
      code: 2,
      out: '',
      err: 'lvsadm: cannot reach lvsd at /env.sock (start it with: lvsd --socket /env.sock)\n',
    });
  });

  it('says permission denied when the socket is not ours', async () => {
    const h = harness(async (p) => {
      throw new ClientError('ERR_LVSADM_ACCESS', 'connect EACCES', p);
    });
    const r = await h.lvsadm('-Ln');
    assert.equal(r.code, 2);
    assert.match(r.err, /^lvsadm: cannot reach lvsd at \/env\.sock: permission denied/);
  });

  it('exits 255 with one line when the daemon goes away mid-request', async () => {
    const h = harness(async (p) => ({
      request: async () => {
        throw new ClientError('ERR_LVSADM_DISCONNECTED', 'lvsd closed the connection', p);
      },
      close() {},
    }));
    const r = await h.lvsadm('-A -t 10.0.0.1:80');
    assert.equal(r.code, 255);
    assert.equal(r.err, 'lvsadm: lost connection to lvsd at /env.sock: lvsd closed the connection\n');
  });

  it('restores over one connection, continuing past table errors', async () => {
    const h = harness();
    const direct = h.env.connect;
    let opened = 0;
    h.env.connect = async (p) => {
      opened++;
      return direct(p);
    };
    const r = await h.lvsadm(
      '-R',
      '-A -t 1.1.1.1:80\n-A -t 1.1.1.1:80\n-D -t 9.9.9.9:80\n-A -u 1.1.1.1:53\n',
    );
    assert.deepEqual(r, { code: 0, out: '', err: 'Service already exists\nNo such service\n' });
    assert.equal(opened, 1);
    assert.equal(h.port.table.size, 2);
  });

  it('uses the resolver for names in argv and, without -n, in listings', async () => {
    const h = harness();
    h.env.resolver = async () =>
      tableResolver({
        hosts: new Map([['web', '10.0.0.9']]),
        reverse: new Map([['10.0.0.9', 'web.example']]),
        services: new Map([['http/tcp', 80]]),
        ports: new Map([['80/tcp', 'http']]),
      });
    assert.equal((await h.lvsadm('-A -t web:http -s rr')).code, 0);
    assert.equal((await h.lvsadm('-S')).out, '-A -t web.example:http -s rr\n');
    assert.equal((await h.lvsadm('-Sn')).out, '-A -t 10.0.0.9:80 -s rr\n');
  });
});
