/**
 * Canary analysis against a real Temporal server, real Redis and fleets of real HTTP targets with
 * noise (lognormal latency, 1% random errors, seeded): the judge tells a regression from noise.
 */
import { stableOrder } from '../../domain/ordering';
import type { CanaryMetricVerdict } from '../../domain/analysis-schemas';
import type { RolloutDetail, RolloutEvent, RolloutSummary } from '../../domain/schemas';
import type { Noise } from '../../sim/fleet';
import { waitFor } from '../helpers/env';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let n = 0;

beforeAll(async () => {
  stack = await startStack('analysis');
});
afterAll(async () => {
  await stack?.stop();
});

/** A healthy service's noise, as the issue describes the fleet: random latency, about 1% errors everywhere. */
const NOISE: Omit<Noise, 'seed'> = { medianMs: 30, sigma: 0.3, errorRate: 0.01 };
/**
 * Healthy noisy rollouts per run of this file (the issue asks for at least 20), started this many at
 * a time. TOLLGATE_ANALYSIS_ROLLOUTS runs more as a benchmark of the false-alarm rate.
 */
const NOISY_ROLLOUTS = Math.max(20, Number(process.env.TOLLGATE_ANALYSIS_ROLLOUTS ?? 20));
const AT_ONCE = 10;

/** Canary then everyone; the last stage has no baseline left and bakes under the health thresholds. */
function analysisRequest(configKey: string, selector: Record<string, string>, content: unknown, canaryBake: number) {
  return {
    configKey,
    content,
    targets: { selector },
    stages: [
      { name: 'canary', percent: 40, bakeSeconds: canaryBake },
      { name: 'full', percent: 100, bakeSeconds: 1 },
    ],
    // 1% errors on 10 targets: the thresholds of the last stage tolerate noise, the judge does the rest.
    health: { intervalSeconds: 1, timeoutMs: 1000, maxErrorRate: 0.5, failureThreshold: 2 },
    analysis: { checks: [{ type: 'http' }] },
  };
}

async function create(body: Record<string, unknown>): Promise<RolloutSummary> {
  const res = await stack.api<RolloutSummary>('POST', '/v1/rollouts', body);
  if (res.status !== 201) throw new Error(`POST /v1/rollouts: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function get(id: string): Promise<RolloutDetail> {
  const res = await stack.api<RolloutDetail>('GET', `/v1/rollouts/${id}`);
  expect(res.status).toBe(200);
  return res.body;
}

function untilState(id: string, states: string[], timeoutMs = 90_000): Promise<RolloutDetail> {
  return waitFor(
    `rollout ${id} to reach ${states.join('|')}`,
    async () => {
      const r = await get(id);
      return states.includes(r.state) ? r : undefined;
    },
    timeoutMs,
    200,
  );
}

function analysisEvents(r: RolloutDetail): RolloutEvent[] {
  return r.events.filter((e) => e.type === 'analysis');
}

function metricsOf(e: RolloutEvent): CanaryMetricVerdict[] {
  return e.detail.metrics as CanaryMetricVerdict[];
}

describe('a healthy but noisy fleet', () => {
  it(
    `is never rolled back: ${NOISY_ROLLOUTS} rollouts of good changes`,
    async () => {
      // Given ten targets with random latency and about 1% errors on every version
      n += 1;
      const app = `noisy${n}`;
      await stack.fleet({ push: 10, pull: 0, idPrefix: `${stack.taskQueue}-noisy`, labels: { app }, noise: { ...NOISE, seed: 1000 } });
      // When good changes of as many config keys are rolled out under canary analysis, several at once
      const outcomes: RolloutDetail[] = [];
      for (let first = 0; first < NOISY_ROLLOUTS; first += AT_ONCE) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(AT_ONCE, NOISY_ROLLOUTS - first) }, (_, i) =>
            create(analysisRequest(`${stack.taskQueue}-noisy${first + i}`, { app }, { good: first + i }, 4)),
          ),
        );
        outcomes.push(...(await Promise.all(batch.map((r) => untilState(r.id, ['completed', 'rolled_back', 'failed', 'paused'])))));
      }
      // Then none is rolled back, and each was judged with evidence
      const count = (state: string) => outcomes.filter((r) => r.state === state).length;
      console.log(
        `noisy fleet: ${outcomes.length} rollouts: ${count('completed')} completed, ${count('paused')} held for a human, ${count('rolled_back')} rolled back`,
      );
      expect(count('rolled_back') + count('failed')).toBe(0);
      // A hold is not a false alarm (nothing is rolled back) but costs a human: at most 10% of them.
      expect(count('completed')).toBeGreaterThanOrEqual(Math.floor(NOISY_ROLLOUTS * 0.9));
      for (const r of outcomes) {
        const judged = analysisEvents(r);
        expect(judged.length).toBeGreaterThanOrEqual(2);
        const last = metricsOf(judged.at(-1)!);
        expect(last.map((m) => m.name)).toEqual(['latency', 'errors']);
        expect(last[0]!.evidence).toMatchObject({ canaryCount: expect.any(Number), baselineCount: expect.any(Number) });
      }
    },
    240_000 + NOISY_ROLLOUTS * 3_000,
  );
});

describe('a canary 40% slower than its baseline, with no errors', () => {
  it('is caught and rolled back', async () => {
    // Given twenty noisy targets without random errors
    n += 1;
    const app = `slow${n}`;
    const key = `${stack.taskQueue}-slow`;
    const fleet = await stack.fleet({
      push: 20,
      pull: 0,
      idPrefix: `${stack.taskQueue}-slow`,
      labels: { app },
      noise: { ...NOISE, errorRate: 0, seed: 2000 },
    });
    // When a change that makes targets 40% slower is rolled out, the canary stage baking up to 60 s
    const r = await create({
      ...analysisRequest(key, { app }, { latencyFactor: 1.4 }, 60),
      stages: [
        { name: 'canary', percent: 25, bakeSeconds: 60 },
        { name: 'full', percent: 100, bakeSeconds: 1 },
      ],
    });
    const done = await untilState(r.id, ['rolled_back', 'completed', 'failed', 'paused']);
    // Then the analysis proved the regression at the canary, and every target is back
    expect(done.state).toBe('rolled_back');
    expect(done.stages.map((s) => s.state)).toEqual(['rolled_back', 'pending']);
    const started = done.events.find((e) => e.type === 'stage_started')!;
    const detected = done.events.find((e) => e.type === 'regression_detected')!;
    expect(detected.detail.source).toBe('analysis');
    const judged = analysisEvents(done);
    const latency = metricsOf(judged.at(-1)!).find((m) => m.name === 'latency')!;
    expect(latency.verdict).toBe('fail');
    expect(latency.evidence.effect).toBeGreaterThan(0.1);
    expect(latency.evidence.eValue).toBeGreaterThanOrEqual(latency.evidence.threshold.eValue);
    const detectionMs = Date.parse(detected.at) - Date.parse(started.at);
    console.log(
      `40% slower canary: rolled back after ${judged.length} intervals, ${(detectionMs / 1000).toFixed(1)} s from the canary's start (effect ${latency.evidence.effect?.toFixed(2)}, e-value ${latency.evidence.eValue?.toExponential(2)})`,
    );
    await waitFor('every target back on nothing', async () => fleet.targets.every((t) => t.version(key) === 0) || undefined);
  }, 120_000);
});

describe('a canary that gets no traffic', () => {
  it('is inconclusive, then held for a human, never promoted', async () => {
    // Given a fleet whose canary targets (the first 40% in the key's order) cannot be probed
    n += 1;
    const app = `dark${n}`;
    const key = `${stack.taskQueue}-dark`;
    const prefix = `${stack.taskQueue}-dark`;
    const ids = Array.from({ length: 10 }, (_, i) => `${prefix}-push-${i}`);
    const canary = new Set(stableOrder(key, ids).slice(0, 4));
    await stack.fleet({
      push: 10,
      pull: 0,
      idPrefix: prefix,
      labels: { app },
      noise: { ...NOISE, seed: 3000 },
      withoutHealthUrl: (id) => canary.has(id),
    });
    // When a change is rolled out under canary analysis
    const r = await create(analysisRequest(key, { app }, { fine: true }, 30));
    // Then every interval is inconclusive for want of canary data, and past the limit it holds
    const held = await untilState(r.id, ['paused', 'completed', 'rolled_back', 'failed']);
    expect(held.state).toBe('paused');
    expect(held.reason).toMatch(/^inconclusive: /);
    const touched = Object.entries(held.targets).filter(([, t]) => t.version !== null);
    expect(new Set(touched.map(([id]) => id))).toEqual(canary);
    const judged = analysisEvents(held);
    expect(judged.length).toBeGreaterThanOrEqual(3);
    for (const e of judged) {
      expect(e.detail.verdict).toBe('inconclusive');
      expect(metricsOf(e).map((m) => m.reason)).toEqual(['no_data', 'no_data']);
    }
    expect(held.analysisStage).toMatchObject({ stage: 'canary', lastVerdict: 'inconclusive', passes: 0 });
    expect(held.analysisStage!.inconclusive).toBeGreaterThan(2);
    expect(held.events.find((e) => e.type === 'paused')?.detail.source).toBe('analysis');
    // And however long it waits, it does not promote
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const later = await get(r.id);
    expect(later.state).toBe('paused');
    expect(later.stages.map((s) => s.state)).toEqual(['baking', 'pending']);
    expect(later.updatedTargets).toBe(4);
  }, 120_000);
});
