/**
 * End to end over HTTP: the built worker and API run as their own processes (as `npm start` runs
 * them), a fleet of real HTTP targets takes configs by push and by pull, a good change goes
 * everywhere, and bad changes stop at the canary and are rolled back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { RolloutDetail, RolloutSummary } from '../../domain/schemas';
import { Fleet } from '../../sim/fleet';
import { createRedis } from '../../runtime/redis';
import { testEnv, uniqueName, waitFor } from '../helpers/env';
import { deleteKeys } from '../helpers/stack';
import { fastStages, makeRolloutRequest } from '../helpers/factories';

const env = testEnv();
const name = uniqueName('e2e');
const procs: ChildProcess[] = [];
let apiUrl = '';
let fleet: Fleet;
const output: string[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function run(script: string, extra: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [join(env.dist, script)], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: env.temporalAddress,
      REDIS_URL: env.redisUrl,
      TOLLGATE_REDIS_PREFIX: `${name}:`,
      TOLLGATE_TASK_QUEUE: name,
      ...(env.workflowBundle ? { TOLLGATE_WORKFLOW_BUNDLE: env.workflowBundle } : {}),
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => output.push(`[${script}] ${d.toString()}`));
  child.stderr?.on('data', (d: Buffer) => output.push(`[${script}] ${d.toString()}`));
  procs.push(child);
  return child;
}

async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${apiUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

function untilTerminal(id: string): Promise<RolloutDetail> {
  return waitFor(
    `rollout ${id} to end`,
    async () => {
      const r = await api<RolloutDetail>('GET', `/v1/rollouts/${id}`);
      return ['completed', 'rolled_back', 'failed'].includes(r.body.state) ? r.body : undefined;
    },
    60_000,
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

beforeAll(async () => {
  const port = await freePort();
  apiUrl = `http://127.0.0.1:${port}`;
  run('worker/main.js', {});
  run('api/server.js', { PORT: String(port), HOST: '127.0.0.1' });
  await waitFor('the API to be healthy', async () => (await fetch(`${apiUrl}/healthz`).catch(() => null))?.status === 200, 60_000, 200);
  fleet = new Fleet({ apiUrl, push: 6, pull: 6, idPrefix: name, labels: { app: 'portal' }, configKeys: [`${name}-db`], pollMs: 100 });
  await fleet.start();
}, 90_000);

afterAll(async () => {
  await fleet?.stop();
  const redis = createRedis(env.redisUrl);
  await deleteKeys(redis, `${name}:*`);
  redis.disconnect();
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.exitCode !== null) return resolve();
          p.once('exit', () => resolve());
          p.kill('SIGTERM');
        }),
    ),
  );
});

describe('a fleet of push and pull targets', () => {
  const key = () => `${name}-db`;

  it('takes a good change everywhere, then stops bad ones at the canary and restores every target', async () => {
    // Given version 1 everywhere
    const good = await api<RolloutSummary>(
      'POST',
      '/v1/rollouts',
      makeRolloutRequest({ configKey: key(), content: { pool: 10 }, stages: fastStages(0.3) }),
    );
    expect(good.status).toBe(201);
    const done = await untilTerminal(good.body.id);
    expect(done.state).toBe('completed');
    await waitFor('every target on v1', async () => fleet.targets.every((t) => t.version(key()) === 1));

    // When bad changes that make targets answer 500 go out, again and again
    const recoveries: number[] = [];
    const canaries = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const startedAt = Date.now();
      const bad = await api<RolloutSummary>(
        'POST',
        '/v1/rollouts',
        makeRolloutRequest({ configKey: key(), content: { pool: 0, healthy: false, attempt: i } }),
      );
      expect(bad.status).toBe(201);
      const r = await untilTerminal(bad.body.id);

      // Then each stops at the canary, rolled back, with the reason in the timeline
      expect(r.state).toBe('rolled_back');
      expect(r.stages.map((s) => s.state)).toEqual(['rolled_back', 'pending', 'pending']);
      const regression = r.events.find((e) => e.type === 'regression_detected');
      expect(regression?.stage).toBe('canary');
      expect(regression?.message).toMatch(/error rate 100% exceeds 0%/);
      expect(r.events.at(-1)?.type).toBe('rolled_back');

      // And every target runs version 1 again, confirmed by the targets themselves
      await waitFor('every target back on v1', async () => fleet.targets.every((t) => t.version(key()) === 1));
      const touched = Object.entries(r.targets)
        .filter(([, t]) => t.version === r.version)
        .map(([id]) => id);
      expect(touched).toHaveLength(2); // 10% of 12, rounded up
      touched.forEach((id) => canaries.add(id));
      for (const t of Object.values(r.targets)) expect(t.assignedVersion).toBe(1);

      // Recovery time, seen from the targets: first 500 answered → last canary back on v1
      const firstFail = Math.min(
        ...fleet.targets.flatMap((t) => t.probes.filter((p) => p.at >= startedAt && p.status === 500).map((p) => p.at)),
      );
      const restored = Math.max(
        ...touched.map((id) => {
          const t = fleet.byId(id);
          return Math.max(...t.applied.filter((a) => a.at >= startedAt && a.version === 1).map((a) => a.at));
        }),
      );
      expect(Number.isFinite(firstFail) && Number.isFinite(restored)).toBe(true);
      recoveries.push(restored - firstFail);
    }
    // The canary is the same pair each time: chosen by (configKey, targetId), not by chance
    expect(canaries.size).toBe(2);
    const config = await api<{ latestVersion: number; stableVersion: number }>('GET', `/v1/configs/${key()}`);
    expect(config.body).toMatchObject({ latestVersion: 6, stableVersion: 1 });
    console.log(
      `first failed probe → last target restored: median ${median(recoveries)} ms over ${recoveries.length} runs (${recoveries.join(', ')} ms)`,
    );
  }, 180_000);
});

afterAll(() => {
  if (process.env.TOLLGATE_E2E_LOGS) console.log(output.join(''));
});
