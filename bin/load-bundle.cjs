// Loads lvsadm's one-file bundle (scripts/bundle-lvsadm.mjs) with the V8 code cache the build
// made beside it, as the v8-compile-cache package does for Node's own loader: vm.Script with
// `cachedData` skips parsing and compiling the bundle (about 8-10 ms of lvsadm's start on Node 20,
// which has no module.enableCompileCache; BENCHMARKS.md, "lvsadm start-up"). The cache is used
// only when its header names this Node (version, arch) and this bundle (the build id on the
// bundle's last line); V8 itself rejects a cache made under other flags. Any miss, a missing or
// unreadable cache included, compiles the bundle as usual: the cache can only make lvsadm faster.
//
// The bundle does not call import() itself: on Node 20 a script compiled from cached data loses
// its dynamic-import callback (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING), so the build rewrites
// each import() to `__lvsadm_import()`, which this wrapper supplies from here, a module Node
// compiled, relative to the bundle's own URL.
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const { dirname } = require('node:path');
const { pathToFileURL } = require('node:url');
const { Script } = require('node:vm');

/** The cache file of `bundle`: beside it, with this suffix. */
const CACHE_SUFFIX = '.v8-cache';
/** The bundle's last line: `//# lvsadm-build=ID`, ID a hash of the rest (scripts/bundle-lvsadm.mjs). */
const BUILD_MARK = '//# lvsadm-build=';

/** The first line a cache for `source` must start with: format, Node version, arch, build id. */
function cacheHeader(source) {
  const at = source.lastIndexOf(BUILD_MARK);
  const id = at < 0 ? 'none' : source.slice(at + BUILD_MARK.length).trim();
  return `lvsadm-code-cache 1 ${process.version} ${process.arch} ${id}\n`;
}

/** Wraps the bundle as Node's CommonJS loader does, plus the import function it calls. */
function wrap(source) {
  return `(function (exports, require, module, __filename, __dirname, __lvsadm_import) {${source}\n})`;
}

/**
 * Compiles and runs `bundle` (an absolute path). Returns its exports, how the code cache went
 * ('used', 'absent', 'stale' for another Node or build, 'rejected' by V8) and the compiled script
 * (for writeCodeCache).
 */
function loadBundle(bundle) {
  const source = readFileSync(bundle, 'utf8');
  let cachedData;
  let cache = 'absent';
  try {
    const file = readFileSync(bundle + CACHE_SUFFIX);
    const nl = file.indexOf(10);
    if (nl > 0 && file.toString('latin1', 0, nl + 1) === cacheHeader(source)) {
      cachedData = file.subarray(nl + 1);
    } else cache = 'stale';
  } catch {
    // No cache (a build without one, or unreadable): compile as usual.
  }
  const script = new Script(wrap(source), { filename: bundle, cachedData });
  if (cachedData) cache = script.cachedDataRejected ? 'rejected' : 'used';
  const url = pathToFileURL(bundle);
  const load = (specifier) => import(new URL(specifier, url).href);
  const module = { exports: {}, id: bundle, filename: bundle, loaded: false };
  const req = require('node:module').createRequire(bundle);
  script.runInThisContext()(module.exports, req, module, bundle, dirname(bundle), load);
  module.loaded = true;
  return { exports: module.exports, cache, script };
}

/** Writes the code cache of a loaded bundle (after it ran, so the functions it ran are in it). */
function writeCodeCache(bundle, script) {
  const header = cacheHeader(readFileSync(bundle, 'utf8'));
  writeFileSync(bundle + CACHE_SUFFIX, Buffer.concat([Buffer.from(header, 'latin1'), script.createCachedData()]));
}

module.exports = { loadBundle, writeCodeCache, cacheHeader, CACHE_SUFFIX, BUILD_MARK };
