/**
 * Conformance: every keepalived.conf sample Debian's keepalived package ships must get the
 * `keepalived -t` verdict Debian's keepalived 2.2.7 gives on a host whose only interface is
 * eth0. Interface-dependent verdicts use that same host view.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { checkKeepalived } from '../../src/config/keepalived/index.js';

const DIR = '/usr/share/doc/keepalived/samples';
const ETC_SAMPLE = '/etc/keepalived/keepalived.conf.sample';

/** `keepalived -t` exit status (5 = config errors keepalived reports and works around). */
const EXPECTED: Record<string, { rc: 0 | 5; codes?: string[]; configId?: string }> = {
  'keepalived.conf.sample': { rc: 0 },
  'keepalived.conf.HTTP_GET.port': { rc: 0 },
  'keepalived.conf.SSL_GET': { rc: 5, codes: ['ERR_CONFIG_ADJUSTED'] },
  'keepalived.conf.status_code': { rc: 0 },
  'keepalived.conf.virtualhost': { rc: 0 },
  'keepalived.conf.inhibit': { rc: 0 },
  'keepalived.conf.misc_check': { rc: 0 },
  'keepalived.conf.misc_check_arg': { rc: 0 },
  'keepalived.conf.SMTP_CHECK': { rc: 0 },
  'keepalived.conf.UDP_CHECK': { rc: 0 },
  'keepalived.conf.PING_CHECK': { rc: 0 },
  'keepalived.conf.fwmark': { rc: 5, codes: ['ERR_CONFIG_ADJUSTED'] },
  'keepalived.conf.quorum': { rc: 0 },
  'keepalived.conf.virtual_server_group': { rc: 0 },
  'keepalived.conf.IPv6': { rc: 0 },
  'keepalived.conf.conditional_conf': { rc: 5 },
  'keepalived.conf.vrrp': { rc: 5, codes: ['ERR_CONFIG_NO_INTERFACE'] },
  'keepalived.conf.vrrp.localcheck': { rc: 5, codes: ['ERR_CONFIG_NO_INTERFACE'] },
  'keepalived.conf.vrrp.lvs_syncd': { rc: 5 },
  'keepalived.conf.vrrp.routes': { rc: 5, codes: ['ERR_CONFIG_NO_INTERFACE'] },
  'keepalived.conf.vrrp.rules': { rc: 5 },
  'keepalived.conf.vrrp.static_ipaddress': { rc: 5, codes: ['ERR_CONFIG_NO_INTERFACE'] },
  'keepalived.conf.vrrp.scripts': { rc: 0 },
  'keepalived.conf.vrrp.sync': { rc: 5, codes: ['ERR_CONFIG_NO_INTERFACE'] },
  'keepalived.conf.track_interface': { rc: 5, codes: ['ERR_CONFIG_NO_INTERFACE'] },
};

const isRoot = process.getuid?.() === 0;
const have = existsSync(DIR);

function readMaybeGz(p: string): string | undefined {
  if (existsSync(p)) return readFileSync(p, 'utf8');
  if (existsSync(`${p}.gz`)) return gunzipSync(readFileSync(`${p}.gz`)).toString('utf8');
  return undefined;
}
const io = { readFile: readMaybeGz, glob: () => [] as string[] };
const host = { interfaceExists: (n: string) => n === 'eth0' || n === 'lo' };

test('Debian keepalived samples are installed (CI installs the package)', (t) => {
  if (!have && !isRoot) {
    t.skip(`${DIR} missing and not root: cannot apt-get install keepalived here`);
    console.log(`# skipped: ${DIR} missing and not running as root`);
    return;
  }
  assert.ok(have, `${DIR} missing: install Debian's keepalived package`);
  const shipped = readdirSync(DIR)
    .map((f) => f.replace(/\.gz$/, ''))
    .filter((f) => f.startsWith('keepalived.conf.'));
  assert.deepEqual(
    shipped.sort(),
    Object.keys(EXPECTED).sort(),
    'every shipped sample has a recorded verdict',
  );
});

for (const [name, want] of Object.entries(EXPECTED)) {
  test(`sample ${name} gets keepalived -t exit ${want.rc}`, (t) => {
    if (!have) {
      if (isRoot) assert.fail(`${DIR} missing`);
      t.skip('samples not installed (not root)');
      return;
    }
    const r = checkKeepalived(`${DIR}/${name}`, io, {
      ...host,
      ...(want.configId ? { configId: want.configId } : {}),
    });
    assert.equal(r.exitCode, want.rc, r.diagnostics.map((d) => d.message).join('\n'));
    for (const c of want.codes ?? [])
      assert.ok(
        r.diagnostics.some((d) => d.code === c),
        `expected a ${c}`,
      );
    for (const d of r.diagnostics) assert.ok(d.file.length > 0 && d.line > 0, `${d.code} located`);
  });
}

test('conditional sample with --config-id high no longer lacks its vrrp_script', (t) => {
  if (!have) return void t.skip('samples not installed');
  const r = checkKeepalived(`${DIR}/keepalived.conf.conditional_conf`, io, {
    configId: 'high',
    interfaceExists: () => true,
  });
  assert.equal(r.exitCode, 0, r.diagnostics.map((d) => d.message).join('\n'));
});

test('the /etc sample (vrrp_strict, garp interval 0) gets exit 5 with its known findings', (t) => {
  if (!existsSync(ETC_SAMPLE)) {
    if (isRoot && have) assert.fail(`${ETC_SAMPLE} missing`);
    return void t.skip('not installed');
  }
  const r = checkKeepalived(ETC_SAMPLE, io, host);
  assert.equal(r.exitCode, 5);
  assert.deepEqual(
    r.diagnostics.map((d) => d.code),
    ['ERR_CONFIG_BAD_VALUE', 'ERR_CONFIG_BAD_VALUE', 'ERR_CONFIG_CONFLICT', 'ERR_CONFIG_IGNORED'],
  );
});

test('a missing configuration file is fatal (exit 4)', () => {
  assert.equal(checkKeepalived('/nonexistent/keepalived.conf', io).exitCode, 4);
});
