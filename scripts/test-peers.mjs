#!/usr/bin/env node
// The Debian packages the test suite uses as real peers, clients and oracles, in one list, and the
// one place that installs them. `npm test` (scripts/run-tests.mjs) calls ensureTestPeers() before
// it runs anything, so the README's test command works on a fresh machine and `.ci/run` needs no
// install step of its own. As root with apt-get, missing packages are installed; otherwise the
// missing ones are listed, and the tests that need them skip (not root) and print why.
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

/** Package → why the tests need it. */
export const TEST_PEERS = {
  tshark: 'independent dissector for frames the codecs and the engine write',
  iproute2: '`ip` builds the network namespaces of the root-only tests',
  keepalived: 'its shipped sample configs are checked against `keepalived -t` verdicts',
  ldirectord: 'its shipped example config is parsed',
  'nginx-light': 'real servers for the health-probe, failover and lab tests',
  curl: 'the lab client',
  'iputils-ping': 'the `ping` binary that PING checks fall back to without the addon',
  openssl: 'self-signed certificates for SSL_GET probes',
  nftables: 'lvsd --ingress-bypass, rs-agent and the lab kernel director',
  ethtool: "the labs read the client's checksum offloads",
  procps: '`sysctl` inside the test namespaces',
  ipvsadm: 'the real ipvsadm 1.31 run under the fake-ipvs.so shim: the oracle of the argv fuzzer',
  chromium: 'the headless browser that drives the dashboard (test/e2e/dashboard-browser.test.ts)',
  bird2: 'the BIRD 2 router and director daemons of the lvsd --bgp tests (issue 18)',
  vsftpd: 'the real FTP server behind the director in the --ftp-ports tests (test/e2e/packet-ftp.test.ts)',
};

/** Packages of TEST_PEERS that dpkg does not list as installed (all of them without dpkg). */
export function missingTestPeers() {
  if (spawnSync('dpkg', ['--version'], { stdio: 'ignore' }).status !== 0) return Object.keys(TEST_PEERS);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${field} format syntax
  const format = '-f=${Status}';
  return Object.keys(TEST_PEERS).filter(
    (p) =>
      spawnSync('dpkg-query', ['-W', format, p], { encoding: 'utf8' }).stdout?.includes(
        'install ok installed',
      ) !== true,
  );
}

/**
 * Installs the missing peers when running as root on a machine with apt-get; otherwise says
 * which are missing. Returns the packages still missing afterwards.
 */
export function ensureTestPeers(log = (s) => process.stdout.write(`${s}\n`)) {
  const missing = missingTestPeers();
  if (missing.length === 0) return [];
  const root = process.getuid?.() === 0;
  const apt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!root || !apt) {
    log(`# test peers missing: ${missing.join(' ')}`);
    log(`#   ${root ? 'no apt-get here' : 'not root'}: the tests that need them skip and say why`);
    return missing;
  }
  log(`# installing test peers: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (argv, input) =>
    spawnSync(argv[0], argv.slice(1), {
      env,
      input,
      stdio: [input ? 'pipe' : 'ignore', 'ignore', 'inherit'],
    });
  // Keep dumpcap unprivileged: the question would otherwise stop a non-interactive install.
  run(['debconf-set-selections'], 'wireshark-common wireshark-common/install-setuid boolean false\n');
  if (run(['apt-get', 'update', '-qq']).status !== 0)
    log('# apt-get update failed; trying the install anyway');
  const r = run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing]);
  const still = missingTestPeers();
  if (r.status !== 0 || still.length > 0)
    log(`# could not install: ${still.join(' ') || '(apt-get failed)'}`);
  return still;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exit(ensureTestPeers().length === 0 ? 0 : 1);
}
