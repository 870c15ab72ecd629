/**
 * The last step of `npm run build` (scripts/build.mjs): bundles lvsadm's listing path, from
 * DIST/programs/lvsadm/main.js, into one CommonJS file, DIST/programs/lvsadm/lvsadm.cjs, which
 * bin/lvsadm loads. lvsadm starts once per command, as ipvsadm does, and Node 20's ES module
 * loader reads, links and evaluates each of its ~25 modules one by one (no compile cache before
 * Node 22.1); one CommonJS file takes a third off what lvsadm adds to Node's own start
 * (BENCHMARKS.md, "lvsadm start-up"). What lvsadm imports with import() (the lab, the health and
 * VRRP views, -R's splitter) stays outside, as ES modules loaded when used; import.meta.url
 * becomes the bundle's own URL.
 */
import { join } from 'node:path';
import { build } from 'esbuild';

/** Writes DIST/programs/lvsadm/lvsadm.cjs from the ES modules in DIST. */
export async function bundleLvsadm(dist) {
  await build({
    entryPoints: [join(dist, 'programs/lvsadm/main.js')],
    outfile: join(dist, 'programs/lvsadm/lvsadm.cjs'),
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
}
