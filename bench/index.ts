/**
 * `npm run bench [-- --quick]`: Tollgate at fleet scale, each figure beside the machine's own raw
 * limit measured in the same run on the same processes, and the ratio.
 *
 * Processes: this runner (the load client), the fleet (bench/fleet-process.ts, one port, O(1) per
 * request), Tollgate's API and worker(s) (dist/api/server.js, dist/worker/main.js), the raw clients
 * (bench/raw-client.ts: keep-alive POSTs, a Redis pipeline) and Temporal's floor (bench/trivial.ts:
 * a trivial workflow with as many activities as a rollout schedules).
 *
 * Scenarios, in the order of the issue's table: push apply, rollback, time to safety, pull
 * assignment, API latency and event streams, 200 rollouts at once, three workers, memory.
 * `--quick` runs every scenario at small sizes (CI smoke: no timed assertions, only that each
 * scenario ends as it must). Results: bench-results/<time>.json and bench-results/latest.md.
 *
 * Env: TEMPORAL_ADDRESS, REDIS_URL, TOLLGATE_WORKFLOW_BUNDLE (set by scripts/bench.mjs);
 * BENCH_CPU_PROF=<dir> profiles the worker, API and fleet; BENCH_SOAK_SECONDS overrides the soak.
 */
import { randomBytes } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Client, Connection } from '@temporalio/client';
import type { RolloutDetail, RolloutSummary } from '../domain/schemas';
import { createRedis } from '../runtime/redis';
import { keys } from '../store/keys';
import { Store } from '../store/store';
import { openSse } from '../tests/helpers/sse';
import { workflowIdFor } from '../workflows/definitions';
import { IpcChild } from './ipc';
import { BenchStack, profileArgs, rssMiB } from './stack';
import type { FleetMarks } from '../sim/virtual-fleet';
import { DEFAULT_CONCURRENCY } from '../activities';

const quick = process.argv.includes('--quick');
const DIST = join(__dirname, '..');

/** Sizes: the issue's in a full run, small ones in --quick. */
const SIZES = quick
  ? { push: 200, pull: 200, safety: [10], safetyRuns: 2, apiSeconds: 1, streams: 20, concurrent: 5, soakSeconds: 5 }
  : { push: 10_000, pull: 10_000, safety: [10, 500], safetyRuns: 20, apiSeconds: 10, streams: 200, concurrent: 200, soakSeconds: 600 };
const soakSeconds = Number(process.env.BENCH_SOAK_SECONDS ?? SIZES.soakSeconds);

export interface Row {
  scenario: string;
  target: string;
  tollgate: string;
  raw: string;
  /** Tollgate's figure as a share of the raw limit (1 = as fast as the raw limit), when one applies. */
  ratio: number | null;
  met: boolean | null;
  detail?: Record<string, unknown>;
}
const rows: Row[] = [];
function report(row: Row): void {
  rows.push(row);
  const ratio = row.ratio === null ? '' : ` ratio ${(row.ratio * 100).toFixed(0)}%`;
  const verdict = row.met === null ? '' : row.met ? '  [met]' : '  [MISSED]';
  console.log(`\n▶ ${row.scenario}\n  tollgate: ${row.tollgate}\n  raw:      ${row.raw}\n  target:   ${row.target}${ratio}${verdict}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]! : NaN;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

function eventAt(r: RolloutDetail, type: string): number {
  const e = r.events.find((x) => x.type === type);
  if (!e) throw new Error(`rollout ${r.id}: no ${type} event (state ${r.state}, reason ${r.reason ?? '-'})`);
  return Date.parse(e.at);
}

async function main(): Promise<void> {
  const temporalAddress = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const run = `bench-${randomBytes(3).toString('hex')}`;
  const prefix = `${run}:`;
  const redis = createRedis(redisUrl);
  const store = new Store(redis, prefix);
  // The bench seeds fleets and measures raw Redis on its own connection, under the store's key layout.
  const redisKeys = keys(prefix);
  const adminToken = `tg_bench_${randomBytes(24).toString('base64url')}`;
  const stack = new BenchStack({
    temporalAddress,
    redisUrl,
    prefix,
    taskQueue: run,
    adminToken,
    workflowBundle: process.env.TOLLGATE_WORKFLOW_BUNDLE,
    dist: DIST,
  });
  const fleet = IpcChild.fork('fleet', join(__dirname, 'fleet-process.js'), [], profileArgs('fleet'));
  const raw = IpcChild.fork('raw-client', join(__dirname, 'raw-client.js'));
  const trivial = IpcChild.fork('trivial', join(__dirname, 'trivial.js'));
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection });
  const rss: { at: number; label: string; mib: number }[] = [];
  let sampler: NodeJS.Timeout | undefined;
  const machine = {
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    redis: '',
    temporal: '',
    quick,
  };
  const started = new Date();
  try {
    await Promise.all([fleet.ready, raw.ready, trivial.ready]);
    const fleetUrl = await fleet.call<string>('url');
    await stack.startApi();
    await stack.startWorker();
    machine.redis = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
    machine.temporal = (await connection.workflowService.getSystemInfo({})).serverVersion || 'dev server (temporal CLI)';
    sampler = setInterval(() => {
      const at = Date.now();
      for (const p of [...stack.workers, stack.api!]) rss.push({ at, label: p.label, mib: rssMiB(p.pid) });
    }, 1_000);
    console.log(
      `Tollgate bench${quick ? ' (--quick: small sizes, smoke only)' : ''}: ${machine.cpus}, ${machine.memoryGiB} GiB, node ${machine.node}, Redis ${machine.redis}, Temporal ${machine.temporal}`,
    );

    const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${stack.apiUrl}${path}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };
    // Polled on the read model in Redis (what the API serves), not through GET /v1/rollouts/:id:
    // its per-target rows cost the API O(targets) per call, which would load the run it measures.
    // The detail is read once, at the end.
    const untilState = (id: string, states: string[], timeoutMs: number, everyMs = 50) =>
      until(
        `${id} in ${states.join('|')}`,
        async () => {
          const r = await store.rolloutSummary(id);
          if (!r) return undefined;
          if (states.includes(r.state)) return api<RolloutDetail>('GET', `/v1/rollouts/${id}`);
          if (['completed', 'rolled_back', 'failed'].includes(r.state))
            throw new Error(`rollout ${id} ended ${r.state} (${r.reason ?? '-'}), expected ${states.join('|')}`);
          return undefined;
        },
        timeoutMs,
        everyMs,
      );
    /** Registers `n` targets labelled group=<group>, straight into Redis (pipelined), and in the fleet. */
    const group = async (name: string, n: number, delivery: 'push' | 'pull'): Promise<string[]> => {
      const ids = Array.from({ length: n }, (_, i) => `${name}-${i}`);
      await fleet.call('add', { ids });
      const now = new Date().toISOString();
      for (let i = 0; i < ids.length; i += 1_000) {
        const pipe = redis.pipeline();
        for (const id of ids.slice(i, i + 1_000)) {
          const doc = {
            id,
            labels: { group: name },
            ...(delivery === 'push' ? { healthUrl: `${fleetUrl}/t/${id}/health`, applyUrl: `${fleetUrl}/t/${id}/apply` } : {}),
            createdAt: now,
            updatedAt: now,
          };
          // The layout Store.putTarget writes: the document, the id set and the label index.
          pipe
            .set(redisKeys.target(id), JSON.stringify(doc))
            .sadd(redisKeys.targetIds, id)
            .sadd(redisKeys.targetsLabelled('group', name), id);
        }
        await pipe.exec();
      }
      return ids;
    };
    const health = { intervalSeconds: 0.05, timeoutMs: 5_000, maxErrorRate: 0, failureThreshold: 1 };
    const minBake = health.failureThreshold * health.intervalSeconds;
    const rawPost = (ids: string[], configKey: string) =>
      raw.call<{ ms: number; failed: number }>('http', {
        urls: ids.map((id) => `${fleetUrl}/t/${id}/apply`),
        body: { configKey, version: 1, content: { v: 1 }, rolloutId: 'raw' },
        inFlight: DEFAULT_CONCURRENCY,
      });

    /* ---------- 1. push apply throughput ---------- */
    const pushIds = await group('push', SIZES.push, 'push');
    // Warm (JIT, connections) before timing; timed before and after Tollgate's run, the faster counts.
    await rawPost(pushIds.slice(0, 1_000), 'raw-warm');
    const rawBefore = await rawPost(pushIds, 'raw-push');
    await fleet.call('resetMarks');
    const t0 = Date.now();
    const good = await api<RolloutSummary>('POST', '/v1/rollouts', {
      configKey: 'push',
      content: { v: 1 },
      targets: { selector: { group: 'push' } },
      stages: [
        { name: 'canary', percent: 1, bakeSeconds: minBake },
        { name: 'partial', percent: 10, bakeSeconds: minBake },
        { name: 'full', percent: 100, bakeSeconds: 0 },
      ],
      health,
    });
    const done = await untilState(good.id, ['completed'], 600_000);
    const e2eMs = Date.now() - t0;
    const rawAfter = await rawPost(pushIds, 'raw-push');
    const rawPush = rawBefore.ms < rawAfter.ms ? rawBefore : rawAfter;
    if (rawPush.failed) throw new Error(`raw POSTs: ${rawPush.failed} failed`);
    const rawRate = (pushIds.length / rawPush.ms) * 1000;
    const pushMarks = await fleet.call<FleetMarks>('marks');
    if ((await fleet.call<number>('count', { ids: pushIds, version: 1 })) !== pushIds.length)
      throw new Error('not every push target runs v1');
    const applySpan = pushMarks.lastApplyAt! - pushMarks.firstApplyAt!;
    const applyRate = (pushIds.length / applySpan) * 1000;
    report({
      scenario: `${fmt(pushIds.length)} push targets, 3 stages: apply throughput`,
      target: '≥ 50% of the raw HTTP POST rate',
      tollgate: `${fmt(applyRate)} targets/s (first to last apply ${fmt(applySpan)} ms); POST to completed ${fmt(e2eMs)} ms = ${fmt((pushIds.length / e2eMs) * 1000)} targets/s`,
      raw: `${fmt(rawRate)} POST/s (${fmt(rawPush.ms)} ms, ${DEFAULT_CONCURRENCY} in flight, keep-alive; before ${fmt(rawBefore.ms)} ms, after ${fmt(rawAfter.ms)} ms)`,
      ratio: applyRate / rawRate,
      met: applyRate / rawRate >= 0.5,
      detail: { applySpanMs: applySpan, e2eMs, rawBeforeMs: rawBefore.ms, rawAfterMs: rawAfter.ms, events: done.events.length },
    });

    /* ---------- 2. rollback of N targets after the decision ---------- */
    const bad = await api<RolloutSummary>('POST', '/v1/rollouts', {
      configKey: 'push',
      content: { v: 2 },
      targets: { selector: { group: 'push' } },
      stages: [
        { name: 'half', percent: 50, bakeSeconds: minBake },
        { name: 'full', percent: 100, bakeSeconds: 600 },
      ],
      health,
    });
    await until(
      'all on v2',
      async () => ((await fleet.call<number>('count', { ids: pushIds, version: 2 })) === pushIds.length ? true : undefined),
      600_000,
      100,
    );
    await untilState(bad.id, ['running'], 60_000);
    await fleet.call('resetMarks');
    await fleet.call('sick', { ids: pushIds, sick: true });
    const rolled = await untilState(bad.id, ['rolled_back'], 600_000);
    await fleet.call('sick', { ids: pushIds, sick: false });
    const rbMarks = await fleet.call<FleetMarks>('marks');
    const decidedAt = eventAt(rolled, 'regression_detected');
    const restoreMs = eventAt(rolled, 'rolled_back') - decidedAt;
    const lastRestoreMs = rbMarks.lastRollbackAt! - decidedAt;
    if ((await fleet.call<number>('count', { ids: pushIds, version: 1 })) !== pushIds.length) throw new Error('a target was not restored');
    const rawRollbackMs = (pushIds.length / rawRate) * 1000;
    report({
      scenario: `rollback of ${fmt(pushIds.length)} targets after the decision`,
      target: '< 2 s after the decision',
      tollgate: `${fmt(restoreMs)} ms decision → rolled_back recorded (last target restored at +${fmt(lastRestoreMs)} ms); ${fmt(rbMarks.rollbacks)} rollback POSTs`,
      raw: `${fmt(rawRollbackMs)} ms for ${fmt(pushIds.length)} POSTs at the raw rate`,
      ratio: rawRollbackMs / restoreMs,
      met: restoreMs < 2_000,
      detail: { restoreMs, lastRestoreMs, rawRollbackMs },
    });

    /* ---------- 3. time to safety, bad canary ---------- */
    for (const size of SIZES.safety) {
      // The policy caps a first stage at 50%: the canary is the first half of a group twice its size.
      const ids = await group(`safe${size}`, 2 * size, 'push');
      const rawSafe = await rawPost(ids.slice(0, size), `raw-safe${size}`);
      const times: number[] = [];
      for (let runNo = 0; runNo < SIZES.safetyRuns; runNo++) {
        await fleet.call('resetMarks');
        const r = await api<RolloutSummary>('POST', '/v1/rollouts', {
          configKey: `safe${size}`,
          content: { healthy: false, run: runNo },
          targets: { selector: { group: `safe${size}` } },
          stages: [
            { name: 'canary', percent: 50, bakeSeconds: 60 },
            { name: 'full', percent: 100, bakeSeconds: 0 },
          ],
          health,
        });
        await untilState(r.id, ['rolled_back'], 120_000);
        const m = await fleet.call<FleetMarks>('marks');
        if (m.firstFailedProbeAt === null || m.lastRollbackAt === null)
          throw new Error(`safety run ${runNo}: no failed probe or no rollback seen`);
        times.push(m.lastRollbackAt - m.firstFailedProbeAt);
      }
      const p95 = percentile(times, 0.95);
      const limit = size <= 10 ? 2_000 : 5_000;
      report({
        scenario: `time to safety, bad canary of ${size} targets (first failed probe → last target restored), ${times.length} runs`,
        target: `p95 < ${limit / 1000} s`,
        tollgate: `p50 ${fmt(percentile(times, 0.5))} ms, p95 ${fmt(p95)} ms, max ${fmt(Math.max(...times))} ms`,
        raw: `${fmt(rawSafe.ms)} ms for ${size} POSTs (one probe interval is ${health.intervalSeconds * 1000} ms)`,
        ratio: null,
        met: p95 < limit,
        detail: { times, rawMs: rawSafe.ms },
      });
    }

    /* ---------- 4. pull assignment visible to all ---------- */
    const pullIds = await group('pull', SIZES.pull, 'pull');
    const assignKeys = pullIds.map((id) => redisKeys.assign(id));
    const rawRedis = await raw.call<{ ms: number }>('redis', { redisUrl, keys: assignKeys, field: 'raw-pull', value: '1' });
    const allVisible = async (): Promise<true | undefined> => {
      for (let i = 0; i < assignKeys.length; i += 2_000) {
        const pipe = redis.pipeline();
        for (const k of assignKeys.slice(i, i + 2_000)) pipe.hget(k, 'pull');
        const res = (await pipe.exec()) ?? [];
        if (res.some(([, v]) => v !== '1')) return undefined;
      }
      return true;
    };
    const p0 = Date.now();
    const pull = await api<RolloutSummary>('POST', '/v1/rollouts', {
      configKey: 'pull',
      content: { v: 1 },
      targets: { selector: { group: 'pull' } },
      stages: [
        { name: 'half', percent: 50, bakeSeconds: minBake },
        { name: 'all', percent: 100, bakeSeconds: 0 },
      ],
      health,
    });
    await until('every pull assignment visible', allVisible, 600_000, 20);
    const visibleMs = Date.now() - p0;
    const pullDone = await untilState(pull.id, ['completed'], 600_000);
    const assignSpan =
      Math.max(...pullDone.events.filter((e) => e.type === 'applied').map((e) => Date.parse(e.at))) - eventAt(pullDone, 'rollout_started');
    report({
      scenario: `${fmt(pullIds.length)} pull targets: assignment visible to all`,
      target: '< 2 s, ≥ 50% of the raw Redis pipeline rate for the same keys',
      tollgate: `${fmt(visibleMs)} ms POST → all visible (${fmt((pullIds.length / visibleMs) * 1000)} targets/s); rollout_started → last batch ${fmt(assignSpan)} ms`,
      raw: `${fmt(rawRedis.ms)} ms for ${fmt(pullIds.length)} HSETs in one pipeline (${fmt((pullIds.length / rawRedis.ms) * 1000)}/s)`,
      ratio: rawRedis.ms / visibleMs,
      met: visibleMs < 2_000 && rawRedis.ms / visibleMs >= 0.5,
      detail: { visibleMs, assignSpan, rawMs: rawRedis.ms },
    });

    /* ---------- 5. API latency and event streams ---------- */
    const cannon = (url: string, headers: Record<string, string>) =>
      autocannon({ url, connections: 10, overallRate: 500, duration: SIZES.apiSeconds, headers });
    const rawRun = await cannon(`${fleetUrl}/t/${pushIds[0]}`, {});
    // A rollout of 20 targets (the event-stream one below, run first), then the big one: the
    // detail carries one row per target, so its cost grows with the rollout.
    await group('sse', 20, 'push');
    const small = await api<RolloutSummary>('POST', '/v1/rollouts', {
      configKey: 'sse',
      content: { v: 0 },
      targets: { selector: { group: 'sse' } },
      stages: [
        { name: 'canary', percent: 10, bakeSeconds: minBake },
        { name: 'full', percent: 100, bakeSeconds: 0 },
      ],
      health,
    });
    const smallDone = await untilState(small.id, ['completed'], 120_000);
    // The big one twice: whole, and as a status poll asks for it (`targets=none`, no per-target rows).
    for (const [id, size, events, rows] of [
      [small.id, 20, smallDone.events.length, true],
      [good.id, pushIds.length, done.events.length, true],
      [good.id, pushIds.length, done.events.length, false],
    ] as const) {
      const apiRun = await cannon(`${stack.apiUrl}/v1/rollouts/${id}${rows ? '' : '?targets=none'}`, {
        authorization: `Bearer ${adminToken}`,
      });
      const non2xx = apiRun.non2xx + apiRun.errors + apiRun.timeouts;
      report({
        scenario: `GET /v1/rollouts/:id${rows ? '' : '?targets=none'} at 500 req/s (autocannon, 10 connections), a rollout of ${fmt(size)} targets`,
        target: 'p99 < 20 ms',
        tollgate: `p50 ${apiRun.latency.p50} ms, p99 ${apiRun.latency.p99} ms, ${fmt(apiRun.requests.average)} req/s served, ${non2xx} errors (${events} events, ${rows ? fmt(size) : 'no'} target rows)`,
        raw: `p50 ${rawRun.latency.p50} ms, p99 ${rawRun.latency.p99} ms: GET of a fleet target's JSON at the same rate`,
        ratio: null,
        met: apiRun.latency.p99 < 20 && non2xx === 0 && apiRun.requests.average >= 450,
        detail: { api: apiRun.latency, served: apiRun.requests.average, raw: rawRun.latency, non2xx },
      });
    }

    const streams = await Promise.all(
      Array.from({ length: SIZES.streams }, () => openSse(`${stack.apiUrl}/v1/events`, { authorization: `Bearer ${adminToken}` })),
    );
    if (streams.some((s) => s.status !== 200)) throw new Error(`an event stream answered ${streams.find((s) => s.status !== 200)?.status}`);
    await Promise.all(streams.map((s) => s.until('connected', () => s.comments.includes('connected'), 30_000)));
    const sseRollout = await api<RolloutSummary>('POST', '/v1/rollouts', {
      configKey: 'sse',
      content: { v: 1 },
      targets: { selector: { group: 'sse' } },
      stages: [
        { name: 'canary', percent: 10, bakeSeconds: 0.2 },
        { name: 'full', percent: 100, bakeSeconds: 0.2 },
      ],
      health,
    });
    const sseDone = await untilState(sseRollout.id, ['completed'], 120_000);
    const expected = sseDone.events.length;
    const seen = (s: (typeof streams)[number]) =>
      new Set(
        s.messages
          .filter((m) => m.event === 'rollout' && m.data.includes(sseRollout.id))
          .map((m) => (JSON.parse(m.data) as { event: { seq: number } }).event.seq),
      ).size;
    await until(
      'every stream to see every event',
      async () => (streams.every((s) => seen(s) >= expected) ? true : undefined),
      30_000,
      100,
    ).catch(() => undefined);
    const lost = streams.reduce((n, s) => n + Math.max(0, expected - seen(s)), 0);
    streams.forEach((s) => s.close());
    report({
      scenario: `${SIZES.streams} open event streams (GET /v1/events) through one rollout`,
      target: 'no lost events',
      tollgate: `${expected} events × ${SIZES.streams} streams, ${lost} lost`,
      raw: '—',
      ratio: null,
      met: lost === 0,
      detail: { expected, lost },
    });

    /* ---------- 6 and 7. concurrent rollouts on one worker, then three ---------- */
    // Probed once a second, as a service would be: at 50 ms, 200 baking rollouts keep the worker's
    // activity slots full of probes (measured: 35 of 200 finished in 7 minutes on a loaded machine).
    const calm = { ...health, intervalSeconds: 1 };
    const concurrent = async (label: string): Promise<{ ms: number; activities: number }> => {
      const n = SIZES.concurrent;
      for (let i = 0; i < n; i++) await group(`${label}-g${i}`, 5, 'push');
      const t = Date.now();
      const ids: string[] = [];
      for (let i = 0; i < n; i += 20) {
        const part = await Promise.all(
          Array.from({ length: Math.min(20, n - i) }, (_, j) =>
            api<RolloutSummary>('POST', '/v1/rollouts', {
              configKey: `${label}-k${i + j}`,
              content: { v: 1 },
              targets: { selector: { group: `${label}-g${i + j}` } },
              stages: [
                { name: 'canary', percent: 20, bakeSeconds: calm.intervalSeconds },
                { name: 'full', percent: 100, bakeSeconds: calm.intervalSeconds },
              ],
              health: calm,
            }),
          ),
        );
        ids.push(...part.map((p) => p.id));
      }
      for (const id of ids) await untilState(id, ['completed'], 900_000, 200);
      const ms = Date.now() - t;
      const history = await client.workflow.getHandle(workflowIdFor(`${label}-k0`)).fetchHistory();
      const activities = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes).length;
      return { ms, activities };
    };
    const one = await concurrent('c1');
    const floor = await trivial.call<{ ms: number }>('run', {
      temporalAddress,
      taskQueue: `${run}-trivial`,
      workflows: SIZES.concurrent,
      activities: one.activities,
      // The two stages' bakes: waits the policy asks for, not cost.
      waitsMs: [calm.intervalSeconds * 1000, calm.intervalSeconds * 1000],
    });
    report({
      scenario: `${SIZES.concurrent} rollouts at once on one worker (5 targets, 2 stages each)`,
      target: '≤ 2× the cost of the trivial workflow; rollouts/min reported',
      tollgate: `${fmt(one.ms)} ms = ${fmt((SIZES.concurrent / one.ms) * 60_000)} rollouts/min (${one.activities} activities each)`,
      raw: `${fmt(floor.ms)} ms for ${SIZES.concurrent} trivial workflows of ${one.activities} no-op activities and the same ${2 * calm.intervalSeconds} s of bake as timers`,
      ratio: floor.ms / one.ms,
      met: one.ms <= 2 * floor.ms,
      detail: { ...one, trivialMs: floor.ms },
    });

    await stack.startWorker();
    await stack.startWorker();
    const three = await concurrent('c3');
    report({
      scenario: 'three workers instead of one (the same concurrent rollouts)',
      target: 'throughput ×2 or better, or the bottleneck named',
      tollgate: `${fmt(three.ms)} ms with 3 workers vs ${fmt(one.ms)} ms with 1: ×${(one.ms / three.ms).toFixed(2)}`,
      raw: `${cpus().length} cores shared by Temporal, Redis, API, fleet and every worker`,
      ratio: null,
      met: one.ms / three.ms >= 2,
      detail: { oneMs: one.ms, threeMs: three.ms },
    });
    await stack.stopWorkers(1);

    /* ---------- 8. memory over a soak ---------- */
    const soakStart = Date.now();
    let soakRollouts = 0;
    const soakIds = await group('soak', 200, 'push');
    void soakIds;
    let version = 0;
    while (Date.now() - soakStart < soakSeconds * 1000) {
      version++;
      const r = await api<RolloutSummary>('POST', '/v1/rollouts', {
        configKey: 'soak',
        content: { v: version },
        targets: { selector: { group: 'soak' } },
        stages: [
          { name: 'canary', percent: 10, bakeSeconds: minBake },
          { name: 'full', percent: 100, bakeSeconds: minBake },
        ],
        health,
      });
      await untilState(r.id, ['completed'], 120_000, 100);
      soakRollouts++;
    }
    const soakEnd = Date.now();
    const window = Math.max(5_000, Math.min(60_000, ((soakEnd - soakStart) / 4) | 0));
    const median = (label: string, from: number, to: number) =>
      percentile(
        rss.filter((s) => s.label === label && s.at >= from && s.at <= to).map((s) => s.mib),
        0.5,
      );
    const peak = (label: string) => Math.max(...rss.filter((s) => s.label === label).map((s) => s.mib));
    const mem = ['worker-1', 'api'].map((label) => ({
      label,
      peak: peak(label),
      first: median(label, soakStart, soakStart + window),
      last: median(label, soakEnd - window, soakEnd),
    }));
    report({
      scenario: `memory: worker and API RSS (peak over the run; soak of ${fmt(soakSeconds)} s, ${soakRollouts} rollouts of 200 targets)`,
      target: 'reported, and flat over the soak',
      tollgate: mem.map((m) => `${m.label} peak ${fmt(m.peak)} MiB, soak ${fmt(m.first)} → ${fmt(m.last)} MiB`).join('; '),
      raw: '—',
      ratio: null,
      met: mem.every((m) => m.last <= m.first * 1.1 + 5),
      detail: { mem, soakRollouts },
    });

    /* ---------- notification latency (bench/notification-latency.ts, when present) ---------- */
    const notification = join(__dirname, 'notification-latency.js');
    if (existsSync(notification)) {
      console.log('\n▶ regression notification after detection: bench/notification-latency.ts');
      const { spawnSync } = await import('node:child_process');
      const r = spawnSync(process.execPath, [notification, ...(quick ? ['--quick'] : [])], { stdio: 'inherit', env: process.env });
      rows.push({
        scenario: 'regression notification after detection',
        target: 'p95 < 1 s',
        tollgate: 'see bench/notification-latency.ts output',
        raw: '—',
        ratio: null,
        met: r.status === 0 ? null : false,
      });
    }
  } finally {
    if (sampler) clearInterval(sampler);
    await stack.stop();
    await Promise.all([fleet.stop(), raw.stop(), trivial.stop()]);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
    redis.disconnect();
    await connection.close();
  }

  const out = join(process.cwd(), 'bench-results');
  mkdirSync(out, { recursive: true });
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const result = { at: started.toISOString(), machine, rows };
  writeFileSync(join(out, `${quick ? 'quick-' : ''}${stamp}.json`), JSON.stringify(result, null, 2));
  writeFileSync(join(out, quick ? 'latest-quick.md' : 'latest.md'), markdownTable(result));
  console.log(`\nresults: ${join(out, `${quick ? 'quick-' : ''}${stamp}.json`)} and ${quick ? 'latest-quick.md' : 'latest.md'}`);
}

/** The table BENCHMARKS.md holds, from one run. */
export function markdownTable(result: { at: string; machine: Record<string, unknown>; rows: Row[] }): string {
  const m = result.machine;
  const lines = [
    `Run ${result.at}: ${String(m.cpus)}, ${String(m.memoryGiB)} GiB, node ${String(m.node)}, Redis ${String(m.redis)}, Temporal ${String(m.temporal)}${m.quick ? ' (--quick)' : ''}`,
    '',
    '| scenario | target | Tollgate | raw limit, same run | ratio | met |',
    '|---|---|---|---|---|---|',
    ...result.rows.map(
      (r) =>
        `| ${r.scenario} | ${r.target} | ${r.tollgate} | ${r.raw} | ${r.ratio === null ? '—' : `${(r.ratio * 100).toFixed(0)}%`} | ${r.met === null ? '—' : r.met ? 'yes' : '**no**'} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
