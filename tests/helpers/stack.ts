/**
 * The real stack in the test process: a Temporal client and worker against the test server, a
 * Redis store under a key prefix of its own, the API app on a free port, and a simulated fleet.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { Redis } from 'ioredis';
import { createApp, type AppDeps } from '../../api/app';
import { createClient, startedRollout, type ApiClient } from '../../api/client';
import { createListener, type ListenerLimits } from '../../api/listener';
import { createRedis } from '../../runtime/redis';
import { Store } from '../../store/store';
import { Fleet, type FleetOptions } from '../../sim/fleet';
import { createWorker } from '../../worker/create-worker';
import { testEnv, testToken, uniqueName, waitFor } from './env';
import type { z } from 'zod';
import type { CreateRolloutRequest, RolloutDetail, RolloutSummary } from '../../domain/schemas';
import type { Role, TargetScope } from '../../domain/access';
import { keys, type Keys } from '../../store/keys';

export interface Stack {
  client: Client;
  /** The stack's bootstrap admin token; `api` sends it unless told otherwise. */
  adminToken: string;
  store: Store;
  /**
   * For tests that reach under the store (deleting a key to break the read model, snapshotting
   * every key): the stack's own Redis connection, its key prefix and key builder. The app and the
   * worker never see these; they go through `store`.
   */
  redis: Redis;
  redisPrefix: string;
  redisKeys: Keys;
  taskQueue: string;
  apiUrl: string;
  worker: Worker;
  fleet(o: Omit<FleetOptions, 'apiUrl'>): Promise<Fleet>;
  /** The typed client of the contract with the admin token, or with `as(token)` another's. */
  http: ApiClient;
  as(token: string | null): ApiClient;
  /**
   * Every test request goes through here, so what every request must carry is added in one place.
   * `body` is sent as JSON (a string as it is); `init` sets other headers or a raw body instead.
   */
  api<T = unknown>(method: string, path: string, body?: unknown, init?: ApiInit): Promise<ApiResponse<T>>;
  /** Creates a token with the admin token and returns its secret. */
  token(name: string, role: Role, targets?: TargetScope): Promise<string>;
  /** `POST /v1/rollouts` that must answer 201. */
  createRollout(body: Record<string, unknown>): Promise<RolloutSummary>;
  rollout(id: string): Promise<RolloutDetail>;
  /** Polls a rollout until `ok` holds for it. */
  untilRollout(id: string, what: string, ok: (r: RolloutDetail) => boolean, timeoutMs: number, everyMs?: number): Promise<RolloutDetail>;
  stop(): Promise<void>;
}

export interface ApiInit {
  /** Another token than the stack's admin token, or none at all (null). */
  token?: string | null;
  headers?: Record<string, string>;
  /** Sent as it is, with the headers above only (no JSON content type is added). */
  rawBody?: string | Uint8Array;
  /** Give up after this long (a request that should have been refused may have opened a stream). */
  timeoutMs?: number;
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

export interface StackOptions {
  /** Overrides of the app's dependencies (limits, target policy, CORS). */
  app?: Partial<Omit<AppDeps, 'store' | 'client' | 'taskQueue'>>;
  listener?: Partial<ListenerLimits>;
}

/**
 * Headers every test request carries: `api()` and the flood in tests/api/hostile.test.ts send
 * these, so what every request needs is added here once.
 */
export function requestHeaders(token: string | null): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/**
 * The tests drive many requests from one address (polling with waitFor, fleets reporting): the
 * rate limits stay out of their way unless a test sets its own.
 */
const TEST_RATE = { mutations: 1_000_000, reads: 1_000_000, streams: 1_000_000, concurrentStreams: 1_000 };

type CreateRolloutInput = z.input<typeof CreateRolloutRequest>;

let runtimeInstalled = false;

/** Removes a test's Redis keys: the shared Redis keeps nothing from one run to the next. */
export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) await redis.unlink(...found);
  } while (cursor !== '0');
}

export async function startStack(name = 'stack', options: StackOptions = {}): Promise<Stack> {
  const env = testEnv();
  if (!runtimeInstalled) {
    // Worker state changes at INFO drown the test report; warnings still show.
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const taskQueue = uniqueName(name);
  const redis = createRedis(env.redisUrl);
  const redisPrefix = `${taskQueue}:`;
  const store = new Store(redis, redisPrefix);
  const adminToken = testToken();
  await store.tokens.ensureAdmin(adminToken);
  const connection = await Connection.connect({ address: env.temporalAddress });
  const client = new Client({ connection });
  const native = await NativeConnection.connect({ address: env.temporalAddress });
  const worker = await createWorker({
    connection: native,
    namespace: 'default',
    taskQueue,
    activityDeps: { store, delivery: { timeoutMs: 1_000, attempts: 2, backoffMs: 50 } },
    workflowBundlePath: env.workflowBundle,
    shutdownGraceMs: 1_000,
  });
  const running = worker.run();
  const app = createApp({ log: () => undefined, ...options.app, rate: { ...TEST_RATE, ...options.app?.rate }, store, client, taskQueue });
  const server: Server = createListener(app, options.listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const fleets: Fleet[] = [];

  const stack: Stack = {
    client,
    adminToken,
    store,
    redis,
    redisPrefix,
    redisKeys: keys(redisPrefix),
    taskQueue,
    apiUrl,
    worker,
    async fleet(o) {
      const f = new Fleet({ apiUrl, token: adminToken, ...o });
      await f.start();
      fleets.push(f);
      return f;
    },
    async api<T>(method: string, path: string, body?: unknown, init: ApiInit = {}) {
      const json = body !== undefined && init.rawBody === undefined;
      const res = await fetch(`${apiUrl}${path}`, {
        method,
        headers: {
          ...requestHeaders(init.token === undefined ? adminToken : init.token),
          ...(json ? { 'content-type': 'application/json' } : {}),
          ...init.headers,
        },
        ...(json ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
        ...(init.rawBody !== undefined ? { body: init.rawBody } : {}),
        ...(init.timeoutMs !== undefined ? { signal: AbortSignal.timeout(init.timeoutMs) } : {}),
      });
      const text = await res.text();
      let parsed: unknown = undefined;
      if (text) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      return { status: res.status, body: parsed as T, headers: res.headers };
    },
    http: createClient({ baseUrl: apiUrl, token: adminToken }),
    as: (token) => createClient({ baseUrl: apiUrl, token: token ?? undefined }),
    async token(name, role, targets) {
      return (await stack.http.createToken({ body: { name, role, ...(targets ? { targets } : {}) } })).token;
    },
    async createRollout(body) {
      // Factories build requests loosely (tests also send invalid ones); the server validates.
      return startedRollout(await stack.http.createRollout({ body: body as CreateRolloutInput }));
    },
    rollout(id) {
      return stack.http.getRollout({ params: { rolloutId: id } });
    },
    untilRollout(id, what, ok, timeoutMs, everyMs = 100) {
      return waitFor(
        `rollout ${id}: ${what}`,
        async () => {
          const r = await stack.rollout(id);
          return ok(r) ? r : undefined;
        },
        timeoutMs,
        everyMs,
      );
    },
    async stop() {
      await Promise.all(fleets.map((f) => f.stop()));
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      worker.shutdown();
      await running;
      await native.close();
      await connection.close();
      await deleteKeys(redis, `${taskQueue}:*`);
      redis.disconnect();
    },
  };
  return stack;
}
