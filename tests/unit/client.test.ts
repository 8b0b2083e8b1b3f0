/**
 * The typed client of the contract, against a recording fetch: how it builds each request (path
 * parameters, query, body, headers) and what a refusal becomes. The type-level checks at the end
 * are compiled by tsc (`npm run lint`): a contract change that breaks a caller breaks the build.
 */
import { Router } from 'express';
import {
  ApiClientError,
  createClient,
  errorFromResponse,
  pathOf,
  queryOf,
  ROLLOUT_ACTION_ROUTES,
  startedRollout,
  type ApiClient,
} from '../../api/client';
import { contract, type Route } from '../../api/contract';
import { bind } from '../../api/http';
import { routeTable, tableOf } from '../../api/route-table';
import { ROLLOUT_ACTIONS } from '../../domain/lifecycle';
import { cliError } from '../../cli/client';
import { ApiError } from '../../cli/errors';

interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** A client whose fetch records each request and answers `status` with `body`. */
function recording(status = 200, body = '{}', token: string | (() => string | undefined) | undefined = 's3cret') {
  const sent: Sent[] = [];
  const client = createClient({
    baseUrl: 'https://tollgate.test/',
    token,
    fetch: async (url, init) => {
      sent.push({
        url,
        method: String(init.method),
        headers: init.headers as Record<string, string>,
        body: init.body as string | undefined,
      });
      return new Response(status === 204 ? null : body, { status });
    },
  });
  return { client, sent };
}

describe('pathOf', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['/v1/targets/:targetId', { targetId: 'web-1' }, '/v1/targets/web-1'],
    ['/v1/targets/:targetId', { targetId: 'a/b c?d#e' }, '/v1/targets/a%2Fb%20c%3Fd%23e'],
    ['/v1/targets/:targetId/configs/:configKey', { targetId: 't', configKey: 'k.v' }, '/v1/targets/t/configs/k.v'],
    ['/v1/configs/:configKey/versions/:version', { configKey: 'db', version: 3 }, '/v1/configs/db/versions/3'],
    ['/v1/rollouts', {}, '/v1/rollouts'],
  ])('%s with %j', (path, params, expected) => expect(pathOf({ path }, params)).toBe(expected));

  it('refuses a missing path parameter, naming it', () => {
    expect(() => pathOf({ path: '/v1/targets/:targetId' }, {})).toThrow('the path parameter targetId is missing');
    expect(() => pathOf({ path: '/v1/targets/:targetId' }, { targetId: '' })).toThrow('targetId is missing');
  });
});

describe('queryOf', () => {
  it.each<[Record<string, unknown>, string]>([
    [{}, ''],
    [{ state: 'running', limit: 5 }, '?state=running&limit=5'],
    [{ configKey: undefined, cursor: '', actor: null, limit: 1 }, '?limit=1'],
    [{ selector: 'app=web,region=eu west' }, '?selector=app%3Dweb%2Cregion%3Deu+west'],
    [{ cursor: '1764057600000-0:r&x' }, '?cursor=1764057600000-0%3Ar%26x'],
    [{ dryRun: true }, '?dryRun=true'],
    [{ key: ['a', 'b'] }, '?key=a&key=b'],
  ])('%j → %s', (query, expected) => expect(queryOf(query)).toBe(expected));
});

describe('createClient', () => {
  it('substitutes and encodes path parameters and sends the token', async () => {
    const { client, sent } = recording(200, '{"id":"a/b"}');
    await expect(client.getTarget({ params: { targetId: 'a/b' } })).resolves.toEqual({ id: 'a/b' });
    expect(sent).toEqual([
      {
        url: 'https://tollgate.test/v1/targets/a%2Fb',
        method: 'GET',
        headers: { accept: 'application/json', authorization: 'Bearer s3cret' },
        body: undefined,
      },
    ]);
  });

  it('serializes the query, leaving out what is absent', async () => {
    const { client, sent } = recording(200, '{"items":[],"nextCursor":"c2"}');
    const page = await client.listRollouts({ query: { state: 'running', limit: 2, configKey: undefined, cursor: 'c1' } });
    expect(page.nextCursor).toBe('c2');
    expect(sent[0]!.url).toBe('https://tollgate.test/v1/rollouts?state=running&limit=2&cursor=c1');
  });

  it('sends a body as JSON with its content type, and no body as none', async () => {
    const { client, sent } = recording(202, '{"id":"r1"}');
    await client.pauseRollout({ params: { rolloutId: 'r1' }, body: { reason: 'look first' } });
    await client.rollbackRollout({ params: { rolloutId: 'r1' } });
    expect(sent.map((s) => [s.method, s.url, s.headers['content-type'], s.body])).toEqual([
      ['POST', 'https://tollgate.test/v1/rollouts/r1/pause', 'application/json', '{"reason":"look first"}'],
      ['POST', 'https://tollgate.test/v1/rollouts/r1/rollback', undefined, undefined],
    ]);
  });

  it('answers undefined for a 204', async () => {
    const { client, sent } = recording(204);
    await expect(client.deleteTarget({ params: { targetId: 't1' } })).resolves.toBeUndefined();
    expect(sent[0]!.method).toBe('DELETE');
  });

  it('asks a Markdown route for JSON as a method, and for Markdown as text', async () => {
    const { client, sent } = recording(200, '{"rolloutId":"r1"}');
    await client.getRolloutReport({ params: { rolloutId: 'r1' } });
    await client.text('getRolloutReport', { params: { rolloutId: 'r1' } });
    expect(sent.map((s) => [s.url, s.headers.accept])).toEqual([
      ['https://tollgate.test/v1/rollouts/r1/report?format=json', 'application/json'],
      ['https://tollgate.test/v1/rollouts/r1/report', 'text/markdown'],
    ]);
  });

  it('builds a stream URL and the headers for its reader', () => {
    const { client } = recording();
    expect(client.url('streamRolloutEvents', { params: { rolloutId: 'r 1' }, query: { replay: '1' } })).toBe(
      'https://tollgate.test/v1/rollouts/r%201/events?replay=1',
    );
    expect(client.headers()).toEqual({ authorization: 'Bearer s3cret' });
  });

  it('asks a token function on each request, and sends none when it has none', async () => {
    let token: string | undefined = 'first';
    const { client, sent } = recording(200, '{}', () => token);
    await client.whoami();
    token = undefined;
    await client.whoami();
    expect(sent.map((s) => s.headers.authorization)).toEqual(['Bearer first', undefined]);
  });

  it('has a method for every JSON route and none for the streams and /metrics', () => {
    const { client } = recording();
    const routes = Object.entries(contract) as [string, Route][];
    const json = routes.filter(([, r]) => !r.eventStream && !r.contentType).map(([name]) => name);
    expect(json.filter((name) => typeof (client as unknown as Record<string, unknown>)[name] !== 'function')).toEqual([]);
    expect(['streamEvents', 'streamRolloutEvents', 'metrics'].filter((name) => name in client)).toEqual([]);
  });

  it('maps each rollout action to its route', () => {
    for (const action of ROLLOUT_ACTIONS) expect(contract[ROLLOUT_ACTION_ROUTES[action]].path).toBe(`/v1/rollouts/:rolloutId/${action}`);
  });
});

describe('errors', () => {
  it("raises one ApiClientError with the API's status, code, message, field and details", async () => {
    const body = {
      error: {
        code: 'TargetInUse',
        message: 'targetId: t1 is part of active rollout r9',
        field: 'targetId',
        details: { rolloutId: 'r9' },
        requestId: 'q1',
      },
    };
    const { client } = recording(409, JSON.stringify(body));
    const err = await client.deleteTarget({ params: { targetId: 't1' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiClientError);
    expect({ ...(err as ApiClientError), message: (err as Error).message }).toEqual({
      name: 'ApiClientError',
      status: 409,
      code: 'TargetInUse',
      message: 'targetId: t1 is part of active rollout r9',
      field: 'targetId',
      details: { rolloutId: 'r9' },
      requestId: 'q1',
      text: undefined,
    });
  });

  it.each<[string, number, string]>([
    ['a proxy page', 502, '<html>Bad Gateway</html>'],
    ['an empty answer', 503, ''],
    ['JSON of another shape', 500, '{"message":"oops"}'],
  ])('keeps %s as text under the code Http', (_name, status, text) => {
    const err = errorFromResponse(status, text);
    expect([err.status, err.code, err.message, err.text]).toEqual([status, 'Http', `HTTP ${status}`, text]);
  });

  it('refuses a 2xx that is not JSON', async () => {
    const { client } = recording(200, 'not json');
    await expect(client.whoami()).rejects.toMatchObject({ status: 200, code: 'Http', text: 'not json' });
  });

  it('passes every failure through mapError', async () => {
    const client: ApiClient = createClient({
      baseUrl: 'https://tollgate.test',
      fetch: async () => new Response('{"error":{"code":"NotFound","message":"rolloutId: no rollout r1"}}', { status: 404 }),
      mapError: (err) => new Error(`mapped: ${(err as Error).message}`),
    });
    await expect(client.getRollout({ params: { rolloutId: 'r1' } })).rejects.toThrow('mapped: rolloutId: no rollout r1');
  });

  it('becomes the CLI error with the code named for an auth refusal and a hint', () => {
    const forbidden = cliError(errorFromResponse(403, '{"error":{"code":"forbidden","message":"alice may not"}}'), true);
    expect(forbidden).toBeInstanceOf(ApiError);
    expect([forbidden.message, forbidden.status, forbidden.code]).toEqual(['forbidden: alice may not', 403, 'forbidden']);
    expect(forbidden.hint).toMatch(/role of TOLLGATE_TOKEN is too low/);
    const proxy = cliError(errorFromResponse(502, ' <html>down</html> '), false);
    expect([proxy.message, proxy.code]).toEqual(['HTTP 502: <html>down</html>', 'Http']);
  });
});

describe('route table', () => {
  it('is the contract without its schemas', () => {
    expect(routeTable).toEqual(tableOf(contract));
    expect(routeTable.getRolloutReport).toEqual({ method: 'get', path: '/v1/rollouts/:rolloutId/report', markdown: true });
    expect(routeTable.streamEvents).toEqual({ method: 'get', path: '/v1/events', eventStream: true });
    expect(JSON.parse(JSON.stringify(routeTable))).toEqual(routeTable);
  });

  it('answers the started rollout of createRollout, and refuses a dry run’s plan', () => {
    expect(() => startedRollout({ dryRun: true } as never)).toThrow('dry run');
  });
});

/**
 * Never called: tsc checks these lines. Each `@ts-expect-error` must meet an error, so if the
 * contract stopped refusing one of these, the build would fail here.
 */
export async function contractTypes(client: ApiClient): Promise<void> {
  const target = await client.getTarget({ params: { targetId: 't1' } });
  target.labels satisfies Record<string, string>;
  // @ts-expect-error: a Target has no `colour`.
  void target.colour;
  // @ts-expect-error: getTarget needs its path parameter.
  await client.getTarget();
  // @ts-expect-error: the parameter is named targetId.
  await client.getTarget({ params: { id: 't1' } });
  // @ts-expect-error: `state` is one of the rollout states.
  await client.listRollouts({ query: { state: 'done' } });
  const page = await client.listRollouts();
  page.nextCursor satisfies string | null;
  // @ts-expect-error: a review's decision is approve or reject.
  await client.reviewRollout({ params: { rolloutId: 'r1' }, body: { decision: 'maybe' } });
  /* eslint-disable @typescript-eslint/no-unsafe-call -- the refused calls below have no type to call with */
  // @ts-expect-error: the event streams are not JSON methods (read them with url() and an SSE reader).
  await client.streamEvents();
  // @ts-expect-error: /metrics is text, read with text().
  await client.metrics();
  const deleted = await client.deleteTarget({ params: { targetId: 't1' } });
  deleted satisfies undefined;

  const router = Router();
  // @ts-expect-error: a handler answering another shape than its route's response does not compile.
  bind(router, contract.getTarget, async () => ({ status: 200, body: { id: 1 } }));
  // @ts-expect-error: nor one answering a status its route does not declare.
  bind(router, contract.listConfigs, async () => ({ status: 201, body: { items: [] } }));
  /* eslint-enable @typescript-eslint/no-unsafe-call */
  bind(router, contract.listConfigs, async () => ({ status: 200, body: { items: [] } }));
}
