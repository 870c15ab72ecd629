/**
 * Client processes for bench/metrics-scrape.ts, each a separate `node -e` so their CPU is not lvsd's:
 * a scraper (keep-alive HTTP GET, like Prometheus, on request or back to back) and a ping-pong load
 * (K TCP connections each sending 64 bytes and waiting for the echo, with the echo server in the
 * same process) that reports round trips and their latency.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A child that answers each command line with one result line. */
export interface LineChild {
  ask(line: string): Promise<string>;
  stop(): void;
}

function lineChild(src: string, args: string[]): LineChild {
  const child: ChildProcess = spawn(process.execPath, ['-e', src, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const waiting: ((l: string) => void)[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (l) => waiting.shift()?.(l));
  return {
    ask: (line) =>
      new Promise((resolve) => {
        waiting.push(resolve);
        child.stdin?.write(`${line}\n`);
      }),
    stop: () => child.kill(),
  };
}

const SCRAPER = `
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const url = process.argv[1];
const once = () => new Promise((ok, fail) => {
  const t0 = performance.now();
  http.get(url, { agent }, (res) => {
    let n = 0;
    res.on('data', (d) => { n += d.length; });
    res.on('end', () => res.statusCode === 200 ? ok([n, performance.now() - t0]) : fail(new Error('status ' + res.statusCode)));
  }).on('error', fail);
});
let loop = false;
require('node:readline').createInterface({ input: process.stdin }).on('line', async (l) => {
  if (l === 'one') { const [n, ms] = await once(); console.log(n + ' ' + ms); }
  else if (l.startsWith('loop')) {
    // 'loop' scrapes back to back; 'loop MS' starts one scrape every MS ms.
    const every = Number(l.split(' ')[1] ?? 0); loop = true; console.log('looping'); let k = 0;
    while (loop) { const t0 = performance.now(); await once(); k++; const rest = every - (performance.now() - t0); if (rest > 0 && loop) await new Promise((r) => setTimeout(r, rest)); }
    console.log(String(k));
  }
  else if (l === 'stop') loop = false;
});`;

/**
 * A keep-alive scraper of `url`: `one` answers "bytes ms"; `loop` scrapes back to back and `loop MS`
 * once every MS ms, until `stop`, which answers the count.
 */
export function scraper(url: string): LineChild {
  return lineChild(SCRAPER, [url]);
}

const PINGPONG = `
const net = require('node:net');
const [vipPort, echoPort, conns] = process.argv.slice(1).map(Number);
const echo = net.createServer((s) => s.on('data', (d) => s.write(d))).listen(echoPort, '127.0.0.1');
let lat = [];
const payload = Buffer.alloc(64, 120);
function run() {
  const c = net.connect(vipPort, '127.0.0.1');
  c.setNoDelay(true);
  let got = 0; let t0 = 0;
  const send = () => { got = 0; t0 = performance.now(); c.write(payload); };
  c.on('connect', send);
  c.on('data', (d) => { got += d.length; if (got >= 64) { lat.push(performance.now() - t0); send(); } });
  c.on('error', (e) => { console.error('pingpong: ' + e.message); process.exit(1); });
}
echo.on('listening', () => console.log('ready'));
require('node:readline').createInterface({ input: process.stdin }).on('line', (l) => {
  if (l === 'start') { for (let i = 0; i < conns; i++) run(); console.log('started'); }
  else if (l === 'report') {
    const s = lat.sort((a, b) => a - b); lat = [];
    const p = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
    console.log(JSON.stringify({ n: s.length, p50: p(0.5), p99: p(0.99), max: s[s.length - 1] ?? NaN }));
  }
});`;

/** The ping-pong load through `vipPort` to an echo server it runs on `echoPort`. */
export function pingPong(
  vipPort: number,
  echoPort: number,
  conns: number,
): LineChild & { ready: Promise<string> } {
  const c = lineChild(PINGPONG, [String(vipPort), String(echoPort), String(conns)]);
  // The first line the child prints is 'ready' (its echo server listens); it answers no command.
  const ready = new Promise<string>((resolve) => {
    void c.ask('').then(resolve);
  });
  return { ...c, ready };
}
