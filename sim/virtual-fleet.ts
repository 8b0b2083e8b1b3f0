/**
 * Many targets behind one HTTP server (`/t/<id>/health`, `/t/<id>/apply`, `GET /t/<id>` for what
 * it runs): a fleet of thousands without thousands of listening sockets, or a handful on a fixed
 * port for a demo. Every request is real HTTP, and each costs O(1) however large the fleet (one
 * Set and Map lookup), so a benchmark measures Tollgate rather than the fleet.
 *
 * A target's health follows the config it runs: content with `"healthy": false` makes its
 * /health answer 500, as does marking it sick.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the fleet saw since the last `resetMarks()`: the moments a benchmark times against. */
export interface FleetMarks {
  /** First /health that answered 500 (ms since the epoch). */
  firstFailedProbeAt: number | null;
  /** First and last apply that was not a rollback. */
  firstApplyAt: number | null;
  lastApplyAt: number | null;
  /** Last apply marked `rollback: true`. */
  lastRollbackAt: number | null;
  applies: number;
  rollbacks: number;
  probes: number;
}

const noMarks = (): FleetMarks => ({
  firstFailedProbeAt: null,
  firstApplyAt: null,
  lastApplyAt: null,
  lastRollbackAt: null,
  applies: 0,
  rollbacks: 0,
  probes: 0,
});

export class VirtualFleet {
  readonly versions = new Map<string, number>();
  readonly contents = new Map<string, unknown>();
  private server?: Server;
  private port = 0;
  /** Targets whose /health answers 500. */
  readonly sick = new Set<string>();
  requests = 0;
  marks: FleetMarks = noMarks();
  /** Membership checked per request: a Set, so a fleet of 10,000 costs no more per request than one of 10. */
  private readonly members: Set<string>;

  constructor(readonly ids: string[]) {
    this.members = new Set(ids);
  }

  /** Adds targets to a running fleet. */
  add(ids: readonly string[]): void {
    for (const id of ids) {
      if (this.members.has(id)) continue;
      this.members.add(id);
      this.ids.push(id);
    }
  }

  resetMarks(): void {
    this.marks = noMarks();
  }

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
      if (!m || !this.members.has(m[1]!)) return void res.writeHead(404).end();
      const id = m[1]!;
      if (m[2] === undefined) {
        const state = { id, version: this.versions.get(id) ?? 0, content: this.contents.get(id) ?? null, healthy: this.healthy(id) };
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(state));
      }
      if (m[2] === 'health') {
        const ok = this.healthy(id);
        this.marks.probes++;
        if (!ok) this.marks.firstFailedProbeAt ??= Date.now();
        return void res.writeHead(ok ? 200 : 500, { 'content-type': 'application/json' }).end(ok ? '{"ok":true}' : '{"ok":false}');
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { version: number; content: unknown; rollback?: boolean };
        this.versions.set(id, body.version);
        this.contents.set(id, body.content);
        const now = Date.now();
        if (body.rollback === true) {
          this.marks.rollbacks++;
          this.marks.lastRollbackAt = now;
        } else {
          this.marks.applies++;
          this.marks.firstApplyAt ??= now;
          this.marks.lastApplyAt = now;
        }
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
