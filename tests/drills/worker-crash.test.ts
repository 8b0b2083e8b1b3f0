/**
 * Drill 1: the worker dies (SIGKILL) in the middle of a bake and in the middle of an apply batch.
 * A new worker takes over; each rollout finishes with every target on its version, no target ever
 * loaded a version it should not have, and version numbers are 1, 2 with none skipped or reused.
 */
import type { Fleet } from '../../sim/fleet';
import { waitFor } from '../helpers/env';
import { fastStages, makeRolloutRequest } from '../helpers/factories';
import { Drill, checkTargets, checkVersions, report, type Proc } from '../helpers/processes';

const drill = new Drill('drill-worker');
const key = `${drill.name}-db`;
let fleet: Fleet;
let worker: Proc;

beforeAll(async () => {
  worker = await drill.worker();
  await drill.api();
  fleet = await drill.fleet({
    push: 6,
    pull: 4,
    labels: { app: 'portal' },
    configKeys: [key],
    pollMs: 100,
  });
}, 60_000);

afterAll(async () => {
  await drill.stop();
  await drill.dropKeys();
});

describe('drill 1: worker killed with -9', () => {
  const ids: string[] = [];

  it('in the middle of a bake: a new worker resumes the bake and the rollout completes', async () => {
    // Given a rollout baking its partial stage
    const r = await drill.create(makeRolloutRequest({ configKey: key, content: { pool: 1 }, stages: fastStages(3) }));
    ids.push(r.id);
    await waitFor('the partial stage to bake', async () => (await drill.rollout(r.id)).stages[1]?.state === 'baking', 30_000);
    const mark = await drill.progress(r.id);

    // When the worker is killed and another started
    const killedAt = Date.now();
    await worker.kill9();
    worker = await drill.worker();

    // Then the rollout moves again and completes, every target on version 1
    const movedAt = await drill.untilProgress(r.id, mark);
    const done = await drill.untilTerminal(r.id);
    const finishedAt = Date.now();
    expect(done.state).toBe('completed');
    expect(done.version).toBe(1);
    await waitFor('every target on v1', async () => fleet.targets.every((t) => t.version(key) === 1));
    checkTargets(fleet, key, 1, [1]);
    report(1, `kill -9 mid-bake → next health sample or event ${movedAt - killedAt} ms, → completed ${finishedAt - killedAt} ms`);
  }, 90_000);

  it('in the middle of an apply batch: the batch is retried by a new worker and the rollout completes', async () => {
    // Given push targets that take 1.5 s to load a config
    for (const t of fleet.targets) t.applyDelayMs = 1_500;
    let killedAt = 0;
    let killing: Promise<void> | undefined;
    for (const t of fleet.targets) {
      t.onApply = (req) => {
        // The first push delivery of the new version: its batch is mid-flight, the target still loading.
        if (!req.rollback && !killing) {
          killedAt = Date.now();
          killing = worker.kill9();
        }
      };
    }
    const r = await drill.create(makeRolloutRequest({ configKey: key, content: { pool: 2 }, stages: fastStages(0.5) }));
    ids.push(r.id);
    await waitFor('the worker to be killed mid-apply', async () => killedAt > 0, 30_000);
    await killing;
    const mark = await drill.progress(r.id);
    worker = await drill.worker();

    const movedAt = await drill.untilProgress(r.id, mark);
    const done = await drill.untilTerminal(r.id);
    const finishedAt = Date.now();
    for (const t of fleet.targets) t.onApply = undefined;

    expect(done.state).toBe('completed');
    expect(done.version).toBe(2);
    await waitFor('every target on v2', async () => fleet.targets.every((t) => t.version(key) === 2));
    checkTargets(fleet, key, 2, [1, 2]);
    // Nothing was rolled back: each target went 1 → 2 and never back. The batch cut short is
    // delivered again (at least once), so a target may load version 2 twice, never another one.
    let redelivered = 0;
    for (const t of fleet.targets) {
      const seen = t.applied.filter((a) => a.configKey === key).map((a) => a.version);
      expect(seen.filter((v, i) => v !== seen[i - 1])).toEqual([1, 2]);
      redelivered += seen.length - 2;
    }
    await checkVersions(drill, key, ids);
    report(
      1,
      `kill -9 mid-apply → next health sample or event ${movedAt - killedAt} ms, → completed ${finishedAt - killedAt} ms (${redelivered} deliveries repeated)`,
    );
  }, 90_000);
});
