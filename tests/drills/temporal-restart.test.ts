/**
 * Drill 2: the Temporal server (dev server, file-backed) stops mid-rollout and comes back on the
 * same address. Worker and API reconnect by themselves; the rollout resumes and completes.
 */
import type { Fleet } from '../../sim/fleet';
import { waitFor } from '../helpers/env';
import { fastStages, makeRolloutRequest } from '../helpers/factories';
import { Drill, PrivateTemporal, checkTargets, report, sleep } from '../helpers/processes';

let temporal: PrivateTemporal;
let drill: Drill;
let fleet: Fleet;

beforeAll(async () => {
  temporal = PrivateTemporal.fromEnv();
  await temporal.start();
  drill = new Drill('drill-temporal', { temporalAddress: temporal.address });
  await drill.worker();
  await drill.api();
  fleet = await drill.fleet({
    push: 5,
    pull: 3,
    labels: { app: 'portal' },
    configKeys: [`${drill.name}-db`],
    pollMs: 200,
  });
}, 60_000);

afterAll(async () => {
  await drill?.stop();
  await drill?.dropKeys();
  await temporal?.dispose();
});

describe('drill 2: Temporal restarts mid-rollout', () => {
  it('the rollout resumes where it was and completes', async () => {
    const key = `${drill.name}-db`;
    const r = await drill.create(makeRolloutRequest({ configKey: key, stages: fastStages(2) }));
    await waitFor('the partial stage to bake', async () => (await drill.rollout(r.id)).stages[1]?.state === 'baking', 30_000);

    // When Temporal stops for 3 s and starts again from its database
    const stoppedAt = Date.now();
    await temporal.stop();
    await sleep(3_000);
    const mark = await drill.progress(r.id);
    await temporal.start();
    const upAt = Date.now();

    // Then the rollout makes progress again and completes, every target on version 1
    const movedAt = await drill.untilProgress(r.id, mark);
    const done = await drill.untilTerminal(r.id, 90_000);
    const finishedAt = Date.now();
    expect(done.state).toBe('completed');
    await waitFor('every target on v1', async () => fleet.targets.every((t) => t.version(key) === 1));
    checkTargets(fleet, key, 1, [1]);
    expect(drill.procs.every((p) => p.alive)).toBe(true);
    report(
      2,
      `Temporal down ${upAt - stoppedAt} ms; back → next health sample or event ${movedAt - upAt} ms, → completed ${finishedAt - upAt} ms`,
    );
  }, 120_000);
});
