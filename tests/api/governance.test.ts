/**
 * Governance on the real stack: every route against every role, four-eyes review, the emergency
 * path, the audit log, agent scopes, revocation across API instances, and single sign-on.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { createApp } from '../../api/app';
import { contract, type Route } from '../../api/contract';
import type { AuditEntry, Role } from '../../domain/access';
import type { RolloutDetail, RolloutSummary } from '../../domain/schemas';
import { Store } from '../../store/store';
import { testToken, waitFor } from '../helpers/env';
import { openSse } from '../helpers/sse';
import { fastStages, makeRolloutRequest } from '../helpers/factories';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let n = 0;
/** One token per role, created once: name → secret. */
const tokens: Record<string, string> = {};

beforeAll(async () => {
  stack = await startStack('gov');
  for (const [name, role] of [
    ['vera', 'viewer'],
    ['dora', 'deployer'],
    ['ann', 'approver'],
    ['bob', 'approver'],
    ['cid', 'approver'],
  ] as [string, Role][]) {
    tokens[name] = await stack.token(name, role);
  }
});
afterAll(async () => {
  await stack?.stop();
});

type Err = { error: { code: string; message: string; field?: string } };

function key(): string {
  n += 1;
  return `${stack.taskQueue}-k${n}`;
}

async function as<T = unknown>(who: string | null, method: string, path: string, body?: unknown) {
  return stack.api<T>(method, path, body, { token: who === null ? null : (tokens[who] ?? who) });
}

function untilState(id: string, ...states: string[]): Promise<RolloutDetail> {
  return waitFor(`rollout ${id} to reach ${states.join('|')}`, async () => {
    const r = await stack.api<RolloutDetail>('GET', `/v1/rollouts/${id}`);
    return states.includes(r.body.state) ? r.body : undefined;
  });
}

describe('route × role matrix', () => {
  const HUMAN: Role[] = ['viewer', 'deployer', 'approver', 'admin'];
  const rank = (r: string) => HUMAN.indexOf(r as Role);
  type Caller = { label: string; token: string | null; role: Role | 'none'; inScope?: boolean };
  const callers: Caller[] = [];
  const targetId = 'matrix-target';

  beforeAll(async () => {
    expect((await stack.api('PUT', `/v1/targets/${targetId}`, { labels: { app: 'matrix' } })).status).toBe(200);
    const revoked = await stack.token('revoked-one', 'admin');
    const list = await stack.api<{ items: { id: string; name: string }[] }>('GET', '/v1/tokens');
    const revokedId = list.body.items.find((t) => t.name === 'revoked-one')!.id;
    expect((await stack.api('DELETE', `/v1/tokens/${revokedId}`)).status).toBe(200);
    callers.push(
      { label: 'no token', token: null, role: 'none' },
      { label: 'a revoked admin token', token: revoked, role: 'none' },
      { label: 'an unknown token', token: testToken(), role: 'none' },
      { label: 'viewer', token: tokens.vera!, role: 'viewer' },
      { label: 'deployer', token: tokens.dora!, role: 'deployer' },
      { label: 'approver', token: tokens.ann!, role: 'approver' },
      { label: 'agent in scope', token: await stack.token('agent-in', 'agent', { ids: [targetId] }), role: 'agent', inScope: true },
      {
        label: 'agent out of scope',
        token: await stack.token('agent-out', 'agent', { ids: ['elsewhere'] }),
        role: 'agent',
        inScope: false,
      },
      // Last: admin may delete the matrix target and change the default policy.
      { label: 'admin', token: stack.adminToken, role: 'admin' },
    );
  });

  function expected(route: Route, c: Caller): 'open' | 401 | 403 {
    if (route.access.role === 'public') return 'open';
    if (c.role === 'none') return 401;
    if (c.role === 'agent') {
      if (route.access.agent === 'always') return 'open';
      return route.access.agent === 'targetId' && c.inScope ? 'open' : 403;
    }
    return rank(c.role) >= rank(route.access.role) ? 'open' : 403;
  }

  function pathOf(route: Route): string {
    const values: Record<string, string> = {
      targetId,
      configKey: `${stack.taskQueue}-matrix`,
      rolloutId: 'r-none',
      version: '1',
      tokenId: 'tok_ffffffffffffffff',
    };
    return route.path.replace(/:([A-Za-z]+)/g, (_m, name: string) => values[name] ?? 'x');
  }

  /** Status only: an event stream that opens is closed at once. */
  async function statusOf(route: Route, token: string | null): Promise<number> {
    const abort = new AbortController();
    const res = await fetch(`${stack.apiUrl}${pathOf(route)}`, {
      method: route.method.toUpperCase(),
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(route.body ? { 'content-type': 'application/json' } : {}) },
      ...(route.body ? { body: '{}' } : {}),
      signal: abort.signal,
    });
    if (route.eventStream && res.status === 200) abort.abort();
    else await res.text();
    return res.status;
  }

  const routes = Object.entries(contract) as [string, Route][];

  it('declares an access rule on every route', () => {
    for (const [name, route] of routes) expect({ name, role: route.access?.role }).toEqual({ name, role: expect.any(String) });
  });

  it(`answers every route × caller as the route table says (${routes.length} routes × 9 callers)`, async () => {
    const mismatches: string[] = [];
    let cases = 0;
    for (const c of callers) {
      for (const [name, route] of routes) {
        const want = expected(route, c);
        const got = await statusOf(route, c.token);
        cases += 1;
        const ok = want === 'open' ? got !== 401 && got !== 403 && got < 500 : got === want;
        if (!ok) mismatches.push(`${name} as ${c.label}: expected ${want}, got ${got}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(cases).toBe(routes.length * callers.length);
  });

  it('names the code: unauthenticated for 401, forbidden for 403', async () => {
    const none = await as<Err>(null, 'GET', '/v1/rollouts');
    expect(none).toMatchObject({ status: 401, body: { error: { code: 'unauthenticated' } } });
    const low = await as<Err>('vera', 'POST', '/v1/rollouts', makeRolloutRequest());
    expect(low).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect(low.body.error.message).toMatch(/vera \(viewer\).*deployer/);
    // Any path under /v1, known or not, asks for a token first.
    expect((await as(null, 'GET', '/v1/no-such-thing')).status).toBe(401);
    expect((await as(null, 'GET', '/healthz')).status).toBe(200);
    expect((await as(null, 'GET', '/openapi.json')).status).toBe(200);
  });
});

describe('tokens', () => {
  it('shows the secret once, stores no secret, and refuses a name twice', async () => {
    const created = await stack.api<{ id: string; token: string; name: string; role: string }>('POST', '/v1/tokens', {
      name: 'once',
      role: 'viewer',
    });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^tg_[A-Za-z0-9_-]{43}$/);
    const listed = await stack.api<{ items: Record<string, unknown>[] }>('GET', '/v1/tokens');
    const raw = JSON.stringify(listed.body);
    expect(raw).not.toContain(created.body.token);
    expect(listed.body.items.find((t) => t.name === 'once')).not.toHaveProperty('token');
    expect(listed.body.items.find((t) => t.name === 'once')).not.toHaveProperty('hash');
    const stored = JSON.stringify(await stack.redis.hgetall(stack.redisKeys.tokens));
    expect(stored).not.toContain(created.body.token);
    const again = await stack.api<Err>('POST', '/v1/tokens', { name: 'once', role: 'admin' });
    expect(again).toMatchObject({ status: 409, body: { error: { field: 'name' } } });
  });

  it('refuses a revoked token at once on every API instance', async () => {
    const other = createApp({ store: stack.store, client: stack.client, taskQueue: stack.taskQueue, log: () => undefined });
    const server: Server = await new Promise((resolve) => {
      const s = other.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const secondUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const created = await stack.api<{ id: string; token: string }>('POST', '/v1/tokens', { name: 'short-lived', role: 'viewer' });
      const onSecond = () => fetch(`${secondUrl}/v1/rollouts`, { headers: { authorization: `Bearer ${created.body.token}` } });
      expect((await onSecond()).status).toBe(200);
      expect((await stack.api('DELETE', `/v1/tokens/${created.body.id}`)).status).toBe(200);
      expect((await onSecond()).status).toBe(401);
      expect((await as(created.body.token, 'GET', '/v1/rollouts')).status).toBe(401);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('ends a live event stream within a heartbeat of its token being revoked', async () => {
    const quick = createApp({
      store: stack.store,
      client: stack.client,
      taskQueue: stack.taskQueue,
      log: () => undefined,
      sse: { heartbeatMs: 100 },
    });
    const server: Server = await new Promise((resolve) => {
      const s = quick.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const created = await stack.api<{ id: string; token: string }>('POST', '/v1/tokens', { name: 'watcher', role: 'viewer' });
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/events`;
      const stream = await openSse(url, { authorization: `Bearer ${created.body.token}` });
      expect(stream.status).toBe(200);
      await stream.until('a heartbeat', () => stream.comments.includes('heartbeat'), 5_000);
      let ended = false;
      void stream.ended.then(() => (ended = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(ended).toBe(false);
      expect((await stack.api('DELETE', `/v1/tokens/${created.body.id}`)).status).toBe(200);
      await waitFor('the stream to end', async () => ended, 5_000);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('refuses an expired token like a revoked one', async () => {
    const expiresAt = new Date(Date.now() + 1_500).toISOString();
    const created = await stack.api<{ token: string }>('POST', '/v1/tokens', { name: 'expiring', role: 'viewer', expiresAt });
    expect((await as(created.body.token, 'GET', '/v1/me')).status).toBe(200);
    await waitFor('the token to expire', async () => (await as(created.body.token, 'GET', '/v1/me')).status === 401, 5_000);
  });

  it('bootstraps one admin token: generated once, or rotated from the environment', async () => {
    const store = new Store(stack.redis, `${stack.redisPrefix}boot:`).tokens;
    const first = await store.ensureAdmin(undefined);
    expect(first.generated).toMatch(/^tg_/);
    expect((await store.ensureAdmin(undefined)).generated).toBeNull();
    expect(await store.verify(first.generated!)).toMatchObject({ name: 'admin', role: 'admin' });
    const fromEnv = testToken();
    await store.ensureAdmin(fromEnv);
    expect(await store.verify(first.generated!)).toBeNull();
    expect(await store.verify(fromEnv)).toMatchObject({ name: 'admin', role: 'admin' });
  });

  it('says who the caller is', async () => {
    expect(await as('bob', 'GET', '/v1/me')).toMatchObject({ status: 200, body: { name: 'bob', role: 'approver', via: 'token' } });
  });
});

describe('four eyes', () => {
  async function given(push: number, approvals: number) {
    const k = key();
    const app = `fe${n}`;
    const fleet = await stack.fleet({ push, pull: 0, idPrefix: `${stack.taskQueue}-${app}`, labels: { app } });
    expect((await stack.api('PUT', `/v1/configs/${k}/policy`, { approvals })).status).toBe(200);
    return { key: k, fleet, selector: { app } };
  }

  it('holds a submitted change for two distinct approvers, applying nothing until then', async () => {
    const { key: k, fleet, selector } = await given(4, 2);
    const created = await as<RolloutSummary>('ann', 'POST', '/v1/rollouts', makeRolloutRequest({ configKey: k, targets: { selector } }));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ state: 'pending_review', submittedBy: 'ann', requiredApprovals: 2, version: 1 });
    const id = created.body.id;

    // Nothing is applied while it waits; the key is held.
    await new Promise((r) => setTimeout(r, 800));
    const waiting = (await stack.api<RolloutDetail>('GET', `/v1/rollouts/${id}`)).body;
    expect(waiting.state).toBe('pending_review');
    expect(waiting.updatedTargets).toBe(0);
    expect(fleet.targets.every((t) => t.version(k) === 0)).toBe(true);
    expect(Object.values(waiting.targets).every((t) => t.version === null)).toBe(true);
    const second = await as<Err>('dora', 'POST', '/v1/rollouts', makeRolloutRequest({ configKey: k, targets: { selector } }));
    expect(second).toMatchObject({ status: 409, body: { error: { code: 'RolloutActive' } } });

    // The submitter may not review; a deployer may not review at all.
    expect(await as<Err>('ann', 'POST', `/v1/rollouts/${id}/review`, { decision: 'approve' })).toMatchObject({
      status: 403,
      body: { error: { code: 'four_eyes' } },
    });
    expect(await as<Err>('dora', 'POST', `/v1/rollouts/${id}/review`, { decision: 'approve' })).toMatchObject({
      status: 403,
      body: { error: { code: 'forbidden' } },
    });

    // One approval, even given twice, is not enough.
    expect((await as('bob', 'POST', `/v1/rollouts/${id}/review`, { decision: 'approve', comment: 'looks right' })).status).toBe(202);
    const twice = await as<RolloutSummary>('bob', 'POST', `/v1/rollouts/${id}/review`, { decision: 'approve' });
    expect(twice.status).toBe(202);
    expect(twice.body.state).toBe('pending_review');
    expect(twice.body.reviews).toHaveLength(1);
    expect(fleet.targets.every((t) => t.version(k) === 0)).toBe(true);

    const started = await as<RolloutSummary>('cid', 'POST', `/v1/rollouts/${id}/review`, { decision: 'approve' });
    expect(started).toMatchObject({ status: 202, body: { state: 'running' } });
    const done = await untilState(id, 'completed');
    expect(done.reviews).toEqual([
      { by: 'bob', decision: 'approve', comment: 'looks right', at: expect.any(String) },
      { by: 'cid', decision: 'approve', at: expect.any(String) },
    ]);
    expect(done.events.map((e) => e.type).slice(0, 4)).toEqual(['review_requested', 'reviewed', 'reviewed', 'rollout_started']);
    expect(fleet.targets.every((t) => t.version(k) === 1)).toBe(true);
  });

  it('ends a rejected change rejected, with nothing applied and the key released', async () => {
    const { key: k, fleet, selector } = await given(3, 1);
    const created = await as<RolloutSummary>('dora', 'POST', '/v1/rollouts', makeRolloutRequest({ configKey: k, targets: { selector } }));
    const rejected = await as<RolloutSummary>('bob', 'POST', `/v1/rollouts/${created.body.id}/review`, {
      decision: 'reject',
      comment: 'pool too small',
    });
    expect(rejected).toMatchObject({ status: 202, body: { state: 'rejected' } });
    const done = await untilState(created.body.id, 'rejected');
    expect(done.reason).toBe('rejected by bob: pool too small');
    expect(done.updatedTargets).toBe(0);
    expect(fleet.targets.every((t) => t.version(k) === 0)).toBe(true);
    expect((await stack.api<{ stableVersion: number | null }>('GET', `/v1/configs/${k}`)).body.stableVersion).toBeNull();
    // Rejected is final, and the key is free for the next change.
    expect((await as<Err>('cid', 'POST', `/v1/rollouts/${created.body.id}/review`, { decision: 'approve' })).status).toBe(409);
    const next = await waitFor('the key to be free', async () => {
      const r = await as<RolloutSummary>('dora', 'POST', '/v1/rollouts', makeRolloutRequest({ configKey: k, targets: { selector } }));
      return r.status === 201 ? r.body : undefined;
    });
    expect(next.state).toBe('pending_review');
  });

  it('applies four eyes to stage approval gates', async () => {
    const { key: k, selector } = await given(4, 1);
    const created = await as<RolloutSummary>(
      'ann',
      'POST',
      '/v1/rollouts',
      makeRolloutRequest({ configKey: k, targets: { selector }, stages: fastStages(0.2, { partial: true }) }),
    );
    expect((await as('bob', 'POST', `/v1/rollouts/${created.body.id}/review`, { decision: 'approve' })).status).toBe(202);
    await untilState(created.body.id, 'awaiting_approval');
    expect(await as<Err>('ann', 'POST', `/v1/rollouts/${created.body.id}/approve`)).toMatchObject({
      status: 403,
      body: { error: { code: 'four_eyes' } },
    });
    expect(await as<Err>('dora', 'POST', `/v1/rollouts/${created.body.id}/approve`)).toMatchObject({
      status: 403,
      body: { error: { code: 'forbidden' } },
    });
    expect((await as('cid', 'POST', `/v1/rollouts/${created.body.id}/approve`)).status).toBe(202);
    const done = await untilState(created.body.id, 'completed');
    expect(done.approvals).toEqual([{ stage: 'partial', by: 'cid', at: expect.any(String) }]);
    expect(done.events.find((e) => e.type === 'approved')?.detail).toMatchObject({ actor: 'cid' });
  });
});

describe('emergency', () => {
  const oneStage = [{ name: 'all', percent: 100, bakeSeconds: 0.3 }];

  it('lets an admin with a reason run one stage past review, flagged everywhere', async () => {
    const k = key();
    const app = `em${n}`;
    const fleet = await stack.fleet({ push: 3, pull: 0, idPrefix: `${stack.taskQueue}-${app}`, labels: { app } });
    expect((await stack.api('PUT', `/v1/configs/${k}/policy`, { approvals: 2 })).status).toBe(200);
    const created = await stack.api<RolloutSummary>(
      'POST',
      '/v1/rollouts',
      makeRolloutRequest({
        configKey: k,
        targets: { selector: { app } },
        stages: oneStage,
        emergency: { reason: 'portal down, revert pool size' },
      }),
    );
    expect(created).toMatchObject({
      status: 201,
      body: { state: 'running', emergency: true, emergencyReason: 'portal down, revert pool size' },
    });
    const done = await untilState(created.body.id, 'completed');
    expect(done.events.find((e) => e.type === 'rollout_started')?.detail).toMatchObject({ emergency: true });
    expect(fleet.targets.every((t) => t.version(k) === 1)).toBe(true);
    const listed = await stack.api<{ items: RolloutSummary[] }>('GET', `/v1/rollouts?configKey=${k}`);
    expect(listed.body.items[0]).toMatchObject({ id: created.body.id, emergency: true });
    const audit = await stack.api<{ items: AuditEntry[] }>('GET', `/v1/audit?configKey=${k}&action=createRollout`);
    expect(audit.body.items[0]).toMatchObject({ actor: 'admin', emergency: true, status: 201, rolloutId: created.body.id });
  });

  it('refuses a deployer (403), a missing or short reason (400), and one stage without emergency (422 policy_violation)', async () => {
    const k = key();
    const body = (extra: Record<string, unknown>) => makeRolloutRequest({ configKey: k, stages: oneStage, ...extra });
    expect(await as<Err>('dora', 'POST', '/v1/rollouts', body({ emergency: { reason: 'because I say so' } }))).toMatchObject({
      status: 403,
      body: { error: { code: 'forbidden', field: 'emergency' } },
    });
    expect(await stack.api<Err>('POST', '/v1/rollouts', body({ emergency: {} }))).toMatchObject({
      status: 400,
      body: { error: { field: 'emergency.reason' } },
    });
    expect(await stack.api<Err>('POST', '/v1/rollouts', body({ emergency: { reason: 'short' } }))).toMatchObject({
      status: 400,
      body: { error: { field: 'emergency.reason' } },
    });
    // The policy is checked against real targets (waves need their labels): give it one.
    expect((await stack.api('PUT', '/v1/targets/em-one', { labels: { app: 'em-one' } })).status).toBe(200);
    expect(await stack.api<Err>('POST', '/v1/rollouts', body({ targets: { ids: ['em-one'] } }))).toMatchObject({
      status: 422,
      body: {
        error: {
          code: 'policy_violation',
          details: [expect.objectContaining({ rule: 'minStages' }), expect.objectContaining({ rule: 'maxFirstStagePercent' })],
        },
      },
    });
  });
});

describe('audit log', () => {
  it('records actors, refusals and decisions, newest first, never a secret or content', async () => {
    const k = key();
    expect((await stack.api('PUT', `/v1/configs/${k}/policy`, { approvals: 1 })).status).toBe(200);
    expect((await stack.api('PUT', '/v1/targets/audit-t1', { labels: { app: `audit${n}` } })).status).toBe(200);
    const secretContent = { password: 'hunter2-not-in-the-audit' };
    const created = await as<RolloutSummary>(
      'dora',
      'POST',
      '/v1/rollouts',
      makeRolloutRequest({ configKey: k, targets: { ids: ['audit-t1'] }, content: secretContent }),
    );
    expect(created.status).toBe(201);
    await as('dora', 'POST', `/v1/rollouts/${created.body.id}/review`, { decision: 'approve' });
    await as('bob', 'POST', `/v1/rollouts/${created.body.id}/review`, { decision: 'reject' });
    await as(null, 'GET', '/v1/rollouts');
    await as('vera', 'GET', '/v1/audit');

    const page = await as<{ items: AuditEntry[]; nextCursor: string | null }>('ann', 'GET', '/v1/audit?limit=500');
    expect(page.status).toBe(200);
    const items = page.body.items;
    const times = items.map((e) => e.at);
    expect([...times].sort().reverse()).toEqual(times);
    const find = (f: Partial<AuditEntry>) => items.find((e) => Object.entries(f).every(([kk, v]) => e[kk as keyof AuditEntry] === v));
    expect(
      find({ actor: 'dora', action: 'createRollout', status: 201, configKey: k, rolloutId: created.body.id, role: 'deployer' }),
    ).toBeTruthy();
    expect(find({ actor: 'dora', action: 'reviewRollout', status: 403, rolloutId: created.body.id })).toBeTruthy();
    expect(find({ actor: 'bob', action: 'reviewRollout', status: 202, rolloutId: created.body.id })).toBeTruthy();
    expect(find({ actor: 'anonymous', role: 'none', method: 'GET', path: '/v1/rollouts', status: 401 })).toBeTruthy();
    expect(find({ actor: 'vera', action: 'listAudit', status: 403 })).toBeTruthy();
    expect(find({ actor: 'admin', action: 'putConfigPolicy', configKey: k, status: 200 })).toBeTruthy();
    for (const e of items) expect(e).toEqual(expect.objectContaining({ requestId: expect.any(String), ip: expect.any(String) }));
    // Reads that succeed are not audited.
    expect(find({ actor: 'ann', action: 'listAudit' })).toBeUndefined();

    const everything = JSON.stringify(await stack.redis.xrange(stack.redisKeys.audit, '-', '+'));
    for (const secret of [...Object.values(tokens), stack.adminToken, secretContent.password]) expect(everything).not.toContain(secret);
  });

  it('filters by actor and pages with nextCursor', async () => {
    const bobs = await as<{ items: AuditEntry[] }>('ann', 'GET', '/v1/audit?actor=bob');
    expect(bobs.body.items.length).toBeGreaterThan(0);
    expect(bobs.body.items.every((e) => e.actor === 'bob')).toBe(true);
    const first = await as<{ items: AuditEntry[]; nextCursor: string }>('ann', 'GET', '/v1/audit?limit=2');
    expect(first.body.items).toHaveLength(2);
    const second = await as<{ items: AuditEntry[] }>('ann', 'GET', `/v1/audit?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items).toHaveLength(2);
    expect(second.body.items[0]!.id).not.toBe(first.body.items[1]!.id);
    expect(second.body.items[0]!.at <= first.body.items[1]!.at).toBe(true);
    expect((await as<Err>('ann', 'GET', '/v1/audit?cursor=bogus')).status).toBe(400);
  });
});

describe('agent tokens', () => {
  it('let a pull target read and report only its own configs', async () => {
    const k = key();
    for (const id of ['agent-a', 'agent-b'])
      expect((await stack.api('PUT', `/v1/targets/${id}`, { labels: { app: 'agents' } })).status).toBe(200);
    const agentA = await stack.token('agent-a-token', 'agent', { ids: ['agent-a'] });
    expect((await as(agentA, 'GET', `/v1/targets/agent-a/configs/${k}`)).status).toBe(404);
    expect((await as(agentA, 'PUT', `/v1/targets/agent-a/configs/${k}/status`, { version: 0 })).status).toBe(204);
    expect(await as<Err>(agentA, 'GET', `/v1/targets/agent-b/configs/${k}`)).toMatchObject({
      status: 403,
      body: { error: { code: 'forbidden', field: 'targetId' } },
    });
    expect((await as(agentA, 'PUT', `/v1/targets/agent-b/configs/${k}/status`, { version: 0 })).status).toBe(403);
    expect((await as(agentA, 'GET', '/v1/targets/agent-b')).status).toBe(403);
    expect((await as(agentA, 'GET', '/v1/rollouts')).status).toBe(403);

    const bySelector = await stack.token('agents-by-label', 'agent', { selector: { app: 'agents' } });
    expect((await as(bySelector, 'GET', `/v1/targets/agent-b/configs/${k}`)).status).toBe(404);
    expect((await as(bySelector, 'GET', `/v1/targets/matrix-target/configs/${k}`)).status).toBe(403);
  });
});

describe('single sign-on (OIDC)', () => {
  let jwks: Server;
  let app: Server;
  let base: string;
  let privateKey: KeyLike;
  const issuer = 'https://id.example.test';

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwks = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
    const express = createApp({
      store: stack.store,
      client: stack.client,
      taskQueue: stack.taskQueue,
      log: () => undefined,
      oidc: { issuer, audience: 'tollgate', roleClaim: 'tollgate_role', jwksUrl },
    });
    app = await new Promise((resolve) => {
      const s = express.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    app?.closeAllConnections();
    await new Promise((r) => app?.close(r));
    await new Promise((r) => jwks?.close(r));
  });

  async function jwt(claims: Record<string, unknown>, o: { audience?: string; exp?: string | number; key?: KeyLike } = {}) {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(issuer)
      .setAudience(o.audience ?? 'tollgate')
      .setSubject('alice@example.test')
      .setIssuedAt()
      .setExpirationTime(o.exp ?? '5m')
      .sign(o.key ?? privateKey);
  }
  const me = (token: string) => fetch(`${base}/v1/me`, { headers: { authorization: `Bearer ${token}` } });

  it('accepts a JWT from the issuer, the subject being the actor and the claim the role', async () => {
    const res = await me(await jwt({ tollgate_role: ['viewer', 'approver'] }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: 'oidc:alice@example.test', name: 'alice@example.test', role: 'approver', via: 'oidc' });
    // Tollgate's own tokens still work beside it.
    expect((await fetch(`${base}/v1/me`, { headers: { authorization: `Bearer ${tokens.bob}` } })).status).toBe(200);
  });

  it('refuses another audience, an expired token, a foreign key, and no role', async () => {
    const foreign = (await generateKeyPair('RS256')).privateKey;
    for (const token of [
      await jwt({ tollgate_role: 'admin' }, { audience: 'someone-else' }),
      await jwt({ tollgate_role: 'admin' }, { exp: Math.floor(Date.now() / 1000) - 120 }),
      await jwt({ tollgate_role: 'admin' }, { key: foreign }),
      await jwt({}),
      await jwt({ tollgate_role: 'root' }),
    ]) {
      const res = await me(token);
      expect(res.status).toBe(401);
      expect(((await res.json()) as Err).error.code).toBe('unauthenticated');
    }
  });

  it('records the subject as the actor in the audit log', async () => {
    const token = await jwt({ tollgate_role: 'deployer' });
    const res = await fetch(`${base}/v1/targets/sso-target`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ labels: {} }),
    });
    expect(res.status).toBe(200);
    const audit = await stack.api<{ items: AuditEntry[] }>('GET', '/v1/audit?action=putTarget&actor=alice@example.test');
    expect(audit.body.items[0]).toMatchObject({ actor: 'alice@example.test', role: 'deployer', status: 200 });
  });
});
