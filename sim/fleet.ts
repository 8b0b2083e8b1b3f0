/**
 * A fleet of real HTTP targets for demos and end-to-end tests. Each target listens on its own
 * loopback port and either receives configs by push (POST /apply) or pulls its assignment from
 * the Tollgate API and reports the version it loaded.
 *
 * Health follows the config it runs: content with `"healthy": false` makes /health answer 500,
 * and `"latencyMs": N` delays each answer, so a bad change really makes targets sick. Content
 * with `"loadable": false` is refused: push targets answer 500, pull targets keep their version.
 *
 * A noisy fleet (`noise`) answers /health after a lognormal delay and fails a small share of probes
 * at random, from a seed, on every version alike; content with `"latencyFactor": 1.4` makes a
 * target 40% slower than that, and `"errorFactor": 5` makes it fail five times as often.
 *
 * Every target serves Prometheus metrics at /metrics (prom-client): `sim_requests_total{target,
 * code}` counts the requests it served. With `trafficPerSecond`, each target serves that many
 * simulated requests a second, failing as its noise and config say: a metric source for canary
 * analysis without a load generator.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { seededRandom, type FaultInjector } from './faults';

export type Delivery = 'push' | 'pull';

/** A healthy service's noise: what a real fleet looks like without any change. */
export interface Noise {
  /** Median /health latency, ms. */
  medianMs: number;
  /** Spread of the lognormal latency (sd of its log): 0.3 puts 95% within ×0.55…×1.8 of the median. */
  sigma: number;
  /** Share of /health answers that are 500 whatever the config. */
  errorRate: number;
  seed: number;
}

export interface SimTargetOptions {
  id: string;
  delivery: Delivery;
  labels?: Record<string, string>;
  faults?: FaultInjector | undefined;
  noise?: Noise | undefined;
}

/** What a push target received, as it arrives (before any apply delay). */
export interface ApplyRequest {
  configKey: string;
  version: number;
  rollback: boolean;
}

export interface Applied {
  at: number;
  configKey: string;
  version: number;
  rollback: boolean;
}

export interface ProbeRecord {
  at: number;
  status: number;
}

export class SimTarget {
  readonly id: string;
  readonly delivery: Delivery;
  readonly labels: Record<string, string>;
  /** configKey → what the target runs. */
  readonly running = new Map<string, { version: number; content: unknown }>();
  readonly applied: Applied[] = [];
  readonly probes: ProbeRecord[] = [];
  /** Refuse new versions (500) while set, but take rollbacks: a target the change breaks on load. */
  failApplies = false;
  /** Make /health answer 500 while set, whatever the config: a fault outside the change. */
  failHealth = false;
  /** Drop every connection while set: an unreachable target. */
  unreachable = false;
  /** How long loading a pushed config takes: lets a drill catch an apply in the middle. */
  applyDelayMs = 0;
  /** Called as each apply request arrives; drills use it to strike at a known moment. */
  onApply?: (req: ApplyRequest, target: SimTarget) => void;
  private readonly faults: FaultInjector | undefined;
  private readonly noise: Noise | undefined;
  private readonly random: () => number;
  readonly metrics = new Registry();
  private readonly requests = new Counter({
    name: 'sim_requests_total',
    help: 'Requests the simulated target served, by status code.',
    labelNames: ['target', 'code'],
    registers: [this.metrics],
  });
  private traffic?: NodeJS.Timeout;
  private server?: Server;
  port = 0;

  constructor(o: SimTargetOptions) {
    this.id = o.id;
    this.delivery = o.delivery;
    this.labels = o.labels ?? {};
    this.faults = o.faults;
    this.noise = o.noise;
    this.random = seededRandom(o.noise?.seed ?? 1);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  version(configKey: string): number {
    return this.running.get(configKey)?.version ?? 0;
  }

  private contents(): unknown[] {
    return [...this.running.values()].map((r) => r.content);
  }

  healthy(): boolean {
    return this.contents().every((c) => (c as { healthy?: unknown } | null)?.healthy !== false);
  }

  private latencyMs(): number {
    return Math.max(0, ...this.contents().map((c) => Number((c as { latencyMs?: unknown } | null)?.latencyMs ?? 0) || 0));
  }

  /** The largest of a numeric field over the configs it runs (1 when none sets it). */
  private factor(field: 'latencyFactor' | 'errorFactor'): number {
    return Math.max(1, ...this.contents().map((c) => Number((c as Record<string, unknown> | null)?.[field] ?? 1) || 1));
  }

  /** This answer's noise: its delay and whether it fails, from the target's seeded source. */
  private noisy(): { delayMs: number; fails: boolean } {
    if (!this.noise) return { delayMs: 0, fails: false };
    // Box-Muller: one standard normal from two uniforms.
    const normal = Math.sqrt(-2 * Math.log(1 - this.random())) * Math.cos(2 * Math.PI * this.random());
    const delayMs = this.noise.medianMs * Math.exp(this.noise.sigma * normal) * this.factor('latencyFactor');
    return { delayMs, fails: this.random() < this.noise.errorRate * this.factor('errorFactor') };
  }

  /** Serves `perSecond` simulated requests a second (in ticks of 100 ms), counted in /metrics. */
  startTraffic(perSecond: number): void {
    // Both series exist from the start, as a service that pre-declares its labels: a rate of errors is 0, not missing.
    for (const code of ['200', '500']) this.requests.inc({ target: this.id, code }, 0);
    let owed = 0;
    this.traffic = setInterval(() => {
      owed += perSecond / 10;
      for (; owed >= 1; owed--) this.requests.inc({ target: this.id, code: this.noisy().fails || !this.healthy() ? '500' : '200' });
    }, 100);
  }

  load(configKey: string, version: number, content: unknown, rollback = false): void {
    if (version === 0) this.running.delete(configKey);
    else this.running.set(configKey, { version, content });
    this.applied.push({ at: Date.now(), configKey, version, rollback });
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    if (this.traffic) clearInterval(this.traffic);
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.unreachable) {
      req.socket.destroy();
      return;
    }
    if (req.method === 'GET' && req.url === '/health') {
      const noise = this.noisy();
      const latency = this.latencyMs() + noise.delayMs;
      if (latency > 0) await new Promise((r) => setTimeout(r, latency));
      const status = this.faults?.failProbe() ? 503 : this.healthy() && !this.failHealth && !noise.fails ? 200 : 500;
      this.probes.push({ at: Date.now(), status });
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ id: this.id, healthy: status === 200 }));
      return;
    }
    if (req.method === 'GET' && req.url === '/metrics') {
      res.writeHead(200, { 'content-type': this.metrics.contentType }).end(await this.metrics.metrics());
      return;
    }
    if (req.method === 'POST' && req.url === '/apply') {
      const body = await readJson(req);
      const r = body as { configKey: string; version: number; rollback?: boolean };
      this.onApply?.({ configKey: r.configKey, version: r.version, rollback: r.rollback === true }, this);
      if (this.applyDelayMs > 0) await new Promise((res) => setTimeout(res, this.applyDelayMs));
      if (this.unreachable) {
        req.socket.destroy();
        return;
      }
      if (this.faults?.failApply()) {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"injected fault"}');
        return;
      }
      const refused = (body as { content?: { loadable?: unknown } | null }).content?.loadable === false;
      if ((this.failApplies || refused) && (body as { rollback?: boolean }).rollback !== true) {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"apply failed"}');
        return;
      }
      const { configKey, version, content, rollback } = body as {
        configKey: string;
        version: number;
        content: unknown;
        rollback?: boolean;
      };
      this.load(configKey, version, content, rollback === true);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ version }));
      return;
    }
    res.writeHead(404).end();
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
}

export interface FleetOptions {
  apiUrl: string;
  /** Bearer token for Tollgate's API: registering needs deployer; pulling needs an agent (or deployer) token. */
  token?: string | undefined;
  /** How many targets of each kind. */
  push: number;
  pull: number;
  idPrefix?: string;
  labels?: Record<string, string>;
  /** Config keys pull targets follow. */
  configKeys?: string[];
  pollMs?: number;
  /** Random apply and probe failures, shared by every target (one seed reproduces the run). */
  faults?: FaultInjector;
  /** Latency noise and random errors on every target; target i draws from seed + i. */
  noise?: Noise;
  /** Simulated requests each target serves a second, counted in its /metrics (none by default). */
  trafficPerSecond?: number;
  /** Register the targets it names without a health URL: nothing can probe them. */
  withoutHealthUrl?: (id: string) => boolean;
}

/** Starts the targets, registers them with Tollgate, and runs the pull loops. */
export class Fleet {
  readonly targets: SimTarget[] = [];
  /** id → target: a lookup per request stays O(1) however large the fleet. */
  private readonly index = new Map<string, SimTarget>();
  private timer?: NodeJS.Timeout;
  private polling = false;

  constructor(readonly o: FleetOptions) {
    const prefix = o.idPrefix ?? 'sim';
    const noise = (i: number) => (o.noise ? { ...o.noise, seed: o.noise.seed + i } : undefined);
    for (let i = 0; i < o.push; i++)
      this.targets.push(
        new SimTarget({
          id: `${prefix}-push-${i}`,
          delivery: 'push',
          labels: { ...o.labels, delivery: 'push' },
          faults: o.faults,
          noise: noise(i),
        }),
      );
    for (let i = 0; i < o.pull; i++)
      this.targets.push(
        new SimTarget({
          id: `${prefix}-pull-${i}`,
          delivery: 'pull',
          labels: { ...o.labels, delivery: 'pull' },
          faults: o.faults,
          noise: noise(o.push + i),
        }),
      );
    for (const t of this.targets) this.index.set(t.id, t);
  }

  private auth(): Record<string, string> {
    return this.o.token ? { authorization: `Bearer ${this.o.token}` } : {};
  }

  get ids(): string[] {
    return this.targets.map((t) => t.id);
  }

  byId(id: string): SimTarget {
    const t = this.index.get(id);
    if (!t) throw new Error(`no target ${id}`);
    return t;
  }

  async start(): Promise<void> {
    await Promise.all(this.targets.map((t) => t.start()));
    for (const t of this.targets) {
      const body = {
        labels: t.labels,
        ...(this.o.withoutHealthUrl?.(t.id) ? {} : { healthUrl: `${t.url}/health` }),
        ...(t.delivery === 'push' ? { applyUrl: `${t.url}/apply` } : {}),
      };
      const res = await fetch(`${this.o.apiUrl}/v1/targets/${t.id}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...this.auth() },
        body: JSON.stringify(body),
      });
      if (res.status !== 200) throw new Error(`registering ${t.id}: HTTP ${res.status} ${await res.text()}`);
    }
    if (this.o.trafficPerSecond) for (const t of this.targets) t.startTraffic(this.o.trafficPerSecond);
    this.timer = setInterval(() => void this.pollOnce(), this.o.pollMs ?? 200);
  }

  /** One pull pass: each pull target loads what it is assigned and reports the version. */
  async pollOnce(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      await Promise.all(
        this.targets
          .filter((t) => t.delivery === 'pull' && !t.unreachable)
          .flatMap((t) =>
            (this.o.configKeys ?? []).map(async (key) => {
              const res = await fetch(`${this.o.apiUrl}/v1/targets/${t.id}/configs/${key}`, { headers: this.auth() }).catch(() => null);
              if (!res) return;
              const a =
                res.status === 200
                  ? ((await res.json()) as { version: number; content: unknown })
                  : res.status === 404
                    ? { version: 0, content: null }
                    : null;
              if (res.status !== 200 && res.status !== 404) await res.text();
              if (!a || a.version === t.version(key)) return;
              // A config the target cannot load: it keeps what it runs, and says so.
              const refused = (a.content as { loadable?: unknown } | null)?.loadable === false;
              if (!refused) t.load(key, a.version, a.content, a.version < t.version(key));
              await fetch(`${this.o.apiUrl}/v1/targets/${t.id}/configs/${key}/status`, {
                method: 'PUT',
                headers: { 'content-type': 'application/json', ...this.auth() },
                body: JSON.stringify({ version: t.version(key) }),
              }).catch(() => null);
            }),
          ),
      );
    } finally {
      this.polling = false;
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.targets.map((t) => t.stop()));
  }
}
