/**
 * A stopping worker (SIGTERM) stops taking work and lets the apply in flight finish within
 * TOLLGATE_SHUTDOWN_GRACE_MS: the batch is not cut short, so no target gets it twice.
 */
import type { Fleet } from '../../sim/fleet';
import { waitFor } from '../helpers/env';
import { fastStages, makeRolloutRequest } from '../helpers/factories';
import { Drill, checkTargets, report } from '../helpers/processes';

const GRACE_MS = 10_000;
const drill = new Drill('drill-drain', { workerEnv: { TOLLGATE_SHUTDOWN_GRACE_MS: String(GRACE_MS) } });
const key = `${drill.name}-db`;
let fleet: Fleet;

beforeAll(async () => {
  await drill.api();
  fleet = await drill.fleet({ push: 4, pull: 0, labels: { app: 'portal' } });
}, 60_000);

afterAll(async () => {
  await drill.stop();
  await drill.dropKeys();
});

describe('worker drain on SIGTERM', () => {
  it('lets an in-flight apply finish, exits 0 within the grace time, and a new worker carries on', async () => {
    const worker = await drill.worker();
    // Given a delivery that takes 3 s, in flight
    for (const t of fleet.targets) t.applyDelayMs = 3_000;
    let arrived = 0;
    fleet.targets.forEach((t) => (t.onApply = () => (arrived ||= Date.now())));
    const r = await drill.create(makeRolloutRequest({ configKey: key, stages: fastStages(0.2) }));
    await waitFor('a delivery in flight', async () => arrived > 0, 30_000);

    // When the worker is asked to stop
    const termAt = Date.now();
    const code = await worker.term();
    const exitedAt = Date.now();

    // Then it finished the delivery first (the target loaded it) and exited cleanly within the grace time
    expect(code).toBe(0);
    expect(exitedAt - termAt).toBeLessThan(GRACE_MS + 2_000);
    expect(exitedAt - termAt).toBeGreaterThan(1_500);
    const loaded = fleet.targets.filter((t) => t.version(key) === 1);
    expect(loaded).toHaveLength(1);

    // And a new worker finishes the rollout without delivering that batch again
    for (const t of fleet.targets) t.applyDelayMs = 0;
    await drill.worker();
    const done = await drill.untilTerminal(r.id);
    expect(done.state).toBe('completed');
    await waitFor('every target on v1', async () => fleet.targets.every((t) => t.version(key) === 1));
    checkTargets(fleet, key, 1, [1]);
    for (const t of fleet.targets) expect(t.applied).toHaveLength(1);
    report(
      'drain',
      `SIGTERM with a 3 s delivery in flight → worker exited 0 after ${exitedAt - termAt} ms (grace ${GRACE_MS} ms), nothing delivered twice`,
    );
  }, 90_000);
});
