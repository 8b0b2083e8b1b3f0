/**
 * Drill 3: Redis goes away (SIGKILL) during an apply, during health checks and during a rollback,
 * and comes back 4 s later from its append-only file. Activities retry with backoff, the rollout
 * does not advance while it cannot record its state, it resumes when Redis returns, and no
 * assignment is lost. Uses a private redis-server; the shared one is never touched.
 */
import { Client, Connection } from '@temporalio/client';
import type { RolloutSummary } from '../../domain/schemas';
import type { Fleet } from '../../sim/fleet';
import { statusQuery, workflowIdFor } from '../../workflows/definitions';
import { waitFor } from '../helpers/env';
import { fastStages, makeRolloutRequest } from '../helpers/factories';
import { Drill, PrivateRedis, checkTargets, report, sleep } from '../helpers/processes';

const OUTAGE_MS = 4_000;
const redis = new PrivateRedis(true);
let drill: Drill;
let fleet: Fleet;
let connection: Connection;
let client: Client;
const key = () => `${drill.name}-db`;

beforeAll(async () => {
  await redis.start();
  drill = new Drill('drill-redis', { redisUrl: redis.url });
  await drill.worker();
  await drill.api();
  fleet = await drill.fleet({
    push: 6,
    pull: 3,
    labels: { app: 'portal' },
    configKeys: [key()],
    pollMs: 200,
  });
  connection = await Connection.connect({ address: drill.temporalAddress });
  client = new Client({ connection });
}, 60_000);

afterAll(async () => {
  await connection?.close();
  await drill?.stop();
  await redis.stop();
});

/** The workflow's own view (a query): readable while Redis is down. */
function status(): Promise<RolloutSummary> {
  return client.workflow.getHandle(workflowIdFor(key())).query(statusQuery);
}

/** Takes Redis away for OUTAGE_MS; checks the rollout stood still; returns when Redis is back. */
async function outage(): Promise<{ downAt: number; upAt: number }> {
  const downAt = Date.now();
  await redis.kill9();
  const before = await status();
  const applies: number[] = [];
  fleet.targets.forEach((t) => (t.onApply = () => applies.push(Date.now())));
  await sleep(OUTAGE_MS);
  const after = await status();
  fleet.targets.forEach((t) => (t.onApply = undefined));
  // Nothing moved: same stage, same stage state, same targets updated, and no delivery started
  expect({ stage: after.currentStageIndex, states: after.stages.map((s) => s.state), updated: after.updatedTargets }).toEqual({
    stage: before.currentStageIndex,
    states: before.stages.map((s) => s.state),
    updated: before.updatedTargets,
  });
  expect(applies.filter((at) => at > downAt + 500)).toEqual([]);
  await redis.start();
  return { downAt, upAt: Date.now() };
}

/** Every target's assignment, as the API serves it, is `version` (0: none). */
async function checkAssignments(version: number): Promise<void> {
  for (const t of fleet.targets) {
    const r = await drill.call<{ version: number }>('GET', `/v1/targets/${t.id}/configs/${key()}`);
    expect({ id: t.id, version: r.status === 200 ? r.body.version : 0 }).toEqual({ id: t.id, version });
  }
}

describe('drill 3: Redis unavailable', () => {
  it('during an apply batch: the batch waits, the rollout resumes and completes', async () => {
    for (const t of fleet.targets) t.applyDelayMs = 1_000;
    let struck: Promise<{ downAt: number; upAt: number }> | undefined;
    fleet.targets.forEach(
      (t) =>
        (t.onApply = (req) => {
          if (!req.rollback && !struck) struck = sleep(100).then(outage);
        }),
    );
    const r = await drill.create(makeRolloutRequest({ configKey: key(), content: { pool: 1 }, stages: fastStages(0.5) }));
    await waitFor('Redis to be taken away mid-apply', async () => struck !== undefined, 30_000);
    const { upAt } = await struck!;
    const mark = await drill.progress(r.id).catch(() => 0);
    const movedAt = await drill.untilProgress(r.id, mark);
    const done = await drill.untilTerminal(r.id, 90_000);
    expect(done.state).toBe('completed');
    for (const t of fleet.targets) t.applyDelayMs = 0;
    await waitFor('every target on v1', async () => fleet.targets.every((t) => t.version(key()) === 1));
    checkTargets(fleet, key(), 1, [1]);
    await checkAssignments(1);
    report(3, `during apply: Redis back → next recorded step ${movedAt - upAt} ms, → completed ${Date.now() - upAt} ms`);
  }, 120_000);

  it('during health checks: the bake does not end in the dark, and resumes', async () => {
    const r = await drill.create(makeRolloutRequest({ configKey: key(), content: { pool: 2 }, stages: fastStages(3) }));
    await waitFor('the canary to bake', async () => (await status()).stages[0]?.state === 'baking', 30_000);
    const { upAt } = await outage();
    const mark = await drill.progress(r.id);
    const movedAt = await drill.untilProgress(r.id, mark);
    const done = await drill.untilTerminal(r.id, 90_000);
    expect(done.state).toBe('completed');
    await waitFor('every target on v2', async () => fleet.targets.every((t) => t.version(key()) === 2));
    checkTargets(fleet, key(), 2, [1, 2]);
    await checkAssignments(2);
    report(3, `during health checks: Redis back → next health sample or event ${movedAt - upAt} ms, → completed ${Date.now() - upAt} ms`);
  }, 120_000);

  it('during a rollback: the rollback waits, then restores every target', async () => {
    for (const t of fleet.targets) t.applyDelayMs = 800;
    let struck: Promise<{ downAt: number; upAt: number }> | undefined;
    fleet.targets.forEach(
      (t) =>
        (t.onApply = (req) => {
          if (req.rollback && !struck) struck = sleep(100).then(outage);
        }),
    );
    // Half the fleet in the first stage: push targets among them whatever the plan's order
    const stages = [
      { name: 'canary', percent: 50, bakeSeconds: 1, approval: false },
      { name: 'full', percent: 100, bakeSeconds: 1, approval: false },
    ];
    const r = await drill.create(makeRolloutRequest({ configKey: key(), content: { pool: 3, healthy: false }, stages }));
    const { upAt } = await waitFor('Redis to be taken away mid-rollback', async () => struck, 60_000);
    for (const t of fleet.targets) t.applyDelayMs = 0;
    const done = await drill.untilTerminal(r.id, 90_000);
    expect(done.state).toBe('rolled_back');
    await waitFor('every target back on v2', async () => fleet.targets.every((t) => t.version(key()) === 2));
    checkTargets(fleet, key(), 2, [1, 2, 3]);
    await checkAssignments(2);
    const versions = await drill.call<{ versions: unknown[]; stableVersion: number }>('GET', `/v1/configs/${key()}`);
    expect(versions.body).toMatchObject({ stableVersion: 2 });
    expect(versions.body.versions).toHaveLength(3);
    report(3, `during rollback: Redis back → rolled back ${Date.now() - upAt} ms`);
  }, 120_000);
});
