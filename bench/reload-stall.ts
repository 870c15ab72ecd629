/**
 * How long a configuration load holds lvsd's event loop (`node --import tsx bench/reload-stall.ts`):
 * loadConfig on the loop (what a SIGHUP reload did) against loadConfigOffLoop (a worker thread,
 * what it does now), for 2,000 services × 4 real servers over 50 include files, and for a file
 * past the lexer's 200,000-line cap (6,500 services × 10 real servers, refused on reload). Each
 * load is probed by test/helpers/loop-gap.ts: the longest CPU time of the main thread between two
 * loop turns (what a relay or health check waited for), and the longest wall gap (which also
 * counts waiting for a CPU on a loaded host). Results in bench/results/reload-stall.json.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/daemon/config-loader.js';
import { loadConfigOffLoop } from '../src/daemon/load-config-off-loop.js';
import { loopGap } from '../test/helpers/loop-gap.js';

const dir = mkdtempSync(join(tmpdir(), 'lvs-reload-stall-'));
const vs = (n: number, reals: number) => {
  let s = `virtual_server 192.0.2.${1 + (n % 250)} ${1000 + n} {\n  delay_loop 10\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n`;
  for (let r = 0; r < reals; r++)
    s += `  real_server 198.51.100.${1 + r} ${8000 + n} {\n    weight 1\n    TCP_CHECK {\n      connect_timeout 3\n    }\n  }\n`;
  return `${s}}\n`;
};
for (let f = 0; f < 50; f++) {
  let s = '';
  for (let i = 0; i < 40; i++) s += vs(f * 40 + i, 4);
  writeFileSync(join(dir, `svc${f}.conf`), s);
}
const big = join(dir, 'big.conf');
writeFileSync(big, `global_defs {\n  router_id big\n}\ninclude ${dir}/svc*.conf\n`);
const cap = join(dir, 'cap.conf');
let t = '';
for (let n = 0; n < 6500; n++) t += vs(n, 10);
writeFileSync(cap, t);

const rows: Record<string, unknown>[] = [];
const load0 = loadavg().map((x) => x.toFixed(2));
console.log('file                                  loader       hold CPU ms  hold wall ms  services  exit');
for (const [name, file] of [
  ['2,000 services, 50 includes', big],
  ['past the 200,000-line cap', cap],
] as const)
  for (const [loader, fn] of [
    ['on the loop', loadConfig],
    ['worker', loadConfigOffLoop],
  ] as const) {
    let services = 0;
    let exit = 0;
    const g = await loopGap(async () => {
      const c = await fn(file);
      services = c.model.services.length;
      exit = c.exitCode;
    });
    rows.push({
      file: name,
      loader,
      holdCpuMs: g.cpuMs,
      holdWallMs: g.wallMs,
      eldMaxMs: g.eldMs,
      services,
      exit,
    });
    console.log(
      `${name.padEnd(37)} ${loader.padEnd(12)} ${g.cpuMs.toFixed(0).padStart(11)}  ${g.wallMs.toFixed(0).padStart(12)}  ${String(services).padStart(8)}  ${exit}`,
    );
  }
const load1 = loadavg().map((x) => x.toFixed(2));
console.log(`load average before ${load0.join(' ')}, after ${load1.join(' ')}`);
writeFileSync(
  new URL('results/reload-stall.json', import.meta.url),
  `${JSON.stringify({ loadavg: { before: load0, after: load1 }, rows }, null, 2)}\n`,
);
rmSync(dir, { recursive: true, force: true });
