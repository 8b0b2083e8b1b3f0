/**
 * The built worker and API as real processes (as `npm run worker` and `npm run api` start them),
 * for the end-to-end test and the drills; private Redis and Temporal servers a drill may stop and
 * restart, and the checks every drill ends with. Nothing here stops or flushes a server it did not start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import { createClient, startedRollout, type ApiClient } from '../../api/client';
import type { CreateRolloutRequest, RolloutDetail, RolloutSummary } from '../../domain/schemas';
import { createRedis } from '../../runtime/redis';
import { Fleet, type FleetOptions } from '../../sim/fleet';
import { workflowIdFor } from '../../workflows/definitions';
import { testEnv, testToken, uniqueName, waitFor } from './env';
import { deleteKeys } from './stack';

export const TERMINAL = ['completed', 'rolled_back', 'failed'];

/** Every process a drill started and that still runs: killed if the test process ends first. */
const started = new Set<ChildProcess>();
process.once('exit', () => started.forEach((c) => c.kill('SIGKILL')));
const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

function track(child: ChildProcess): ChildProcess {
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exited(p: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    p.once('exit', () => resolve());
  });
}

/** A process the drill started, with its output kept for the report when something fails. */
export class Proc {
  readonly output: string[] = [];
  constructor(
    readonly label: string,
    readonly child: ChildProcess,
  ) {
    const keep = (d: Buffer) => this.output.push(d.toString());
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }
  get pid(): number {
    return this.child.pid ?? -1;
  }
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  text(): string {
    return this.output.join('');
  }
  /** Resolves once the output contains `marker`. */
  async until(marker: string | RegExp, timeoutMs = 30_000): Promise<void> {
    await waitFor(
      `${this.label} to print ${String(marker)}`,
      async () => {
        if (!this.alive && !this.matches(marker)) throw new Error(`${this.label} exited: ${this.text().slice(-2000)}`);
        return this.matches(marker);
      },
      timeoutMs,
      25,
    );
  }
  private matches(marker: string | RegExp): boolean {
    const t = this.text();
    return typeof marker === 'string' ? t.includes(marker) : marker.test(t);
  }
  kill9(): Promise<void> {
    this.child.kill('SIGKILL');
    return exited(this.child);
  }
  /** SIGTERM, then waits for the exit; resolves to the exit code. */
  async term(): Promise<number | null> {
    this.child.kill('SIGTERM');
    await exited(this.child);
    return this.child.exitCode;
  }
  wait(): Promise<void> {
    return exited(this.child);
  }
}

export interface DrillOptions {
  temporalAddress?: string;
  redisUrl?: string;
  /** Where the API reaches Redis, when not where the worker does (a fault proxy in front of one). */
  apiRedisUrl?: string;
  workerEnv?: Record<string, string>;
  /** Redis keys under `{<name>}:` instead of `<name>:`: a hash tag, as a Redis Cluster needs. */
  hashTag?: boolean;
}

/** One drill's world: its own task queue and Redis key prefix, and every process it started. */
export class Drill {
  readonly env = testEnv();
  readonly name: string;
  /** TOLLGATE_REDIS_PREFIX of every process the drill starts. */
  readonly prefix: string;
  readonly procs: Proc[] = [];
  private readonly fleets: Fleet[] = [];
  private readonly cleanups: (() => Promise<void> | void)[] = [];
  apiUrl = '';
  apiPort = 0;
  /** The drill's admin token: every API process it starts bootstraps with it, and `call` sends it. */
  readonly adminToken = testToken();
  private redis?: Redis;
  temporalAddress: string;
  redisUrl: string;
  apiRedisUrl: string;

  constructor(
    kind: string,
    private readonly o: DrillOptions = {},
  ) {
    this.name = uniqueName(kind);
    this.prefix = o.hashTag ? `{${this.name}}:` : `${this.name}:`;
    this.temporalAddress = o.temporalAddress ?? this.env.temporalAddress;
    this.redisUrl = o.redisUrl ?? this.env.redisUrl;
    this.apiRedisUrl = o.apiRedisUrl ?? this.redisUrl;
  }

  onCleanup(fn: () => Promise<void> | void): void {
    this.cleanups.push(fn);
  }

  private spawn(label: string, script: string, extra: Record<string, string>): Proc {
    const child = spawn(process.execPath, [join(this.env.dist, script)], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: this.temporalAddress,
        TEMPORAL_NAMESPACE: 'default',
        REDIS_URL: this.redisUrl,
        TOLLGATE_REDIS_PREFIX: this.prefix,
        TOLLGATE_TASK_QUEUE: this.name,
        ...(this.env.workflowBundle ? { TOLLGATE_WORKFLOW_BUNDLE: this.env.workflowBundle } : {}),
        // Drills and the soak poll hard from one address: the API's rate limits stay out of their way.
        TOLLGATE_RATE_MUTATIONS: '1000000',
        TOLLGATE_RATE_READS: '1000000',
        TOLLGATE_RATE_STREAMS: '1000000',
        TOLLGATE_MAX_STREAMS_PER_CLIENT: '1000',
        ...extra,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const p = new Proc(label, track(child));
    this.procs.push(p);
    return p;
  }

  /** Starts a worker and resolves once it polls. */
  async worker(extra: Record<string, string> = {}): Promise<Proc> {
    const p = this.spawn(`worker#${this.procs.length}`, 'worker/main.js', { ...this.o.workerEnv, ...extra });
    // Loading the worker's modules alone has taken 25 s on a 2-core machine shared by six test runs.
    await p.until('worker polling', 60_000);
    return p;
  }

  /** Starts an API (on the drill's port once one is chosen) and resolves once it is healthy. */
  async api(extra: Record<string, string> = {}): Promise<Proc> {
    if (!this.apiPort) {
      this.apiPort = await freePort();
      this.apiUrl = `http://127.0.0.1:${this.apiPort}`;
    }
    const p = this.spawn(`api#${this.procs.length}`, 'api/server.js', {
      PORT: String(this.apiPort),
      HOST: '127.0.0.1',
      TOLLGATE_ADMIN_TOKEN: this.adminToken,
      REDIS_URL: this.apiRedisUrl,
      ...extra,
    });
    await p.until('api listening');
    return p;
  }

  /** Starts a fleet registered with the drill's API (ids prefixed with its name); `stop()` stops it. */
  async fleet(o: Omit<FleetOptions, 'apiUrl' | 'idPrefix'> & { idPrefix?: string }): Promise<Fleet> {
    const f = new Fleet({ apiUrl: this.apiUrl, idPrefix: this.name, token: this.adminToken, ...o });
    await f.start();
    this.fleets.push(f);
    return f;
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** The typed client of the contract, with the admin token, against the drill's API. */
  get http(): ApiClient {
    return createClient({ baseUrl: this.apiUrl, token: this.adminToken });
  }

  async create(request: Record<string, unknown>): Promise<RolloutSummary> {
    // Factories build requests loosely; the server validates them.
    return startedRollout(await this.http.createRollout({ body: request as z.input<typeof CreateRolloutRequest> }));
  }

  rollout(id: string): Promise<RolloutDetail> {
    return this.http.getRollout({ params: { rolloutId: id } });
  }

  untilTerminal(id: string, timeoutMs = 60_000): Promise<RolloutDetail> {
    return waitFor(
      `rollout ${id} to end`,
      async () => {
        const r = await this.rollout(id);
        return TERMINAL.includes(r.state) ? r : undefined;
      },
      timeoutMs,
      100,
    );
  }

  /** Resolves when the rollout has recorded more than `seq` events; to the time it saw that. */
  async untilEventAfter(id: string, seq: number, timeoutMs = 60_000): Promise<number> {
    await waitFor(
      `rollout ${id} to record an event after #${seq}`,
      async () => (await this.rollout(id)).events.some((e) => e.seq > seq),
      timeoutMs,
      50,
    );
    return Date.now();
  }

  /**
   * How far a rollout has got: events recorded plus health samples taken (read from Redis, where
   * the activities write them). A bake makes progress without events, so both count.
   */
  async progress(id: string): Promise<number> {
    this.redis ??= createRedis(this.apiRedisUrl);
    const [seq, samples] = await Promise.all([
      this.redis.get(`${this.prefix}rollout:${id}:seq`),
      this.redis.llen(`${this.prefix}rollout:${id}:health`),
    ]);
    return Number(seq ?? 0) + samples;
  }

  /** Resolves, to the time it saw it, when the rollout has made progress beyond `mark`. */
  async untilProgress(id: string, mark: number, timeoutMs = 60_000): Promise<number> {
    await waitFor(`rollout ${id} to make progress`, async () => (await this.progress(id)) > mark, timeoutMs, 50);
    return Date.now();
  }

  async lastSeq(id: string): Promise<number> {
    return (await this.rollout(id)).events.at(-1)?.seq ?? 0;
  }

  /** Stops what the drill started: its fleets, then its processes (SIGTERM, then SIGKILL). */
  async stop(): Promise<void> {
    await Promise.all(this.fleets.map((f) => f.stop()));
    await Promise.all(
      this.procs.map(async (p) => {
        if (!p.alive) return;
        const killer = setTimeout(() => p.child.kill('SIGKILL'), 5_000);
        await p.term();
        clearTimeout(killer);
      }),
    );
    this.redis?.disconnect();
    for (const fn of this.cleanups.reverse()) await fn();
    if (process.env.TOLLGATE_DRILL_LOGS) for (const p of this.procs) console.log(`--- ${p.label}\n${p.text()}`);
  }

  async dropKeys(redisUrl = this.apiRedisUrl): Promise<void> {
    const redis = createRedis(redisUrl);
    await deleteKeys(redis, `${this.prefix}*`).finally(() => redis.disconnect());
  }
}

/** A private redis-server a drill may kill and restart. With AOF (fsync always) it loses nothing. */
export class PrivateRedis {
  private proc?: ChildProcess;
  readonly dir = mkdtempSync(join(tmpdir(), 'tollgate-redis-'));
  port = 0;

  constructor(private readonly aof: boolean) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    const persistence = this.aof ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
    this.proc = spawn(REDIS_SERVER, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', this.dir], {
      stdio: 'ignore',
    });
    await waitFor(
      `redis-server on ${this.port}`,
      async () => {
        const r = createRedis(this.url, { maxRetriesPerRequest: 0 });
        r.on('error', () => undefined);
        try {
          return (await r.ping()) === 'PONG';
        } finally {
          r.disconnect();
        }
      },
      10_000,
      50,
    );
  }

  /** SIGKILL: what a crashed Redis host looks like. */
  async kill9(): Promise<void> {
    if (!this.proc) return;
    this.proc.kill('SIGKILL');
    await exited(this.proc);
  }

  async stop(): Promise<void> {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGTERM');
      await exited(this.proc);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A private, file-backed Temporal dev server, so a drill can stop and restart it. */
export class PrivateTemporal {
  private proc?: ChildProcess;
  readonly dir = mkdtempSync(join(tmpdir(), 'tollgate-temporal-'));
  port = 0;
  readonly output: string[] = [];

  constructor(readonly cli: string) {}

  static fromEnv(): PrivateTemporal {
    const cli = process.env.TEMPORAL_CLI;
    if (!cli) {
      throw new Error(
        'TEMPORAL_CLI is empty: this drill restarts a Temporal dev server of its own and needs the temporal CLI binary (npm test provides it)',
      );
    }
    return new PrivateTemporal(cli);
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(this.port), '--headless'];
    args.push('--db-filename', join(this.dir, 't.db'), '--log-level', 'warn');
    this.proc = track(spawn(this.cli, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    this.proc.stdout?.on('data', (d: Buffer) => this.output.push(d.toString()));
    this.proc.stderr?.on('data', (d: Buffer) => this.output.push(d.toString()));
    const { Connection } = await import('@temporalio/client');
    await waitFor(
      `Temporal dev server on ${this.port}`,
      async () => {
        if (this.proc?.exitCode !== null) throw new Error(`temporal exited: ${this.output.join('').slice(-1000)}`);
        const c = await Connection.connect({ address: this.address, connectTimeout: 500 });
        try {
          await c.workflowService.getSystemInfo({});
          return true;
        } finally {
          await c.close();
        }
      },
      30_000,
      100,
    );
  }

  async stop(): Promise<void> {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGTERM');
      await exited(this.proc);
    }
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * What every drill ends with, from the targets' own records: each runs `expected`, and never
 * loaded a version outside `allowed` (0: the key removed).
 */
export function checkTargets(fleet: Fleet, configKey: string, expected: number, allowed: number[]): void {
  for (const t of fleet.targets) {
    const seen = t.applied.filter((a) => a.configKey === configKey).map((a) => a.version);
    const stray = seen.filter((v) => !allowed.includes(v));
    if (stray.length > 0) throw new Error(`${t.id} loaded version ${stray.join(', ')} of ${configKey}: only ${allowed.join(', ')} allowed`);
    if (t.version(configKey) !== expected)
      throw new Error(`${t.id} runs version ${t.version(configKey)} of ${configKey}, expected ${expected}`);
  }
}

/** Versions of a key are 1..n, one per rollout, none skipped or given twice. */
export async function checkVersions(drill: Drill, configKey: string, rolloutIds: string[]): Promise<void> {
  const r = await drill.call<{ latestVersion: number; versions: { version: number; rolloutId: string }[] }>(
    'GET',
    `/v1/configs/${configKey}`,
  );
  const versions = r.body.versions.map((v) => v.version);
  const expected = rolloutIds.map((_, i) => i + 1);
  if (JSON.stringify(versions) !== JSON.stringify(expected) || r.body.latestVersion !== rolloutIds.length) {
    throw new Error(
      `versions of ${configKey} are ${JSON.stringify(versions)} (latest ${r.body.latestVersion}), expected ${JSON.stringify(expected)}`,
    );
  }
  const owners = r.body.versions.map((v) => v.rolloutId);
  if (JSON.stringify(owners) !== JSON.stringify(rolloutIds)) {
    throw new Error(`versions of ${configKey} belong to ${owners.join(', ')}, expected ${rolloutIds.join(', ')}`);
  }
}

export function report(drill: number | string, message: string): void {
  console.log(`DRILL ${drill}: ${message}`);
}

/**
 * The worker (of `workers`) running an apply of one of `keys`' rollouts, found from the pending
 * activities' worker identity (`<pid>@<host>`), and that key: a drill's victim.
 */
export function workerRunningApply(client: Client, keys: string[], workers: Proc[]): Promise<{ w: Proc; key: string }> {
  return waitFor(
    'a worker running an apply',
    async () => {
      for (const k of keys) {
        const d = await client.workflow.getHandle(workflowIdFor(k)).describe();
        for (const a of d.raw.pendingActivities ?? []) {
          const pid = Number((a.lastWorkerIdentity ?? '').split('@')[0]);
          const w = workers.find((x) => x.pid === pid);
          if (a.activityType?.name === 'applyBatch' && w) return { w, key: k };
        }
      }
      return undefined;
    },
    30_000,
    50,
  );
}
