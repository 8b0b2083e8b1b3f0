/**
 * Drill 5: three workers poll one task queue; the one running an apply is killed (SIGKILL). The
 * other two carry every rollout to the end.
 */
import { Client, Connection } from '@temporalio/client';
import type { Fleet } from '../../sim/fleet';
import { waitFor } from '../helpers/env';
import { fastStages, makeRolloutRequest } from '../helpers/factories';
import { Drill, checkTargets, report, workerRunningApply, type Proc } from '../helpers/processes';

const drill = new Drill('drill-workers');
const keys = [0, 1, 2, 3].map((i) => `${drill.name}-k${i}`);
let fleet: Fleet;
let workers: Proc[] = [];
let connection: Connection;

beforeAll(async () => {
  workers = await Promise.all([drill.worker(), drill.worker(), drill.worker()]);
  await drill.api();
  fleet = await drill.fleet({
    push: 6,
    pull: 2,
    labels: { app: 'portal' },
    configKeys: keys,
    pollMs: 200,
  });
  connection = await Connection.connect({ address: drill.temporalAddress });
}, 60_000);

afterAll(async () => {
  await connection?.close();
  await drill.stop();
  await drill.dropKeys();
});

describe('drill 5: three workers on one task queue', () => {
  it('loses one (kill -9) and the other two finish every rollout', async () => {
    const client = new Client({ connection });
    for (const t of fleet.targets) t.applyDelayMs = 800;
    const rollouts = await Promise.all(
      keys.map((k, i) => drill.create(makeRolloutRequest({ configKey: k, content: { pool: i + 1 }, stages: fastStages(1.5) }))),
    );

    // When the worker running one rollout's apply is killed
    const victim = await workerRunningApply(client, keys, workers);
    const rollout = rollouts[keys.indexOf(victim.key)]!;
    const mark = await drill.progress(rollout.id);
    const killedAt = Date.now();
    await victim.w.kill9();

    // Then that rollout moves again on another worker, and every rollout completes
    const movedAt = await drill.untilProgress(rollout.id, mark);
    const done = await Promise.all(rollouts.map((r) => drill.untilTerminal(r.id, 90_000)));
    const finishedAt = Date.now();
    expect(done.map((d) => d.state)).toEqual(['completed', 'completed', 'completed', 'completed']);
    for (const [i, k] of keys.entries()) {
      await waitFor(`every target on v1 of ${k}`, async () => fleet.targets.every((t) => t.version(k) === 1));
      checkTargets(fleet, k, 1, [1]);
      expect(done[i]?.version).toBe(1);
    }
    expect(workers.filter((w) => w.alive)).toHaveLength(2);
    report(
      5,
      `kill -9 of 1 of 3 workers → its rollout's next step ${movedAt - killedAt} ms, → all 4 rollouts completed ${finishedAt - killedAt} ms`,
    );
  }, 120_000);
});
