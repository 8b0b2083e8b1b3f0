/**
 * Many targets behind one HTTP server (`/t/<id>/health`, `/t/<id>/apply`): a fleet of thousands
 * without thousands of listening sockets. Every request is real HTTP on loopback.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class VirtualFleet {
  readonly versions = new Map<string, number>();
  private server?: Server;
  private port = 0;
  /** Targets whose /health answers 500. */
  readonly sick = new Set<string>();
  requests = 0;

  constructor(readonly ids: string[]) {}

  url(id: string): string {
    return `http://127.0.0.1:${this.port}/t/${id}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.requests++;
      const m = /^\/t\/([^/]+)\/(health|apply)$/.exec(req.url ?? '');
      if (!m) return void res.writeHead(404).end();
      const id = m[1]!;
      if (m[2] === 'health') {
        const ok = !this.sick.has(id);
        return void res.writeHead(ok ? 200 : 500, { 'content-type': 'application/json' }).end(ok ? '{"ok":true}' : '{"ok":false}');
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { version: number };
        this.versions.set(id, body.version);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ version: body.version }));
      });
    });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
