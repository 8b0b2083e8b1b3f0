/**
 * Live events over Server-Sent Events, list paging and the read-model rebuild, against the real
 * stack: a real workflow writes the streams, real HTTP clients read them.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../api/app';
import { HealthStreamMessage, RolloutStreamMessage, type RolloutSummary } from '../../domain/schemas';
import { initialSummary } from '../../domain/summary';
import { compareStreamIds } from '../../store/events';
import { waitFor } from '../helpers/env';
import { fastStages, makeRolloutRequest } from '../helpers/factories';
import { openSse, type SseMessage, type SseStream } from '../helpers/sse';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let n = 0;
const streams: SseStream[] = [];

beforeAll(async () => {
  stack = await startStack('events');
});
afterEach(() => {
  streams.splice(0).forEach((s) => s.close());
});
afterAll(async () => {
  await stack?.stop();
});

type Err = { error: { code: string; message: string; field?: string } };

async function sse(path: string, headers: Record<string, string> = {}, base = stack.apiUrl): Promise<SseStream> {
  const s = await openSse(`${base}${path}`, { authorization: `Bearer ${stack.adminToken}`, ...headers });
  streams.push(s);
  return s;
}

async function given(push = 2): Promise<{ key: string; selector: Record<string, string> }> {
  n += 1;
  const key = `${stack.taskQueue}-k${n}`;
  const app = `app${n}`;
  await stack.fleet({ push, pull: 0, idPrefix: `${stack.taskQueue}-${n}`, labels: { app } });
  return { key, selector: { app } };
}

async function create(body: Record<string, unknown>): Promise<RolloutSummary> {
  const res = await stack.api<RolloutSummary>('POST', '/v1/rollouts', body);
  expect(res.status).toBe(201);
  return res.body;
}

const rolloutMessages = (ms: SseMessage[], id: string) =>
  ms
    .filter((m) => m.event === 'rollout')
    .map((m) => RolloutStreamMessage.parse(JSON.parse(m.data)))
    .filter((m) => m.rolloutId === id);
const ended = (id: string) => (ms: SseMessage[]) =>
  rolloutMessages(ms, id).some((m) => ['completed', 'rolled_back'].includes(m.event.type));

describe('GET /v1/rollouts/:id/events', () => {
  let rolloutId: string;
  let all: SseMessage[];

  it('replays a rollout as typed messages with monotonic ids, then streams it live', async () => {
    // Given a rollout under way
    const { key, selector } = await given(4);
    const r = await create(makeRolloutRequest({ configKey: key, targets: { selector }, stages: fastStages(0.4) }));
    rolloutId = r.id;
    // When a client asks for its whole history and keeps listening
    const s = await sse(`/v1/rollouts/${r.id}/events?replay=1`);
    expect(s.status).toBe(200);
    expect(s.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(s.headers.get('cache-control')).toMatch(/no-cache/);
    expect(s.headers.get('x-accel-buffering')).toBe('no');
    all = [...(await s.until('the rollout to end', ended(r.id)))];

    // Then every message is an `id:`, an event name and one line of JSON matching its schema
    for (const m of all) {
      expect(m.id).toMatch(/^\d+-\d+$/);
      expect(['rollout', 'health']).toContain(m.event);
      const body: unknown = JSON.parse(m.data);
      if (m.event === 'rollout') expect(RolloutStreamMessage.safeParse(body).success).toBe(true);
      else expect(HealthStreamMessage.safeParse(body).success).toBe(true);
    }
    // And ids only go up
    for (let i = 1; i < all.length; i++) expect(compareStreamIds(all[i]!.id!, all[i - 1]!.id!)).toBe(1);
    // And the rollout's events arrive complete and in order, each with the summary as of it
    const events = rolloutMessages(all, r.id);
    expect(events.map((m) => m.event.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.map((m) => m.event.type)).toEqual(expect.arrayContaining(['rollout_started', 'stage_started', 'applied', 'completed']));
    expect(events.at(-1)!.summary.state).toBe('completed');
    const health = all.filter((m) => m.event === 'health').map((m) => HealthStreamMessage.parse(JSON.parse(m.data)));
    expect(health.length).toBeGreaterThan(0);
    expect(health.map((h) => h.stage)).toEqual(expect.arrayContaining(['canary', 'partial', 'full']));
  });

  it('resumes after Last-Event-ID with exactly the events missed', async () => {
    const cut = Math.floor(all.length / 2);
    const missed = all.slice(cut + 1).map((m) => m.id);
    const header = await sse(`/v1/rollouts/${rolloutId}/events`, { 'Last-Event-ID': all[cut]!.id! });
    await header.until('the missed events', (ms) => ms.length >= missed.length);
    const query = await sse(`/v1/rollouts/${rolloutId}/events?lastEventId=${all[cut]!.id!}`);
    await query.until('the missed events', (ms) => ms.length >= missed.length);
    await new Promise((r) => setTimeout(r, 300));
    expect(header.messages.map((m) => m.id)).toEqual(missed);
    expect(query.messages.map((m) => m.id)).toEqual(missed);
  });

  it("gives each event one id in both streams: a client moves from the global stream to the rollout's and resumes", async () => {
    // Given the rollout's messages as the global stream has them
    const global = await sse('/v1/events?lastEventId=0-0');
    await global.until('the rollout to end', ended(rolloutId));
    const mine = global.messages.filter((m) => (JSON.parse(m.data) as { rolloutId: string }).rolloutId === rolloutId);
    // Then they carry the ids the rollout's own stream gave them
    expect(mine.map((m) => m.id)).toEqual(all.map((m) => m.id));
    // And a client that read the global stream up to one of them resumes the rollout's stream after it
    const cut = Math.floor(mine.length / 2);
    const moved = await sse(`/v1/rollouts/${rolloutId}/events`, { 'Last-Event-ID': mine[cut]!.id! });
    const missed = all.slice(cut + 1).map((m) => m.id);
    await moved.until('the rest of the rollout', (ms) => ms.length >= missed.length);
    expect(moved.messages.map((m) => m.id)).toEqual(missed);
  });

  it('without a resume id, sends only what happens from now on', async () => {
    const s = await sse(`/v1/rollouts/${rolloutId}/events`);
    await s.until('the connected comment', () => s.comments.includes('connected'));
    await new Promise((r) => setTimeout(r, 300));
    expect(s.messages).toEqual([]);
  });

  it('is 404 for an unknown rollout and 400 for a malformed resume id', async () => {
    const missing = await sse('/v1/rollouts/r-none/events');
    expect(missing.status).toBe(404);
    expect((JSON.parse(await missing.text()) as Err).error.field).toBe('rolloutId');
    const badHeader = await sse(`/v1/rollouts/${rolloutId}/events`, { 'Last-Event-ID': 'yesterday' });
    expect(badHeader.status).toBe(400);
    expect((JSON.parse(await badHeader.text()) as Err).error.field).toBe('last-event-id');
    const badQuery = await sse(`/v1/rollouts/${rolloutId}/events?lastEventId=x`);
    expect(badQuery.status).toBe(400);
    expect((JSON.parse(await badQuery.text()) as Err).error.field).toBe('lastEventId');
  });
});

describe('GET /v1/events', () => {
  it('streams every rollout live, from the first event of one started after connecting', async () => {
    const s = await sse('/v1/events');
    await s.until('the connected comment', () => s.comments.includes('connected'));
    const { key, selector } = await given();
    const r = await create(makeRolloutRequest({ configKey: key, targets: { selector }, stages: fastStages(0.2) }));
    await s.until('the rollout to end', ended(r.id));
    const events = rolloutMessages(s.messages, r.id);
    expect(events[0]!.event.seq).toBe(1);
    expect(events.map((m) => m.event.seq)).toEqual(events.map((_, i) => i + 1));
    expect(s.messages.some((m) => m.event === 'health' && (JSON.parse(m.data) as { rolloutId: string }).rolloutId === r.id)).toBe(true);
  });

  it('lists both streams in /openapi.json as text/event-stream', async () => {
    const doc = await stack.api<{ paths: Record<string, { get?: { responses: Record<string, { content?: object }> } }> }>(
      'GET',
      '/openapi.json',
    );
    for (const p of ['/v1/events', '/v1/rollouts/{rolloutId}/events']) {
      expect(Object.keys(doc.body.paths[p]!.get!.responses['200']!.content!)).toEqual(['text/event-stream']);
    }
  });
});

describe('stream limits', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    // Given an API with a short heartbeat and room for two clients
    const app = createApp({
      store: stack.store,
      client: stack.client,
      taskQueue: stack.taskQueue,
      sse: { heartbeatMs: 100, maxClients: 2 },
      log: () => undefined,
    });
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('sends heartbeat comments on an idle stream', async () => {
    const s = await sse('/v1/events', {}, base);
    await s.until('two heartbeats', () => s.comments.filter((c) => c === 'heartbeat').length >= 2, 2_000);
  });

  it('refuses clients beyond the limit with 503 and Retry-After, and frees the slot on disconnect', async () => {
    const a = await sse('/v1/events', {}, base);
    await sse('/v1/events', {}, base);
    const third = await sse('/v1/events', {}, base);
    expect(third.status).toBe(503);
    expect(third.headers.get('retry-after')).toBeTruthy();
    expect((JSON.parse(await third.text()) as Err).error.code).toBe('Unavailable');
    a.close();
    await waitFor('a free slot', async () => {
      const s = await openSse(`${base}/v1/events`, { authorization: `Bearer ${stack.adminToken}` });
      s.close();
      return s.status === 200;
    });
  });
});

describe('GET /v1/rollouts paging', () => {
  const base = Date.parse('2026-01-01T00:00:00.000Z');
  let keyA: string;
  let keyB: string;
  const ids: string[] = [];

  beforeAll(async () => {
    // Given twelve rollouts in the read model over two config keys, two of them in one millisecond
    keyA = `${stack.taskQueue}-pageA`;
    keyB = `${stack.taskQueue}-pageB`;
    for (let i = 0; i < 12; i++) {
      const createdAt = new Date(base + (i === 11 ? 10 : i) * 1000).toISOString();
      const s = initialSummary(
        {
          rolloutId: `${stack.taskQueue}-p${String(i).padStart(2, '0')}`,
          configKey: i % 3 === 0 ? keyB : keyA,
          stages: fastStages(),
          health: { intervalSeconds: 1, timeoutMs: 1000, maxErrorRate: 0, failureThreshold: 1 },
          onRegression: 'rollback',
          createdAt,
        },
        'wf',
      );
      await stack.store.recordProgress({ ...s, state: i % 4 === 0 ? 'completed' : 'rolled_back' }, 1, []);
      ids.push(s.id);
    }
  });

  type Page = { items: RolloutSummary[]; nextCursor: string | null };
  async function pages(query: string): Promise<RolloutSummary[][]> {
    const out: RolloutSummary[][] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: Page } = await stack.api<Page>(
        'GET',
        `/v1/rollouts?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(res.status).toBe(200);
      out.push(res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor && out.length < 20);
    return out;
  }
  const mine = (items: RolloutSummary[]) => items.filter((s) => s.configKey === keyA || s.configKey === keyB);
  const newestFirst = (xs: RolloutSummary[]) =>
    [...xs].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? 1 : -1));

  it('pages newest first with an opaque cursor, each rollout once', async () => {
    const all = (await pages('limit=500')).flat();
    const paged = await pages('limit=5');
    expect(paged.slice(0, -1).every((p) => p.length === 5)).toBe(true);
    expect(paged.flat().map((s) => s.id)).toEqual(all.map((s) => s.id));
    expect(mine(all).map((s) => s.id)).toEqual(newestFirst(mine(all)).map((s) => s.id));
    expect(mine(all)).toHaveLength(12);
  });

  it('filters by configKey and state, and pages within the filter', async () => {
    const b = (await pages(`configKey=${keyB}&limit=1`)).flat();
    expect(b.map((s) => s.id)).toEqual(newestFirst(b).map((s) => s.id));
    expect(b.map((s) => s.id).sort()).toEqual(ids.filter((_, i) => i % 3 === 0).sort());
    const completedA = (await pages(`configKey=${keyA}&state=completed&limit=2`)).flat();
    expect(completedA.map((s) => s.id).sort()).toEqual(ids.filter((_, i) => i % 3 !== 0 && i % 4 === 0).sort());
  });

  it('filters by creation time with since', async () => {
    const since = new Date(base + 8_000).toISOString();
    const items = mine((await pages(`since=${since}&limit=3`)).flat());
    expect(items.map((s) => s.id)).toEqual([ids[11], ids[10], ids[9], ids[8]]);
  });

  it.each([
    ['limit', 'limit=0'],
    ['limit', 'limit=many'],
    ['cursor', 'cursor=not-a-cursor'],
    ['since', 'since=yesterday'],
    ['state', 'state=sleeping'],
    ['configKey', 'configKey=-x'],
  ])('refuses a bad %s with 400 naming it', async (field, query) => {
    const res = await stack.api<Err>('GET', `/v1/rollouts?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe(field);
  });
});

describe('POST /v1/admin/read-model/rebuild', () => {
  it("restores a running rollout's lost summary from its workflow", async () => {
    // Given a running rollout whose summary the read model has lost; held at an approval gate, its
    // workflow writes nothing until approved, so nothing puts the summary back behind the test
    const { key, selector } = await given();
    const r = await create(makeRolloutRequest({ configKey: key, targets: { selector }, stages: fastStages(3, { canary: true }) }));
    await waitFor('the approval gate', async () => (await stack.store.rolloutSummary(r.id))?.state === 'awaiting_approval');
    await stack.redis.del(stack.redisKeys.rollout(r.id));
    expect((await stack.api('GET', `/v1/rollouts/${r.id}`)).status).toBe(404);
    // When the read model is rebuilt
    const res = await stack.api<{ scanned: number; restored: number; skipped: number; failed: unknown[] }>(
      'POST',
      '/v1/admin/read-model/rebuild',
    );
    // Then the rollout is back, as its workflow sees it
    expect(res.status).toBe(202);
    expect(res.body.failed).toEqual([]);
    expect(res.body.restored).toBeGreaterThanOrEqual(1);
    const back = await stack.api<RolloutSummary>('GET', `/v1/rollouts/${r.id}`);
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ id: r.id, configKey: key, version: r.version, state: 'awaiting_approval' });
    expect((await stack.api('POST', `/v1/rollouts/${r.id}/rollback`, { reason: 'test' })).status).toBe(202);
    await waitFor('the rollback', async () => (await stack.store.rolloutSummary(r.id))?.state === 'rolled_back');
  });
});
