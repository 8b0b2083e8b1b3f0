/**
 * Canary analysis with an external judge: a local HTTP server answers each interval's POST, on a
 * real Temporal server and real Redis. A timeout or an error is inconclusive, never a pass.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CanaryMetricVerdict, WebhookRequest } from '../../domain/analysis-schemas';
import type { RolloutDetail, RolloutSummary } from '../../domain/schemas';
import { waitFor } from '../helpers/env';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let judge: Server;
let judgeUrl = '';
/** What the judge was asked, by config key. */
const asked = new Map<string, WebhookRequest[]>();
const app = 'judged';

/** The judge answers by the path it is called on: /pass, /fail, /slow (after 2 s), /error (500), /nonsense. */
function startJudge(): Promise<void> {
  judge = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookRequest;
      asked.set(body.configKey, [...(asked.get(body.configKey) ?? []), body]);
      const json = (status: number, answer: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      if (req.url === '/pass') return json(200, { verdict: 'pass', reason: 'checkout conversion unchanged' });
      if (req.url === '/fail') return json(200, { verdict: 'fail', reason: 'checkout conversion down 12%' });
      if (req.url === '/slow') return void setTimeout(() => json(200, { verdict: 'pass', reason: 'too late' }), 2_000);
      if (req.url === '/error') return json(500, { error: 'judge broken' });
      return json(200, { verdict: 'maybe' });
    });
  });
  return new Promise((resolve) =>
    judge.listen(0, '127.0.0.1', () => {
      judgeUrl = `http://127.0.0.1:${(judge.address() as AddressInfo).port}`;
      resolve();
    }),
  );
}

beforeAll(async () => {
  stack = await startStack('analysis-hook');
  await stack.fleet({ push: 6, pull: 0, idPrefix: `${stack.taskQueue}-hook`, labels: { app } });
  await startJudge();
});
afterAll(async () => {
  judge?.closeAllConnections();
  await new Promise((resolve) => judge?.close(resolve));
  await stack?.stop();
});

async function rollout(path: string): Promise<{ key: string; id: string }> {
  const key = `${stack.taskQueue}${path.replace('/', '-')}`;
  const res = await stack.api<RolloutSummary>('POST', '/v1/rollouts', {
    configKey: key,
    content: { judged: path },
    targets: { selector: { app } },
    stages: [
      { name: 'canary', percent: 50, bakeSeconds: 2 },
      { name: 'full', percent: 100, bakeSeconds: 1 },
    ],
    health: { intervalSeconds: 1, timeoutMs: 1000, maxErrorRate: 0, failureThreshold: 2 },
    analysis: {
      checks: [{ type: 'webhook', name: 'conversion', url: `${judgeUrl}${path}`, timeoutMs: 500 }],
      limits: { inconclusiveLimit: 1 },
    },
  });
  if (res.status !== 201) throw new Error(`POST /v1/rollouts: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return { key, id: res.body.id };
}

function settled(id: string): Promise<RolloutDetail> {
  return waitFor(
    `rollout ${id} to settle`,
    async () => {
      const r = (await stack.api<RolloutDetail>('GET', `/v1/rollouts/${id}`)).body;
      return r.state !== 'running' && r.state !== 'rolling_back' ? r : undefined;
    },
    60_000,
    200,
  );
}

const verdicts = (r: RolloutDetail) =>
  r.events.filter((e) => e.type === 'analysis').map((e) => (e.detail.metrics as CanaryMetricVerdict[])[0]!);

describe('an external judge', () => {
  it('decides: pass promotes, fail rolls back; a timeout, an error or a bad answer holds, never passes', async () => {
    const runs = await Promise.all(['/pass', '/fail', '/slow', '/error', '/nonsense'].map((path) => rollout(path)));
    const [pass, fail, slow, error, nonsense] = await Promise.all(runs.map((run) => settled(run.id)));

    expect(pass!.state).toBe('completed');
    expect(verdicts(pass!).every((v) => v.verdict === 'pass' && v.reason === 'external_verdict')).toBe(true);
    expect(verdicts(pass!)[0]!.message).toMatch(/checkout conversion unchanged/);

    expect(fail!.state).toBe('rolled_back');
    expect(fail!.events.find((e) => e.type === 'regression_detected')?.message).toMatch(/critical metric failed: conversion/);

    for (const held of [slow!, error!, nonsense!]) {
      expect(held.state).toBe('paused');
      expect(held.reason).toMatch(/^inconclusive: /);
      expect(held.stages.map((s) => s.state)).toEqual(['baking', 'pending']);
      expect(verdicts(held).every((v) => v.verdict === 'inconclusive' && v.reason === 'source_error')).toBe(true);
    }
    expect(verdicts(slow!)[0]!.message).toMatch(/timed out/);
    expect(verdicts(error!)[0]!.message).toMatch(/HTTP 500/);

    // And the judge was told which targets are the canary and which the baseline
    const context = asked.get(runs[0]!.key)![0]!;
    expect(context).toMatchObject({ rolloutId: pass!.id, stage: 'canary', interval: 0, canary: { count: 3 }, baseline: { count: 3 } });
    expect(new Set([...context.canary.targetIds, ...context.baseline.targetIds]).size).toBe(6);
  }, 120_000);
});
