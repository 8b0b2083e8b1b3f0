/**
 * The typed client of the contract (api/client.ts) against the real stack: what it sends is what
 * the API takes, what the API answers is what its types say, and a refusal arrives as one
 * ApiClientError carrying the API's code, message and field.
 */
import type { z } from 'zod';
import { ApiClientError, startedRollout, type ApiClient } from '../../api/client';
import type { CreateRolloutRequest } from '../../domain/schemas';
import { fastStages, makeRolloutRequest } from '../helpers/factories';
import { startStack, type Stack } from '../helpers/stack';

/** The factories build requests loosely (other suites send invalid ones); these are valid. */
type CreateRolloutInput = z.input<typeof CreateRolloutRequest>;

let stack: Stack;
let client: ApiClient;
beforeAll(async () => {
  stack = await startStack('client');
  client = stack.http;
});
afterAll(async () => {
  await stack?.stop();
});

/** The error a call rejects with (fails the test if it resolves). */
async function refusal(call: Promise<unknown>): Promise<ApiClientError> {
  const err = await call.then(
    () => new Error('expected the call to be refused'),
    (e: unknown) => e,
  );
  if (!(err instanceof ApiClientError)) throw err;
  return err;
}

describe('the typed client against the API', () => {
  it('says who the token belongs to', async () => {
    await expect(client.whoami()).resolves.toMatchObject({ name: expect.any(String), role: 'admin' });
  });

  it('registers, reads, lists by selector and deletes a target, encoding its id and the selector', async () => {
    const id = `${stack.taskQueue}-t.1`;
    const app = `${stack.taskQueue}-app`;
    const put = await client.putTarget({ params: { targetId: id }, body: { labels: { app, zone: 'a' } } });
    expect(put).toMatchObject({ id, labels: { app, zone: 'a' } });
    await expect(client.getTarget({ params: { targetId: id } })).resolves.toEqual(put);
    const listed = await client.listTargets({ query: { selector: `app=${app},zone=a` } });
    expect(listed.items.map((t) => t.id)).toEqual([id]);
    await expect(client.deleteTarget({ params: { targetId: id } })).resolves.toBeUndefined();

    const gone = await refusal(client.getTarget({ params: { targetId: id } }));
    expect([gone.status, gone.code, gone.field]).toEqual([404, 'NotFound', 'targetId']);
    expect(gone.message).toContain(id);
  });

  it('carries the field a refused body names', async () => {
    const bad = await refusal(client.putTarget({ params: { targetId: `${stack.taskQueue}-t2` }, body: { healthUrl: 'ftp://x' } }));
    expect([bad.status, bad.code, bad.field]).toEqual([400, 'InvalidRequest', 'healthUrl']);
    expect(bad.details).toMatchObject({ in: 'body' });
    expect(bad.requestId).toEqual(expect.any(String));
  });

  it('starts rollouts, pages through them with nextCursor, and steers one', async () => {
    const app = `${stack.taskQueue}-web`;
    await stack.fleet({ push: 2, pull: 0, idPrefix: app, labels: { app } });
    const configKey = `${stack.taskQueue}-k1`;
    const request = makeRolloutRequest({ configKey, targets: { selector: { app } }, stages: fastStages(30) });
    const first = startedRollout(await client.createRollout({ body: request as CreateRolloutInput }));
    await client.rollbackRollout({ params: { rolloutId: first.id }, body: { reason: 'make room' } });
    await stack.untilRollout(first.id, 'rolled back', (r) => r.state === 'rolled_back', 30_000);
    const second = startedRollout(await client.createRollout({ body: request as CreateRolloutInput }));

    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 5; pages++) {
      const page = await client.listRollouts({ query: { configKey, limit: 1, cursor } });
      seen.push(...page.items.map((r) => r.id));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual([second.id, first.id]);

    const paused = await client.pauseRollout({ params: { rolloutId: second.id }, body: { reason: 'look first' } });
    expect(paused.id).toBe(second.id);
    const detail = await stack.untilRollout(second.id, 'paused', (r) => r.state === 'paused', 30_000);
    expect(detail.events.map((e) => e.type)).toContain('paused');
    await client.rollbackRollout({ params: { rolloutId: second.id } });

    // A rollback is an incident: the report method asks for it as JSON, text() as Markdown.
    const report = await client.getRolloutReport({ params: { rolloutId: first.id } });
    expect(report).toMatchObject({ rolloutId: first.id, configKey });
    await expect(client.text('getRolloutReport', { params: { rolloutId: first.id } })).resolves.toContain(first.id);
  });

  it('answers a dry run with the plan', async () => {
    const app = `${stack.taskQueue}-dry`;
    await stack.fleet({ push: 2, pull: 0, idPrefix: app, labels: { app } });
    const plan = await client.createRollout({
      query: { dryRun: 'true' },
      body: makeRolloutRequest({ configKey: `${stack.taskQueue}-k2`, targets: { selector: { app } } }) as CreateRolloutInput,
    });
    expect(plan).toMatchObject({ dryRun: true, totalTargets: 2 });
    expect(() => startedRollout(plan)).toThrow('dry run');
  });

  it('refuses a token without the role, and one it does not know', async () => {
    const viewer = stack.as(await stack.token(`${stack.taskQueue}-viewer`, 'viewer'));
    await expect(viewer.listRollouts({ query: { limit: 1 } })).resolves.toMatchObject({ items: expect.any(Array) });
    const forbidden = await refusal(viewer.liftFreeze());
    expect([forbidden.status, forbidden.code]).toEqual([403, 'forbidden']);
    const unknown = await refusal(stack.as('not-a-token').whoami());
    expect([unknown.status, unknown.code]).toEqual([401, 'unauthenticated']);
  });

  it('reads the Markdown report as text and a stream URL the API serves', async () => {
    const missing = await refusal(client.text('getRolloutReport', { params: { rolloutId: 'no-such-rollout' } }));
    expect([missing.status, missing.code]).toEqual([404, 'NotFound']);
    const url = client.url('streamRolloutEvents', { params: { rolloutId: 'no-such-rollout' }, query: { replay: '1' } });
    const res = await fetch(url, { headers: client.headers() });
    expect(res.status).toBe(404);
  });
});
