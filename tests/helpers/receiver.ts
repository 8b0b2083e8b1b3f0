/**
 * A local webhook receiver for notification tests and the latency benchmark: records every POST
 * (path, headers, raw body, arrival time) and answers per path, so one server plays several
 * subscribers, a flaky one included.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: Record<string, unknown>;
  /** Date.now() when the whole body had arrived. */
  at: number;
}

export interface Receiver {
  url(path: string): string;
  received: Received[];
  at(path: string): Received[];
  /** The next `times` POSTs to `path` get `status` instead of 204. */
  failNext(path: string, times: number, status?: number): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const failures = new Map<string, { left: number; status: number }>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        /* recorded raw */
      }
      received.push({ path, headers: req.headers, raw, body, at: Date.now() });
      const fail = failures.get(path);
      if (fail && fail.left > 0) {
        fail.left -= 1;
        res.writeHead(fail.status).end('not now');
        return;
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (path) => `${base}${path}`,
    received,
    at: (path) => received.filter((r) => r.path === path),
    failNext(path, times, status = 503) {
      failures.set(path, { left: times, status });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
