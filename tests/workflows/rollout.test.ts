/**
 * The rollout workflow against a real Temporal server, real Redis and a fleet of real HTTP
 * targets (push and pull), driven through the API as an engineer would.
 */
import type { RolloutDetail, RolloutSummary } from '../../domain/schemas';
import type { Fleet } from '../../sim/fleet';
import { waitFor } from '../helpers/env';
import { eventTypes, fastStages, makeRolloutRequest } from '../helpers/factories';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let n = 0;

beforeAll(async () => {
  stack = await startStack('wf');
});
afterAll(async () => {
  await stack?.stop();
});

/** Each test gets its own config key (workflow ids are per key) and its own fleet label. */
async function given(push: number, pull: number): Promise<{ key: string; fleet: Fleet; selector: Record<string, string> }> {
  n += 1;
  const key = `${stack.taskQueue}-cfg${n}`;
  const app = `app${n}`;
  const fleet = await stack.fleet({ push, pull, idPrefix: `${stack.taskQueue}-${n}`, labels: { app }, configKeys: [key], pollMs: 100 });
  return { key, fleet, selector: { app } };
}

async function create(body: Record<string, unknown>): Promise<RolloutSummary> {
  const res = await stack.api<RolloutSummary>('POST', '/v1/rollouts', body);
  expect(res.status).toBe(201);
  return res.body;
}

async function get(id: string): Promise<RolloutDetail> {
  const res = await stack.api<RolloutDetail>('GET', `/v1/rollouts/${id}`);
  expect(res.status).toBe(200);
  return res.body;
}

/** Generous: on a loaded 2-core machine a three-stage rollout can take several times its bakes. */
const STATE_TIMEOUT_MS = 60_000;

function untilState(id: string, ...states: string[]): Promise<RolloutDetail> {
  return waitFor(
    `rollout ${id} to reach ${states.join('|')}`,
    async () => {
      const r = await get(id);
      return states.includes(r.state) ? r : undefined;
    },
    STATE_TIMEOUT_MS,
  );
}

async function act(id: string, action: string): Promise<{ status: number; body: unknown }> {
  return stack.api('POST', `/v1/rollouts/${id}/${action}`, { reason: `test ${action}` });
}

/** Every target runs `version` (pull targets once they have polled). */
function fleetOn(fleet: Fleet, key: string, version: number): Promise<true> {
  return waitFor(`every target on version ${version}`, async () => fleet.targets.every((t) => t.version(key) === version) || undefined);
}

async function completeGoodVersion(key: string, selector: Record<string, string>, fleet: Fleet): Promise<RolloutDetail> {
  const r = await create(makeRolloutRequest({ configKey: key, targets: { selector }, stages: fastStages(0.2) }));
  const done = await untilState(r.id, 'completed');
  await fleetOn(fleet, key, done.version!);
  return done;
}

describe('happy path', () => {
  it('takes a change through canary, partial and full to every target', async () => {
    // Given a fleet of push and pull targets
    const { key, fleet, selector } = await given(4, 4);
    // When a change is submitted
    const r = await create(makeRolloutRequest({ configKey: key, targets: { selector } }));
    expect(r.version).toBe(1);
    expect(r.stages.map((s) => s.targets)).toEqual([1, 4, 8]);
    // Then it completes, stage by stage, and every target runs and confirms the version
    const done = await untilState(r.id, 'completed');
    expect(done.stages.map((s) => s.state)).toEqual(['completed', 'completed', 'completed']);
    expect(eventTypes(done).filter((t) => t === 'stage_started')).toHaveLength(3);
    expect(eventTypes(done).at(-1)).toBe('completed');
    await fleetOn(fleet, key, 1);
    const after = await get(r.id);
    for (const id of fleet.ids)
      expect(after.targets[id]).toEqual({
        version: 1,
        previousVersion: 0,
        assignedVersion: 1,
        confirmedVersion: 1,
        appliedAt: expect.any(String),
        restoredAt: null,
      });
    const config = await stack.api<{ stableVersion: number; latestVersion: number }>('GET', `/v1/configs/${key}`);
    expect(config.body).toMatchObject({ stableVersion: 1, latestVersion: 1 });
  });
});

describe('regression', () => {
  it('rolls a bad change back at the canary, restoring every touched target', async () => {
    const { key, fleet, selector } = await given(5, 5);
    await completeGoodVersion(key, selector, fleet);
    // When a change that makes targets answer 500 is rolled out
    const bad = await create(makeRolloutRequest({ configKey: key, targets: { selector }, content: { pool: 0, healthy: false } }));
    const r = await untilState(bad.id, 'rolled_back', 'failed');
    // Then it stopped at the canary and every target is back on version 1
    expect(r.state).toBe('rolled_back');
    expect(r.stages.map((s) => s.state)).toEqual(['rolled_back', 'pending', 'pending']);
    const touched = Object.entries(r.targets).filter(([, t]) => t.version === 2);
    expect(touched).toHaveLength(1);
    await fleetOn(fleet, key, 1);
    for (const t of Object.values(r.targets)) expect(t.assignedVersion).toBe(1);
    // And the timeline tells why, with the evidence
    const regression = r.events.find((e) => e.type === 'regression_detected')!;
    expect(regression.stage).toBe('canary');
    const sample = regression.detail.sample as { failures: { targetId: string; status: number }[] };
    expect(sample.failures).toEqual([expect.objectContaining({ targetId: touched[0]![0], status: 500 })]);
    expect(eventTypes(r).slice(-3)).toEqual(['regression_detected', 'rollback_started', 'rolled_back']);
    const config = await stack.api<{ stableVersion: number; latestVersion: number }>('GET', `/v1/configs/${key}`);
    expect(config.body).toMatchObject({ stableVersion: 1, latestVersion: 2 });
  });

  it('does not let a short bake pass a stage on an unsettled verdict', async () => {
    // Given a threshold of two bad intervals and bakes shorter than one interval: the policy
    // refuses such bakes (minBake), so only the emergency path can still ask for them
    const { key, fleet, selector } = await given(4, 0);
    await completeGoodVersion(key, selector, fleet);
    const r = await create(
      makeRolloutRequest({
        configKey: key,
        targets: { selector },
        content: { healthy: false },
        emergency: { reason: 'testing the workflow under bakes the policy refuses' },
        stages: fastStages(0.1),
        health: { intervalSeconds: 0.5, timeoutMs: 1000, maxErrorRate: 0, failureThreshold: 2 },
      }),
    );
    // Then the canary's bake runs on until the second bad interval, and the change goes no further
    const done = await untilState(r.id, 'rolled_back', 'completed');
    expect(done.state).toBe('rolled_back');
    expect(done.stages.map((s) => s.state)).toEqual(['rolled_back', 'pending', 'pending']);
    expect(done.events.find((e) => e.type === 'regression_detected')?.detail.consecutiveFailedIntervals).toBe(2);
    await fleetOn(fleet, key, 1);
  });

  it('treats an apply that keeps failing as a regression', async () => {
    const { key, fleet, selector } = await given(3, 0);
    for (const t of fleet.targets) t.failApplies = true;
    const r = await create(makeRolloutRequest({ configKey: key, targets: { selector } }));
    const done = await untilState(r.id, 'rolled_back', 'failed');
    expect(done.state).toBe('rolled_back');
    expect(done.events.find((e) => e.type === 'regression_detected')?.detail.source).toBe('apply');
  });

  it('never reports completion for a target that confirms another version', async () => {
    // Given a pull target with no health URL: only what it reports can be observed
    n += 1;
    const key = `${stack.taskQueue}-cfg${n}`;
    const id = `${stack.taskQueue}-liar`;
    expect((await stack.api('PUT', `/v1/targets/${id}`, { labels: { app: `liar${n}` } })).status).toBe(200);
    const r = await create(makeRolloutRequest({ configKey: key, targets: { ids: [id] }, stages: fastStages(3) }));
    // When it loads its assignment but reports running something else
    await waitFor('the assignment', async () => (await stack.api('GET', `/v1/targets/${id}/configs/${key}`)).status === 200);
    expect((await stack.api('PUT', `/v1/targets/${id}/configs/${key}/status`, { version: 7 })).status).toBe(204);
    // Then the rollout does not complete: the mismatch is a regression, with the evidence
    const done = await untilState(r.id, 'rolled_back', 'completed', 'failed');
    expect(done.state).toBe('rolled_back');
    const sample = done.events.find((e) => e.type === 'regression_detected')?.detail.sample as {
      failures: { reason: string; message: string }[];
    };
    expect(sample.failures).toEqual([expect.objectContaining({ reason: 'version_mismatch', message: 'reports version 7, expected 1' })]);
  });

  it('holds for a human under the pause policy, then goes on when resumed', async () => {
    const { key, fleet, selector } = await given(3, 0);
    const r = await create(makeRolloutRequest({ configKey: key, targets: { selector }, onRegression: 'pause', stages: fastStages(1) }));
    // A fault outside the change makes every target fail its probes
    for (const t of fleet.targets) t.failHealth = true;
    const held = await untilState(r.id, 'paused');
    expect(held.reason).toMatch(/^regression: /);
    const probesWhileHeld = fleet.targets.reduce((sum, t) => sum + t.probes.length, 0);
    // Health is still watched while held
    await waitFor('probes while held', async () => fleet.targets.reduce((sum, t) => sum + t.probes.length, 0) > probesWhileHeld + 2);
    expect((await get(r.id)).state).toBe('paused');
    // When the fault clears and a human resumes
    for (const t of fleet.targets) t.failHealth = false;
    expect((await act(r.id, 'resume')).status).toBe(202);
    const done = await untilState(r.id, 'completed');
    expect(eventTypes(done)).toEqual(expect.arrayContaining(['regression_detected', 'paused', 'resumed', 'completed']));
  });

  it('holds for a human under the pause policy, then rolls back when asked', async () => {
    const { key, fleet, selector } = await given(2, 2);
    await completeGoodVersion(key, selector, fleet);
    const r = await create(
      makeRolloutRequest({ configKey: key, targets: { selector }, onRegression: 'pause', content: { healthy: false } }),
    );
    await untilState(r.id, 'paused');
    expect((await act(r.id, 'rollback')).status).toBe(202);
    const done = await untilState(r.id, 'rolled_back');
    expect(done.reason).toMatch(/rollback requested by test|test rollback/);
    await fleetOn(fleet, key, 1);
  });
});

describe('human control', () => {
  it('waits at an approval gate, probing the canary, and goes on when approved', async () => {
    const { key, fleet, selector } = await given(4, 0);
    const r = await create(makeRolloutRequest({ configKey: key, targets: { selector }, stages: fastStages(0.2, { partial: true }) }));
    const gated = await untilState(r.id, 'awaiting_approval');
    expect(gated.currentStage).toBe('partial');
    expect(gated.allowedActions).toEqual(expect.arrayContaining(['approve', 'rollback']));
    expect(fleet.targets.filter((t) => t.version(key) === 1)).toHaveLength(1);
    // A pause is not an answer to an approval request
    expect((await act(r.id, 'pause')).status).toBe(409);
    expect((await act(r.id, 'approve')).status).toBe(202);
    await untilState(r.id, 'completed');
    await fleetOn(fleet, key, 1);
  });

  it('opens an approval gate only on approve, and moves on from a held rollout whichever of resume or approve the human presses', async () => {
    const { key, selector } = await given(4, 0);
    const r = await create(makeRolloutRequest({ configKey: key, targets: { selector }, stages: fastStages(0.2, { partial: true }) }));
    await untilState(r.id, 'awaiting_approval');
    // Resuming is a deployer's action; opening a gate takes an approver.
    const resumed = await act(r.id, 'resume');
    expect(resumed).toMatchObject({ status: 409, body: { error: { code: 'InvalidState' } } });
    expect((await get(r.id)).state).toBe('awaiting_approval');
    expect((await act(r.id, 'approve')).status).toBe(202);
    const later = await untilState(r.id, 'completed');
    expect(later.events.find((e) => e.type === 'approved')?.message).toBe('approved by admin');

    const r2 = await create(makeRolloutRequest({ configKey: key, targets: { selector }, stages: fastStages(3) }));
    await untilState(r2.id, 'running');
    await waitFor('canary baking', async () => (await get(r2.id)).stages[0]!.state === 'baking');
    expect((await act(r2.id, 'pause')).status).toBe(202);
    expect((await get(r2.id)).state).toBe('paused');
    expect((await act(r2.id, 'approve')).status).toBe(202);
    await untilState(r2.id, 'completed');
  });

  it('rolls back mid-bake when asked, at once', async () => {
    const { key, fleet, selector } = await given(3, 1);
    await completeGoodVersion(key, selector, fleet);
    const r = await create(
      makeRolloutRequest({ configKey: key, targets: { selector }, stages: fastStages(60), content: { pool: 20, healthy: true } }),
    );
    await waitFor('canary baking', async () => (await get(r.id)).stages[0]!.state === 'baking');
    const res = await act(r.id, 'rollback');
    expect(res.status).toBe(202);
    const done = await untilState(r.id, 'rolled_back');
    expect(done.events.find((e) => e.type === 'rollback_requested')?.detail).toMatchObject({ actor: 'admin' });
    await fleetOn(fleet, key, 1);
    expect((await act(r.id, 'rollback')).status).toBe(409);
  });
});

describe('what users of other tools trip over', () => {
  it('watches health while paused by a human, and rolls back at once on a regression', async () => {
    const { key, fleet, selector } = await given(3, 0);
    const r = await create(makeRolloutRequest({ configKey: key, targets: { selector }, stages: fastStages(5) }));
    await waitFor('canary baking', async () => (await get(r.id)).stages[0]!.state === 'baking');
    expect((await act(r.id, 'pause')).status).toBe(202);
    for (const t of fleet.targets) t.failHealth = true;
    const done = await untilState(r.id, 'rolled_back');
    expect(done.events.find((e) => e.type === 'regression_detected')?.detail.state).toBe('paused');
  });

  it('watches health while awaiting approval, and rolls back at once on a regression', async () => {
    const { key, fleet, selector } = await given(3, 0);
    const r = await create(makeRolloutRequest({ configKey: key, targets: { selector }, stages: fastStages(0.2, { partial: true }) }));
    await untilState(r.id, 'awaiting_approval');
    for (const t of fleet.targets) t.failHealth = true;
    const done = await untilState(r.id, 'rolled_back');
    expect(done.events.find((e) => e.type === 'regression_detected')?.detail.state).toBe('awaiting_approval');
  });

  it('watches health in the last bake after 100%, and rolls every target back', async () => {
    const { key, fleet, selector } = await given(3, 2);
    await completeGoodVersion(key, selector, fleet);
    const r = await create(
      makeRolloutRequest({
        configKey: key,
        targets: { selector },
        content: { pool: 30, healthy: true },
        stages: [
          { name: 'canary', percent: 20, bakeSeconds: 0.2 },
          { name: 'full', percent: 100, bakeSeconds: 30 },
        ],
      }),
    );
    await waitFor('full stage baking', async () => (await get(r.id)).stages[1]!.state === 'baking');
    await fleetOn(fleet, key, 2);
    fleet.targets[4]!.failHealth = true;
    const done = await untilState(r.id, 'rolled_back');
    expect(done.events.find((e) => e.type === 'regression_detected')?.stage).toBe('full');
    await fleetOn(fleet, key, 1);
  });

  it('rolls a completed rollout back at once, without re-running stages, while it is the newest', async () => {
    const { key, fleet, selector } = await given(3, 2);
    const v1 = await completeGoodVersion(key, selector, fleet);
    const v2 = await completeGoodVersion(key, selector, fleet);
    expect(v2.version).toBe(2);
    expect(v2.allowedActions).toEqual(['rollback']);
    // An older completed rollout is not the newest: refused
    const stale = await act(v1.id, 'rollback');
    expect(stale.status).toBe(409);
    expect((stale.body as { error: { code: string } }).error.code).toBe('NotNewest');

    const res = await act(v2.id, 'rollback');
    expect(res.status).toBe(202);
    const done = await untilState(v2.id, 'rolled_back');
    await fleetOn(fleet, key, 1);
    const startedBefore = eventTypes(v2).filter((t) => t === 'stage_started').length;
    expect(eventTypes(done).filter((t) => t === 'stage_started')).toHaveLength(startedBefore);
    expect(done.events.find((e) => e.type === 'rollback_started')?.detail).toMatchObject({ fastTrack: true, actor: 'admin' });
    const config = await stack.api<{ stableVersion: number }>('GET', `/v1/configs/${key}`);
    expect(config.body.stableVersion).toBe(1);
    expect((await act(v2.id, 'rollback')).status).toBe(409);
  });
});

describe('judged against the fleet as it was (compareToBaseline)', () => {
  const health = { intervalSeconds: 0.2, timeoutMs: 1000, maxErrorRate: 0, failureThreshold: 2, compareToBaseline: true };

  it('holds instead of rolling back when the whole fleet fails, then goes on when resumed', async () => {
    const { key, fleet, selector } = await given(6, 0);
    await completeGoodVersion(key, selector, fleet);
    const r = await create(
      makeRolloutRequest({ configKey: key, targets: { selector }, content: { pool: 40, healthy: true }, health, stages: fastStages(3) }),
    );
    await waitFor('canary baking', async () => (await get(r.id)).stages[0]!.state === 'baking');
    // An outage unrelated to the change: every target fails, on either version
    for (const t of fleet.targets) t.failHealth = true;
    const held = await untilState(r.id, 'paused', 'rolled_back');
    expect(held.state).toBe('paused');
    expect(held.reason).toMatch(/^inconclusive: .*targets still on the previous version fail as much/);
    const ev = held.events.find((e) => e.type === 'health_inconclusive')!;
    expect((ev.detail.sample as { baseline: { total: number; failed: number } }).baseline).toMatchObject({ total: 1, failed: 1 });
    expect(eventTypes(held)).not.toContain('regression_detected');
    // When the outage ends and a human resumes, the rollout finishes
    for (const t of fleet.targets) t.failHealth = false;
    expect((await act(r.id, 'resume')).status).toBe(202);
    await untilState(r.id, 'completed');
    await fleetOn(fleet, key, 2);
  });

  it('still rolls back when only the new version fails', async () => {
    const { key, fleet, selector } = await given(6, 0);
    await completeGoodVersion(key, selector, fleet);
    const r = await create(makeRolloutRequest({ configKey: key, targets: { selector }, content: { healthy: false }, health }));
    const done = await untilState(r.id, 'rolled_back', 'paused');
    expect(done.state).toBe('rolled_back');
    const regression = done.events.find((e) => e.type === 'regression_detected')!;
    expect(regression.message).toMatch(/exceeds the previous version's 0%/);
    await fleetOn(fleet, key, 1);
  });
});
