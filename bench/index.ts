/**
 * `npm run bench`: how Tollgate's speed scales with the fleet, measured on the real stack
 * (Temporal server, Redis, HTTP targets on loopback), plus side-by-side ratios in one run.
 *
 *  1. A staged rollout to N push targets (apply + health probes), N = 100, 1,000, 10,000.
 *  2. A regression after 100%: time from detection to every one of the N targets restored.
 *  3. Assigning versions in Redis: the batched Lua script vs one round trip per write.
 *
 * Env: TEMPORAL_ADDRESS, REDIS_URL, TOLLGATE_WORKFLOW_BUNDLE (set by scripts/bench.mjs);
 * BENCH_SIZES=100,1000,10000 to choose fleet sizes.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createApp } from '../api/app';
import { TokenStore } from '../store/tokens';
import type { RolloutDetail, RolloutSummary } from '../domain/schemas';
import { createRedis } from '../runtime/redis';
import { Store } from '../store/store';
import { createWorker } from '../worker/create-worker';
import { VirtualFleet } from '../sim/virtual-fleet';

interface Row {
  bench: string;
  targets: number;
  ms: number;
  perSecond?: number;
  note?: string;
}

const rows: Row[] = [];
function report(row: Row): void {
  rows.push(row);
  const rate = row.perSecond !== undefined ? `${Math.round(row.perSecond).toLocaleString('en-US').padStart(9)} targets/s` : ''.padStart(19);
  console.log(`${row.bench.padEnd(44)} ${String(row.targets).padStart(6)}  ${row.ms.toFixed(0).padStart(7)} ms ${rate}  ${row.note ?? ''}`);
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function eventAt(r: RolloutDetail, type: string): number {
  const e = r.events.find((x) => x.type === type);
  if (!e) throw new Error(`no ${type} event`);
  return Date.parse(e.at);
}

async function main(): Promise<void> {
  const temporalAddress = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const sizes = (process.env.BENCH_SIZES ?? '100,1000,10000').split(',').map(Number);
  Runtime.install({ logger: new DefaultLogger('WARN') });

  const prefix = `bench-${randomBytes(3).toString('hex')}`;
  const redis = createRedis(redisUrl);
  const store = new Store(redis, `${prefix}:`);
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection });
  const native = await NativeConnection.connect({ address: temporalAddress });
  const worker = await createWorker({
    connection: native,
    namespace: 'default',
    taskQueue: prefix,
    activityDeps: { store },
    workflowBundlePath: process.env.TOLLGATE_WORKFLOW_BUNDLE,
    shutdownGraceMs: 1_000,
  });
  const running = worker.run();
  const adminToken = `tg_bench_${randomBytes(24).toString('base64url')}`;
  await new TokenStore(redis, store.prefix).ensureAdmin(adminToken);
  const app = createApp({ store, client, taskQueue: prefix, log: () => undefined });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const untilState = (id: string, state: string, timeoutMs: number) =>
    until(
      `${id} ${state}`,
      async () => {
        const r = await call<RolloutDetail>('GET', `/v1/rollouts/${id}`);
        return r.state === state ? r : undefined;
      },
      timeoutMs,
    );

  console.log(`Tollgate bench — node ${process.version}, Temporal ${temporalAddress}, Redis ${redisUrl}\n`);
  console.log(`${'bench'.padEnd(44)} ${'targets'.padStart(6)}  ${'time'.padStart(10)} ${'rate'.padStart(19)}`);
  try {
    for (const n of sizes) {
      const ids = Array.from({ length: n }, (_, i) => `n${n}-t${i}`);
      const fleet = new VirtualFleet(ids);
      await fleet.start();
      const label = `fleet${n}`;
      for (let i = 0; i < ids.length; i += 500) {
        await Promise.all(
          ids
            .slice(i, i + 500)
            .map((id) =>
              store.putTarget(id, { labels: { fleet: label }, healthUrl: `${fleet.url(id)}/health`, applyUrl: `${fleet.url(id)}/apply` }),
            ),
        );
      }
      const configKey = `bench-${n}`;
      const health = { intervalSeconds: 0.05, timeoutMs: 5_000, maxErrorRate: 0, failureThreshold: 1 };
      // The shortest bakes the default policy allows (failureThreshold × intervalSeconds): one probe each.
      const minBake = health.failureThreshold * health.intervalSeconds;
      const stages = [
        { name: 'canary', percent: 1, bakeSeconds: minBake },
        { name: 'partial', percent: 10, bakeSeconds: minBake },
        { name: 'full', percent: 100, bakeSeconds: 0 },
      ];

      const t0 = performance.now();
      const good = await call<RolloutSummary>('POST', '/v1/rollouts', {
        configKey,
        content: { v: 1 },
        targets: { selector: { fleet: label } },
        stages,
        health,
      });
      const done = await untilState(good.id, 'completed', 600_000);
      const ms = performance.now() - t0;
      if ([...fleet.versions.values()].filter((v) => v === 1).length !== n) throw new Error('not every target got version 1');
      report({
        bench: 'staged rollout: apply + probe, 3 stages',
        targets: n,
        ms,
        perSecond: (n / ms) * 1000,
        note: `${done.events.length} events`,
      });

      // A change that turns sick once every target has it: detected in the last bake, then all N restored.
      const bad = await call<RolloutSummary>('POST', '/v1/rollouts', {
        configKey,
        content: { v: 2 },
        targets: { selector: { fleet: label } },
        stages: [
          { name: 'half', percent: 50, bakeSeconds: minBake },
          { name: 'full', percent: 100, bakeSeconds: 600 },
        ],
        health,
      });
      await until('all on v2', async () => ([...fleet.versions.values()].every((v) => v === 2) ? true : undefined), 600_000);
      for (const id of ids) fleet.sick.add(id);
      const rolled = await untilState(bad.id, 'rolled_back', 600_000);
      for (const id of ids) fleet.sick.delete(id);
      const restoreMs = eventAt(rolled, 'rolled_back') - eventAt(rolled, 'regression_detected');
      if (![...fleet.versions.values()].every((v) => v === 1)) throw new Error('a target was not restored');
      report({ bench: 'rollback: regression detected → all restored', targets: n, ms: restoreMs, perSecond: (n / restoreMs) * 1000 });
      await fleet.stop();
    }

    // Side by side: the batched Lua assignment the activities use, and the obvious per-write version.
    const n = 10_000;
    const ids = Array.from({ length: n }, (_, i) => `lua-t${i}`);
    let t = performance.now();
    await store.assignBatch('bench-lua', 'k', 1, ids, Date.now());
    const batched = performance.now() - t;
    t = performance.now();
    for (const id of ids) {
      const cur = (await redis.hget(store.k.assign(`naive-${id}`), 'k')) ?? '0';
      await redis.hsetnx(store.k.rolloutPrevious('bench-naive'), id, cur);
      await redis.hset(store.k.assign(`naive-${id}`), 'k', '1');
      await redis.hsetnx(store.k.rolloutApplied('bench-naive'), id, `1|${Date.now()}`);
    }
    const naive = performance.now() - t;
    report({ bench: 'assign in Redis: batched Lua (500 per call)', targets: n, ms: batched, perSecond: (n / batched) * 1000 });
    report({
      bench: 'assign in Redis: one round trip per write',
      targets: n,
      ms: naive,
      perSecond: (n / naive) * 1000,
      note: `batched is ${(naive / batched).toFixed(1)}× faster`,
    });

    const mem = process.memoryUsage();
    console.log(
      `\nbench process (worker + API + fleet) after the runs: rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB`,
    );
    const out = join(process.cwd(), 'test-artifacts');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'bench-results.json'), JSON.stringify({ at: new Date().toISOString(), node: process.version, rows }, null, 2));
    console.log(`results: ${join(out, 'bench-results.json')}`);
  } finally {
    server.closeAllConnections();
    server.close();
    worker.shutdown();
    await running;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
    redis.disconnect();
    await native.close();
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
