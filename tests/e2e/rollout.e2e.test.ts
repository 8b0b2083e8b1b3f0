/**
 * End to end over HTTP: the built worker and API run as their own processes (as `npm start` runs
 * them), a fleet of real HTTP targets takes configs by push and by pull, a good change goes
 * everywhere, and bad changes stop at the canary and are rolled back.
 */
import type { RolloutSummary } from '../../domain/schemas';
import type { Fleet } from '../../sim/fleet';
import { waitFor } from '../helpers/env';
import { fastStages, makeRolloutRequest } from '../helpers/factories';
import { Drill } from '../helpers/processes';

const stack = new Drill('e2e');
let fleet: Fleet;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

beforeAll(async () => {
  await stack.worker();
  await stack.api();
  await waitFor('the API to be healthy', async () => (await stack.call('GET', '/healthz')).status === 200, 60_000, 200);
  fleet = await stack.fleet({
    push: 6,
    pull: 6,
    labels: { app: 'portal' },
    configKeys: [`${stack.name}-db`],
    pollMs: 100,
  });
}, 90_000);

afterAll(async () => {
  await stack.stop();
  await stack.dropKeys();
});

describe('a fleet of push and pull targets', () => {
  const key = () => `${stack.name}-db`;

  it('takes a good change everywhere, then stops bad ones at the canary and restores every target', async () => {
    // Given version 1 everywhere
    const good = await stack.call<RolloutSummary>(
      'POST',
      '/v1/rollouts',
      makeRolloutRequest({ configKey: key(), content: { pool: 10 }, stages: fastStages(0.3) }),
    );
    expect(good.status).toBe(201);
    const done = await stack.untilTerminal(good.body.id);
    expect(done.state).toBe('completed');
    await waitFor('every target on v1', async () => fleet.targets.every((t) => t.version(key()) === 1));

    // When bad changes that make targets answer 500 go out, again and again
    const recoveries: number[] = [];
    const canaries = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const startedAt = Date.now();
      const bad = await stack.call<RolloutSummary>(
        'POST',
        '/v1/rollouts',
        makeRolloutRequest({ configKey: key(), content: { pool: 0, healthy: false, attempt: i } }),
      );
      expect(bad.status).toBe(201);
      const r = await stack.untilTerminal(bad.body.id);

      // Then each stops at the canary, rolled back, with the reason in the timeline
      expect(r.state).toBe('rolled_back');
      expect(r.stages.map((s) => s.state)).toEqual(['rolled_back', 'pending', 'pending']);
      const regression = r.events.find((e) => e.type === 'regression_detected');
      expect(regression?.stage).toBe('canary');
      expect(regression?.message).toMatch(/error rate 100% exceeds 0%/);
      expect(r.events.at(-1)?.type).toBe('rolled_back');

      // And every target runs version 1 again, confirmed by the targets themselves
      await waitFor('every target back on v1', async () => fleet.targets.every((t) => t.version(key()) === 1));
      const touched = Object.entries(r.targets)
        .filter(([, t]) => t.version === r.version)
        .map(([id]) => id);
      expect(touched).toHaveLength(2); // 10% of 12, rounded up
      touched.forEach((id) => canaries.add(id));
      for (const t of Object.values(r.targets)) expect(t.assignedVersion).toBe(1);

      // Recovery time, seen from the targets: first 500 answered → last canary back on v1
      const firstFail = Math.min(
        ...fleet.targets.flatMap((t) => t.probes.filter((p) => p.at >= startedAt && p.status === 500).map((p) => p.at)),
      );
      const restored = Math.max(
        ...touched.map((id) => {
          const t = fleet.byId(id);
          return Math.max(...t.applied.filter((a) => a.at >= startedAt && a.version === 1).map((a) => a.at));
        }),
      );
      expect(Number.isFinite(firstFail) && Number.isFinite(restored)).toBe(true);
      recoveries.push(restored - firstFail);
    }
    // The canary is the same pair each time: chosen by (configKey, targetId), not by chance
    expect(canaries.size).toBe(2);
    const config = await stack.call<{ latestVersion: number; stableVersion: number }>('GET', `/v1/configs/${key()}`);
    expect(config.body).toMatchObject({ latestVersion: 6, stableVersion: 1 });
    console.log(
      `first failed probe → last target restored: median ${median(recoveries)} ms over ${recoveries.length} runs (${recoveries.join(', ')} ms)`,
    );
  }, 180_000);
});
