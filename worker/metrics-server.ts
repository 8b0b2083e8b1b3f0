/**
 * The worker's /metrics listener (TOLLGATE_METRICS_HOST:TOLLGATE_METRICS_PORT): Tollgate's worker
 * metrics (runtime/metrics.ts) followed by the Temporal SDK's own, read from the SDK's exporter on
 * loopback at each scrape, so Prometheus scrapes one target per worker. With TOLLGATE_METRICS_TOKEN
 * set, a scrape must send `Authorization: Bearer <it>`.
 */
import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '../runtime/log';
import { temporalMetricsUp } from '../runtime/metrics';

/** How long a scrape waits for the SDK's exporter before answering without its metrics. */
export const TEMPORAL_METRICS_TIMEOUT_MS = 2_000;

export interface MetricsServerOptions {
  host: string;
  /** 0: any free port (reported in the log line and by `url`). */
  port: number;
  registry: Registry;
  /** The SDK exporter's URL (worker/telemetry.ts); without it only Tollgate's metrics are served. */
  temporalMetricsUrl?: string | undefined;
  token?: string | undefined;
  log: Logger;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function temporalMetrics(url: string): Promise<string | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(TEMPORAL_METRICS_TIMEOUT_MS) });
    if (!res.ok) return null;
    return await res.text();
  } catch {
    return null;
  }
}

export async function startMetricsServer(opts: MetricsServerOptions): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' || path !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
        return;
      }
      if (opts.token) {
        const match = /^Bearer +(\S+)\s*$/i.exec(req.headers.authorization ?? '');
        if (!match || !sameSecret(match[1]!, opts.token)) {
          res
            .writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' })
            .end('authorization: Bearer <TOLLGATE_METRICS_TOKEN>\n');
          return;
        }
      }
      const sdk = opts.temporalMetricsUrl ? await temporalMetrics(opts.temporalMetricsUrl) : null;
      temporalMetricsUp.set(sdk === null ? 0 : 1);
      const own = await opts.registry.metrics();
      res.writeHead(200, { 'content-type': opts.registry.contentType });
      res.end(sdk === null ? own : `${own}\n${sdk.endsWith('\n') ? sdk : `${sdk}\n`}`);
    })().catch((err: unknown) => {
      opts.log.error({ err: err instanceof Error ? err.message : String(err) }, 'metrics: scrape failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
    });
  });
  // A scrape is one short request: a stuck client must not hold a socket for long.
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const host = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
  return { server, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics` };
}
