/**
 * The API as a hostile user meets it, over HTTP against the real stack: a ReDoS pattern, a body
 * nested 50,000 deep, target URLs that point at metadata services or redirect elsewhere, slow
 * clients, a flood of bad requests. Each is refused with a 4xx naming the limit, quickly, while
 * /healthz keeps answering. This stack runs the default rate limits, so the flood comes last.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { RATE_LIMIT_DEFAULTS } from '../../api/limits';
import type { RolloutSummary } from '../../domain/schemas';
import { waitFor } from '../helpers/env';
import { makeRolloutRequest } from '../helpers/factories';
import { Drill } from '../helpers/processes';
import { requestHeaders, startStack, type Stack } from '../helpers/stack';

type Err = { error: { code: string; message: string; field?: string; requestId?: string } };

const CONCURRENT_STREAMS = 2;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('hostile', {
    app: { rate: { ...RATE_LIMIT_DEFAULTS, concurrentStreams: CONCURRENT_STREAMS }, corsOrigins: ['https://ops.example.com'] },
    listener: { headersTimeoutMs: 2_000, requestTimeoutMs: 15_000, checkIntervalMs: 200 },
  });
});
afterAll(async () => {
  await stack?.stop();
});

const key = (name: string) => `${stack.taskQueue}-${name}`;

/** Polls /healthz while `during` runs; returns the slowest answer (ms) and every status seen. */
async function healthWhile<T>(
  during: () => Promise<T>,
  healthUrl = `${stack.apiUrl}/healthz`,
): Promise<{ result: T; slowestMs: number; statuses: number[] }> {
  let running = true;
  let slowestMs = 0;
  const statuses: number[] = [];
  const poll = (async () => {
    while (running) {
      const started = performance.now();
      const res = await fetch(healthUrl);
      await res.text();
      slowestMs = Math.max(slowestMs, performance.now() - started);
      statuses.push(res.status);
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  try {
    const result = await during();
    return { result, slowestMs, statuses };
  } finally {
    running = false;
    await poll;
  }
}

describe('regular expressions from users run in linear time', () => {
  it('answers the ReDoS case with 422 in well under a second while /healthz keeps answering', async () => {
    // Given a schema whose pattern backtracks exponentially on V8's engine
    const k = key('redos');
    const schema = { type: 'object', properties: { name: { type: 'string', pattern: '^(a+)+$' } } };
    expect((await stack.api('PUT', `/v1/configs/${k}/schema`, schema)).status).toBe(200);
    // When content that would take ~37 s to reject that way is submitted
    const { result, slowestMs, statuses } = await healthWhile(async () => {
      const started = performance.now();
      const res = await stack.api<Err>(
        'POST',
        '/v1/rollouts',
        makeRolloutRequest({ configKey: k, content: { name: `${'a'.repeat(30)}!` }, targets: { ids: ['nobody'] } }),
      );
      return { res, ms: performance.now() - started };
    });
    // Then it is refused at once, naming the field, and health never waited
    expect(result.res.status).toBe(422);
    expect(result.res.body.error).toMatchObject({ code: 'SchemaViolation', field: 'content/name' });
    expect(result.ms).toBeLessThan(500);
    console.log(`ReDoS request answered in ${result.ms.toFixed(1)} ms; slowest /healthz meanwhile ${slowestMs.toFixed(1)} ms`);
    expect(statuses.every((s) => s === 200)).toBe(true);
    // An event loop the flood blocked would hold /healthz for the flood's whole length (seconds);
    // an API that keeps serving answers within one. The bound leaves room for the other suites
    // sharing this 2-core machine, which delay the poll itself.
    expect(slowestMs).toBeLessThan(2_500);
  });

  it('refuses a pattern RE2 cannot run with 422 naming it', async () => {
    const res = await stack.api<Err & { error: { details: { pattern: string } } }>('PUT', `/v1/configs/${key('backref')}/schema`, {
      properties: { a: { type: 'string', pattern: '^(a)\\1$' } },
    });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'UnsupportedPattern', field: 'body/properties/a/pattern' });
    expect(res.body.error.details.pattern).toBe('^(a)\\1$');
  });

  it('never fetches a remote $ref', async () => {
    const res = await stack.api<Err>('PUT', `/v1/configs/${key('ref')}/schema`, { $ref: 'http://169.254.169.254/schema.json' });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('RemoteRefRefused');
  });
});

describe('bodies are bounded before they are parsed', () => {
  it('refuses content nested 50,000 deep with 413 naming the limit', async () => {
    const deep = '['.repeat(50_000) + ']'.repeat(50_000);
    const body = `{"configKey":"${key('deep')}","targets":{"ids":["a"]},"content":${deep}}`;
    const res = await stack.api<Err>('POST', '/v1/rollouts', body);
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'JsonTooDeep', field: 'body' });
    expect(res.body.error.message).toContain('TOLLGATE_MAX_JSON_DEPTH');
  });

  it('refuses a body with too many keys and elements with 413', async () => {
    const res = await stack.api<Err>('POST', '/v1/rollouts', `{"content":[${'0,'.repeat(60_000)}0]}`);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('JsonTooManyItems');
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['form data', 'application/x-www-form-urlencoded'],
    ['no type at all', undefined],
  ])('answers a %s body on a JSON route with 415', async (_n, type) => {
    const res = await stack.api<Err>('PUT', `/v1/targets/${key('t')}`, undefined, {
      headers: type ? { 'content-type': type } : {},
      rawBody: '{"labels":{}}',
    });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('UnsupportedMediaType');
  });
});

describe('ids, cursors and query parameters', () => {
  it.each([
    ['NUL', 'a%00b'],
    ['..', '..%2F..%2Fetc'],
    ['a slash', 'a%2Fb'],
    ['5,000 characters', 'a'.repeat(5_000)],
    ['a dot-dot inside', 'a..b'],
  ])('refuses a rollout id with %s with 400', async (_n, id) => {
    const res = await stack.api<Err>('GET', `/v1/rollouts/${id}`);
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('rolloutId');
  });

  it('refuses a cursor that carries a bad id, and query parameters a route does not take', async () => {
    const cursor = Buffer.from(JSON.stringify([1, '../x'])).toString('base64url');
    expect((await stack.api<Err>('GET', `/v1/rollouts?cursor=${cursor}`)).body.error.field).toBe('cursor');
    expect((await stack.api<Err>('GET', '/v1/configs?__proto__=1')).body.error.field).toBe('query');
  });
});

describe('target URLs are fenced', () => {
  it.each([
    ['the metadata address', 'http://169.254.169.254/latest/meta-data/'],
    ['the metadata address as a number', 'http://2852039166/'],
    ['its IPv4-mapped form', 'http://[::ffff:169.254.169.254]/'],
    ['a metadata name', 'http://metadata.google.internal/computeMetadata/v1/'],
    ['0.0.0.0', 'http://0.0.0.0:4100/health'],
    ['a multicast address', 'http://224.0.0.1/'],
    ['a name that does not resolve', 'http://nothing-here.invalid/health'],
  ])('refuses %s at registration with 422', async (_n, url) => {
    const res = await stack.api<Err>('PUT', `/v1/targets/${key('fenced')}`, { healthUrl: url });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'TargetUrlRefused', field: 'healthUrl' });
    expect((await stack.api('GET', `/v1/targets/${key('fenced')}`)).status).toBe(404);
  });

  it('never follows a redirect: the second server is never called and the rollout does not complete', async () => {
    // Given a second server, and a target whose health and apply endpoints redirect to it
    const hits: string[] = [];
    const second = http.createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"version":1}');
    });
    await new Promise<void>((r) => second.listen(0, '127.0.0.1', r));
    const secondUrl = `http://127.0.0.1:${(second.address() as AddressInfo).port}`;
    const first = http.createServer((req, res) => {
      req.resume();
      res.writeHead(req.method === 'POST' ? 307 : 302, { location: `${secondUrl}${req.url}` }).end();
    });
    await new Promise<void>((r) => first.listen(0, '127.0.0.1', r));
    const firstUrl = `http://127.0.0.1:${(first.address() as AddressInfo).port}`;
    try {
      const id = key('redirector');
      const put = await stack.api('PUT', `/v1/targets/${id}`, { healthUrl: `${firstUrl}/health`, applyUrl: `${firstUrl}/apply` });
      expect(put.status).toBe(200);
      // When a rollout reaches it
      const r = await stack.api<RolloutSummary>(
        'POST',
        '/v1/rollouts',
        makeRolloutRequest({ configKey: key('redirect'), targets: { ids: [id] }, rollback: { attempts: 1, maxBackoffSeconds: 0.1 } }),
      );
      expect(r.status).toBe(201);
      // Then it ends without completing, and the server behind the redirect never heard of it
      const end = await waitFor(
        'the rollout to end',
        async () => {
          const s = (await stack.api<RolloutSummary>('GET', `/v1/rollouts/${r.body.id}`)).body;
          return ['rolled_back', 'failed', 'completed'].includes(s.state) ? s : null;
        },
        30_000,
        200,
      );
      expect(end.state).not.toBe('completed');
      expect(hits).toEqual([]);
    } finally {
      first.close();
      second.close();
    }
  });
});

describe('headers, CORS and request ids', () => {
  it('sets helmet headers and a request id on every answer, and repeats the id in errors', async () => {
    const res = await stack.api<Err>('GET', '/v1/nothing');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.error.requestId).toBe(res.headers.get('x-request-id'));
  });

  it('keeps a sane incoming request id and replaces one that is not', async () => {
    const kept = await stack.api('GET', '/healthz', undefined, { headers: { 'x-request-id': 'lb-4f2a9c-0001' } });
    expect(kept.headers.get('x-request-id')).toBe('lb-4f2a9c-0001');
    const replaced = await stack.api('GET', '/healthz', undefined, { headers: { 'x-request-id': 'x y' } });
    expect(replaced.headers.get('x-request-id')).not.toBe('x y');
  });

  it('answers CORS only for listed origins', async () => {
    const listed = await stack.api('GET', '/v1/configs', undefined, { headers: { origin: 'https://ops.example.com' } });
    expect(listed.headers.get('access-control-allow-origin')).toBe('https://ops.example.com');
    const other = await stack.api('GET', '/v1/configs', undefined, { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('slow clients and streams', () => {
  it('closes a connection whose headers never finish', async () => {
    // Given a client that starts a request and then sends a header line every 300 ms, forever
    const { port } = new URL(stack.apiUrl);
    const socket = net.connect(Number(port), '127.0.0.1');
    const started = Date.now();
    const drip = setInterval(() => socket.write(`x-slow-${Date.now()}: 1\r\n`), 300);
    socket.on('error', () => undefined);
    socket.write('GET /healthz HTTP/1.1\r\nhost: x\r\n');
    const closedAfter = await new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now() - started)));
    clearInterval(drip);
    // Then the server hangs up after the header timeout (2 s here), checked every 200 ms
    expect(closedAfter).toBeGreaterThanOrEqual(1_900);
    expect(closedAfter).toBeLessThan(5_000);
  });

  it('caps the event streams one client holds open, with 429 and Retry-After', async () => {
    const controllers = Array.from({ length: CONCURRENT_STREAMS }, () => new AbortController());
    const open = await Promise.all(
      controllers.map((c) => fetch(`${stack.apiUrl}/v1/events`, { headers: requestHeaders(stack.adminToken), signal: c.signal })),
    );
    try {
      expect(open.map((r) => r.status)).toEqual(open.map(() => 200));
      const refused = await stack.api<Err>('GET', '/v1/events');
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe('TooManyStreams');
      expect(refused.headers.get('retry-after')).toBe(String(RATE_LIMIT_DEFAULTS.streamRetryAfterSeconds));
    } finally {
      controllers.forEach((c) => c.abort());
    }
    // A closed stream frees its slot
    await waitFor('a free stream slot', async () => {
      const c = new AbortController();
      const res = await fetch(`${stack.apiUrl}/v1/events`, { headers: requestHeaders(stack.adminToken), signal: c.signal });
      c.abort();
      return res.status === 200;
    });
  });
});

type FloodRequest = { method: string; url: string; body: string | undefined; headers: Record<string, string> };
type FloodAnswer = { status: number; body: Err; headers: Headers };

/** Sends every request at once from a worker thread; answers in order. */
async function flood(requests: FloodRequest[]): Promise<FloodAnswer[]> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    Promise.all(workerData.map(async (r) => {
      const res = await fetch(r.url, { method: r.method, headers: r.headers, body: r.body });
      return { status: res.status, text: await res.text(), headers: Object.fromEntries(res.headers) };
    })).then((answers) => parentPort.postMessage(answers), (err) => parentPort.postMessage({ error: String(err) }));`;
  const worker = new Worker(code, { eval: true, workerData: requests });
  try {
    const out = await new Promise<{ status: number; text: string; headers: Record<string, string> }[] | { error: string }>(
      (resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      },
    );
    if (!Array.isArray(out)) throw new Error(out.error);
    return out.map((a) => {
      let body: Err;
      try {
        body = JSON.parse(a.text) as Err;
      } catch {
        body = { error: { code: `(not JSON: ${JSON.stringify(a.text.slice(0, 100))})`, message: '' } };
      }
      return { status: a.status, body, headers: new Headers(a.headers) };
    });
  } finally {
    await worker.terminate();
  }
}

describe('a flood of bad requests', () => {
  // The API as it runs in production: a process of its own with the default limits, not the test
  // process (which also runs a Temporal worker and Jest itself).
  let drill: Drill;
  beforeAll(async () => {
    drill = new Drill('flood');
    await drill.api({ TOLLGATE_RATE_MUTATIONS: '300', TOLLGATE_RATE_READS: '1200', TOLLGATE_RATE_STREAMS: '60' });
  }, 60_000);
  afterAll(async () => {
    await drill?.stop();
    await drill?.dropKeys();
  });

  it('answers 600 concurrent bad requests with 4xx or 429 while /healthz keeps answering', async () => {
    const bad: [string, string, string | undefined, Record<string, string>][] = [
      ['POST', '/v1/rollouts', '{"configKey":', { 'content-type': 'application/json' }],
      ['GET', '/v1/rollouts/a%00b', undefined, {}],
      ['PUT', `/v1/targets/${key('flood')}`, 'labels=1', { 'content-type': 'text/plain' }],
      ['GET', '/v1/rollouts?limit=0', undefined, {}],
      ['POST', '/v1/rollouts/nope/explode', undefined, {}],
      ['DELETE', '/v1/targets/..', undefined, {}],
    ];
    // The flood comes from another thread, as it would from another host: the test's own event
    // loop polls /healthz and is not busy sending the flood.
    const requests = Array.from({ length: 600 }, (_, i) => {
      const [method, path, rawBody, headers] = bad[i % bad.length]!;
      return { method, url: `${drill.apiUrl}${path}`, body: rawBody, headers: { ...requestHeaders(drill.adminToken), ...headers } };
    });
    const { result, slowestMs, statuses } = await healthWhile(() => flood(requests), `${drill.apiUrl}/healthz`);
    const byStatus = new Map<number, number>();
    for (const r of result) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
    console.log(
      `flood: ${JSON.stringify(Object.fromEntries(byStatus))}; slowest /healthz ${slowestMs.toFixed(1)} ms over ${statuses.length} polls`,
    );
    expect(result.every((r) => r.status >= 400 && r.status < 500)).toBe(true);
    // Every answer is Tollgate's JSON error, except Node's own bodiless 408 to a request whose
    // headers took longer than the header timeout (the slow-client bound, on a busy machine).
    const codes = new Set(result.map((r) => `${r.status} ${r.body.error.code}`));
    expect([...codes].filter((c) => c.includes('not JSON') && !c.startsWith('408 '))).toEqual([]);
    // Past the per-client limit the answer is 429 with Retry-After
    const limited = result.filter((r) => r.status === 429);
    expect(limited.length + result.filter((r) => r.status === 408).length).toBeGreaterThan(0);
    expect(limited.every((r) => r.body.error.code === 'RateLimited' && Number(r.headers.get('retry-after')) > 0)).toBe(true);
    expect(statuses.every((s) => s === 200)).toBe(true);
    // An event loop the flood blocked would hold /healthz for the flood's whole length (seconds);
    // an API that keeps serving answers within one. The bound leaves room for the other suites
    // sharing this 2-core machine, which delay the poll itself.
    expect(slowestMs).toBeLessThan(2_500);
  });
});
