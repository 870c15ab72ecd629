#!/usr/bin/env node
// Install step: builds the native addon (AF_PACKET, AF_XDP, ICMP echo and VRRP sockets, the TCP relay)
// in native/ with node-gyp. Optional: when it cannot build (no compiler, not Linux, no headers)
// this prints one warning line and exits 0, so `npm install` still succeeds and
// `lvsd --dataplane packet` reports why later.
//
// `--bench` builds the benchmark's load generator instead (native/bench -> lvs_bench.node), a
// separate addon that lvsd never loads; bench/lib/bench-addon.ts runs this on demand. A failure
// there is an error (exit 1, reason on stderr): nothing can run without it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bench = process.argv.includes('--bench');
const nativeDir = bench ? join(root, 'native', 'bench') : join(root, 'native');
const target = bench ? 'lvs_bench' : 'lvs_packet';

function warn(reason) {
  if (bench) {
    process.stderr.write(`lvs-ts: benchmark addon not built (${reason})\n`);
    process.exit(1);
  }
  process.stderr.write(
    `lvs-ts: native addon not built (${reason}); --dataplane packet is unavailable and PING checks spawn ping\n`,
  );
  process.exit(0);
}

// node-gyp ships with npm. During `npm install` npm exports its path; outside npm, look next to
// the npm that runs us, then next to the node binary.
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  if (process.env.npm_execpath) {
    candidates.push(
      join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    );
  }
  const prefix = dirname(dirname(process.execPath));
  candidates.push(
    join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  );
  return candidates.find((p) => existsSync(p));
}

// No downloads are possible in CI sandboxes: point node-gyp at the headers installed with this
// node (prefix/include/node) unless the user configured a nodedir already.
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [`--nodedir=${process.env.npm_config_nodedir}`];
  const prefix = dirname(dirname(process.execPath));
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) return [`--nodedir=${prefix}`];
  return [];
}

if (process.env.LVS_SKIP_NATIVE === '1') warn('LVS_SKIP_NATIVE=1');
if (process.platform !== 'linux') warn(`AF_PACKET needs Linux, this is ${process.platform}`);
const gyp = findNodeGyp();
if (!gyp) warn('node-gyp not found');

const r = spawnSync(process.execPath, [gyp, 'rebuild', ...nodedirArgs()], {
  cwd: nativeDir,
  encoding: 'utf8',
  timeout: 300_000,
});
if (r.status !== 0) {
  const out = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  const line =
    out
      .split('\n')
      .find((l) => /error:|not found|No such file|ERR!.*(find|Python|make)/i.test(l))
      ?.trim() ?? (r.error ? String(r.error.message) : `node-gyp exited ${r.status}`);
  warn(line.slice(0, 200));
}
process.stdout.write(`lvs-ts: built native/${bench ? 'bench/' : ''}build/Release/${target}.node\n`);
