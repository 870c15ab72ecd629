/**
 * Packet engine benchmark (`npm run bench:engine`): nanoseconds per packet through
 * Engine.handleFrame for DR, NAT, TUN (IPIP) and FULLNAT with 1 k, 64 k and 1 M active flows.
 *
 * The engine and director are loaded from the compiled dist/ (npm run build first; the script
 * does), so the numbers are those of the shipped JavaScript. Per cell: a service with 4 real
 * servers (rr; FULLNAT with 16 local addresses), static neighbours, one SYN per flow to create the
 * connections (untimed), then the timed phase replays 64-byte TCP ACK frames of every flow in
 * memory order, in batches of 256 like the AF_PACKET loop: the batch is restored from a pristine
 * copy (the engine rewrites frames in place; one 16 KB memcpy, also timed separately and
 * subtracted), handed to Engine.handleBatch (which warms the conn-index slots of the batch when
 * the index is large, then runs handleFrame on each frame), and flushed. Builds from before
 * handleBatch (BENCH_DIST of an older commit), or BENCH_NO_BATCH=1, hand frames one by one.
 * Client→VIP direction; the figure includes parse, service/conn lookup and state transition in the core, route and
 * neighbour lookup, the rewrite with incremental checksums and the Ethernet header, and the
 * action append. Time is the process's CPU time (process.cpuUsage), which stays meaningful on a
 * busy machine, as in the scheduler benchmark. Medians of --runs runs (5); table on stdout, raw
 * data in bench/results/engine.json.
 *
 * The timed ACKs of established conns take the engine's fast path (IpPath.fastRequest); the SYNs
 * that create the conns go through the general path untimed.
 *
 * V8: lvsd's inlining limits (src/daemon/v8-tuning.ts) are applied first, as lvsd applies them;
 * LVS_V8_DEFAULTS=1 runs with V8's defaults instead.
 *
 * Options: --runs N (5) --packets N (timed packets per run, default 2,000,000) --flows a,b,c
 * --methods DR,NAT,TUN,FULLNAT --headroom N (32; bytes before each frame the driver leaves writable)
 * --order memory|random (flows replayed in creation order, the
 * default, or in a fixed random permutation as real traffic arrives). BENCH_DIST=dir loads another build output than dist/ (a private
 * `tsc --outDir` while others rebuild dist/; give it a package.json with "type": "module").
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type * as TuneMod from '../src/daemon/v8-tuning.js';
import type * as SimMod from '../src/tools/simulate.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// BENCH_DIST points at another build output (e.g. a private tsc --outDir while others rebuild dist/).
const distDir = process.env.BENCH_DIST || join(root, 'dist');
const dist = (p: string) => pathToFileURL(join(distDir, p)).href;
const sim = (await import(dist('tools/simulate.js'))) as typeof SimMod;
// lvsd's V8 settings (daemon/v8-tuning.ts), applied as lvsd applies them, before any hot code is
// optimized; LVS_V8_DEFAULTS=1 measures with V8's defaults. Builds before v8-tuning.ts have none.
let v8Flags: readonly string[] = [];
try {
  const t = (await import(dist('daemon/v8-tuning.js'))) as typeof TuneMod;
  v8Flags = t.tuneV8();
} catch {
  v8Flags = [];
}

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    packets: { type: 'string', default: '2000000' },
    flows: { type: 'string', default: '1000,65536,1000000' },
    methods: { type: 'string', default: 'DR,NAT,TUN,FULLNAT' },
    order: { type: 'string', default: 'memory' },
    headroom: { type: 'string', default: '32' },
  },
});
const RUNS = Number(values.runs);
const PACKETS = Number(values.packets);
const FLOWS = String(values.flows).split(',').map(Number);
const ORDER = String(values.order);
const BATCH = 256;
// --headroom: bytes in front of every frame that the driver guarantees writable (AF_PACKET
// PACKET_RESERVE, AF_XDP UMEM headroom); 32 (TUN_HEADROOM) lets TUN build every IPv4 tunnel in
// place. Builds without headroom support ignore it; frames are laid out the same for both.
const HEADROOM = Number(values.headroom);
const SLOT = HEADROOM > 0 ? (64 + HEADROOM + 31) & ~31 : 64;

const VIP = '192.0.2.100';
// DR and TUN keep the VIP's port (ipvsadm forces it); NAT and FULLNAT map to 8080.
const ALL_METHODS = [
  { name: 'DR', flag: '-g', port: 80 },
  { name: 'NAT', flag: '-m', port: 8080 },
  { name: 'TUN', flag: '-i', port: 80 },
  { name: 'FULLNAT', flag: '-b', port: 8080 },
] as const;
const WANT = String(values.methods).toUpperCase().split(',');
const METHODS = ALL_METHODS.filter((m) => WANT.includes(m.name));

function rules(m: (typeof ALL_METHODS)[number]): string {
  let r = `-A -t ${VIP}:80 -s rr\n`;
  for (let k = 0; k < 4; k++) r += `-a -t ${VIP}:80 -r 192.0.2.${10 + k}:${m.port} ${m.flag} -w 1\n`;
  if (m.name === 'FULLNAT')
    for (let k = 0; k < 16; k++) r += `-P -t ${VIP}:80 -z 192.0.2.${200 + k} -F eth0\n`;
  return r;
}

const NEIGH = [
  '192.0.2.254 02:00:00:00:00:fe',
  ...[0, 1, 2, 3].map((k) => `192.0.2.${10 + k} 02:00:00:00:00:${(10 + k).toString(16).padStart(2, '0')}`),
].join('\n');

// Internet checksum of an IPv4 header / TCP segment, for building the frames (untimed).
function csum(b: Buffer, off: number, len: number, init = 0): number {
  let s = init;
  for (let i = 0; i < len; i += 2) s += (b[off + i]! << 8) | (b[off + i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

// Frame i: client 10.x.y.z:port → VIP:80, flags SYN or ACK, padded to 64 bytes.
function writeFrame(b: Buffer, o: number, i: number, flags: number): void {
  b.fill(0, o, o + 64);
  b.set([0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0xfe, 0x08, 0x00], o);
  const ip = o + 14;
  const src = (0x0a000000 | (i >>> 4)) >>> 0;
  const sport = 1024 + (i & 15) * 4000 + ((i >>> 20) & 0xff);
  b.set([0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0], ip);
  b.writeUInt32BE(src, ip + 12);
  b.writeUInt32BE(0xc0000264, ip + 16);
  b.writeUInt16BE(csum(b, ip, 20), ip + 10);
  const t = ip + 20;
  b.writeUInt16BE(sport, t);
  b.writeUInt16BE(80, t + 2);
  b.writeUInt32BE(1000, t + 4);
  b.writeUInt32BE(flags === 0x02 ? 0 : 1, t + 8);
  b[t + 12] = 0x50;
  b[t + 13] = flags;
  b.writeUInt16BE(65535, t + 14);
  const pseudo = (src >>> 16) + (src & 0xffff) + 0xc000 + 0x0264 + 6 + 20;
  b.writeUInt16BE(csum(b, t, 20, pseudo), t + 16);
}

interface Cell {
  method: string;
  flows: number;
  nsPerPacket: number[];
  copyNsPerPacket: number[];
  txPerPacket: number;
  drops: Record<string, number>;
}

function cell(m: (typeof ALL_METHODS)[number], flows: number): Cell {
  const s = sim.createSimulation({
    rules: rules(m),
    directorMac: '02:00:00:00:00:01',
    directorIp: '192.0.2.1/24',
    gateway: '192.0.2.254',
    neighbours: NEIGH,
    now: 0,
  });
  const engine = s.engine;
  (engine.ip as { headroom?: number }).headroom = HEADROOM;
  // BENCH_WARM_ENTRIES=1|0 forces ConnTable.warmEntries on or off (default: the build's own rule).
  const we = process.env.BENCH_WARM_ENTRIES;
  if (we !== undefined && we !== '') s.director.conns.warmEntries = we === '1';
  // BENCH_NO_WARM=1 turns the batch warm-up off (ConnTable.warmMinSlots beyond any index), to size its effect.
  if (process.env.BENCH_NO_WARM) s.director.conns.warmMinSlots = 2 ** 40;
  const n = Math.ceil(flows / BATCH) * BATCH;
  const work = Buffer.alloc(n * SLOT);
  const pristine = Buffer.alloc(n * SLOT);
  let now = 1000;
  // Setup: one SYN per flow creates the connections.
  for (let i = 0; i < n; i++) writeFrame(work, i * SLOT + HEADROOM, i % flows, 0x02);
  for (let i = 0; i < n; i += BATCH) {
    for (let k = 0; k < BATCH; k++) engine.handleFrame(work, (i + k) * SLOT + HEADROOM, 54, 1, 0, now);
    engine.flush();
  }
  // --order random: the ACKs come in a fixed random permutation of the flows, so conn entries
  // are visited at random as real traffic visits them (memory order lets the CPU stream them).
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  if (ORDER === 'random') {
    let r = 0x9e3779b9;
    for (let i = n - 1; i > 0; i--) {
      r = (Math.imul(r, 1664525) + 1013904223) >>> 0;
      const j = r % (i + 1);
      const t = perm[i]!;
      perm[i] = perm[j]!;
      perm[j] = t;
    }
  }
  for (let i = 0; i < n; i++) writeFrame(pristine, i * SLOT + HEADROOM, perm[i]! % flows, 0x10);
  const meta = new Int32Array(n * 2);
  for (let i = 0; i < n; i++) {
    meta[2 * i] = i * SLOT + HEADROOM;
    meta[2 * i + 1] = 54;
  }
  // Builds before Engine.handleBatch (BENCH_DIST of an older commit) hand frames one by one.
  const batchApi = typeof engine.handleBatch === 'function' && !process.env.BENCH_NO_BATCH;
  const tx0 = engine.out.txFrames;
  const rx0 = engine.rxFrames;
  const batches = Math.max(1, Math.round(PACKETS / BATCH));
  const run = (withEngine: boolean): number => {
    let b = 0;
    const c0 = process.cpuUsage();
    for (let j = 0; j < batches; j++) {
      const base = b * BATCH * SLOT;
      pristine.copy(work, base, base, base + BATCH * SLOT);
      if (withEngine) {
        // [offset, length] per frame; the batch's pairs start at word 2 × its first frame.
        const w = 2 * b * BATCH;
        if (batchApi) engine.handleBatch(work, meta, BATCH, 2, w, w + 1, 1, 0, now);
        else
          for (let k = 0; k < BATCH; k++) engine.handleFrame(work, base + k * SLOT + HEADROOM, 54, 1, 0, now);
        engine.flush();
      }
      now += 0.01;
      if (++b * BATCH >= n) b = 0;
    }
    const c = process.cpuUsage(c0);
    return ((c.user + c.system) * 1000) / (batches * BATCH);
  };
  run(true); // warm-up pass: JIT and caches
  const ns: number[] = [];
  const copy: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    copy.push(run(false));
    ns.push(run(true));
  }
  const c = engine.counters();
  return {
    method: m.name,
    flows,
    nsPerPacket: ns,
    copyNsPerPacket: copy,
    txPerPacket: (engine.out.txFrames - tx0) / (engine.rxFrames - rx0),
    drops: c.drops,
  };
}

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s[s.length >> 1]!;
};
// The best run: on a shared machine other processes only ever add time, so it shows the code's cost.
const best = (a: number[]) => Math.min(...a);

const cells: Cell[] = [];
for (const flows of FLOWS) {
  for (const m of METHODS) {
    const c = cell(m, flows);
    cells.push(c);
    const net = median(c.nsPerPacket) - median(c.copyNsPerPacket);
    process.stderr.write(
      `${m.name.padEnd(8)} ${String(flows).padStart(8)} flows: ${net.toFixed(1)} ns/packet\n`,
    );
    if (c.txPerPacket < 0.99)
      process.stderr.write(`  warning: ${c.txPerPacket} tx per packet, drops ${JSON.stringify(c.drops)}\n`);
  }
}

const head = `| method | ${FLOWS.map((f) => `${f.toLocaleString('en')} flows`).join(' | ')} |`;
let table = `${head}\n|---|${FLOWS.map(() => '---:').join('|')}|\n`;
for (const m of METHODS) {
  const row = FLOWS.map((f) => {
    const c = cells.find((x) => x.method === m.name && x.flows === f)!;
    const med = median(c.nsPerPacket) - median(c.copyNsPerPacket);
    return `${med.toFixed(0)} (${(best(c.nsPerPacket) - best(c.copyNsPerPacket)).toFixed(0)})`;
  });
  table += `| ${m.name} | ${row.join(' | ')} |\n`;
}
process.stdout.write(
  `ns per packet, median of ${RUNS} runs (best run), batch restore memcpy subtracted; V8 flags: ${v8Flags.join(' ') || 'defaults'}\n${table}`,
);
writeFileSync(
  join(root, 'bench', 'results', 'engine.json'),
  `${JSON.stringify({ node: process.version, v8Flags, runs: RUNS, order: ORDER, headroom: HEADROOM, packets: PACKETS, batch: BATCH, date: new Date().toISOString(), cells: cells.map((c) => ({ ...c, medianNs: median(c.nsPerPacket) - median(c.copyNsPerPacket), bestNs: best(c.nsPerPacket) - best(c.copyNsPerPacket) })) }, null, 2)}\n`,
);
