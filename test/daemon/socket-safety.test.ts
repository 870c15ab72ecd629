/**
 * The control socket's directory and file must belong to the user or root (issue: another user
 * who pre-creates /tmp/lvsd-UID with mode 0777 could replace the socket and receive the victim's
 * commands, and the victim's `lvsadm -A` exited 0). The rules, then the daemon and lvsadm
 * refusing a planted directory and socket for real (root: the test chowns to other uids).
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { claimSocketPath } from '../../src/daemon/control-server.js';
import { type PathStat, socketDirProblem, socketFileProblem } from '../../src/daemon/socket-path.js';
import { ClientError, connectClient } from '../../src/programs/lvsadm/client.js';
import { noDaemonLine } from '../../src/programs/lvsadm/main.js';

const dir = (uid: number, mode: number): PathStat => ({
  uid,
  mode: 0o040000 | mode,
  isDirectory: true,
  isSymbolicLink: false,
  isSocket: false,
});
const sock = (uid: number): PathStat => ({
  uid,
  mode: 0o140600,
  isDirectory: false,
  isSymbolicLink: false,
  isSocket: true,
});

describe('control socket directory and file rules', () => {
  it('accepts the usual places: own 0700, root 0755 (/run), root sticky 1777 (/tmp)', () => {
    assert.equal(socketDirProblem('/tmp/lvsd-1000', dir(1000, 0o700), 1000), undefined);
    assert.equal(socketDirProblem('/run', dir(0, 0o755), 1000), undefined);
    assert.equal(socketDirProblem('/run', dir(0, 0o755), 0), undefined);
    assert.equal(socketDirProblem('/tmp', dir(0, 0o1777), 1000), undefined);
    assert.equal(socketFileProblem('/run/lvsd.sock', sock(0), 1000), undefined);
    assert.equal(socketFileProblem('/tmp/lvsd-1000/lvsd.sock', sock(1000), 1000), undefined);
  });

  it("refuses another user's directory, a directory others may write, a symlink, another user's socket", () => {
    assert.match(socketDirProblem('/tmp/lvsd-1000', dir(1001, 0o777), 1000) ?? '', /owned by uid 1001/);
    assert.match(socketDirProblem('/tmp/lvsd-1000', dir(1000, 0o777), 1000) ?? '', /writable by other users/);
    assert.match(
      socketDirProblem('/x', dir(1000, 0o770), 1000) ?? '',
      /writable by other users \(mode 0770\)/,
    );
    assert.match(
      socketDirProblem('/tmp/x', dir(1000, 0o1777), 1000) ?? '',
      /writable/,
      'sticky but not root-owned',
    );
    assert.match(
      socketDirProblem('/tmp/l', { ...dir(1000, 0o700), isSymbolicLink: true, isDirectory: false }, 1000) ??
        '',
      /not a directory/,
    );
    assert.match(socketFileProblem('/s', sock(1001), 1000) ?? '', /owned by uid 1001/);
  });
});

const root = typeof process.geteuid === 'function' && process.geteuid() === 0;
const skip = root ? false : 'needs root to chown the planted directory to another uid';
if (skip) console.log(`# skipping planted-socket tests: ${skip}`);

describe('a planted socket directory (another user made /tmp/lvsd-UID first)', { skip }, () => {
  const VICTIM = 64_001;
  const ATTACKER = 64_002;

  it("lvsd refuses to listen in it, and lvsadm refuses to send to the attacker's socket", async () => {
    const base = mkdtempSync(join(tmpdir(), 'lvs-sock-'));
    const planted = join(base, `lvsd-${VICTIM}`);
    mkdirSync(planted);
    chmodSync(planted, 0o777);
    chownSync(planted, ATTACKER, ATTACKER);
    const path = join(planted, 'lvsd.sock');
    const server = createServer();
    let accepted = 0;
    server.on('connection', (s) => {
      accepted++;
      s.destroy();
    });
    try {
      // The victim's lvsd.
      await assert.rejects(claimSocketPath(path, VICTIM), { code: 'ERR_LVSD_SOCKET_PATH' });
      // The attacker listens there; the victim's lvsadm must not talk to it.
      await new Promise<void>((r) => server.listen(path, r));
      chownSync(path, ATTACKER, ATTACKER);
      const err = await connectClient(path, 2000, VICTIM).then(
        () => assert.fail('connected to a planted socket'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ClientError);
      assert.equal(err.code, 'ERR_LVSADM_UNSAFE_SOCKET');
      assert.match(noDaemonLine(err), /^lvsadm: refusing the socket at .*: .* is owned by uid 64002/);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(accepted, 0, 'the planted socket saw a connection');
      // The same socket is fine for its own user once the directory is theirs alone.
      chmodSync(planted, 0o755);
      const c = await connectClient(path, 2000, ATTACKER);
      c.close();
    } finally {
      server.close();
      rmSync(base, { recursive: true, force: true });
    }
  });
});
