/**
 * Staging enforced by the server (issue 10), over HTTP: the shipped default policy refuses the
 * bypasses with every broken rule and starts nothing; dry runs, the effective policy, freeze
 * windows and stop-the-line (409 frozen), and an admin's override, flagged and audited.
 */
import type { AuditEntry } from '../../domain/access';
import type { DryRunResult, EffectivePolicy, FreezeState } from '../../domain/policy';
import type { RolloutSummary } from '../../domain/schemas';
import { waitFor } from '../helpers/env';
import { makeRolloutRequest } from '../helpers/factories';
import { startStack, type Stack } from '../helpers/stack';
import { workflowIdFor } from '../../workflows/definitions';

let stack: Stack;
let n = 0;
const tokens: Record<string, string> = {};
const app = 'policyapi';

type Err = { error: { code: string; message: string; field?: string; details?: { rule: string; message: string }[] } };

beforeAll(async () => {
  stack = await startStack('policy');
  for (const [name, role] of [
    ['dora', 'deployer'],
    ['ann', 'approver'],
  ] as const)
    tokens[name] = await stack.token(name, role);
  await stack.fleet({ push: 4, pull: 0, idPrefix: `${stack.taskQueue}-t`, labels: { app } });
}, 60_000);
afterAll(async () => {
  // Stop-the-line is shared by every key of this stack; never leave it set for the next test.
  await stack?.api('DELETE', '/v1/freeze');
  await stack?.stop();
});

function key(): string {
  n += 1;
  return `${stack.taskQueue}-k${n}`;
}
const request = (configKey: string, extra: Record<string, unknown> = {}) =>
  makeRolloutRequest({ configKey, targets: { selector: { app } }, ...extra });

/** Nothing of a refused rollout is left: no rollout of the key, no version, the key free. */
async function nothingStarted(configKey: string): Promise<void> {
  const listed = await stack.api<{ items: RolloutSummary[] }>('GET', `/v1/rollouts?configKey=${configKey}`);
  expect(listed.body.items).toEqual([]);
  expect((await stack.api('GET', `/v1/configs/${configKey}`)).status).toBe(404);
  await expect(stack.client.workflow.getHandle(workflowIdFor(configKey)).describe()).rejects.toMatchObject({
    name: 'WorkflowNotFoundError',
  });
}

describe('the shipped default policy', () => {
  const health = { intervalSeconds: 1, timeoutMs: 1000, maxErrorRate: 0, failureThreshold: 2 };
  it.each([
    [
      'a 0.0001% canary with no bake',
      [
        { name: 'canary', percent: 0.0001, bakeSeconds: 0 },
        { name: 'full', percent: 100, bakeSeconds: 0 },
      ],
      ['minBake'],
    ],
    [
      'a 99% first stage',
      [
        { name: 'canary', percent: 99, bakeSeconds: 5 },
        { name: 'full', percent: 100, bakeSeconds: 5 },
      ],
      ['maxFirstStagePercent'],
    ],
    [
      'a canary that bakes 0 s',
      [
        { name: 'canary', percent: 5, bakeSeconds: 0 },
        { name: 'full', percent: 100, bakeSeconds: 60 },
      ],
      ['minBake'],
    ],
  ])('refuses %s with 422 policy_violation, starting nothing', async (_name, stages, rules) => {
    const k = key();
    const res = await stack.api<Err>('POST', '/v1/rollouts', request(k, { stages, health }));
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('policy_violation');
    expect(res.body.error.details!.map((d) => d.rule)).toEqual(rules);
    expect(res.body.error.details![0]!.message).toMatch(/"canary"/);
    await nothingStarted(k);
  });

  it('lists every rule broken, not only the first', async () => {
    const k = key();
    expect((await stack.api('PUT', `/v1/configs/${k}/policy`, { onRegression: ['rollback'] })).status).toBe(200);
    const res = await stack.api<Err>(
      'POST',
      '/v1/rollouts',
      request(k, { stages: [{ name: 'all', percent: 100, bakeSeconds: 0 }], onRegression: 'pause' }),
    );
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      error: {
        code: 'policy_violation',
        message: expect.stringContaining('3 rules'),
        details: expect.any(Array),
        requestId: expect.any(String),
      },
    });
    expect(res.body.error.details!.map((d) => d.rule)).toEqual(['minStages', 'maxFirstStagePercent', 'onRegression']);
    await nothingStarted(k);
  });

  it('lets an emergency skip the staging minimums, never the allowed onRegression values', async () => {
    const k = key();
    const emergency = { reason: 'portal down, revert pool size' };
    const dry = await stack.api<DryRunResult>(
      'POST',
      '/v1/rollouts?dryRun=true',
      request(k, { stages: [{ name: 'all', percent: 100, bakeSeconds: 0 }], emergency }),
    );
    expect(dry.status).toBe(200);
    expect((await stack.api('PUT', `/v1/configs/${k}/policy`, { onRegression: ['rollback'] })).status).toBe(200);
    const refused = await stack.api<Err>('POST', '/v1/rollouts?dryRun=true', request(k, { onRegression: 'pause', emergency }));
    expect(refused.body.error.details!.map((d) => d.rule)).toEqual(['onRegression']);
  });
});

describe('a key with its own policy', () => {
  it('shows the effective policy merged over the default, with the versions it came from', async () => {
    const k = key();
    const before = await stack.api<EffectivePolicy>('GET', `/v1/configs/${k}/policy/effective`);
    expect(before.body).toMatchObject({ configKey: k, versions: { own: null }, policy: { minStages: 2, maxFirstStagePercent: 50 } });
    expect((await stack.api('PUT', `/v1/configs/${k}/policy`, { minStages: 4, minBakeSeconds: 30, approvals: 1 })).status).toBe(200);
    const after = await stack.api<EffectivePolicy>('GET', `/v1/configs/${k}/policy/effective`);
    expect(after.body).toMatchObject({
      versions: { own: 1 },
      policy: { minStages: 4, minBakeSeconds: 30, approvals: 1, maxFirstStagePercent: 50, onRegression: ['rollback', 'pause'] },
      holds: [],
    });
    const res = await stack.api<Err>('POST', '/v1/rollouts', request(k));
    expect(res.status).toBe(422);
    expect(res.body.error.details!.map((d) => d.rule)).toEqual(['minStages', 'minBake', 'minBake']);
    expect(res.body.error.details![1]!.message).toContain('minBakeSeconds');
  });

  it('answers a dry run with the resolved plan, wave by wave, and starts nothing', async () => {
    const k = key();
    for (const [i, env] of ['staging', 'staging', 'prod', 'prod', 'prod'].entries()) {
      expect((await stack.api('PUT', `/v1/targets/${k}-w${i}`, { labels: { fleet: k, env } })).status).toBe(200);
    }
    const waves = [
      { name: 'staging', selector: { env: 'staging' } },
      { name: 'prod', selector: { env: 'prod' } },
    ];
    expect((await stack.api('PUT', `/v1/configs/${k}/policy`, { waves })).status).toBe(200);
    const stages = [
      { name: 'staging-canary', wave: 'staging', percent: 50, bakeSeconds: 1 },
      { name: 'staging', wave: 'staging', percent: 100, bakeSeconds: 1 },
      { name: 'prod-canary', wave: 'prod', percent: 30, bakeSeconds: 1 },
      { name: 'prod', wave: 'prod', percent: 100, bakeSeconds: 1 },
    ];
    const dry = await stack.api<DryRunResult>(
      'POST',
      '/v1/rollouts?dryRun=true',
      request(k, { targets: { selector: { fleet: k } }, stages }),
    );
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, configKey: k, totalTargets: 5, holds: [] });
    expect(dry.body.stages.map((s) => [s.name, s.wave, s.targets.length, s.cumulative])).toEqual([
      ['staging-canary', 'staging', 1, 1],
      ['staging', 'staging', 1, 2],
      ['prod-canary', 'prod', 1, 3],
      ['prod', 'prod', 2, 5],
    ]);
    expect([...dry.body.stages[0]!.targets, ...dry.body.stages[1]!.targets].sort()).toEqual([`${k}-w0`, `${k}-w1`]);
    await nothingStarted(k);

    // Prod before staging, and a target in no wave, are refused at submit time.
    const backwards = await stack.api<Err>(
      'POST',
      '/v1/rollouts',
      request(k, { targets: { selector: { fleet: k } }, stages: [stages[2]!, stages[3]!, stages[0]!, stages[1]!] }),
    );
    expect(backwards.status).toBe(422);
    expect(backwards.body.error.details!.every((d) => d.rule === 'waves')).toBe(true);
    expect((await stack.api('PUT', `/v1/targets/${k}-stray`, { labels: { fleet: k, env: 'dev' } })).status).toBe(200);
    const stray = await stack.api<Err>('POST', '/v1/rollouts', request(k, { targets: { selector: { fleet: k } }, stages }));
    expect(stray.status).toBe(422);
    expect(stray.body.error.details).toEqual([{ rule: 'waves', message: expect.stringContaining(`"${k}-stray" is in no wave`) }]);
    await nothingStarted(k);
  });
});

describe('freezes', () => {
  it('refuses a new rollout during a freeze window with 409 frozen, naming it and when it ends', async () => {
    const k = key();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const freeze = [{ from: new Date(Date.now() - 60_000).toISOString(), to, reason: 'year-end' }];
    expect((await stack.api('PUT', `/v1/configs/${k}/policy`, { freeze })).status).toBe(200);
    const res = await stack.api<Err>('POST', '/v1/rollouts', request(k));
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'frozen', field: 'configKey' });
    expect(res.body.error.message).toContain('year-end');
    expect(res.body.error.message).toContain(new Date(to).toISOString());
    await nothingStarted(k);
    const effective = await stack.api<EffectivePolicy>('GET', `/v1/configs/${k}/policy/effective`);
    expect(effective.body.holds).toEqual([
      expect.objectContaining({ source: 'window', reason: 'year-end', endsAt: new Date(to).toISOString() }),
    ]);
    const banner = await stack.api<FreezeState>('GET', '/v1/freeze');
    expect(banner.body.windows).toContainEqual({ scope: k, reason: 'year-end', endsAt: new Date(to).toISOString() });

    // Only an admin may go through it, and only with a reason; it is flagged and audited.
    const override = { reason: 'security fix that cannot wait' };
    expect(await stack.api<Err>('POST', '/v1/rollouts', request(k, { override }), { token: tokens.dora })).toMatchObject({
      status: 403,
      body: { error: { code: 'forbidden', field: 'override' } },
    });
    expect((await stack.api<Err>('POST', '/v1/rollouts', request(k, { override: { reason: 'x' } }))).status).toBe(400);
    const started = await stack.api<RolloutSummary>('POST', '/v1/rollouts', request(k, { override }));
    expect(started).toMatchObject({ status: 201, body: { override: true, overrideReason: override.reason } });
    const done = await waitFor('the overridden rollout to complete', async () => {
      const r = await stack.api<RolloutSummary & { events: { type: string }[] }>('GET', `/v1/rollouts/${started.body.id}`);
      return r.body.state === 'completed' ? r.body : undefined;
    });
    expect(done.events.map((e) => e.type)).toContain('freeze_overridden');
    expect(done.events.map((e) => e.type)).not.toContain('frozen');
    const audit = await stack.api<{ items: AuditEntry[] }>('GET', `/v1/audit?configKey=${k}&action=createRollout`);
    expect(audit.body.items.find((e) => e.status === 201)).toMatchObject({ actor: 'admin', override: true, rolloutId: started.body.id });
    expect(audit.body.items.find((e) => e.status === 403)).toMatchObject({ actor: 'dora', override: true });
  }, 60_000);

  it('stops the line for some keys or all (approver), lifts it (admin), and refuses new rollouts meanwhile', async () => {
    const [k1, k2] = [key(), key()];
    expect((await stack.api('POST', '/v1/freeze', { reason: 'incident 4711' }, { token: tokens.dora })).status).toBe(403);
    expect((await stack.api<Err>('POST', '/v1/freeze', {}, { token: tokens.ann })).body.error.field).toBe('reason');
    const some = await stack.api<FreezeState>('POST', '/v1/freeze', { reason: 'incident 4711', configKeys: [k1] }, { token: tokens.ann });
    expect(some).toMatchObject({ status: 200, body: { active: true, stopTheLine: [{ scope: k1, reason: 'incident 4711', by: 'ann' }] } });
    expect(await stack.api<Err>('POST', '/v1/rollouts', request(k1))).toMatchObject({ status: 409, body: { error: { code: 'frozen' } } });
    const dry = await stack.api<DryRunResult>('POST', '/v1/rollouts?dryRun=true', request(k1));
    expect(dry.body.holds).toEqual([expect.objectContaining({ source: 'stop_the_line', by: 'ann', endsAt: null })]);
    expect((await stack.api('POST', '/v1/rollouts?dryRun=true', request(k2))).status).toBe(200);

    expect((await stack.api('POST', '/v1/freeze', { reason: 'all hands' }, { token: tokens.ann })).status).toBe(200);
    const refused = await stack.api<Err>('POST', '/v1/rollouts', request(k2));
    expect(refused).toMatchObject({ status: 409, body: { error: { code: 'frozen' } } });
    expect(refused.body.error.message).toMatch(/stop-the-line for every key by ann: all hands \(until lifted\)/);

    expect((await stack.api('DELETE', '/v1/freeze', undefined, { token: tokens.ann })).status).toBe(403);
    const lifted = await stack.api<FreezeState>('DELETE', '/v1/freeze');
    expect(lifted.body).toEqual({ active: expect.any(Boolean), stopTheLine: [], windows: expect.any(Array) });
    expect((await stack.api('POST', '/v1/rollouts?dryRun=true', request(k1))).status).toBe(200);
    const audit = await stack.api<{ items: AuditEntry[] }>('GET', '/v1/audit?action=stopTheLine');
    expect(audit.body.items.map((e) => [e.actor, e.status])).toEqual([
      ['ann', 200],
      ['ann', 200],
      ['ann', 400],
      ['dora', 403],
    ]);
  });
});
