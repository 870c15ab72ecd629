/**
 * A plain node:http server on loopback that dispatches to HttpRoutes by method and path, standing
 * in for lvsd's HTTP server in route tests; and a Prometheus text parser for the answers.
 */
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { HttpRoute } from '../../src/daemon/http/http-route.js';

/** A listening route server. */
export interface RouteServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `routes` on 127.0.0.1 on an ephemeral port; 404 for anything else. */
export async function serveRoutes(routes: readonly HttpRoute[]): Promise<RouteServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const r = routes.find((x) => x.method === req.method && x.path === path);
    if (!r) {
      res.writeHead(404).end();
      return;
    }
    void Promise.resolve(r.handle(req, res)).catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

/** One family as parse-prometheus-text-format returns it (values are strings). */
export interface ParsedFamily {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly metrics: ReadonlyArray<{
    readonly value: string;
    readonly labels?: Readonly<Record<string, string>>;
  }>;
}

const parser = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => ParsedFamily[];

/** Parses an exposition into a map by family name; throws on text the parser rejects. */
export function parseExposition(text: string): Map<string, ParsedFamily> {
  return new Map(parser(text).map((f) => [f.name, f]));
}

/** A sample value as the format spells it (`+Inf`, `-Inf`, `NaN` or a Go float) as a number. */
export function sampleNumber(v: string): number {
  if (v === '+Inf') return Number.POSITIVE_INFINITY;
  if (v === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(v);
}

/** The value of the series of `family` whose labels include `labels`, as a number, or undefined. */
export function seriesValue(
  families: Map<string, ParsedFamily>,
  family: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  const f = families.get(family);
  const m = f?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  return m === undefined ? undefined : sampleNumber(m.value);
}
