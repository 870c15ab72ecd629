/**
 * The package as a user gets it: `npm pack`, `npm install -g --prefix TMP --offline` of the
 * tarball (pino is bundled, so no registry is needed; the install script builds the addon from
 * native/), then the installed lvsadm -h, the man pages, a quick start and stop of the installed
 * lvsd as a systemd Type=notify service would see it, and `systemd-analyze verify` of the units
 * pointed at the installed binaries. Root is not needed.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { probeSocket } from '../../src/daemon/control-server.js';
import { DASHBOARD_FILES } from '../../src/daemon/http/dashboard-routes.js';
import { startNotifyReceiver } from '../helpers/notify-receiver.js';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const noPython = spawnSync('python3', ['-c', '0']).status === 0 ? undefined : 'python3 is not installed';
const noAnalyze =
  spawnSync('systemd-analyze', ['--version']).status === 0 ? undefined : 'systemd-analyze is not installed';
const noMan = spawnSync('man', ['--version']).status === 0 ? undefined : 'man is not installed';

describe('npm pack and install -g', { timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lvs-pack-'));
  const prefix = join(dir, 'prefix');
  const pkg = join(prefix, 'lib', 'node_modules', 'lvs-ts');
  let tarball = '';
  let files: string[] = [];

  before(() => {
    assert.ok(existsSync('dist/programs/lvsd/main.js'), 'dist/ is built (npm run build) before packing');
    // --ignore-scripts: prepare would rebuild dist/, which the test run has just built.
    const out = execFileSync(npm, ['pack', '--ignore-scripts', '--pack-destination', dir, '--json'], {
      encoding: 'utf8',
      timeout: 120_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const info = (JSON.parse(out) as { filename: string; files: { path: string }[] }[])[0];
    assert.ok(info);
    tarball = join(dir, info.filename);
    files = info.files.map((f) => f.path);
    const r = spawnSync(
      npm,
      ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', tarball],
      { encoding: 'utf8', timeout: 400_000 },
    );
    assert.equal(r.status, 0, `npm install -g failed:\n${r.stdout}\n${r.stderr}`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('packs what an install needs and nothing built on this machine', () => {
    for (const f of [
      'bin/lvsd',
      'bin/lvsadm',
      'bin/package.json',
      'dist/programs/lvsd/main.js',
      'dist/programs/lvsadm/lvsadm.cjs',
      'native/binding.gyp',
      'native/sd_notify.c',
      'native/packet_socket.c',
      'scripts/build-native.mjs',
      'man/lvsd.8',
      'man/lvsadm.8',
      'completion/lvsadm.bash',
      'packaging/systemd/lvsd.service',
      'packaging/systemd/lvsd@.service',
      'packaging/systemd/lvsd-rules.service',
      'packaging/systemd/lvsd-packet-plane.conf',
      'node_modules/pino/package.json',
    ]) {
      assert.ok(files.includes(f), `${f} is in the tarball`);
    }
    // The dashboard lvsd serves at / (dist/daemon/http/dashboard-routes.js reads them).
    for (const name of Object.keys(DASHBOARD_FILES))
      assert.ok(files.includes(`assets/dashboard/${name}`), `assets/dashboard/${name} is in the tarball`);
    // Every source binding.gyp names is packed, so the addon can build at install.
    const gyp = JSON.parse(readFileSync('native/binding.gyp', 'utf8')) as {
      targets: { sources: string[] }[];
    };
    for (const s of gyp.targets[0]?.sources ?? []) assert.ok(files.includes(`native/${s}`), `native/${s}`);
    for (const f of files) {
      assert.ok(!f.startsWith('native/build/') && !f.startsWith('test/') && !f.startsWith('src/'), f);
    }
  });

  it('installs the commands, the man pages and a built addon', () => {
    assert.deepEqual(readdirSync(join(prefix, 'bin')).sort(), ['lvsadm', 'lvsd']);
    assert.ok(
      existsSync(join(pkg, 'native', 'build', 'Release', 'lvs_packet.node')),
      'the install built the addon',
    );
    const r = spawnSync(join(prefix, 'bin', 'lvsadm'), ['-h'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^ipvsadm v1\.31 /);
    for (const page of ['lvsd', 'lvsadm']) {
      assert.ok(existsSync(join(prefix, 'share', 'man', 'man8', `${page}.8`)), `${page}.8 installed`);
    }
  });

  it('renders the man pages with man -l and finds them by name', { skip: noMan }, () => {
    for (const page of ['lvsd', 'lvsadm']) {
      const text = execFileSync('man', ['-l', join(prefix, 'share', 'man', 'man8', `${page}.8`)], {
        encoding: 'utf8',
        env: { ...process.env, MANWIDTH: '80', MAN_KEEP_FORMATTING: '' },
      });
      assert.match(text, new RegExp(`^${page.toUpperCase()}\\(8\\)`, 'm'));
      assert.match(text, /SEE ALSO/);
      const where = execFileSync('man', ['-w', page], {
        encoding: 'utf8',
        env: { ...process.env, MANPATH: join(prefix, 'share', 'man') },
      });
      assert.ok(where.trim().endsWith(`${page}.8`), where);
    }
  });

  it('starts the installed lvsd, serves lvsadm, notifies READY=1 through the built addon and stops', {
    skip: noPython,
  }, async () => {
    const rules = join(dir, 'rules');
    const socket = join(dir, 'lvsd.sock');
    writeFileSync(rules, '-A -t 192.0.2.10:80 -s rr\n-a -t 192.0.2.10:80 -r 198.51.100.2:80 -m -w 1\n');
    const rx = await startNotifyReceiver(`@lvs-pack-${process.pid}-${Date.now()}`);
    const d = spawn(
      join(prefix, 'bin', 'lvsd'),
      ['--dataplane', 'none', '--socket', socket, '--restore', rules, '--log-format', 'text'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, NOTIFY_SOCKET: rx.name, LVSD_SOCKET: '' },
      },
    );
    let err = '';
    d.stderr?.on('data', (b: Buffer) => {
      err += b.toString();
    });
    const exited = new Promise<number | null>((res) => d.once('exit', (c) => res(c)));
    try {
      const ready = await rx.waitFor((m) => m.includes('READY=1'), 30_000);
      assert.match(ready, /STATUS=serving 1 service/);
      assert.doesNotMatch(ready, /MAINPID=/, 'sent by the addon, not the systemd-notify fallback');
      assert.ok(await probeSocket(socket, 2000));
      const ls = spawnSync(join(prefix, 'bin', 'lvsadm'), ['--socket', socket, '-Ln'], { encoding: 'utf8' });
      assert.equal(ls.status, 0, ls.stderr);
      assert.match(ls.stdout, /TCP {2}192\.0\.2\.10:80 rr\n {2}-> 198\.51\.100\.2:80 +Masq +1 /);
      d.kill('SIGTERM');
      assert.equal(await exited, 0, err);
      await rx.waitFor((m) => m.includes('STOPPING=1'));
    } finally {
      if (d.exitCode === null) d.kill('SIGKILL');
      rx.close();
    }
  });

  it('has systemd units and the packet-plane drop-in that systemd-analyze verify accepts', {
    skip: noAnalyze,
  }, () => {
    const units = join(dir, 'units');
    mkdirSync(units);
    const names = ['lvsd.service', 'lvsd@.service', 'lvsd-rules.service'];
    for (const n of names) {
      const text = readFileSync(join(pkg, 'packaging', 'systemd', n), 'utf8').replaceAll(
        '/usr/local/bin/',
        `${join(prefix, 'bin')}/`,
      );
      writeFileSync(join(units, n), text);
    }
    // The packet plane's drop-in, read with lvsd.service as systemd would read it.
    mkdirSync(join(units, 'lvsd.service.d'));
    writeFileSync(
      join(units, 'lvsd.service.d', 'lvsd-packet-plane.conf'),
      readFileSync(join(pkg, 'packaging', 'systemd', 'lvsd-packet-plane.conf')),
    );
    // A template is verified through an instance of it.
    writeFileSync(join(units, 'lvsd@two.service'), readFileSync(join(units, 'lvsd@.service')));
    const targets = ['lvsd.service', 'lvsd@two.service', 'lvsd-rules.service'].map((n) => join(units, n));
    const r = spawnSync('systemd-analyze', ['verify', ...targets], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, MANPATH: join(prefix, 'share', 'man'), SYSTEMD_UNIT_PATH: `${units}:` },
    });
    // Findings about other units on this host (Conflicts= loads keepalived's) are not ours.
    const ours = `${r.stdout}${r.stderr}`
      .split('\n')
      .filter((l) => /^lvsd[\w@-]*\.service/.test(l) || l.includes(units));
    assert.deepEqual(ours, []);
    assert.equal(r.status, 0, r.stderr);
  });
});
