/**
 * Regression notification latency: from detection (the `regression_detected` event's time, the
 * workflow's own clock) to receipt of its notification at a local receiver, over bad rollouts on
 * the real stack (Temporal, Redis, worker, API, HTTP targets) in this process. The bound is 1 s
 * for every one; the run fails when the slowest is later.
 *
 *   npx tsc -p tsconfig.build.json && \
 *   TEMPORAL_ADDRESS=127.0.0.1:7233 REDIS_URL=redis://127.0.0.1:6379 node dist/bench/notification-latency.js [--rollouts 20] [--parallel 1]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RolloutSummary } from '../domain/schemas';
import { makeRolloutRequest } from '../tests/helpers/factories';
import { startReceiver } from '../tests/helpers/receiver';
import { startStack } from '../tests/helpers/stack';
import { waitFor } from '../tests/helpers/env';

/** The promise: a regression notification leaves within this of detection. */
const BOUND_MS = 1_000;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
  return v;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const rollouts = arg('rollouts', 20);
  const parallel = arg('parallel', 1);
  const stack = await startStack('bench-notify');
  const receiver = await startReceiver();
  try {
    await stack.fleet({ push: 8, pull: 0, idPrefix: 'bn', labels: { app: 'bench-notify' } });
    const sub = await stack.api<{ id: string }>('POST', '/v1/subscriptions', {
      url: receiver.url('/pager'),
      events: ['regression'],
      secret: 'bench-secret-0123456789',
    });
    if (sub.status !== 201) throw new Error(`POST /v1/subscriptions answered ${sub.status}: ${JSON.stringify(sub.body)}`);

    const rows: { rolloutId: string; detectedAt: string; receivedAt: string; latencyMs: number }[] = [];
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: parallel }, async (_, lane) => {
        const key = `bench-notify-${stack.taskQueue.slice(-6)}-${lane}`;
        for (let i = lane; i < rollouts; i += parallel) {
          const res = await stack.api<RolloutSummary>(
            'POST',
            '/v1/rollouts',
            makeRolloutRequest({
              configKey: key,
              targets: { selector: { app: 'bench-notify' } },
              content: { run: i, healthy: false },
              health: { intervalSeconds: 0.2, timeoutMs: 1000, maxErrorRate: 0, failureThreshold: 1 },
              onRegression: 'rollback',
            }),
          );
          if (res.status !== 201) throw new Error(`POST /v1/rollouts answered ${res.status}: ${JSON.stringify(res.body)}`);
          const id = res.body.id;
          const got = await waitFor(
            `the regression notification of ${id}`,
            async () => receiver.at('/pager').find((r) => r.body.rolloutId === id),
            60_000,
            10,
          );
          const detectedAt = String(got.body.occurredAt);
          rows.push({ rolloutId: id, detectedAt, receivedAt: new Date(got.at).toISOString(), latencyMs: got.at - Date.parse(detectedAt) });
          await stack.untilRollout(id, 'rolled back', (d) => d.state === 'rolled_back', 60_000);
        }
      }),
    );
    const wall = Date.now() - t0;
    const sorted = rows.map((r) => r.latencyMs).sort((a, b) => a - b);
    const result = {
      bench: 'notification-latency',
      at: new Date().toISOString(),
      node: process.version,
      rollouts: rows.length,
      parallel,
      boundMs: BOUND_MS,
      p50Ms: percentile(sorted, 0.5),
      p95Ms: percentile(sorted, 0.95),
      maxMs: sorted.at(-1) ?? NaN,
      withinBound: sorted.every((ms) => ms <= BOUND_MS),
      rows,
    };
    console.log(`notification-latency: ${rows.length} bad rollouts (${parallel} at a time) in ${(wall / 1000).toFixed(1)} s`);
    console.log(
      `detection → receipt of the regression notification: p50 ${result.p50Ms} ms  p95 ${result.p95Ms} ms  max ${result.maxMs} ms  (bound ${BOUND_MS} ms: ${result.withinBound ? 'met' : 'MISSED'})`,
    );
    const out = join(process.cwd(), 'bench-results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'notification-latency.json'), JSON.stringify(result, null, 2));
    console.log(`results: ${join(out, 'notification-latency.json')}`);
    if (!result.withinBound) process.exitCode = 1;
  } finally {
    await receiver.close();
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
