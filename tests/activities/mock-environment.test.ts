/**
 * Activities in Temporal's MockActivityEnvironment: the heartbeats they send while targets are
 * slow, and what they do when cancelled. Real Redis and real HTTP targets; only the activity
 * context is Temporal's test double.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Redis } from 'ioredis';
import { createActivities, HEARTBEAT_EVERY_MS } from '../../activities';
import { Store } from '../../store/store';
import { testEnv, uniqueName } from '../helpers/env';

/** How long a target takes to answer: long enough for heartbeats, short enough for a lean test. */
const SLOW_MS = 2_500;

let redis: Redis;
let prefix: string;
let store: Store;
let server: Server;
let base: string;
let requests = 0;
const configKey = 'svc';

beforeAll(async () => {
  redis = new Redis(testEnv().redisUrl, { lazyConnect: false });
  prefix = `${uniqueName('mockact')}:`;
  store = new Store(redis, prefix);
  server = createServer((req, res) => {
    requests += 1;
    req.resume();
    const timer = setTimeout(() => {
      res.setHeader('content-type', 'application/json');
      res.end(req.url === '/apply' ? '{"version":1}' : '{"ok":true}');
    }, SLOW_MS);
    res.on('close', () => clearTimeout(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis?.disconnect();
});

async function givenRollout(rolloutId: string, targets: number): Promise<void> {
  const ids = Array.from({ length: targets }, (_, i) => `${rolloutId}-t${i}`);
  for (const id of ids) await store.putTarget(id, { labels: {}, applyUrl: `${base}/apply`, healthUrl: `${base}/health` });
  await store.allocateVersion(rolloutId, configKey, { v: 1 }, new Date().toISOString());
  await store.storePlan(rolloutId, ids);
}

const activities = () => createActivities({ store, delivery: { timeoutMs: 10_000, attempts: 1, backoffMs: 0 }, concurrency: 1 });

describe('applyBatch in MockActivityEnvironment', () => {
  it('heartbeats while a slow target takes its delivery', async () => {
    // Given one target that answers after 2.5 s
    await givenRollout('r-hb', 1);
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(details));
    // When the batch is applied
    const result = await env.run(activities().applyBatch, { rolloutId: 'r-hb', configKey, version: 1, from: 0, to: 1 });
    // Then it heartbeat on its timer (every HEARTBEAT_EVERY_MS) as well as after the assignment
    expect(result).toMatchObject({ applied: 1, pushed: 1, failed: 0, confirmed: 1 });
    expect(beats.length).toBeGreaterThanOrEqual(Math.floor(SLOW_MS / HEARTBEAT_EVERY_MS));
    expect(beats).toContainEqual({ assigned: 1 });
  });

  it('when cancelled, finishes the delivery in flight, starts no other, and fails as cancelled', async () => {
    // Given three targets delivered one at a time, each taking 2.5 s
    await givenRollout('r-cancel', 3);
    const env = new MockActivityEnvironment();
    const before = requests;
    // When the activity is cancelled during the first delivery
    const running = env.run(activities().applyBatch, { rolloutId: 'r-cancel', configKey, version: 1, from: 0, to: 3 });
    setTimeout(() => env.cancel(), 500);
    // Then it fails as cancelled (Temporal retries or drops it; the rollback behind it never races a delivery)
    await expect(running).rejects.toMatchObject({ type: 'Cancelled', message: 'apply cancelled' });
    // And only the delivery already in flight reached a target
    expect(requests - before).toBe(1);
    // And every target of the batch is assigned (recorded first), so a rollback restores all of them
    expect((await store.touchedTargets('r-cancel')).sort()).toEqual(['r-cancel-t0', 'r-cancel-t1', 'r-cancel-t2']);
  });
});

describe('probeTargets in MockActivityEnvironment', () => {
  it('heartbeats while probes are slow, and reports the health it saw', async () => {
    await givenRollout('r-probe', 1);
    await new MockActivityEnvironment().run(activities().applyBatch, { rolloutId: 'r-probe', configKey, version: 1, from: 0, to: 1 });
    const env = new MockActivityEnvironment();
    let beats = 0;
    env.on('heartbeat', () => (beats += 1));
    const sample = await env.run(activities().probeTargets, {
      rolloutId: 'r-probe',
      configKey,
      version: 1,
      stage: 'canary',
      upto: 1,
      timeoutMs: 5_000,
    });
    expect(sample).toMatchObject({ total: 1, failed: 0 });
    expect(beats).toBeGreaterThanOrEqual(2);
  });
});
