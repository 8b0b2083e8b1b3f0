/**
 * The REST contract over HTTP against the real stack: every bad input gets a 4xx that names the
 * field, and a refused rollout leaves nothing behind.
 */
import type { RolloutDetail, RolloutSummary } from '../../domain/schemas';
import { waitFor } from '../helpers/env';
import { fastStages, makeRolloutRequest } from '../helpers/factories';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let n = 0;
beforeAll(async () => {
  stack = await startStack('api');
});
afterAll(async () => {
  await stack?.stop();
});

type Err = { error: { code: string; message: string; field?: string; details?: { violations?: unknown[] } } };

function key(): string {
  n += 1;
  return `${stack.taskQueue}-k${n}`;
}

async function fleetFor(app: string, push = 2) {
  return stack.fleet({ push, pull: 0, idPrefix: `${stack.taskQueue}-${app}`, labels: { app } });
}

describe('health and documentation', () => {
  it('GET /healthz is 200 when Temporal and Redis answer', async () => {
    const res = await stack.api<{ status: string; checks: Record<string, string> }>('GET', '/healthz');
    expect({ status: res.status, body: res.body }).toEqual({
      status: 200,
      body: { status: 'ok', checks: { redis: 'ok', temporal: 'ok' } },
    });
  });

  it('GET /openapi.json is generated from the same schemas that validate requests', async () => {
    const res = await stack.api<{
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    }>('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/rollouts',
        '/v1/rollouts/{rolloutId}',
        '/v1/rollouts/{rolloutId}/pause',
        '/v1/rollouts/{rolloutId}/review',
        '/v1/tokens',
        '/v1/audit',
        '/v1/targets/{targetId}',
        '/v1/configs/{configKey}/schema',
      ]),
    );
    expect(Object.keys(res.body.components.schemas.CreateRolloutRequest!.properties!)).toEqual(
      expect.arrayContaining(['configKey', 'content', 'targets', 'stages', 'health', 'onRegression']),
    );
  });

  it('an unknown route is a JSON 404', async () => {
    const res = await stack.api<Err>('GET', '/v1/nothing');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NotFound');
  });
});

describe('targets', () => {
  it.each([
    ['an id that breaks the pattern', '/v1/targets/-bad', {}, 'targetId'],
    ['a health URL that is not http', '/v1/targets/ok-1', { healthUrl: 'ftp://x' }, 'healthUrl'],
    ['an unknown field', '/v1/targets/ok-1', { color: 'red' }, 'body'],
    ['a label value with spaces', '/v1/targets/ok-1', { labels: { a: 'b c' } }, 'labels.a'],
  ])('refuses %s with 400 naming the field', async (_n, path, body, field) => {
    const res = await stack.api<Err>('PUT', path, body);
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe(field);
    expect(res.body.error.message).toContain(field);
  });

  it('registers, lists by selector, reads and deletes', async () => {
    const id = `${stack.taskQueue}-t1`;
    const put = await stack.api<{ id: string; createdAt: string }>('PUT', `/v1/targets/${id}`, { labels: { zone: 'a', role: 'db' } });
    expect(put.status).toBe(200);
    const again = await stack.api<{ createdAt: string; labels: unknown }>('PUT', `/v1/targets/${id}`, {
      labels: { zone: 'b', role: 'db' },
    });
    expect(again.body.createdAt).toBe(put.body.createdAt);
    const list = await stack.api<{ items: { id: string }[] }>('GET', '/v1/targets?selector=zone=b,role=db');
    expect(list.body.items.map((t) => t.id)).toContain(id);
    const none = await stack.api<{ items: unknown[] }>('GET', '/v1/targets?selector=zone=a,role=db');
    expect(none.body.items.map((t) => (t as { id: string }).id)).not.toContain(id);
    expect((await stack.api<Err>('GET', '/v1/targets?selector=zone')).body.error.field).toBe('selector');
    expect((await stack.api('DELETE', `/v1/targets/${id}`)).status).toBe(204);
    expect((await stack.api('GET', `/v1/targets/${id}`)).status).toBe(404);
    expect((await stack.api('DELETE', `/v1/targets/${id}`)).status).toBe(404);
  });

  it('refuses to delete a target while an active rollout includes it', async () => {
    const fleet = await fleetFor('busy');
    const k = key();
    const r = await stack.api<RolloutSummary>(
      'POST',
      '/v1/rollouts',
      makeRolloutRequest({ configKey: k, targets: { selector: { app: 'busy' } }, stages: fastStages(30) }),
    );
    expect(r.status).toBe(201);
    const del = await stack.api<Err>('DELETE', `/v1/targets/${fleet.ids[0]}`);
    expect(del.status).toBe(409);
    expect(del.body.error.code).toBe('TargetInUse');
    await stack.api('POST', `/v1/rollouts/${r.body.id}/rollback`);
  });

  it('serves a pull target its assignment and records what it reports', async () => {
    const id = `${stack.taskQueue}-pull`;
    await stack.api('PUT', `/v1/targets/${id}`, { labels: { app: 'pullers' } });
    const k = key();
    expect((await stack.api<Err>('GET', `/v1/targets/${id}/configs/${k}`)).status).toBe(404);
    const r = await stack.api<RolloutSummary>(
      'POST',
      '/v1/rollouts',
      makeRolloutRequest({ configKey: k, content: { x: 1 }, targets: { ids: [id] }, stages: fastStages(0.2) }),
    );
    await waitFor(
      'completed',
      async () => (await stack.api<RolloutSummary>('GET', `/v1/rollouts/${r.body.id}`)).body.state === 'completed',
    );
    expect((await stack.api('GET', `/v1/targets/${id}/configs/${k}`)).body).toEqual({ configKey: k, version: 1, content: { x: 1 } });
    expect((await stack.api<Err>('PUT', `/v1/targets/${id}/configs/${k}/status`, { version: -1 })).body.error.field).toBe('version');
    expect((await stack.api('PUT', `/v1/targets/${id}/configs/${k}/status`, { version: 1 })).status).toBe(204);
    const detail = await stack.api<RolloutDetail>('GET', `/v1/rollouts/${r.body.id}`);
    expect(detail.body.targets[id]).toEqual({
      version: 1,
      previousVersion: 0,
      assignedVersion: 1,
      confirmedVersion: 1,
      appliedAt: expect.any(String),
      restoredAt: null,
    });
    expect((await stack.api('PUT', `/v1/targets/nobody/configs/${k}/status`, { version: 1 })).status).toBe(404);
  });
});

describe('creating rollouts', () => {
  beforeAll(async () => {
    await fleetFor('web', 3);
  });

  it.each([
    ['a body that is not JSON', '{"configKey":', 'body'],
    ['no content', { configKey: 'x', targets: { ids: ['a'] } }, 'content'],
    [
      'percents that go down',
      makeRolloutRequest({
        stages: [
          { name: 'a', percent: 50, bakeSeconds: 1 },
          { name: 'b', percent: 20, bakeSeconds: 1 },
          { name: 'c', percent: 100, bakeSeconds: 1 },
        ],
      }),
      'stages[1].percent',
    ],
    ['an error rate above 1', makeRolloutRequest({ health: { maxErrorRate: 2 } }), 'health.maxErrorRate'],
    ['an unknown policy', makeRolloutRequest({ onRegression: 'shrug' }), 'onRegression'],
    ['a bad config key', makeRolloutRequest({ configKey: 'a b' }), 'configKey'],
  ])('refuses %s with 400 naming the field', async (_n, body, field) => {
    const res = await stack.api<Err>('POST', '/v1/rollouts', body);
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe(field);
  });

  it('refuses unknown target ids with 422 naming them', async () => {
    const res = await stack.api<Err>(
      'POST',
      '/v1/rollouts',
      makeRolloutRequest({ configKey: key(), targets: { ids: ['ghost-1', 'ghost-2'] } }),
    );
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'UnknownTargets', field: 'targets.ids' });
    expect(res.body.error.message).toContain('ghost-1');
  });

  it('refuses a selector that matches nothing with 422', async () => {
    const res = await stack.api<Err>(
      'POST',
      '/v1/rollouts',
      makeRolloutRequest({ configKey: key(), targets: { selector: { app: 'nobody-here' } } }),
    );
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('NoTargets');
  });

  it('refuses a body over the limit with 413', async () => {
    const res = await stack.api<Err>('POST', '/v1/rollouts', makeRolloutRequest({ content: { blob: 'x'.repeat(1_100_000) } }));
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PayloadTooLarge');
  });

  it('validates content against the config schema before touching anything', async () => {
    const k = key();
    const schema = { type: 'object', required: ['pool'], properties: { pool: { type: 'integer', minimum: 1 } } };
    expect((await stack.api<Err>('PUT', `/v1/configs/${k}/schema`, { type: 12 })).status).toBe(400);
    expect((await stack.api('PUT', `/v1/configs/${k}/schema`, schema)).status).toBe(200);
    const before = await stack.api<{ items: unknown[] }>('GET', `/v1/rollouts?configKey=${k}`);
    const res = await stack.api<Err>(
      'POST',
      '/v1/rollouts',
      makeRolloutRequest({ configKey: k, targets: { selector: { app: 'web' } }, content: { pool: 0 } }),
    );
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('SchemaViolation');
    expect(res.body.error.details?.violations).toEqual([{ pointer: '/pool', message: 'must be >= 1' }]);
    // Nothing was started, no version was used
    expect((await stack.api<{ items: unknown[] }>('GET', `/v1/rollouts?configKey=${k}`)).body.items).toEqual(before.body.items);
    expect((await stack.api<{ latestVersion: number | null }>('GET', `/v1/configs/${k}`)).body.latestVersion).toBeNull();
    // Valid content goes through and gets version 1
    const ok = await stack.api<RolloutSummary>(
      'POST',
      '/v1/rollouts',
      makeRolloutRequest({ configKey: k, targets: { selector: { app: 'web' } }, content: { pool: 3 }, stages: fastStages(0.2) }),
    );
    expect(ok.status).toBe(201);
    expect(ok.body.version).toBe(1);
  });

  it('refuses a second active rollout of the same config with 409, naming the active one', async () => {
    const k = key();
    const first = await stack.api<RolloutSummary>(
      'POST',
      '/v1/rollouts',
      makeRolloutRequest({ configKey: k, targets: { selector: { app: 'web' } }, stages: fastStages(30) }),
    );
    expect(first.status).toBe(201);
    const second = await stack.api<Err & { error: { details: { activeRolloutId: string } } }>(
      'POST',
      '/v1/rollouts',
      makeRolloutRequest({ configKey: k, targets: { selector: { app: 'web' } } }),
    );
    expect(second.status).toBe(409);
    expect(second.body.error.details.activeRolloutId).toBe(first.body.id);
    // The refused request used no version number
    await stack.api('POST', `/v1/rollouts/${first.body.id}/rollback`);
    await waitFor(
      'rolled back',
      async () => (await stack.api<RolloutSummary>('GET', `/v1/rollouts/${first.body.id}`)).body.state === 'rolled_back',
    );
    const third = await stack.api<RolloutSummary>(
      'POST',
      '/v1/rollouts',
      makeRolloutRequest({ configKey: k, targets: { selector: { app: 'web' } }, stages: fastStages(0.2) }),
    );
    expect(third.body.version).toBe(2);
  });

  it('keeps versions and their content', async () => {
    const k = key();
    const r = await stack.api<RolloutSummary>(
      'POST',
      '/v1/rollouts',
      makeRolloutRequest({ configKey: k, targets: { selector: { app: 'web' } }, content: { v: 'one' }, stages: fastStages(0.2) }),
    );
    const v = await stack.api<{ version: number; content: unknown; rolloutId: string; sha256: string }>(
      'GET',
      `/v1/configs/${k}/versions/1`,
    );
    expect(v.body).toMatchObject({ version: 1, content: { v: 'one' }, rolloutId: r.body.id });
    expect(v.body.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await stack.api<Err>('GET', `/v1/configs/${k}/versions/9`)).status).toBe(404);
    expect((await stack.api<Err>('GET', `/v1/configs/${k}/versions/zero`)).body.error.field).toBe('version');
  });
});

describe('steering rollouts', () => {
  it('404 for an unknown rollout and for an unknown action', async () => {
    expect((await stack.api<Err>('POST', '/v1/rollouts/nope/pause')).status).toBe(404);
    expect((await stack.api<Err>('GET', '/v1/rollouts/nope')).status).toBe(404);
    const bad = await stack.api<Err>('POST', '/v1/rollouts/nope/explode');
    expect(bad.status).toBe(404);
    expect(bad.body.error.code).toBe('NotFound');
  });

  it('answers a rollout without its per-target rows when asked (targets=none), and names a bad value', async () => {
    // Given a rollout of two targets that has applied to both
    await fleetFor('rows');
    const r = await stack.api<RolloutSummary>(
      'POST',
      '/v1/rollouts',
      makeRolloutRequest({ configKey: key(), targets: { selector: { app: 'rows' } }, stages: fastStages(0.2) }),
    );
    const full = await waitFor('completed', async () => {
      const d = (await stack.api<RolloutDetail>('GET', `/v1/rollouts/${r.body.id}`)).body;
      return d.state === 'completed' ? d : undefined;
    });
    expect(Object.keys(full.targets)).toHaveLength(2);
    // When it is read with targets=none
    const lean = await stack.api<RolloutDetail>('GET', `/v1/rollouts/${r.body.id}?targets=none`);
    // Then the rows are left out, and the summary and timeline are the same
    expect(lean.status).toBe(200);
    expect(lean.body.targets).toEqual({});
    const { targets: _rows, ...rest } = full;
    expect(lean.body).toEqual({ ...rest, targets: {} });
    // And a value outside the two is a 400 naming the field
    const bad = await stack.api<Err>('GET', `/v1/rollouts/${r.body.id}?targets=some`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('targets');
  });

  it('409 when the state does not allow the action', async () => {
    await fleetFor('steer');
    const r = await stack.api<RolloutSummary>(
      'POST',
      '/v1/rollouts',
      makeRolloutRequest({ configKey: key(), targets: { selector: { app: 'steer' } }, stages: fastStages(30) }),
    );
    const resume = await stack.api<Err>('POST', `/v1/rollouts/${r.body.id}/resume`);
    expect(resume.status).toBe(409);
    expect(resume.body.error.code).toBe('InvalidState');
    expect(resume.body.error.message).toBe('cannot resume a rollout that is running');
    expect((await stack.api('POST', `/v1/rollouts/${r.body.id}/rollback`)).status).toBe(202);
  });

  it('lists rollouts newest first, filtered by config key and state', async () => {
    const all = await stack.api<{ items: RolloutSummary[] }>('GET', '/v1/rollouts?limit=500');
    const created = all.body.items.map((r) => r.createdAt);
    expect(created).toEqual([...created].sort().reverse());
    const rolledBack = await stack.api<{ items: RolloutSummary[] }>('GET', '/v1/rollouts?state=rolled_back');
    expect(rolledBack.body.items.length).toBeGreaterThan(0);
    expect(rolledBack.body.items.every((r) => r.state === 'rolled_back')).toBe(true);
    expect((await stack.api<Err>('GET', '/v1/rollouts?state=exploded')).body.error.field).toBe('state');
  });
});
