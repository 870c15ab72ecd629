/**
 * keepalived 2.2.7's script security (lib/notify.c check_script_secure(), check_security()) and
 * script users over whole models (secure-scripts.ts), against the in-memory file system. The
 * expected lines are the ones keepalived 2.2.7 logged for the same trees (see
 * test/daemon/lvsd-script-security.test.ts for the real files and the real keepalived).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseKeepalived } from '../../src/config/keepalived/index.js';
import type { LvsModel, ScriptSpec } from '../../src/config/model.js';
import { checkScriptSecurity } from '../../src/config/script-security.js';
import { secureScripts } from '../../src/config/secure-scripts.js';
import { FakeScriptFs, fakeScriptUsers } from '../../src/io/host/fake-script-fs.js';
import { memIo } from './mem-io.js';

const tree = new FakeScriptFs({
  '/etc': { kind: 'dir', mode: 0o755 },
  '/etc/k': { kind: 'dir', mode: 0o755 },
  '/etc/k/ok.sh': { kind: 'file', mode: 0o755 },
  '/etc/k/ww.sh': { kind: 'file', mode: 0o757 },
  '/etc/k/gw.sh': { kind: 'file', gid: 100, mode: 0o775 },
  '/etc/k/gw0.sh': { kind: 'file', gid: 0, mode: 0o775 },
  '/etc/k/mine.sh': { kind: 'file', uid: 1000, mode: 0o755 },
  '/etc/k/noexec.sh': { kind: 'file', mode: 0o644 },
  '/etc/k/owner-only.sh': { kind: 'file', mode: 0o700 },
  '/etc/k/suid.sh': { kind: 'file', mode: 0o4755 },
  '/etc/k/link.sh': { kind: 'link', to: '/etc/k/ok.sh' },
  '/etc/k/alias': { kind: 'link', to: 'ok.sh' },
  '/tmp': { kind: 'dir', mode: 0o1777 },
  '/tmp/t.sh': { kind: 'file', mode: 0o755 },
  '/open': { kind: 'dir', mode: 0o777 },
  '/open/s.sh': { kind: 'file', mode: 0o755 },
  '/home': { kind: 'dir', mode: 0o755 },
  '/home/u': { kind: 'dir', uid: 1000, gid: 1000, mode: 0o755 },
  '/home/u/s.sh': { kind: 'file', mode: 0o755 },
  '/usr': { kind: 'dir', mode: 0o755 },
  '/usr/bin': { kind: 'dir', mode: 0o755 },
  '/usr/bin/check': { kind: 'file', mode: 0o755 },
});

describe('one script checked as keepalived check_script_secure() does', () => {
  it('accepts a root-owned 0755 script under root-owned 0755 directories, run as root', () => {
    const c = checkScriptSecurity(tree, '/etc/k/ok.sh', 0, 0, true);
    assert.deepEqual(
      { ...c, messages: [...c.messages] },
      {
        path: '/etc/k/ok.sh',
        isScript: true,
        executable: true,
        insecure: false,
        inhibit: false,
        notFound: false,
        system: false,
        messages: [],
      },
    );
  });

  it('refuses a world-writable script run as root when script security is on, in keepalived words', () => {
    const c = checkScriptSecurity(tree, '/etc/k/ww.sh', 0, 0, true);
    assert.equal(c.insecure, true);
    assert.equal(c.inhibit, true);
    assert.deepEqual(c.messages, ["Unsafe permissions found for script '/etc/k/ww.sh' - disabling."]);
  });

  it('only warns about the same script when script security is off', () => {
    const c = checkScriptSecurity(tree, '/etc/k/ww.sh', 0, 0, false);
    assert.equal(c.insecure, true);
    assert.equal(c.inhibit, false);
    assert.deepEqual(c.messages, ["Unsafe permissions found for script '/etc/k/ww.sh'."]);
  });

  it('refuses a script writable by a non-root group, a script owned by a user, and one in a user-owned directory', () => {
    for (const p of ['/etc/k/gw.sh', '/etc/k/mine.sh', '/home/u/s.sh'])
      assert.equal(checkScriptSecurity(tree, p, 0, 0, true).inhibit, true, p);
    assert.equal(
      checkScriptSecurity(tree, '/etc/k/gw0.sh', 0, 0, true).inhibit,
      false,
      'group root may write',
    );
  });

  it('refuses a safe script in a world-writable directory without the sticky bit, but not under sticky /tmp', () => {
    const c = checkScriptSecurity(tree, '/open/s.sh', 0, 0, true);
    assert.equal(c.inhibit, true);
    assert.deepEqual(c.messages, ["Unsafe permissions found for script '/open/s.sh' - disabling."]);
    assert.equal(checkScriptSecurity(tree, '/tmp/t.sh', 0, 0, true).inhibit, false);
  });

  it('does not check who can write a script that runs as an unprivileged user (keepalived protects root only)', () => {
    const c = checkScriptSecurity(tree, '/etc/k/ww.sh', 65534, 65534, true);
    assert.equal(c.inhibit, false);
    assert.equal(c.insecure, false);
    assert.equal(c.executable, true);
  });

  it('protects a setuid-root script run by anyone', () => {
    const c = checkScriptSecurity(
      new FakeScriptFs({ '/o': { kind: 'dir', mode: 0o777 }, '/o/s': { kind: 'file', mode: 0o4755 } }),
      '/o/s',
      65534,
      65534,
      true,
    );
    assert.equal(c.inhibit, true);
  });

  it('says a script is not executable for the user it runs as', () => {
    const c = checkScriptSecurity(tree, '/etc/k/owner-only.sh', 65534, 65534, true);
    assert.equal(c.executable, false);
    assert.deepEqual(c.messages, [
      "WARNING - script '/etc/k/owner-only.sh' is not executable for uid:gid 65534:65534 - disabling.",
    ]);
    assert.equal(checkScriptSecurity(tree, '/etc/k/noexec.sh', 0, 0, true).executable, false);
  });

  it('finds a bare name on PATH, with keepalived warning, and reports one that is missing', () => {
    const c = checkScriptSecurity(tree, 'check', 0, 0, true);
    assert.equal(c.path, '/usr/bin/check');
    assert.deepEqual(c.messages, [
      'WARNING - script `check` resolved by path search to `/usr/bin/check`. Please specify full path.',
    ]);
    const m = checkScriptSecurity(tree, 'absent', 0, 0, true);
    assert.equal(m.notFound, true);
    assert.deepEqual(m.messages, ['Cannot find script absent in path - disabling']);
  });

  it('reports a missing file as not found', () => {
    const c = checkScriptSecurity(tree, '/etc/k/none.sh', 0, 0, true);
    assert.equal(c.notFound, true);
    assert.deepEqual(c.messages, ['Script /etc/k/none.sh cannot be accessed - No such file or directory']);
  });

  it('follows symbolic links but keeps a link name that differs from the file name (argv[0] matters)', () => {
    assert.equal(checkScriptSecurity(tree, '/etc/k/link.sh', 0, 0, true).path, '/etc/k/link.sh');
    assert.equal(checkScriptSecurity(tree, '/etc/k/alias', 0, 0, true).path, '/etc/k/alias');
    // A link whose target is unsafe is refused although the link itself is root's.
    const t = new FakeScriptFs({
      '/etc': { kind: 'dir', mode: 0o755 },
      '/etc/s': { kind: 'link', to: '/open/x.sh' },
      '/open': { kind: 'dir', mode: 0o777 },
      '/open/x.sh': { kind: 'file', mode: 0o755 },
    });
    const c = checkScriptSecurity(t, '/etc/s', 0, 0, true);
    assert.equal(c.inhibit, true);
    assert.deepEqual(c.messages, ["Unsafe permissions found for script '/open/x.sh' - disabling."]);
  });

  it('treats `</dev/tcp/...` as a file test that is never executed', () => {
    const c = checkScriptSecurity(tree, '</dev/tcp/127.0.0.1/80', 0, 0, true);
    assert.equal(c.system, true);
    assert.equal(c.isScript, false);
  });
});

const conf = (globals: string, misc: string, extra = '') => `global_defs {
${globals}
}
vrrp_script chk {
  script "${misc}"
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    192.0.2.100
  }
  track_script {
    chk
  }
  notify_master "${misc} master"
}
virtual_server 192.0.2.1 80 {
  protocol TCP
  real_server 198.51.100.2 80 {
    MISC_CHECK {
      misc_path "${misc}"
${extra}
    }
    notify_up "${misc} up"
  }
}
`;

function model(text: string): LvsModel {
  const r = parseKeepalived('/k.conf', memIo({ '/k.conf': text }), { interfaceExists: () => true });
  assert.ok(r.model.vrrp.instances.length === 1, r.diagnostics.map((d) => d.text).join('\n'));
  return r.model;
}

const users = fakeScriptUsers(
  { root: [0, 0], nobody: [65534, 65534], keepalived_script: [990, 990] },
  { nogroup: 65534 },
);
const noDefault = fakeScriptUsers({ root: [0, 0], nobody: [65534, 65534] });

function miscOf(m: LvsModel): ScriptSpec | undefined {
  const ck = m.services[0]?.reals[0]?.checkers[0];
  return ck?.type === 'misc' ? ck.script : undefined;
}

describe('script users and security over a keepalived.conf', () => {
  it('drops a world-writable MISC_CHECK, track script and notify scripts with enable_script_security', () => {
    const r = secureScripts(
      model(conf('enable_script_security\nscript_user root', '/etc/k/ww.sh')),
      tree,
      users,
    );
    assert.equal(r.model.services[0]?.reals[0]?.checkers.length, 0);
    assert.equal(r.model.services[0]?.reals[0]?.notifyUp, undefined);
    assert.equal(r.model.vrrp.scripts.length, 0);
    assert.equal(r.model.vrrp.instances[0]?.trackScripts.length, 0);
    assert.equal(r.model.vrrp.instances[0]?.notify.master, undefined);
    const text = r.findings.map((f) => f.text);
    assert.ok(text.includes("Disabling misc script '/etc/k/ww.sh' due to insecure"), text.join('\n'));
    assert.ok(text.includes('Disabling track script chk due to insecure'), text.join('\n'));
    assert.ok(!text.some((t) => t.startsWith('SECURITY VIOLATION')));
    assert.ok(r.findings.every((f) => f.severity === 'notice'));
    assert.ok(r.findings.some((f) => f.code === 'ERR_CONFIG_SCRIPT_INSECURE'));
  });

  it('keeps them without enable_script_security, with keepalived SECURITY VIOLATION lines', () => {
    const r = secureScripts(model(conf('script_user root', '/etc/k/ww.sh')), tree, users);
    const s = miscOf(r.model);
    assert.deepEqual([s?.uid, s?.gid], [0, 0]);
    assert.equal(r.model.vrrp.scripts.length, 1);
    const text = r.findings.map((f) => f.text);
    assert.ok(
      text.includes(
        'SECURITY VIOLATION - check scripts are being executed but script_security not enabled. There are insecure scripts.',
      ),
    );
    assert.ok(
      text.includes(
        'SECURITY VIOLATION - scripts are being executed but script_security not enabled. There are insecure scripts.',
      ),
    );
  });

  it('runs a script with `user nobody` as 65534:65534 and checks nothing more for it', () => {
    const r = secureScripts(
      model(conf('enable_script_security\nscript_user root', '/etc/k/ww.sh', 'user nobody')),
      tree,
      users,
    );
    const s = miscOf(r.model);
    assert.deepEqual([s?.uid, s?.gid], [65534, 65534]);
    assert.ok(!r.findings.some((f) => f.text.startsWith('Disabling misc script')));
  });

  it('takes USER GROUP from MISC_CHECK user and refuses an unknown one', () => {
    const r = secureScripts(
      model(conf('script_user root', '/etc/k/ok.sh', 'user nobody nogroup')),
      tree,
      users,
    );
    assert.deepEqual([miscOf(r.model)?.uid, miscOf(r.model)?.gid], [65534, 65534]);
    const bad = secureScripts(
      model(conf('script_user root', '/etc/k/ok.sh', 'user nobody nosuch')),
      tree,
      users,
    );
    assert.equal(bad.model.services[0]?.reals[0]?.checkers.length, 0);
    assert.ok(
      bad.findings.some(
        (f) => f.text === "Failed to set uid/gid for misc checker script '/etc/k/ok.sh' - removing",
      ),
    );
  });

  it('runs scripts as keepalived_script by default when that user exists', () => {
    const r = secureScripts(model(conf('enable_script_security', '/etc/k/ok.sh')), tree, users);
    assert.deepEqual([miscOf(r.model)?.uid, miscOf(r.model)?.gid], [990, 990]);
  });

  it('falls back to root without keepalived_script, and refuses to with enable_script_security', () => {
    const open = secureScripts(model(conf('', '/etc/k/ok.sh')), tree, noDefault);
    assert.deepEqual([miscOf(open.model)?.uid, miscOf(open.model)?.gid], [0, 0]);
    assert.ok(open.findings.some((f) => f.text === "Script user 'keepalived_script' does not exist"));
    const shut = secureScripts(model(conf('enable_script_security', '/etc/k/ok.sh')), tree, noDefault);
    assert.equal(shut.model.services[0]?.reals[0]?.checkers.length, 0);
    assert.equal(shut.model.vrrp.scripts.length, 0);
    const text = shut.findings.map((f) => f.text);
    assert.ok(text.includes('Unable to set default user keepalived_script for script'));
    assert.ok(text.includes("Unable to set default user for misc script '/etc/k/ok.sh' - removing"));
    assert.ok(text.includes('Unable to set default user for vrrp script chk - removing'));
  });

  it('drops a missing MISC_CHECK script with keepalived line, so the real server has no checker', () => {
    const r = secureScripts(model(conf('script_user root', '/etc/k/none.sh')), tree, users);
    assert.equal(r.model.services[0]?.reals[0]?.checkers.length, 0);
    assert.ok(
      r.findings.some((f) => f.text === "Disabling misc script '/etc/k/none.sh' since not found/accessible"),
    );
  });

  it('leaves an ldirectord model alone', () => {
    const m = { ...model(conf('', '/etc/k/ww.sh')), source: 'ldirectord' as const };
    assert.equal(secureScripts(m, tree, users).model, m);
  });
});
