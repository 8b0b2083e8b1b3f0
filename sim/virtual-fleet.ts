/**
 * Many targets behind one HTTP server (`/t/<id>/health`, `/t/<id>/apply`, `GET /t/<id>` for what
 * it runs): a fleet of thousands without thousands of listening sockets, or a handful on a fixed
 * port for a demo. Every request is real HTTP.
 *
 * A target's health follows the config it runs: content with `"healthy": false` makes its
 * /health answer 500, as does marking it sick.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class VirtualFleet {
  readonly versions = new Map<string, number>();
  readonly contents = new Map<string, unknown>();
  private server?: Server;
  private port = 0;
  /** Targets whose /health answers 500. */
  readonly sick = new Set<string>();
  requests = 0;

  constructor(readonly ids: string[]) {}

  url(id: string): string {
    return `http://127.0.0.1:${this.port}/t/${id}`;
  }

  healthy(id: string): boolean {
    return !this.sick.has(id) && (this.contents.get(id) as { healthy?: unknown } | null | undefined)?.healthy !== false;
  }

  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => {
      this.requests++;
      const m = /^\/t\/([^/]+)(?:\/(health|apply))?$/.exec(req.url ?? '');
      if (!m || !this.ids.includes(m[1]!)) return void res.writeHead(404).end();
      const id = m[1]!;
      if (m[2] === undefined) {
        const state = { id, version: this.versions.get(id) ?? 0, content: this.contents.get(id) ?? null, healthy: this.healthy(id) };
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(state));
      }
      if (m[2] === 'health') {
        const ok = this.healthy(id);
        return void res.writeHead(ok ? 200 : 500, { 'content-type': 'application/json' }).end(ok ? '{"ok":true}' : '{"ok":false}');
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { version: number; content: unknown };
        this.versions.set(id, body.version);
        this.contents.set(id, body.content);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ version: body.version }));
      });
    });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', resolve);
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
