/**
 * Drill 11: Tollgate on a real Redis Cluster (three masters). Two workers and an API reach it through
 * REDIS_CLUSTER_NODES with a hash-tagged key prefix; six rollouts run at once, two of them bad
 * changes the targets refuse. Then the soak's invariants (tests/soak/soak.test.ts), read from the
 * API and from the targets: each good rollout completed and each bad one rolled back, every target
 * runs what its rollout's end says, each event log tells that story once, and each key has one
 * version. A script whose keys spanned slots would have failed with CROSSSLOT on the way.
 */
import type { RolloutDetail } from '../../domain/schemas';
import type { Fleet } from '../../sim/fleet';
import { keySlot } from '../../store/slots';
import { waitFor } from '../helpers/env';
import { fastStages, makeRolloutRequest } from '../helpers/factories';
import { duplicateEvents, storyProblems } from '../helpers/invariants';
import { Drill, report } from '../helpers/processes';
import { LocalRedisCluster } from '../helpers/redis-cluster';

const cluster = new LocalRedisCluster(3);
let drill: Drill;
let fleet: Fleet;
let keys: string[] = [];
let clusterReadyMs = 0;

beforeAll(async () => {
  const t0 = Date.now();
  await cluster.start();
  clusterReadyMs = Date.now() - t0;
  const clusterEnv = { REDIS_CLUSTER_NODES: cluster.nodeList };
  drill = new Drill('drill-rcluster', { hashTag: true, workerEnv: clusterEnv });
  keys = Array.from({ length: 6 }, (_, i) => `${drill.name}-k${i}`);
  await Promise.all([drill.worker(), drill.worker()]);
  await drill.api(clusterEnv);
  fleet = await drill.fleet({ push: 6, pull: 2, labels: { app: 'portal' }, configKeys: keys, pollMs: 200 });
}, 60_000);

afterAll(async () => {
  await drill?.stop();
  await cluster.stop();
});

describe('drill 11: a three-master Redis Cluster', () => {
  it('runs good and bad rollouts at once, and every soak invariant holds', async () => {
    const startedAt = Date.now();
    const bad = new Set([keys[0], keys[3]]);
    const created = await Promise.all(
      keys.map((k, i) =>
        drill.create(
          makeRolloutRequest({
            configKey: k,
            content: bad.has(k) ? { pool: i, loadable: false } : { pool: i },
            stages: fastStages(0.5),
            // Pull targets report a change up to a poll later; a failed probe or two is a regression.
            health: { intervalSeconds: 0.25, timeoutMs: 2_000, maxErrorRate: 0.1, failureThreshold: 2 },
          }),
        ),
      ),
    );
    const done: RolloutDetail[] = await Promise.all(created.map((r) => drill.untilTerminal(r.id, 60_000)));
    const finishedAt = Date.now();

    const violations: string[] = [];
    const expected = new Map(done.map((r) => [r.configKey, r.state === 'completed' ? r.version! : 0]));
    for (const r of done) {
      const k = r.configKey;
      const want = bad.has(k) ? 'rolled_back' : 'completed';
      if (r.state !== want) violations.push(`${k}: ${r.state}, expected ${want} (${r.reason ?? ''})`);
      storyProblems(r).forEach((m) => violations.push(`${k}: ${m}`));
      duplicateEvents(r).forEach((m) => violations.push(`${k}: ${m}`));
      for (const [id, row] of Object.entries(r.targets)) {
        if ((row.assignedVersion ?? 0) !== expected.get(k))
          violations.push(`${k}: ${id} assigned ${row.assignedVersion}, expected ${expected.get(k)}`);
      }
    }
    // The targets' own view: what they run, and that they never loaded a version outside {none, new}
    await waitFor('every target to run its expected versions', async () =>
      fleet.targets.every((t) => keys.every((k) => t.version(k) === expected.get(k))),
    ).catch(() => undefined);
    for (const t of fleet.targets)
      for (const k of keys) {
        if (t.version(k) !== expected.get(k)) violations.push(`${k}: ${t.id} runs ${t.version(k)}, expected ${expected.get(k)}`);
        // 0: the key removed again, as a rollback to no version does
        const stray = t.applied.filter((a) => a.configKey === k && a.version !== 1 && a.version !== 0);
        if (stray.length > 0) violations.push(`${k}: ${t.id} loaded ${stray.map((a) => a.version).join(',')}`);
      }
    // One version per key; the stable version is what runs
    for (const k of keys) {
      const c = await drill.call<{ latestVersion: number; stableVersion: number | null; versions: unknown[] }>('GET', `/v1/configs/${k}`);
      const stable = expected.get(k) || null;
      if (c.body.latestVersion !== 1 || c.body.versions.length !== 1 || c.body.stableVersion !== stable)
        violations.push(
          `${k}: latest ${c.body.latestVersion} of ${c.body.versions.length}, stable ${c.body.stableVersion}; expected 1, stable ${stable}`,
        );
    }
    expect(violations).toEqual([]);

    // The data is on the cluster, in the one slot the prefix's hash tag names (as the server computes it)
    const client = cluster.client();
    try {
      const indexKey = `${drill.prefix}rollouts`;
      expect(Number(await client.call('CLUSTER', 'KEYSLOT', indexKey))).toBe(keySlot(indexKey));
      expect(await client.zcard(indexKey)).toBe(keys.length);
    } finally {
      client.disconnect();
    }
    report(
      11,
      `Redis Cluster of 3 masters ready in ${clusterReadyMs} ms; 6 rollouts (2 bad) ended as expected ${finishedAt - startedAt} ms after creation, no invariant broken`,
    );
  }, 90_000);
});
