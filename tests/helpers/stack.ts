/**
 * The real stack in the test process: a Temporal client and worker against the test server, a
 * Redis store under a key prefix of its own, the API app on a free port, and a simulated fleet.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { Redis } from 'ioredis';
import { createApp } from '../../api/app';
import { createRedis } from '../../runtime/redis';
import { Store } from '../../store/store';
import { Fleet, type FleetOptions } from '../../sim/fleet';
import { createWorker } from '../../worker/create-worker';
import { testEnv, testToken, uniqueName } from './env';
import type { Role, TargetScope } from '../../domain/access';
import { TokenStore } from '../../store/tokens';

/** Per call: another token than the stack's admin token, or none at all (null). */
export interface CallOptions {
  token?: string | null;
  headers?: Record<string, string>;
}

export interface Stack {
  client: Client;
  /** The stack's bootstrap admin token; `api` sends it unless told otherwise. */
  adminToken: string;
  store: Store;
  redis: Redis;
  taskQueue: string;
  apiUrl: string;
  worker: Worker;
  fleet(o: Omit<FleetOptions, 'apiUrl'>): Promise<Fleet>;
  api<T = unknown>(method: string, path: string, body?: unknown, opts?: CallOptions): Promise<{ status: number; body: T }>;
  /** Creates a token with the admin token and returns its secret. */
  token(name: string, role: Role, targets?: TargetScope): Promise<string>;
  stop(): Promise<void>;
}

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

export async function startStack(name = 'stack'): Promise<Stack> {
  const env = testEnv();
  if (!runtimeInstalled) {
    // Worker state changes at INFO drown the test report; warnings still show.
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const taskQueue = uniqueName(name);
  const redis = createRedis(env.redisUrl);
  const store = new Store(redis, `${taskQueue}:`);
  const adminToken = testToken();
  await new TokenStore(redis, store.prefix).ensureAdmin(adminToken);
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
  const app = createApp({ store, client, taskQueue, log: () => undefined });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const fleets: Fleet[] = [];

  const stack: Stack = {
    client,
    adminToken,
    store,
    redis,
    taskQueue,
    apiUrl,
    worker,
    async fleet(o) {
      const f = new Fleet({ apiUrl, token: adminToken, ...o });
      await f.start();
      fleets.push(f);
      return f;
    },
    async api<T>(method: string, path: string, body?: unknown, opts: CallOptions = {}) {
      const token = opts.token === undefined ? adminToken : opts.token;
      const res = await fetch(`${apiUrl}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...opts.headers,
        },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
    },
    async token(name, role, targets) {
      const r = await stack.api<{ token: string }>('POST', '/v1/tokens', { name, role, ...(targets ? { targets } : {}) });
      if (r.status !== 201) throw new Error(`POST /v1/tokens: HTTP ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.token;
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
