/**
 * The policy in the workflow, on a real Temporal server with real targets: waves in order, freeze
 * windows and stop-the-line holding running rollouts before their next stage while health is still
 * watched, a regression during a freeze still rolled back, and the hold ending by itself.
 */
import type { RolloutDetail, RolloutEvent, RolloutSummary } from '../../domain/schemas';
import { waitFor } from '../helpers/env';
import { makeRolloutRequest } from '../helpers/factories';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let n = 0;
let deployer: string;
let approver: string;

beforeAll(async () => {
  stack = await startStack('wfpolicy');
  deployer = await stack.token('dora', 'deployer');
  approver = await stack.token('ann', 'approver');
}, 60_000);
afterEach(async () => {
  // Stop-the-line holds every key of this stack: never leave it to the next test.
  await stack.api('DELETE', '/v1/freeze');
});
afterAll(async () => {
  await stack?.stop();
});

function next(): { key: string; app: string } {
  n += 1;
  return { key: `${stack.taskQueue}-cfg${n}`, app: `app${n}` };
}

async function fleet(app: string, push: number, extra: { labels?: Record<string, string>; pull?: number; key?: string } = {}) {
  n += 1;
  return stack.fleet({
    push,
    pull: extra.pull ?? 0,
    idPrefix: `${stack.taskQueue}-${n}`,
    labels: { app, ...extra.labels },
    configKeys: extra.key ? [extra.key] : [],
    pollMs: 100,
  });
}

const create = (body: Record<string, unknown>) => stack.createRollout(body);
const get = (id: string) => stack.rollout(id);
const until = (id: string, what: string, ok: (r: RolloutDetail) => boolean, timeoutMs = 45_000) =>
  stack.untilRollout(id, what, ok, timeoutMs, 100);
const frozenHold = (r: RolloutDetail) => r.state === 'paused' && (r.reason ?? '').startsWith('frozen');
const event = (r: RolloutDetail, type: string): RolloutEvent | undefined => r.events.find((e) => e.type === type);
const at = (e: RolloutEvent | undefined) => Date.parse(e!.at);

type Sample = { stage: string; at: string };
async function healthSamples(id: string): Promise<Sample[]> {
  return (await stack.api<{ items: Sample[] }>('GET', `/v1/rollouts/${id}/health`)).body.items;
}

const health = { intervalSeconds: 0.2, timeoutMs: 1000, maxErrorRate: 0, failureThreshold: 1 };

describe('waves', () => {
  const waves = [
    { name: 'staging', selector: { env: 'staging' } },
    { name: 'prod', selector: { env: 'prod' } },
  ];
  const stages = [
    { name: 'staging-canary', wave: 'staging', percent: 33, bakeSeconds: 0.5 },
    { name: 'staging', wave: 'staging', percent: 100, bakeSeconds: 0.5 },
    { name: 'prod-canary', wave: 'prod', percent: 25, bakeSeconds: 0.5 },
    { name: 'prod', wave: 'prod', percent: 100, bakeSeconds: 0.5 },
  ];

  async function givenWaves() {
    const { key, app } = next();
    expect((await stack.api('PUT', `/v1/configs/${key}/policy`, { waves })).status).toBe(200);
    const staging = await fleet(app, 2, { labels: { env: 'staging' }, pull: 1, key });
    const prod = await fleet(app, 4, { labels: { env: 'prod' } });
    return { key, app, staging, prod };
  }

  it('touches no prod target before every staging target runs the new version and has baked', async () => {
    // Given a policy [{env: staging}, {env: prod}] and a fleet of both, staging with a pull target
    const { key, app, staging, prod } = await givenWaves();
    const firstProdApply: { at: number; stagingVersions: number[] }[] = [];
    for (const t of prod.targets)
      t.onApply = (req) => {
        if (!req.rollback) firstProdApply.push({ at: Date.now(), stagingVersions: staging.targets.map((s) => s.version(key)) });
      };
    // When a change rolls out wave by wave
    const r = await create(makeRolloutRequest({ configKey: key, targets: { selector: { app } }, stages, health }));
    expect(r.stages.map((s) => [s.name, s.wave])).toEqual(stages.map((s) => [s.name, s.wave]));
    const done = await until(r.id, 'completed', (x) => x.state === 'completed' || x.state === 'rolled_back');
    // Then it completes, and the first prod apply came after staging had baked, every staging target running it
    expect(done.state).toBe('completed');
    expect(done.stages.map((s) => s.targets)).toEqual([1, 3, 4, 7]);
    const stagingBaked = done.events.find((e) => e.type === 'stage_completed' && e.stage === 'staging');
    expect(firstProdApply.length).toBe(4);
    expect(Math.min(...firstProdApply.map((a) => a.at))).toBeGreaterThanOrEqual(at(stagingBaked));
    for (const a of firstProdApply) expect(a.stagingVersions).toEqual([1, 1, 1]);
    for (const id of staging.ids) expect(done.targets[id]?.confirmedVersion).toBe(1);
  }, 60_000);

  it('rolls a regression in staging back without ever touching prod', async () => {
    const { key, app, staging, prod } = await givenWaves();
    let prodApplies = 0;
    for (const t of prod.targets) t.onApply = () => void (prodApplies += 1);
    const r = await create(
      makeRolloutRequest({ configKey: key, targets: { selector: { app } }, stages, health, content: { healthy: false } }),
    );
    const done = await until(r.id, 'rolled back', (x) => ['rolled_back', 'completed', 'failed'].includes(x.state));
    expect(done.state).toBe('rolled_back');
    expect(event(done, 'regression_detected')?.stage).toBe('staging-canary');
    expect(prodApplies).toBe(0);
    for (const t of prod.targets) expect(t.version(key)).toBe(0);
    await waitFor('staging restored', async () => staging.targets.every((t) => t.version(key) === 0) || undefined);
  }, 60_000);
});

describe('a policy that requires confirmation (confirmWithinSeconds)', () => {
  const stages = [
    { name: 'canary', percent: 50, bakeSeconds: 0.3 },
    { name: 'full', percent: 100, bakeSeconds: 0.3 },
  ];

  it('completes once every target confirmed, and says so', async () => {
    // Given a key that requires confirmation within 5 s, and push and pull targets that report
    const { key, app } = next();
    expect((await stack.api('PUT', `/v1/configs/${key}/policy`, { confirmWithinSeconds: 5 })).status).toBe(200);
    await fleet(app, 2, { pull: 2, key });
    // When a rollout runs
    const r = await create(makeRolloutRequest({ configKey: key, targets: { selector: { app } }, health, stages }));
    const done = await until(r.id, 'completed', (x) => ['completed', 'rolled_back', 'failed'].includes(x.state));
    // Then it completes with every target confirmed, and its last event claims no more than that
    expect(done.state).toBe('completed');
    expect([done.confirmedTargets, done.unconfirmedTargets]).toEqual([4, 0]);
    expect(event(done, 'completed')?.message).toBe(`version ${done.version} confirmed running on all 4 targets`);
  }, 60_000);

  it('treats targets that never confirm as a regression when the wait runs out, and rolls back', async () => {
    // Given a key that requires confirmation within 1 s, and a pull target that never reports
    const { key, app } = next();
    expect((await stack.api('PUT', `/v1/configs/${key}/policy`, { confirmWithinSeconds: 1 })).status).toBe(200);
    await fleet(app, 2, { pull: 1 });
    // When a rollout runs under onRegression: rollback
    const r = await create(
      makeRolloutRequest({ configKey: key, targets: { selector: { app } }, health, stages, onRegression: 'rollback' }),
    );
    const done = await until(r.id, 'rolled back', (x) => ['completed', 'rolled_back', 'failed'].includes(x.state));
    // Then the unconfirmed target is the regression, and every touched target is restored
    expect(done.state).toBe('rolled_back');
    const regression = event(done, 'regression_detected');
    expect(regression?.detail.source).toBe('confirmation');
    expect(regression?.message).toMatch(/^1 of the \d targets on version \d+ have not confirmed it within 1 s of stage \w+: .*-pull-0$/);
    expect(done.restoredTargets).toBeGreaterThan(0);
    expect(event(done, 'stage_completed')?.stage ?? 'none').not.toBe('full');
  }, 60_000);
});

describe('a freeze window that opens during a rollout', () => {
  it('holds before the next stage, still probing, and goes on by itself when the window closes', async () => {
    // Given a key whose policy has a window opening in 1.5 s for 4.5 s
    const { key, app } = next();
    await fleet(app, 4);
    const t0 = Date.now();
    const window = { from: new Date(t0 + 1_500).toISOString(), to: new Date(t0 + 6_000).toISOString(), reason: 'launch event' };
    expect((await stack.api('PUT', `/v1/configs/${key}/policy`, { freeze: [window] })).status).toBe(200);
    // When a rollout starts before it, its canary baking into the window
    const r = await create(
      makeRolloutRequest({
        configKey: key,
        targets: { selector: { app } },
        health,
        stages: [
          { name: 'canary', percent: 25, bakeSeconds: 3 },
          { name: 'full', percent: 100, bakeSeconds: 0.5 },
        ],
      }),
    );
    // Then it holds before "full", paused with reason frozen
    const held = await until(r.id, 'held by the freeze', frozenHold);
    expect(held.reason).toContain('launch event');
    expect(held.currentStage).toBe('full');
    expect(held.stages.map((s) => s.state)).toEqual(['completed', 'pending']);
    expect(held.allowedActions).toEqual(['pause', 'resume', 'rollback']);
    // And goes on by itself once the window has closed
    const done = await until(r.id, 'completed', (x) => x.state === 'completed' || x.state === 'rolled_back');
    expect(done.state).toBe('completed');
    const frozen = event(done, 'frozen');
    const unfrozen = event(done, 'unfrozen');
    const fullStarted = done.events.find((e) => e.type === 'stage_started' && e.stage === 'full');
    expect(at(unfrozen)).toBeGreaterThanOrEqual(Date.parse(window.to));
    expect(at(fullStarted)).toBeGreaterThanOrEqual(at(unfrozen));
    // Health was probed all through the hold (the dev server's timers fire about once a second)
    const during = (await healthSamples(r.id)).filter((s) => Date.parse(s.at) > at(frozen) && Date.parse(s.at) < at(unfrozen));
    expect(during.length).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('still rolls back a regression found while frozen', async () => {
    const { key, app } = next();
    const targets = await fleet(app, 4);
    const t0 = Date.now();
    const window = { from: new Date(t0 + 1_500).toISOString(), to: new Date(t0 + 60_000).toISOString(), reason: 'launch event' };
    expect((await stack.api('PUT', `/v1/configs/${key}/policy`, { freeze: [window] })).status).toBe(200);
    const r = await create(
      makeRolloutRequest({
        configKey: key,
        targets: { selector: { app } },
        health,
        stages: [
          { name: 'canary', percent: 25, bakeSeconds: 3 },
          { name: 'full', percent: 100, bakeSeconds: 0.5 },
        ],
      }),
    );
    await until(r.id, 'held by the freeze', frozenHold);
    // When the canary turns unhealthy during the freeze
    const canary = targets.targets.filter((t) => t.version(key) === 1);
    expect(canary).toHaveLength(1);
    canary[0]!.failHealth = true;
    // Then it is rolled back at once, the freeze notwithstanding
    const done = await until(r.id, 'rolled back', (x) => ['rolled_back', 'completed', 'failed'].includes(x.state), 30_000);
    expect(done.state).toBe('rolled_back');
    expect(done.events.map((e) => e.type).slice(-3)).toEqual(['regression_detected', 'rollback_started', 'rolled_back']);
    expect(done.events.map((e) => e.type)).toEqual(expect.arrayContaining(['frozen', 'regression_detected', 'rolled_back']));
    expect(done.events.map((e) => e.type)).not.toContain('unfrozen');
    expect(targets.targets.every((t) => t.version(key) === 0)).toBe(true);
  }, 60_000);
});

describe('stop-the-line', () => {
  it('stops five running rollouts before their next stage; lifting it lets them go on', async () => {
    const { app } = next();
    const targets = await fleet(app, 15);
    const keys = [0, 1, 2, 3, 4].map((i) => `${stack.taskQueue}-line${i}`);
    const rollouts = await Promise.all(
      keys.map((key, i) =>
        create(
          makeRolloutRequest({
            configKey: key,
            targets: { ids: targets.ids.slice(3 * i, 3 * i + 3) },
            health,
            stages: [
              { name: 'one', percent: 34, bakeSeconds: 1.5 },
              { name: 'two', percent: 67, bakeSeconds: 1.5 },
              { name: 'three', percent: 100, bakeSeconds: 0.5 },
            ],
          }),
        ),
      ),
    );
    await Promise.all(rollouts.map((r) => until(r.id, 'first stage baking', (x) => x.stages[0]?.state === 'baking')));
    // When an approver stops the line for every key
    const stopped = await stack.api('POST', '/v1/freeze', { reason: 'incident 4711' }, { token: approver });
    expect(stopped.status).toBe(200);
    // Then each holds before its next stage, and none starts a stage after that
    const held = await Promise.all(rollouts.map((r) => until(r.id, 'held', frozenHold)));
    // While health is still watched (the dev server's timers fire about once a second; a loaded
    // machine may take longer, so this waits for the samples rather than for a fixed time)
    await waitFor(
      'two health samples of each rollout while it is held',
      async () => {
        const samples = await Promise.all(rollouts.map((r) => healthSamples(r.id)));
        return samples.every((s, i) => s.filter((x) => Date.parse(x.at) > at(event(held[i]!, 'frozen'))).length >= 2);
      },
      30_000,
      200,
    );
    const later = await Promise.all(rollouts.map((r) => get(r.id)));
    for (const [i, r] of later.entries()) {
      expect(frozenHold(r)).toBe(true);
      const started = r.events.filter((e) => e.type === 'stage_started');
      expect(started.length).toBe(held[i]!.events.filter((e) => e.type === 'stage_started').length);
      expect(started.every((e) => at(e) <= at(event(r, 'frozen')))).toBe(true);
      expect(r.reason).toContain('incident 4711');
    }
    // And when an admin lifts it, all of them go on and complete
    expect((await stack.api('DELETE', '/v1/freeze', undefined, { token: approver })).status).toBe(403);
    expect((await stack.api('DELETE', '/v1/freeze')).status).toBe(200);
    const done = await Promise.all(rollouts.map((r) => until(r.id, 'completed', (x) => x.state === 'completed', 60_000)));
    for (const r of done) expect(event(r, 'unfrozen')).toBeDefined();
  }, 120_000);

  it('keeps a rollout a human paused during the freeze paused after it lifts; resume needs an override meanwhile', async () => {
    const { key, app } = next();
    await fleet(app, 4);
    const r = await create(
      makeRolloutRequest({
        configKey: key,
        targets: { selector: { app } },
        health,
        stages: [
          { name: 'canary', percent: 25, bakeSeconds: 1 },
          { name: 'full', percent: 100, bakeSeconds: 0.5 },
        ],
      }),
    );
    await until(r.id, 'canary baking', (x) => x.stages[0]?.state === 'baking');
    expect((await stack.api('POST', '/v1/freeze', { reason: 'incident 4712', configKeys: [key] }, { token: approver })).status).toBe(200);
    await until(r.id, 'held by the freeze', frozenHold);
    // A human pauses it; resuming without an override is refused while the freeze holds
    expect((await stack.api('POST', `/v1/rollouts/${r.id}/pause`, { reason: 'checking dashboards' }, { token: deployer })).status).toBe(
      202,
    );
    const refused = await stack.api<{ error: { code: string } }>('POST', `/v1/rollouts/${r.id}/resume`, {}, { token: deployer });
    expect(refused).toMatchObject({ status: 409, body: { error: { code: 'frozen' } } });
    const override = { reason: 'the fix for incident 4712 itself' };
    expect((await stack.api('POST', `/v1/rollouts/${r.id}/resume`, { override }, { token: deployer })).status).toBe(403);
    // When the freeze lifts it stays paused, for the human
    expect((await stack.api('DELETE', '/v1/freeze')).status).toBe(200);
    const lifted = await until(r.id, 'unfrozen', (x) => event(x, 'unfrozen') !== undefined);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const still = await get(r.id);
    expect(still).toMatchObject({ state: 'paused', reason: 'checking dashboards' });
    expect(still.stages[1]!.state).toBe('pending');
    expect(lifted.events.filter((e) => e.type === 'stage_started')).toHaveLength(1);
    expect((await stack.api('POST', `/v1/rollouts/${r.id}/resume`, {}, { token: deployer })).status).toBe(202);
    expect((await until(r.id, 'completed', (x) => x.state === 'completed')).state).toBe('completed');
  }, 60_000);

  it('lets an admin resume through it with an override, flagged in the rollout and its timeline', async () => {
    const { key, app } = next();
    await fleet(app, 4);
    const r = await create(
      makeRolloutRequest({
        configKey: key,
        targets: { selector: { app } },
        health,
        stages: [
          { name: 'canary', percent: 25, bakeSeconds: 0.5 },
          { name: 'full', percent: 100, bakeSeconds: 0.5 },
        ],
      }),
    );
    expect((await stack.api('POST', '/v1/freeze', { reason: 'incident 4713' }, { token: approver })).status).toBe(200);
    await until(r.id, 'held by the freeze', frozenHold);
    const override = { reason: 'the fix for incident 4713 itself' };
    const resumed = await stack.api<RolloutSummary>('POST', `/v1/rollouts/${r.id}/resume`, { override });
    expect(resumed).toMatchObject({ status: 202, body: { override: true, overrideReason: override.reason } });
    // It completes while the line is still stopped
    const done = await until(r.id, 'completed', (x) => x.state === 'completed');
    expect(event(done, 'freeze_overridden')).toMatchObject({ detail: { actor: 'admin', reason: override.reason } });
    expect((await stack.api<{ active: boolean }>('GET', '/v1/freeze')).body.active).toBe(true);
    const audit = await stack.api<{ items: { action: string; override?: boolean; rolloutId?: string }[] }>(
      'GET',
      '/v1/audit?action=resumeRollout',
    );
    expect(audit.body.items.find((e) => e.rolloutId === r.id)).toMatchObject({ override: true });
  }, 60_000);
});
