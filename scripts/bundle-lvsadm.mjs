/**
 * The last step of `npm run build` (scripts/build.mjs): bundles lvsadm's listing path, from
 * DIST/programs/lvsadm/main.js, into one CommonJS file, DIST/programs/lvsadm/lvsadm.cjs, which
 * bin/lvsadm loads (bin/load-bundle.cjs), and makes the bundle's V8 code cache beside it. lvsadm
 * starts once per command, as ipvsadm does, and Node 20's ES module loader reads, links and
 * evaluates each of its ~25 modules one by one (no compile cache before Node 22.1); one CommonJS
 * file takes a third off what lvsadm adds to Node's own start, and the code cache another 8-10 ms
 * of compiling (BENCHMARKS.md, "lvsadm start-up"). What lvsadm imports with import() (the lab, the
 * health and VRRP views, -R's splitter) stays outside, as ES modules loaded when used;
 * import.meta.url becomes the bundle's own URL.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);
const { loadBundle, writeCodeCache, BUILD_MARK, CACHE_SUFFIX } = require('../bin/load-bundle.cjs');

/** Writes DIST/programs/lvsadm/lvsadm.cjs from the ES modules in DIST, and its code cache. */
export async function bundleLvsadm(dist) {
  const outfile = resolve(join(dist, 'programs/lvsadm/lvsadm.cjs'));
  await build({
    entryPoints: [join(dist, 'programs/lvsadm/main.js')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // Relative to programs/lvsadm/, where the bundle sits beside main.js, so they still resolve.
    external: ['../../tools/*', '../../health/*', '../../ipvsadm/format-vrrp.js', '../../ipvsadm/rules.js'],
    define: { 'import.meta.url': '__lvsadm_bundle_url' },
    banner: { js: "const __lvsadm_bundle_url = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'warning',
  });
  // A script compiled from a code cache has no import() on Node 20 (bin/load-bundle.cjs): every
  // import(...) calls the loader's __lvsadm_import(...) instead. A bundle that still holds the
  // token after that (an import( in a string, or a new form) fails the build rather than lvsadm.
  let code = readFileSync(outfile, 'utf8').replace(/\bimport\((?=["'`])/g, '__lvsadm_import(');
  if (/\bimport\(/.test(code)) throw new Error(`${outfile}: an import() the build could not redirect`);
  const id = createHash('sha256').update(code).digest('hex').slice(0, 32);
  code += `${BUILD_MARK}${id}\n`;
  writeFileSync(outfile, code);
  rmSync(outfile + CACHE_SUFFIX, { force: true });
  await writeCache(outfile);
}

/** One service with one real server, as lvsd answers `{q:'list'}` (a shape that drifts only costs speed). */
const STATS = { conns: 0, inpkts: 0, outpkts: 0, inbytes: 0, outbytes: 0 };
const RATES = { cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0 };
const SNAPSHOT = {
  connTabSize: 4096,
  services: [
    {
      key: { kind: 'addr', af: 4, protocol: 6, addr: '192.0.2.10', port: 80 },
      config: { scheduler: 'wlc', flags: 0, timeout: 0, netmask: '255.255.255.255', pe: '' },
      stats: STATS,
      rates: RATES,
      dests: [
        {
          addr: '198.51.100.2',
          port: 80,
          af: 4,
          fwd: 0,
          weight: 1,
          uThreshold: 0,
          lThreshold: 0,
          tunType: 0,
          tunPort: 0,
          tunFlags: 0,
          activeConns: 0,
          inactConns: 0,
          persistConns: 0,
          stats: STATS,
          rates: RATES,
        },
      ],
    },
  ],
};

/**
 * Runs the bundle once, as `lvsadm -Ln` with lvsadm's own process environment against a stand-in
 * lvsd on a temporary socket that answers with one service, so that the functions a listing runs
 * (the socket client and the response decoder among them) are compiled, and writes the code
 * cache. The cache holds compiled code only, so it is written even if that run fails (it then
 * holds less); a bundle that cannot be loaded leaves no cache, which costs speed only
 * (bin/load-bundle.cjs).
 */
async function writeCache(outfile) {
  let loaded;
  try {
    loaded = loadBundle(outfile);
  } catch (e) {
    process.stderr.write(`warning: no code cache for ${outfile}: ${e instanceof Error ? e.message : e}\n`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'lvsadm-cache-'));
  const socket = join(dir, 'lvsd.sock');
  const server = createServer((c) => {
    let buf = '';
    c.on('data', (b) => {
      buf += b;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const { id } = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        c.write(`${JSON.stringify({ v: 1, id, ok: true, result: { q: 'list', snapshot: SNAPSHOT } })}\n`);
      }
    });
    c.on('error', () => {});
  });
  try {
    await new Promise((resolve, reject) => server.listen(socket, resolve).once('error', reject));
    let out = '';
    const env = {
      ...loaded.exports.processEnv(),
      stdout: (t) => {
        out += t;
      },
      stderr: (t) => {
        out += t;
      },
    };
    const code = await loaded.exports.run(['-Ln', '--socket', socket], env);
    if (code !== 0 || !out.includes('198.51.100.2:80')) throw new Error(`exit ${code}: ${out}`);
  } catch (e) {
    process.stderr.write(
      `warning: lvsadm -Ln failed while making its code cache: ${e instanceof Error ? e.message : e}\n`,
    );
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  writeCodeCache(outfile, loaded.script);
}
