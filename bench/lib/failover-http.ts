/**
 * The two HTTP ends of the failover race, run inside a namespace with `node --import tsx`:
 * `serve NAME HOST PORT` answers every request with NAME (the director it runs beside), and
 * `client URL MAX_MS` fires one request every 10 ms for at most MAX_MS and prints
 * `<Date.now()> <body>` for each answer, so the bench can tell which director answered and when.
 */
import { createServer, get } from 'node:http';

/** Gap between two client requests (the "a request every 10 ms"). */
const EVERY_MS = 10;
/** A request not answered by then is abandoned: a SYN to a dead director is never answered. */
const TIMEOUT_MS = 250;

function serve(name: string, host: string, port: number): void {
  createServer((_req, res) => res.end(name)).listen(port, host, () => console.log('listening'));
}

function client(url: string, maxMs: number): void {
  const t0 = Date.now();
  const timer = setInterval(() => {
    if (Date.now() - t0 > maxMs) {
      clearInterval(timer);
      return;
    }
    const req = get(url, { agent: false, timeout: TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => process.stdout.write(`${Date.now()} ${body}\n`));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => {});
  }, EVERY_MS);
}

const [mode, a = '', b = '', c = ''] = process.argv.slice(2);
if (mode === 'serve') serve(a, b, Number(c));
else if (mode === 'client') client(a, Number(b));
else throw new Error('usage: failover-http.ts serve NAME HOST PORT | client URL MAX_MS');
