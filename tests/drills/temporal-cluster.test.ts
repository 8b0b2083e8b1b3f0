/**
 * Drill 10: Tollgate on the full Temporal server (frontend, history, matching and worker services)
 * backed by PostgreSQL, with two API and three worker processes. Given four rollouts in flight, some
 * accepted by each API, when one worker running an apply and one API are killed (SIGKILL), then the
 * surviving API still serves every rollout, each completes with every target on the new version, and
 * each event log is whole: numbered 1..n, nothing recorded twice, the story its final state tells.
 */
import { Client, Connection } from '@temporalio/client';
import type { RolloutSummary } from '../../domain/schemas';
import type { Fleet } from '../../sim/fleet';
import { waitFor } from '../helpers/env';
import { fastStages, makeRolloutRequest } from '../helpers/factories';
import { duplicateEvents, storyProblems } from '../helpers/invariants';
import { Drill, checkTargets, checkVersions, freePort, report, workerRunningApply, type Proc } from '../helpers/processes';
import { TemporalOnPostgres } from '../helpers/temporal-server';

const server = new TemporalOnPostgres();
let drill: Drill;
let keys: string[] = [];
let fleet: Fleet;
let workers: Proc[] = [];
const apis: { proc: Proc; url: string }[] = [];
let connection: Connection;
let serverReadyMs = 0;

beforeAll(async () => {
  const t0 = Date.now();
  await server.start();
  serverReadyMs = Date.now() - t0;
  drill = new Drill('drill-cluster', { temporalAddress: server.address });
  keys = [0, 1, 2, 3].map((i) => `${drill.name}-k${i}`);
  workers = await Promise.all([drill.worker(), drill.worker(), drill.worker()]);
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    const proc = await drill.api({ PORT: String(port) });
    apis.push({ proc, url: `http://127.0.0.1:${port}` });
  }
  // The fleet and every read go through the second API, the one that survives.
  drill.apiUrl = apis[1]!.url;
  fleet = await drill.fleet({ push: 6, pull: 2, labels: { app: 'portal' }, configKeys: keys, pollMs: 200 });
  connection = await Connection.connect({ address: server.address });
}, 240_000);

afterAll(async () => {
  await connection?.close();
  await drill?.stop();
  await drill?.dropKeys();
  if (process.env.TOLLGATE_DRILL_LOGS) console.log(`--- temporal-server\n${server.tail()}`);
  await server.dispose();
}, 60_000);

/** POST /v1/rollouts through one particular API. */
async function createVia(apiUrl: string, body: Record<string, unknown>): Promise<RolloutSummary> {
  const res = await fetch(`${apiUrl}/v1/rollouts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${drill.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`POST ${apiUrl}/v1/rollouts: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as RolloutSummary;
}

describe('drill 10: the full Temporal server on PostgreSQL, two APIs and three workers', () => {
  it('loses a worker and an API (kill -9) mid-rollout, and every rollout completes whole', async () => {
    const client = new Client({ connection });
    for (const t of fleet.targets) t.applyDelayMs = 600;
    const startedAt = Date.now();
    // Given four rollouts, two accepted by each API
    const rollouts = await Promise.all(
      keys.map((k, i) =>
        createVia(apis[i % 2]!.url, makeRolloutRequest({ configKey: k, content: { pool: i + 1 }, stages: fastStages(1) })),
      ),
    );

    // When the worker running an apply and the first API are killed
    const victim = await workerRunningApply(client, keys, workers);
    const rollout = rollouts[keys.indexOf(victim.key)]!;
    const mark = await drill.progress(rollout.id);
    const killedAt = Date.now();
    await Promise.all([victim.w.kill9(), apis[0]!.proc.kill9()]);

    // Then the victim's rollout moves on another worker, and every rollout completes
    const movedAt = await drill.untilProgress(rollout.id, mark, 30_000);
    const done = await Promise.all(rollouts.map((r) => drill.untilTerminal(r.id, 60_000)));
    const finishedAt = Date.now();
    expect(done.map((d) => d.state)).toEqual(['completed', 'completed', 'completed', 'completed']);
    for (const [i, k] of keys.entries()) {
      const detail = done[i]!;
      expect(detail.version).toBe(1);
      expect(storyProblems(detail)).toEqual([]);
      expect(duplicateEvents(detail)).toEqual([]);
      expect(Object.values(detail.targets).every((t) => t.assignedVersion === 1)).toBe(true);
      await waitFor(`every target on v1 of ${k}`, async () => fleet.targets.every((t) => t.version(k) === 1), 10_000);
      checkTargets(fleet, k, 1, [1]);
      await checkVersions(drill, k, [rollouts[i]!.id]);
    }
    expect(workers.filter((w) => w.alive)).toHaveLength(2);
    expect(apis.map((a) => a.proc.alive)).toEqual([false, true]);
    report(
      10,
      `Temporal server on PostgreSQL ready in ${serverReadyMs} ms (databases, schema, namespace); kill -9 of 1 of 3 workers and 1 of 2 APIs → ` +
        `the victim's rollout moved on ${movedAt - killedAt} ms later, all 4 rollouts completed ${finishedAt - killedAt} ms after the kills ` +
        `(${finishedAt - startedAt} ms after they were created)`,
    );
  }, 90_000);
});
