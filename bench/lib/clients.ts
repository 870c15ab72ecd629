/** The client side of the proxy race: iperf3, wrk and a holder of many idle connections. */
import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Bulk throughput through `port` with iperf3 (`streams` parallel streams), in Gbit/s. */
export async function iperf(port: number, streams: number, secs: number): Promise<number> {
  const { stdout } = await run(
    'iperf3',
    ['-c', '127.0.0.1', '-p', String(port), '-t', String(secs), '-P', String(streams), '-J'],
    {
      maxBuffer: 64 << 20,
    },
  );
  const j = JSON.parse(stdout) as { end?: { sum_received?: { bits_per_second?: number } } };
  return (j.end?.sum_received?.bits_per_second ?? 0) / 1e9;
}

/** One wrk result: requests per second and the 99th-percentile latency in ms. */
export interface WrkResult {
  rps: number;
  p99ms: number;
  errors: number;
  /** Requests completed in the run. */
  requests: number;
}

function ms(v: string, unit: string): number {
  const n = Number(v);
  if (unit === 'us') return n / 1000;
  if (unit === 's') return n * 1000;
  if (unit === 'm') return n * 60000;
  return n;
}

/** wrk, one thread, 50 connections; `close` sends `Connection: close` so every request is a new connection. */
export async function wrk(port: number, close: boolean, secs: number): Promise<WrkResult> {
  const args = ['-t1', '-c50', `-d${secs}s`, '--latency'];
  if (close) args.push('-H', 'Connection: close');
  args.push(`http://127.0.0.1:${port}/`);
  const { stdout } = await run('wrk', args, { maxBuffer: 16 << 20 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0);
  const p = /\s99%\s+([\d.]+)(us|ms|s|m)\b/.exec(stdout);
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const errors = errs ? Number(errs[1]) + Number(errs[3]) + Number(errs[4]) : 0;
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0);
  return { rps, p99ms: p ? ms(p[1] as string, p[2] as string) : 0, errors: errors + non2xx, requests };
}

/**
 * Opens `n` connections through `port`, makes one keep-alive HTTP request on each (so every
 * proxy has moved data and sized its buffers), and leaves them idle. Returns a closer.
 */
export async function holdIdle(port: number, n: number): Promise<() => void> {
  const socks: net.Socket[] = [];
  const req = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  const batch = 200;
  for (let i = 0; i < n; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, n - i) }, () => {
        return new Promise<void>((resolve, reject) => {
          const s = net.connect(port, '127.0.0.1');
          socks.push(s);
          s.on('error', reject);
          s.once('connect', () => s.write(req));
          s.once('data', () => resolve());
        });
      }),
    );
  }
  return () => {
    for (const s of socks) s.destroy();
  };
}
