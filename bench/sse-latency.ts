/**
 * Event latency to a live client: from the moment the workflow records an event (the event's
 * `at`, the workflow's own clock) to its arrival at a client of `GET /v1/events`, over a run of
 * rollouts on the real stack (Temporal, Redis, worker, API, HTTP targets) in this process. Also
 * the part from the Redis write (the stream id's time) to the client: what the API adds.
 *
 *   npx tsc -p bench/tsconfig.json && \
 *   TEMPORAL_ADDRESS=127.0.0.1:7233 REDIS_URL=redis://127.0.0.1:6379 node dist/bench/sse-latency.js [--rollouts 24] [--parallel 4]
 */
import type { RolloutStreamMessage, RolloutSummary } from '../domain/schemas';
import { makeRolloutRequest } from '../tests/helpers/factories';
import { openSse } from '../tests/helpers/sse';
import { startStack } from '../tests/helpers/stack';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
  return v;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function describe(label: string, xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const f = (v: number) => `${v.toFixed(0)} ms`;
  return `${label.padEnd(22)} n=${String(s.length).padEnd(5)} median ${f(percentile(s, 0.5))}  p90 ${f(percentile(s, 0.9))}  p99 ${f(percentile(s, 0.99))}  max ${f(s.at(-1) ?? NaN)}`;
}

async function main(): Promise<void> {
  const rollouts = arg('rollouts', 24);
  const parallel = arg('parallel', 4);
  const stack = await startStack('bench');
  try {
    await stack.fleet({ push: 20, pull: 0, idPrefix: 'bench', labels: { app: 'bench' } });
    const sse = await openSse(`${stack.apiUrl}/v1/events`, { authorization: `Bearer ${stack.adminToken}` });
    if (sse.status !== 200) throw new Error(`GET /v1/events answered ${sse.status}`);
    await sse.until('the stream to open', () => sse.comments.includes('connected'), 10_000);

    const mine = new Set<string>();
    const ended = new Set<string>();
    const t0 = Date.now();
    // Each lane rolls out its own config key, one rollout after another.
    await Promise.all(
      Array.from({ length: parallel }, async (_, lane) => {
        const key = `bench-${stack.taskQueue.slice(-6)}-${lane}`;
        for (let i = lane; i < rollouts; i += parallel) {
          const res = await stack.api<RolloutSummary>(
            'POST',
            '/v1/rollouts',
            makeRolloutRequest({
              configKey: key,
              targets: { selector: { app: 'bench' } },
              content: { run: i, healthy: true },
              health: { intervalSeconds: 0.1, timeoutMs: 1000, maxErrorRate: 0, failureThreshold: 1 },
              stages: [
                { name: 'canary', percent: 10, bakeSeconds: 0.2 },
                { name: 'partial', percent: 50, bakeSeconds: 0.2 },
                { name: 'full', percent: 100, bakeSeconds: 0.2 },
              ],
            }),
          );
          if (res.status !== 201) throw new Error(`POST /v1/rollouts answered ${res.status}: ${JSON.stringify(res.body)}`);
          mine.add(res.body.id);
          const id = res.body.id;
          await sse.until(
            `rollout ${id} to end`,
            (ms) => ms.some((m) => m.event === 'rollout' && m.data.includes(id) && /"type":"(completed|rolled_back|failed)"/.test(m.data)),
            60_000,
          );
          ended.add(id);
        }
      }),
    );
    const wall = Date.now() - t0;
    sse.close();

    const all: number[] = [];
    const stateChanges: number[] = [];
    // The stream id's first part is Redis's clock when the event was written: the API's share.
    const fromRedis: number[] = [];
    const lastState = new Map<string, string>();
    for (const m of sse.messages) {
      if (m.event !== 'rollout') continue;
      const msg = JSON.parse(m.data) as RolloutStreamMessage;
      if (!mine.has(msg.rolloutId)) continue;
      const latency = m.receivedAt - Date.parse(msg.event.at);
      all.push(latency);
      fromRedis.push(m.receivedAt - Number(m.id?.split('-')[0]));
      const prev = lastState.get(msg.rolloutId);
      if (prev !== msg.summary.state || msg.event.type === 'rollout_started') stateChanges.push(latency);
      lastState.set(msg.rolloutId, msg.summary.state);
    }
    console.log(`sse-latency: ${ended.size} rollouts (${parallel} at a time) in ${(wall / 1000).toFixed(1)} s, ${all.length} events`);
    console.log(describe('every rollout event', all));
    console.log(describe('state changes', stateChanges));
    console.log(describe('Redis write → client', fromRedis));
    console.log('(from the event time the workflow records to arrival at a GET /v1/events client, same host)');
  } finally {
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
