/**
 * Soak, run by `npm run bench` (not `npm test`: it takes minutes): 100 rollouts of 100 config keys at once, twice over, against one fleet of push and pull
 * targets where a seeded fault injector fails applies and probes at random, and a TCP fault
 * proxy resets the worker's Redis connections at random. Then the invariants, per rollout and per
 * target, from the API and from the targets' own records:
 * - every rollout is terminal, and completed or rolled back (never failed: every fault is transient);
 * - every target runs the new version if its rollout completed, its previous version if it rolled back;
 * - each rollout's event log tells the story its final state tells;
 * - each key has one version per round, none skipped or reused, and its stable version is what runs.
 * The seed is printed; TOLLGATE_SOAK_SEED=<seed> runs the same faults again; TOLLGATE_SOAK_KEYS
 * sets the number of keys (the bench's `--quick` run uses 20).
 */
import { FaultInjector } from '../../sim/faults';
import { FaultProxy } from '../../sim/fault-proxy';
import type { Fleet } from '../../sim/fleet';
import { waitFor } from '../helpers/env';
import { storyProblems } from '../helpers/invariants';
import { Drill, PrivateRedis, sleep } from '../helpers/processes';

const KEYS = Number(process.env.TOLLGATE_SOAK_KEYS ?? 100);
const SEED = Number(process.env.TOLLGATE_SOAK_SEED ?? Date.now() % 1_000_000);
/** Share of round-two rollouts whose content the targets refuse to load (push: 500; pull: keep the old version). */
const BAD_SHARE = 0.25;

const redis = new PrivateRedis(false);
let proxy: FaultProxy;
let drill: Drill;
let fleet: Fleet;
const faults = new FaultInjector(SEED, { apply: 0.05, probe: 0.01 });
let keys: string[] = [];
const violations: string[] = [];
let refusedWhileClosing = 0;

beforeAll(async () => {
  console.log(`SOAK: seed ${SEED} (TOLLGATE_SOAK_SEED=${SEED} reproduces the injected faults)`);
  await redis.start();
  proxy = new FaultProxy({ upstream: { host: '127.0.0.1', port: redis.port } });
  await proxy.start();
  drill = new Drill('soak', { redisUrl: `redis://${proxy.url}`, apiRedisUrl: redis.url });
  // Workflow ids come from config keys: unique per run, so runs on one Temporal server never collide
  keys = Array.from({ length: KEYS }, (_, i) => `${drill.name}-${i}`);
  await Promise.all([drill.worker(), drill.worker()]);
  await drill.api();
  fleet = await drill.fleet({
    push: 16,
    pull: 4,
    idPrefix: 'soak',
    labels: { app: 'soak' },
    configKeys: keys,
    pollMs: 1_000,
    faults,
  });
  proxy.startChaos({ seed: SEED + 1, everyMs: 500, resetRate: 0.1 });
}, 60_000);

afterAll(async () => {
  proxy?.calm();
  await drill?.stop();
  await proxy?.stop();
  await redis.stop();
});

function request(configKey: string, content: unknown) {
  return {
    configKey,
    content,
    targets: { selector: { app: 'soak' } },
    stages: [
      // Pull targets report a change up to a poll later: the canary bake outlasts that.
      { name: 'canary', percent: 10, bakeSeconds: 2, approval: false },
      { name: 'partial', percent: 50, bakeSeconds: 1, approval: false },
      { name: 'full', percent: 100, bakeSeconds: 1, approval: false },
    ],
    // A bad change fails every canary target; random probe faults stay under 10% of the fleet.
    health: { intervalSeconds: 0.25, timeoutMs: 2_000, maxErrorRate: 0.1, failureThreshold: 2 },
    onRegression: 'rollback',
  };
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

async function round(n: number, previous: Map<string, number>): Promise<Map<string, number>> {
  const started = Date.now();
  const bad = new Set(keys.filter((_, i) => n > 1 && i % Math.round(1 / BAD_SHARE) === 0));
  const created = await mapLimit(keys, 20, async (k) => {
    // Refused per key, so one bad change does not make the shared targets sick for every other key
    const content = bad.has(k) ? { round: n, loadable: false } : { round: n };
    // The key's previous rollout has recorded its end, but its workflow may still be finishing
    // (its last write retried after a reset connection): the API refuses with 409 until it closes.
    for (let attempt = 1; ; attempt++) {
      const r = await drill.call<{ id: string; error?: { code: string } }>('POST', '/v1/rollouts', request(k, content));
      if (r.status === 201) return { key: k, id: r.body.id };
      if (r.status !== 409 || r.body.error?.code !== 'RolloutActive' || attempt >= 30)
        throw new Error(`POST /v1/rollouts (${k}): HTTP ${r.status} ${JSON.stringify(r.body)}`);
      refusedWhileClosing++;
      await sleep(1_000);
    }
  });
  const done = await mapLimit(created, 20, (c) => drill.untilTerminal(c.id, 240_000));
  const finished = Date.now();

  const now = new Map<string, number>();
  for (const r of done) {
    const prev = previous.get(r.configKey) ?? 0;
    const expected = r.state === 'completed' ? r.version! : prev;
    now.set(r.configKey, expected);
    storyProblems(r).forEach((m) => violations.push(`round ${n} ${r.id} (${r.configKey}): ${m}`));
    if (bad.has(r.configKey) && r.state !== 'rolled_back') violations.push(`round ${n} ${r.configKey}: a bad change ${r.state}`);
    // The API's view: every target's assignment
    for (const [id, row] of Object.entries(r.targets)) {
      if ((row.assignedVersion ?? 0) !== expected)
        violations.push(`round ${n} ${r.configKey}: ${id} assigned ${row.assignedVersion}, expected ${expected}`);
    }
  }
  // The targets' own view: what they run, and that they never loaded a version outside {prev, new}
  await waitFor(
    `round ${n}: every target to run its expected versions`,
    async () => fleet.targets.every((t) => keys.every((k) => t.version(k) === now.get(k))),
    30_000,
    200,
  ).catch(() => undefined);
  for (const t of fleet.targets)
    for (const r of done) {
      const k = r.configKey;
      if (t.version(k) !== now.get(k)) violations.push(`round ${n} ${k}: ${t.id} runs ${t.version(k)}, expected ${now.get(k)}`);
      const allowed = [previous.get(k) ?? 0, r.version];
      const stray = t.applied.filter((a) => a.configKey === k && a.at >= started && !allowed.includes(a.version));
      if (stray.length > 0) violations.push(`round ${n} ${k}: ${t.id} loaded ${stray.map((a) => a.version).join(',')}`);
    }
  // Each key's versions: one per round, none skipped or reused; the stable one is what runs
  await mapLimit(keys, 10, async (k) => {
    const c = await drill.call<{ latestVersion: number; stableVersion: number | null; versions: unknown[] }>('GET', `/v1/configs/${k}`);
    const stable = now.get(k) || null;
    if (c.body.latestVersion !== n || c.body.versions.length !== n || c.body.stableVersion !== stable)
      violations.push(
        `round ${n} ${k}: latest ${c.body.latestVersion} of ${c.body.versions.length}, stable ${c.body.stableVersion}; expected ${n}, stable ${stable}`,
      );
  });
  const states = done.reduce<Record<string, number>>((m, r) => ((m[r.state] = (m[r.state] ?? 0) + 1), m), {});
  console.log(
    `SOAK: round ${n}: ${done.length} rollouts in ${finished - started} ms: ${JSON.stringify(states)}; ` +
      `faults so far: ${faults.injected.apply} applies, ${faults.injected.probe} probes failed, ${proxy.stats.cut} Redis connections reset; ` +
      `${refusedWhileClosing} creations refused (409) while the key's previous workflow was closing`,
  );
  return now;
}

describe('soak', () => {
  it(`${KEYS} rollouts at once, twice, under random faults: every invariant holds`, async () => {
    const afterOne = await round(1, new Map());
    await sleep(500);
    await round(2, afterOne);
    if (violations.length > 0) console.log(`SOAK: ${violations.length} violations:\n${violations.slice(0, 50).join('\n')}`);
    expect(violations).toEqual([]);
  }, 540_000);
});
