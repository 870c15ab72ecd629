/**
 * Loader of the benchmark-only addon (native/bench/packet_blast.c -> lvs_bench.node): the packet
 * benchmark's TX-ring load generator. It is not part of the addon lvsd loads, and `npm install`
 * does not build it: ensureBenchAddon() compiles it on first use (and again when a source is newer
 * than the build) with `node scripts/build-native.mjs --bench`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The addon's JS contract version; must equal LVS_BENCH_ABI in native/bench/packet_blast.c. */
export const BENCH_ADDON_ABI = 1;

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where `build-native.mjs --bench` leaves the addon. */
export const BENCH_ADDON_PATH = join(root, 'native', 'bench', 'build', 'Release', 'lvs_bench.node');

/** What the benchmark addon exports. */
export interface BenchBinding {
  readonly benchAbiVersion: number;
  /**
   * Sends the `count` frames at `pairs` of `buf` round-robin on `ifname` from a TX ring filled
   * once, for `secs` seconds or `maxFrames` frames; returns the frames handed to the kernel or
   * -errno. `rate` (frames/s, 0 or absent = unpaced) paces the sends by the clock.
   */
  blast(
    ifname: string,
    buf: Uint8Array,
    pairs: Uint32Array,
    count: number,
    secs: number,
    maxFrames: number,
    rate?: number,
  ): number;
}

/** The build's inputs: its own sources and the helpers it includes from native/. */
function sources(): string[] {
  const dir = join(root, 'native', 'bench');
  const own = readdirSync(dir)
    .filter((f) => f.endsWith('.c') || f.endsWith('.h') || f === 'binding.gyp')
    .map((f) => join(dir, f));
  return [...own, join(root, 'native', 'napi_util.h')];
}

function stale(): boolean {
  if (!existsSync(BENCH_ADDON_PATH)) return true;
  const built = statSync(BENCH_ADDON_PATH).mtimeMs;
  return sources().some((f) => statSync(f).mtimeMs > built);
}

/**
 * Builds the addon when it is missing or older than its sources. Returns why it cannot be
 * used, or undefined when it is ready.
 */
export function ensureBenchAddon(): string | undefined {
  if (process.platform !== 'linux') return `AF_PACKET needs Linux, this is ${process.platform}`;
  if (stale()) {
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-native.mjs'), '--bench'], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (r.status !== 0) {
      return (r.stderr || r.error?.message || `build-native.mjs --bench exited ${r.status}`).trim();
    }
  }
  try {
    loadBenchAddon();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Loads the built addon (no build): throws when it is missing, unloadable or of another ABI. */
export function loadBenchAddon(path = BENCH_ADDON_PATH): BenchBinding {
  if (!existsSync(path)) {
    throw new Error(`${path} is missing (run \`node scripts/build-native.mjs --bench\`)`);
  }
  const mod = createRequire(import.meta.url)(path) as BenchBinding;
  if (mod.benchAbiVersion !== BENCH_ADDON_ABI) {
    throw new Error(
      `${path} has ABI ${String(mod.benchAbiVersion)}, expected ${BENCH_ADDON_ABI}; rebuild it`,
    );
  }
  return mod;
}
