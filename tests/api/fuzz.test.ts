/**
 * Property-based fuzzing of every route in the contract (fast-check): each case is a request made
 * wrong in one way (a bad path id, a query parameter or value the route does not take, a bad
 * Last-Event-ID, a body that is not JSON or not declared JSON, nested past the depth bound, over
 * the size or item bound, or JSON that breaks the route's schema, with odd unicode, prototype keys,
 * huge strings and arrays). Every answer must be a 4xx with a stable code and the request id;
 * afterwards no rollout has started, the stack's Redis keys are exactly as before, no prototype
 * was polluted, and /healthz answered within 1 s throughout.
 *
 * Cases per run: FUZZ_RUNS (default 3,000, about 35 s on a busy 2-core machine). A failure prints fast-check's seed and path; replay it
 * with: FUZZ_SEED=<seed> FUZZ_PATH=<path> npm test -- tests/api/fuzz.test.ts
 */
import fc from 'fast-check';
import { contract, type Route } from '../../api/contract';
import { Reason } from '../../domain/reasons';
import { ID_PATTERN } from '../../domain/schemas';
import { makeRolloutRequest } from '../helpers/factories';
import { startStack, type ApiInit, type Stack } from '../helpers/stack';

const RUNS = Number(process.env.FUZZ_RUNS ?? 3_000);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const PATH = process.env.FUZZ_PATH;

let stack: Stack;
let fuzzKey: string;
let knownTarget: string;
beforeAll(async () => {
  stack = await startStack('fuzz');
  // Given some state to protect: a target, and a config key whose schema no content satisfies
  fuzzKey = `${stack.taskQueue}-key`;
  knownTarget = `${stack.taskQueue}-t1`;
  expect((await stack.api('PUT', `/v1/targets/${knownTarget}`, { labels: { app: 'fuzz' } })).status).toBe(200);
  expect((await stack.api('PUT', `/v1/configs/${fuzzKey}/schema`, { not: {} })).status).toBe(200);
});
afterAll(async () => {
  await stack?.stop();
});

/** Every Tollgate key of this stack with its value (DUMP), to compare before and after. */
async function snapshot(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await stack.redis.scan(cursor, 'MATCH', `${stack.taskQueue}:*`, 'COUNT', 1000);
    cursor = next;
    // The audit log records every refused mutation by design: it is the one key meant to change.
    for (const k of keys)
      if (k !== stack.redisKeys.audit) out.set(k, ((await stack.redis.dumpBuffer(k)) ?? Buffer.alloc(0)).toString('base64'));
  } while (cursor !== '0');
  return out;
}

/* ---------- what goes into a request ---------- */

interface Req {
  method: string;
  path: string;
  init: ApiInit;
  /** Which kind of wrongness, for the report. */
  kind: string;
}

const oddStrings = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '\u0000',
    '\u202e',
    '\ufeff',
    '\ud800',
    '𝕏𝕏',
    'e\u0301',
    '../..',
    '%00',
    '__proto__',
    'constructor',
    '<script>',
    'a\r\nb',
  ),
);
const protoKey = fc.constantFrom('__proto__', 'constructor', 'prototype', '__defineGetter__', 'hasOwnProperty', 'toString');

/** JSON text of a value with prototype keys as own properties (JSON.stringify of a literal would not write them). */
const protoObject = fc
  .tuple(fc.array(fc.tuple(protoKey, fc.jsonValue({ maxDepth: 2 })), { minLength: 1, maxLength: 3 }))
  .map(([pairs]) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`);

/** Hostile JSON text: odd values that are still valid JSON. */
const hostileJson = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null') },
  { weight: 2, arbitrary: protoObject },
  { weight: 2, arbitrary: oddStrings.map((s) => JSON.stringify(s)) },
  { weight: 1, arbitrary: fc.integer({ min: 10_000, max: 200_000 }).map((n) => JSON.stringify('x'.repeat(n))) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 5_000 }).map((n) => `[${Array(n).fill('{"a":[1,"b"]}').join(',')}]`) },
  { weight: 1, arbitrary: fc.constantFrom('1e400', '-0', '123456789012345678901234567890', 'null', 'true', '""') },
);

/** encodeURIComponent, with lone surrogates (which it refuses) replaced. */
function enc(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '\ufffd'));
  }
}

/** Not `.`, `..` or `%2E%2E`: the client resolves those dot segments before sending, to another path. */
const BAD_IDS = [
  '-x',
  '_x',
  'a..b',
  '%00',
  'a%00b',
  'a%2Fb',
  '..%2F..%2Fetc',
  'a%20b',
  '%C3%BC',
  '%E2%80%AE',
  '%FF',
  '%',
  '%ZZ',
  '__proto__',
  'a'.repeat(129),
  'a'.repeat(5_000),
];
const badId = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...BAD_IDS) },
  { weight: 1, arbitrary: oddStrings.filter((s) => s !== '' && !ID_PATTERN.test(s)).map(enc) },
);
/** Ids that pass validation but name nothing: every GET, DELETE and action on them is 404. */
const unknownId = fc.oneof(
  fc.constantFrom('constructor', 'toString', 'hasOwnProperty', 'valueOf'),
  fc.nat().map((n) => `fz-${n.toString(36)}`),
);

/* ---------- how a route's request is made wrong ---------- */

const ROUTES = Object.entries(contract as Record<string, Route>);
const paramsOf = (route: Route) => [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!);

/** A valid value for each path parameter that names nothing. */
function unknownParams(route: Route): fc.Arbitrary<Record<string, string>> {
  const entries = paramsOf(route).map((p) => {
    if (p === 'action') return fc.constant([p, 'pause'] as const);
    if (p === 'version') return fc.constant([p, '1'] as const);
    return unknownId.map((id) => [p, id] as const);
  });
  return fc.tuple(...entries).map((pairs) => Object.fromEntries(pairs));
}

const fill = (route: Route, params: Record<string, string>) => route.path.replace(/:([A-Za-z]+)/g, (_, p: string) => params[p] ?? 'x');
const upper = (route: Route) => route.method.toUpperCase();

function badParam(route: Route): fc.Arbitrary<Req> | null {
  const names = paramsOf(route);
  if (names.length === 0) return null;
  return fc.tuple(unknownParams(route), fc.constantFrom(...names), badId).map(([params, name, bad]) => ({
    method: upper(route),
    path: fill(route, { ...params, [name]: bad }),
    init: {},
    kind: 'bad path id',
  }));
}

/** A query key no route takes (strict schemas refuse it; routes without a query refuse any). */
function unknownQuery(route: Route): fc.Arbitrary<Req> {
  const key = fc.oneof(
    protoKey,
    fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 10 }).map((s) => `zz${s}`),
  );
  return fc.tuple(unknownParams(route), key, oddStrings).map(([params, k, v]) => ({
    method: upper(route),
    path: `${fill(route, params)}?${enc(k)}=${enc(v)}`,
    init: {},
    kind: 'unknown query parameter',
  }));
}

/** Values that break the route's own query parameters. */
const BAD_QUERY: Partial<Record<string, string[]>> = {
  listTargets: ['selector=zone', `selector=${'a=b,'.repeat(600)}`, 'selector=a%3Db%20c', 'selector=%00%3D1', 'selector=a&selector=b'],
  listRollouts: [
    'limit=0',
    'limit=501',
    'limit=abc',
    'limit=1.5',
    'state=exploded',
    'since=yesterday',
    'configKey=..',
    'cursor=zzz',
    `cursor=${Buffer.from(JSON.stringify([1, '../x'])).toString('base64url')}`,
    `cursor=${'A'.repeat(600)}`,
    'limit=1&limit=2',
  ],
  streamEvents: ['lastEventId=0', 'lastEventId=abc', 'lastEventId=1-2-3', `lastEventId=${'9'.repeat(30)}-0`],
  streamRolloutEvents: ['lastEventId=x', 'replay=maybe', 'replay=1&replay=0'],
};
function badQueryValue(name: string, route: Route): fc.Arbitrary<Req> | null {
  const values = BAD_QUERY[name];
  if (!values) return null;
  return fc.tuple(unknownParams(route), fc.constantFrom(...values)).map(([params, q]) => ({
    method: upper(route),
    path: `${fill(route, params)}?${q}`,
    init: {},
    kind: 'bad query value',
  }));
}

function badLastEventId(route: Route): fc.Arbitrary<Req> | null {
  if (!route.eventStream) return null;
  const value = fc.oneof(fc.constantFrom('0', 'x', '1-2-3', '-1-0', '1-0x'), fc.string({ unit: 'grapheme-ascii', maxLength: 30 }));
  // HTTP trims header values: judge the value as the server will see it.
  return fc
    .tuple(
      unknownParams(route),
      value.filter((v) => !/^\d{1,20}-\d{1,20}$/.test(v.trim())),
    )
    .map(([params, v]) => ({
      method: upper(route),
      path: fill(route, params),
      init: { headers: { 'last-event-id': v } },
      kind: 'bad Last-Event-ID',
    }));
}

/** Bodies: only on methods that carry one (fetch sends no body with GET). */
function withBody(route: Route, kind: string, body: fc.Arbitrary<{ raw: string | Uint8Array; type?: string }>): fc.Arbitrary<Req> {
  return fc.tuple(unknownParams(route), body).map(([params, b]): Req => {
    const headers: Record<string, string> = {};
    if (b.type !== undefined) headers['content-type'] = b.type;
    return { method: upper(route), path: fill(route, params), init: { rawBody: b.raw, headers }, kind };
  });
}

const NOT_JSON_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'text/json',
  'application/json-patch+json',
  'application/octet-stream',
];
const wrongType = fc.record({
  // Not empty: an empty body is no body at all.
  raw: fc.oneof(hostileJson, oddStrings).filter((raw) => raw.length > 0),
  type: fc.option(fc.constantFrom(...NOT_JSON_TYPES), { nil: undefined }),
});
const malformed = fc.record({
  raw: fc.oneof(
    fc.constantFrom('{', '{"configKey":', '[1,]', "{'a':1}", '{"a":1}}', 'nul', 'NaN', '\u0000', '{"a":"\\x"}', '{"a":1 "b":2}'),
    fc.string({ minLength: 1, maxLength: 50 }).filter((s) => {
      try {
        JSON.parse(s);
        return false;
      } catch {
        return true;
      }
    }),
  ),
  type: fc.constantFrom('application/json', 'application/json; charset=utf-8'),
});
const tooDeep = fc.tuple(fc.integer({ min: 65, max: 50_000 }), fc.boolean(), fc.boolean()).map(([depth, arrays, wrapped]) => {
  const inner = arrays ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  return { raw: wrapped ? `{"configKey":"k","content":${inner}}` : inner, type: 'application/json' };
});
const tooLarge = fc.constantFrom(
  { raw: `{"content":"${'x'.repeat(1_100_000)}"}`, type: 'application/json' },
  { raw: `[${'1,'.repeat(600_000)}1]`, type: 'application/json' },
);
const tooMany = fc
  .integer({ min: 50_001, max: 60_000 })
  .map((n) => ({ raw: `{"content":[${'0,'.repeat(n)}0]}`, type: 'application/json' }));

/** JSON a route's body schema refuses, or that must be refused after it (422, 404). */
function schemaBreaking(name: string): fc.Arbitrary<string> | null {
  const json = (v: unknown) => JSON.stringify(v);
  switch (name) {
    case 'createRollout':
      return fc.oneof(
        // Shaped right, but the content can never satisfy the key's schema, and no target exists
        hostileJson.map((content) => `{"configKey":${json(fuzzKey)},"targets":{"ids":["fz-nobody"]},"content":${content}}`),
        // An unknown or prototype key on the request itself
        fc.tuple(protoKey, hostileJson).map(([k, v]) => `${json(makeRolloutRequest()).slice(0, -1)},${json(k)}:${v}}`),
        hostileJson.filter((t) => !t.startsWith('{')),
      );
    case 'putTarget':
      return fc.oneof(
        fc
          .constantFrom(
            'http://169.254.169.254/latest/meta-data/',
            'http://[::ffff:169.254.169.254]/',
            'http://[fe80::1]/',
            'http://0.0.0.0/',
            'http://metadata.google.internal/',
            'http://nothing.invalid/',
            'javascript:alert(1)',
            'file:///etc/passwd',
            'gopher://127.0.0.1/',
          )
          .map((u) => json({ healthUrl: u })),
        fc.tuple(oddStrings, oddStrings).map(([k, v]) => json({ labels: { [`${k}\u0000`]: v } })),
        fc.tuple(protoKey, hostileJson).map(([k, v]) => `{"labels":{},${json(k)}:${v}}`),
        hostileJson.filter((t) => !t.startsWith('{')),
      );
    case 'putConfigSchema':
      return fc.oneof(
        hostileJson.filter((t) => !t.startsWith('{')),
        fc.constantFrom('(a)\\1', '(?=a)', '(?<!x)y', '\\k<n>(?<n>a)').map((p) => json({ type: 'string', pattern: p })),
        fc.constantFrom('http://169.254.169.254/s.json', 'https://evil.example/x', 'other.json#/a').map((r) => json({ $ref: r })),
        fc.constantFrom(12, 'nonsense', ['string', 7]).map((t) => json({ type: t })),
        fc
          .integer({ min: 5_100, max: 6_000 })
          .map((n) => json({ properties: Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, {}])) })),
      );
    case 'reportStatus':
      return fc.oneof(
        fc.constantFrom('-1', '1.5', '"1"', 'null', '1e400', '[]').map((v) => `{"version":${v}}`),
        fc.tuple(protoKey, hostileJson).map(([k, v]) => `{"version":1,${json(k)}:${v}}`),
        hostileJson.filter((t) => !t.startsWith('{')),
      );
    case 'pauseRollout':
    case 'resumeRollout':
    case 'approveRollout':
    case 'rollbackRollout':
      return fc.oneof(
        // The actor is the token's name: a body may not assert one
        fc.record({ actor: oddStrings, reason: oddStrings }).map(json),
        fc.constant(json({ reason: 'x'.repeat(1001) })),
        fc.tuple(protoKey, hostileJson).map(([k, v]) => `{${json(k)}:${v}}`),
        hostileJson.filter((t) => !t.startsWith('{')),
      );
    default:
      // Any body for a route without one; for the others, whatever their schema refuses (below)
      return hostileJson;
  }
}

function acceptedBy(schema: NonNullable<Route['body']>, raw: string): boolean {
  try {
    return schema.safeParse(JSON.parse(raw)).success;
  } catch {
    return false;
  }
}

function casesFor(name: string, route: Route): fc.Arbitrary<Req> {
  const options: { arbitrary: fc.Arbitrary<Req>; weight: number }[] = [{ arbitrary: unknownQuery(route), weight: 1 }];
  for (const a of [badParam(route), badQueryValue(name, route), badLastEventId(route)]) if (a) options.push({ arbitrary: a, weight: 2 });
  if (route.method !== 'get') {
    options.push(
      { arbitrary: withBody(route, 'not JSON', wrongType), weight: 1 },
      { arbitrary: withBody(route, 'malformed JSON', malformed), weight: 1 },
      { arbitrary: withBody(route, 'too deep', tooDeep), weight: 1 },
      { arbitrary: withBody(route, 'too many items', tooMany), weight: 1 },
    );
    const breaking = schemaBreaking(name);
    if (breaking) {
      // A generated body the route's schema happens to accept (`{}` for a policy whose fields are
      // all optional) is no malformed request: only refused bodies are sent.
      const schema = route.body;
      const refused = schema ? breaking.filter((raw) => !acceptedBy(schema, raw)) : breaking;
      const body = refused.map((raw) => ({ raw, type: 'application/json' }));
      options.push({ arbitrary: withBody(route, 'breaks the schema', body), weight: 4 });
    }
  }
  return fc.oneof(...options);
}

/** Built once the stack exists: some cases name its config key. */
function anyCase(): fc.Arbitrary<Req> {
  const bodied = ROUTES.filter(([, r]) => r.method !== 'get');
  return fc.oneof(
    { weight: 200, arbitrary: fc.oneof(...ROUTES.map(([name, route]) => casesFor(name, route))) },
    // Over the size bound: costly to send, so rarer
    { weight: 3, arbitrary: fc.constantFrom(...bodied).chain(([, r]) => withBody(r, 'too large', tooLarge)) },
  );
}

const STABLE_CODES = new Set<string>(Object.values(Reason));

describe('fuzzing every route', () => {
  it(`answers ${RUNS} malformed requests with a 4xx and a stable code, and changes nothing`, async () => {
    // Bounded well inside the test timeout, so a failure still reports its seed.
    const before = await snapshot();
    const started = performance.now();

    // /healthz is polled throughout
    let polling = true;
    let slowestHealthMs = 0;
    let healthPolls = 0;
    const healthFailures: string[] = [];
    const poll = (async () => {
      while (polling) {
        const t = performance.now();
        const res = await stack.api('GET', '/healthz');
        const ms = performance.now() - t;
        slowestHealthMs = Math.max(slowestHealthMs, ms);
        healthPolls++;
        if (res.status !== 200 || ms > 1_000) healthFailures.push(`${res.status} after ${ms.toFixed(0)} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    const byKind = new Map<string, number>();
    try {
      await fc.assert(
        fc.asyncProperty(anyCase(), async (req) => {
          const res = await stack.api<{ error?: { code?: string; requestId?: string } }>(req.method, req.path, undefined, {
            ...req.init,
            timeoutMs: 10_000,
          });
          byKind.set(req.kind, (byKind.get(req.kind) ?? 0) + 1);
          const what = `${req.kind}: ${req.method} ${req.path.slice(0, 120)} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
          expect([what, res.status >= 400 && res.status < 500]).toEqual([what, true]);
          expect([what, STABLE_CODES.has(res.body?.error?.code ?? '')]).toEqual([what, true]);
          expect([what, res.body?.error?.requestId]).toEqual([what, res.headers.get('x-request-id')]);
        }),
        {
          numRuns: RUNS,
          interruptAfterTimeLimit: 100_000,
          markInterruptAsFailure: true,
          ...(SEED !== undefined ? { seed: SEED } : {}),
          ...(PATH ? { path: PATH } : {}),
        },
      );
    } finally {
      polling = false;
      await poll;
    }
    const elapsed = performance.now() - started;
    console.log(
      `fuzz: ${RUNS} cases in ${(elapsed / 1000).toFixed(1)} s; ${JSON.stringify(Object.fromEntries(byKind))}; ` +
        `slowest /healthz ${slowestHealthMs.toFixed(0)} ms over ${healthPolls} polls`,
    );

    // Then nothing changed: no rollout, no key written or removed, no prototype polluted
    expect(healthFailures).toEqual([]);
    expect((await stack.api<{ items: unknown[] }>('GET', '/v1/rollouts')).body.items).toEqual([]);
    const after = await snapshot();
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [k, v] of before) expect([k, after.get(k)]).toEqual([k, v]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
  });
});
