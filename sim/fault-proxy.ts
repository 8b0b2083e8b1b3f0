/**
 * A TCP proxy that can take a dependency away: put it between Tollgate and Redis (or anything
 * else spoken over TCP) and cut every connection, refuse new ones, or reset connections at random.
 * It never touches the server behind it, so a shared Redis stays untouched.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { seededRandom } from './faults';

export interface FaultProxyOptions {
  /** Where connections go: host and port of the real server. */
  upstream: { host: string; port: number };
  /** 0 picks a free port. */
  port?: number;
}

export interface ChaosOptions {
  seed: number;
  /** How often each open connection is considered for a reset. */
  everyMs: number;
  /** Chance that a connection is reset when considered. */
  resetRate: number;
}

export class FaultProxy {
  private server?: Server;
  private readonly open = new Set<Socket>();
  private available = true;
  private chaos?: NodeJS.Timeout;
  port = 0;
  /** Connections accepted, and those cut by `down` or by chaos. */
  readonly stats = { accepted: 0, cut: 0 };

  constructor(private readonly o: FaultProxyOptions) {}

  get url(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server!.listen(this.o.port ?? 0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  private accept(client: Socket): void {
    if (!this.available) {
      client.destroy();
      return;
    }
    this.stats.accepted++;
    const upstream = connect(this.o.upstream.port, this.o.upstream.host);
    const pair = [client, upstream];
    for (const s of pair) {
      this.open.add(s);
      s.setNoDelay(true);
      s.on('error', () => pair.forEach((x) => x.destroy()));
      s.on('close', () => {
        this.open.delete(s);
        pair.forEach((x) => x.destroy());
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Cuts every connection and refuses new ones until `up`. */
  down(): void {
    this.available = false;
    for (const s of this.open) {
      s.resetAndDestroy();
      this.stats.cut++;
    }
  }

  up(): void {
    this.available = true;
  }

  /** Resets open connections at random (the clients see ECONNRESET mid-command) until `calm`. */
  startChaos(o: ChaosOptions): void {
    const random = seededRandom(o.seed);
    this.chaos = setInterval(() => {
      for (const s of [...this.open]) {
        if (s.remoteAddress === undefined || random() >= o.resetRate) continue;
        s.resetAndDestroy();
        this.stats.cut++;
      }
    }, o.everyMs);
  }

  calm(): void {
    if (this.chaos) clearInterval(this.chaos);
    this.chaos = undefined;
  }

  async stop(): Promise<void> {
    this.calm();
    for (const s of this.open) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
