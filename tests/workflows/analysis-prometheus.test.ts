/**
 * Canary analysis read from a real Prometheus server (Debian's, started per test file) scraping a
 * noisy simulated fleet's /metrics every second, on a real Temporal server and real Redis.
 */
import type { CanaryMetricVerdict } from '../../domain/analysis-schemas';
import type { RolloutDetail, RolloutEvent } from '../../domain/schemas';
import type { Fleet } from '../../sim/fleet';
import { waitFor } from '../helpers/env';
import { startPrometheus, type PrometheusServer } from '../helpers/prometheus';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let fleet: Fleet;
const app = 'promfleet';
const servers: PrometheusServer[] = [];

/** Each target's share of failed requests over the last 5 s: one value per target. */
const ERROR_RATE =
  'sum by (target) (rate(sim_requests_total{code="500",target=~"{{canary}}|{{baseline}}"}[5s]))' +
  ' / sum by (target) (rate(sim_requests_total{target=~"{{canary}}|{{baseline}}"}[5s]))';

beforeAll(async () => {
  stack = await startStack('analysis-prom');
  // Ten targets serving 200 simulated requests a second each, about 1% of them failing on every version
  fleet = await stack.fleet({
    push: 10,
    pull: 0,
    idPrefix: `${stack.taskQueue}-prom`,
    labels: { app },
    noise: { medianMs: 1, sigma: 0.1, errorRate: 0.01, seed: 4000 },
    trafficPerSecond: 200,
  });
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await stack?.stop();
});

/** A Prometheus of this test's own, once it has enough scrapes for a 5 s rate of every target. */
async function prometheus(): Promise<PrometheusServer> {
  const server = await startPrometheus(fleet.targets.map((t) => `127.0.0.1:${t.port}`));
  servers.push(server);
  const query = ERROR_RATE.replaceAll('{{canary}}|{{baseline}}', '.+');
  await waitFor(
    'a 5 s error rate of every target',
    async () => {
      const res = await fetch(`${server.url}/api/v1/query?query=${encodeURIComponent(query)}`);
      const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
      return body.data.result.length === fleet.targets.length && body.data.result.every((s) => Number.isFinite(Number(s.value[1])));
    },
    30_000,
    250,
  );
  return server;
}

function request(configKey: string, url: string, content: unknown) {
  return {
    configKey,
    content,
    targets: { selector: { app } },
    stages: [
      { name: 'canary', percent: 40, bakeSeconds: 30 },
      { name: 'full', percent: 100, bakeSeconds: 1 },
    ],
    health: { intervalSeconds: 1, timeoutMs: 1000, maxErrorRate: 0.5, failureThreshold: 2 },
    analysis: {
      checks: [
        {
          type: 'prometheus',
          url,
          metrics: [{ name: 'error_rate', direction: 'increase_is_bad', tolerance: 0.5, critical: true }],
          queries: { error_rate: ERROR_RATE },
        },
      ],
      limits: { inconclusiveLimit: 2 },
    },
  };
}

const create = (body: Record<string, unknown>) => stack.createRollout(body);
const get = (id: string) => stack.rollout(id);
const until = (id: string, what: string, ok: (r: RolloutDetail) => boolean) => stack.untilRollout(id, what, ok, 90_000, 200);

const analysisEvents = (r: RolloutDetail): RolloutEvent[] => r.events.filter((e) => e.type === 'analysis');
const errorRate = (e: RolloutEvent) => (e.detail.metrics as CanaryMetricVerdict[])[0]!;

describe('a canary with 5× the baseline error rate, read from Prometheus', () => {
  it('is caught and rolled back', async () => {
    const server = await prometheus();
    const key = `${stack.taskQueue}-errors`;
    // When a change that makes targets fail five times as often is rolled out
    const r = await create(request(key, server.url, { errorFactor: 5 }));
    const done = await until(r.id, 'rolled back or done', (x) => ['rolled_back', 'completed', 'failed', 'paused'].includes(x.state));
    // Then Prometheus's numbers proved it at the canary
    expect(done.state).toBe('rolled_back');
    expect(done.stages.map((s) => s.state)).toEqual(['rolled_back', 'pending']);
    const last = errorRate(analysisEvents(done).at(-1)!);
    expect(last.verdict).toBe('fail');
    expect(last.evidence.canaryMedian! / last.evidence.baselineMedian!).toBeGreaterThan(2);
    const started = done.events.find((e) => e.type === 'stage_started')!;
    const detected = done.events.find((e) => e.type === 'regression_detected')!;
    expect(detected.detail.source).toBe('analysis');
    console.log(
      `5× errors from Prometheus: rolled back after ${analysisEvents(done).length} intervals, ${((Date.parse(detected.at) - Date.parse(started.at)) / 1000).toFixed(1)} s (canary median ${last.evidence.canaryMedian?.toFixed(3)}, baseline ${last.evidence.baselineMedian?.toFixed(3)}, e-value ${last.evidence.eValue?.toExponential(2)})`,
    );
    await waitFor('every target back', async () => fleet.targets.every((t) => t.version(key) === 0) || undefined);
  }, 120_000);
});

describe('Prometheus stopped in the middle of a rollout', () => {
  it('is inconclusive, never a pass: the rollout holds and does not advance', async () => {
    const server = await prometheus();
    const key = `${stack.taskQueue}-outage`;
    // Given a good change whose canary has passed an interval on Prometheus's numbers
    const r = await create(request(key, server.url, { fine: true }));
    await until(r.id, 'a passing interval', (x) => (x.analysisStage?.passes ?? 0) >= 1);
    // When Prometheus stops
    await server.stop();
    // Then every interval after is inconclusive for a source error, and past the limit it holds
    const held = await until(r.id, 'held', (x) => x.state !== 'running');
    expect(held.state).toBe('paused');
    expect(held.reason).toMatch(/^inconclusive: /);
    const judged = analysisEvents(held);
    const afterPass = judged.slice(judged.findIndex((e) => e.detail.verdict === 'pass') + 1);
    const outage = afterPass.filter((e) => errorRate(e).reason === 'source_error');
    expect(outage.length).toBeGreaterThanOrEqual(1);
    expect(held.analysisStage!.inconclusive).toBeGreaterThan(2);
    for (const e of outage) expect(e.detail.verdict).toBe('inconclusive');
    // And it does not advance, however long it waits
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const later = await get(r.id);
    expect(later.state).toBe('paused');
    expect(later.stages.map((s) => s.state)).toEqual(['baking', 'pending']);
    expect(later.updatedTargets).toBe(4);
    expect(later.events.some((e) => e.type === 'stage_completed' || e.type === 'completed')).toBe(false);
  }, 120_000);
});
