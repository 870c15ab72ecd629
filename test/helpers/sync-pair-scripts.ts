/**
 * The real server and the client of the two-director sync runs (sync-pair.ts), as node `-e`
 * scripts run inside their namespaces: long-lived request connections whose every answer is
 * checked, and one paced download checked by its SHA-256.
 */

/**
 * Deterministic download bytes, shared by the server (writes them) and the client (digest). A
 * block depends on its index only modulo 256, so both sides build at most 256 of them.
 */
const BLOCK_JS = `
const BLOCK = 65536;
const blocks = new Map();
const block = (k) => { let b = blocks.get(k & 255); if (b) return b; b = Buffer.allocUnsafe(BLOCK);
  for (let j = 0; j < BLOCK; j++) b[j] = (k * 131 + j * 7 + (j >> 9)) & 255; blocks.set(k & 255, b); return b; };
`;

/**
 * The real server on port 80: `<conn> <seq>` lines answered `ok <conn> <seq>`; `dl <bytes> <n>`
 * answered with the deterministic bytes, n 64 KiB blocks every 25 ms (n = 1: about 2.5 MB/s).
 * Prints `listening` on stderr once bound.
 */
export const RS_JS = `${BLOCK_JS}
require('node:net').createServer((s) => {
  let buf = '';
  s.setNoDelay(true);
  s.on('error', () => {});
  s.on('data', (d) => {
    buf += d;
    let k;
    while ((k = buf.indexOf('\\n')) >= 0) {
      const line = buf.slice(0, k);
      buf = buf.slice(k + 1);
      if (line.startsWith('dl ')) {
        const [, bytes, per] = line.split(' ');
        const total = Math.ceil(Number(bytes) / BLOCK);
        let n = 0;
        const t = setInterval(() => { if (s.destroyed) return clearInterval(t);
          for (let i = 0; i < Number(per) && n < total; i++) s.write(block(n++));
          if (n === total) { clearInterval(t); s.end(); } }, 25);
      } else s.write('ok ' + line + '\\n');
    }
  });
}).listen(80, () => process.stderr.write('listening\\n'));
`;

/**
 * The client, argv `vip conns hangMs dlBytes dlPer`: `conns` connections each sending `<i> <seq>`
 * every 100 ms, checking every answer, until `ms` after the line `stop <ms>` arrives on stdin
 * (the runner sends it at the kill, so they always go on long enough after it); one download of
 * dlBytes (dlPer blocks per 25 ms) checked by its SHA-256. A connection or the download whose answer is hangMs
 * late is destroyed and counted hung. Prints `ports p1,p2,...` on stderr once all are connected
 * (the download's port last) and a JSON report ({@link ClientReport}) on stdout at the end.
 */
export const CLIENT_JS = `${BLOCK_JS}
const net = require('node:net');
const crypto = require('node:crypto');
const [vip, nConns, hangMs, dlBytes, dlPer] = process.argv.slice(1);
const N = Number(nConns), HANG = Number(hangMs), DL = Number(dlBytes);
const t0 = Date.now();
let RUN = Infinity;
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => { const m = /stop (\\d+)/.exec(d); if (m) RUN = Date.now() - t0 + Number(m[1]);
  if (/report/.test(d)) finish(); });
const conns = [];
let connected = 0;
const ready = () => { if (++connected === N + 1)
  process.stderr.write('ports ' + [...conns.map((c) => c.port), dl.port].join(',') + '\\n'); };
for (let i = 0; i < N; i++) {
  const c = { i, port: 0, sent: 0, got: 0, bad: 0, err: null, hung: false, closed: false, maxLatMs: 0, at: [] };
  const s = net.connect({ host: vip, port: 80 });
  c.s = s;
  s.setNoDelay(true);
  s.setEncoding('utf8');
  let buf = '';
  s.on('connect', () => { c.port = s.localPort; ready();
    c.timer = setInterval(() => { if (Date.now() - t0 >= RUN || c.hung || c.err) return clearInterval(c.timer);
      c.at.push(Date.now()); s.write(i + ' ' + c.sent++ + '\\n'); }, 100); });
  s.on('data', (d) => { buf += d; let k;
    while ((k = buf.indexOf('\\n')) >= 0) { const line = buf.slice(0, k); buf = buf.slice(k + 1);
      if (line !== 'ok ' + i + ' ' + c.got) c.bad++;
      c.maxLatMs = Math.max(c.maxLatMs, Date.now() - (c.at[c.got] ?? Date.now())); c.got++; } });
  s.on('error', (e) => { c.err = e.code || e.message; });
  s.on('close', () => { c.closed = true; });
  conns.push(c);
}
const dl = { port: 0, bytes: 0, digestOk: false, err: null, hung: false, done: false, maxGapMs: 0, last: 0 };
// The expected digest grows with the bytes received, so no start-up pause delays the connects.
const want = crypto.createHash('sha256');
let wantK = 0;
const wantUpTo = (n) => { while (wantK * BLOCK < Math.min(n, DL)) want.update(block(wantK++)); };
const got = crypto.createHash('sha256');
const ds = net.connect({ host: vip, port: 80 });
ds.on('connect', () => { dl.port = ds.localPort; dl.last = Date.now(); ds.write('dl ' + DL + ' ' + dlPer + '\\n'); ready(); });
ds.on('data', (d) => { const now = Date.now(); dl.maxGapMs = Math.max(dl.maxGapMs, now - dl.last); dl.last = now;
  dl.bytes += d.length; got.update(d); wantUpTo(dl.bytes); });
ds.on('end', () => { dl.done = true; wantUpTo(DL); dl.digestOk = got.digest('hex') === want.digest('hex'); });
ds.on('error', (e) => { dl.err = e.code || e.message; });
const check = setInterval(() => {
  const now = Date.now();
  for (const c of conns) {
    if (!c.hung && !c.err && c.got < c.sent && now - c.at[c.got] > HANG) { c.hung = true; c.s.destroy(); }
  }
  if (!dl.done && !dl.hung && !dl.err && dl.last && now - dl.last > HANG) { dl.hung = true; ds.destroy(); }
  const connsDone = conns.every((c) => c.hung || c.err || (now - t0 >= RUN && c.got === c.sent));
  const dlDone = dl.done || dl.hung || dl.err;
  if (connsDone && dlDone) finish();
}, 100);
// The report, once: at the end, or when the runner asks (a run that never ends shows where it stands).
let finished = false;
function finish() {
  if (finished) return;
  finished = true;
  clearInterval(check);
  for (const c of conns) { clearInterval(c.timer); c.s.end(); }
  const out = conns.map(({ s, timer, at, ...r }) => r);
  process.stdout.write(JSON.stringify({ conns: out, dl: { ...dl, last: Date.now() - dl.last } }) + '\\n');
  setTimeout(() => process.exit(0), 200);
}
`;

/** One long-lived connection as the client reports it. */
export interface ClientConn {
  i: number;
  port: number;
  sent: number;
  got: number;
  bad: number;
  err: string | null;
  hung: boolean;
  closed: boolean;
  maxLatMs: number;
}

/** The client's report: every connection and the download. */
export interface ClientReport {
  conns: ClientConn[];
  dl: {
    port: number;
    bytes: number;
    digestOk: boolean;
    err: string | null;
    hung: boolean;
    done: boolean;
    maxGapMs: number;
    /** Milliseconds since the download last received data, at the report. */
    last: number;
  };
}

/** A connection that went on: no error, no hang, every request answered right. */
export const kept = (c: ClientConn): boolean =>
  !c.err && !c.hung && c.bad === 0 && c.got === c.sent && c.sent > 0;
