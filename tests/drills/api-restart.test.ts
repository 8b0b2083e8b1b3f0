/**
 * Drill 6: the API restarts under load, once gracefully (SIGTERM) and once not (SIGKILL). Every
 * request answered 201 names a rollout that exists and runs to the end; requests cut off by the
 * restart were never acknowledged.
 */
import type { RolloutSummary } from '../../domain/schemas';
import { fastStages, makeRolloutRequest } from '../helpers/factories';
import { Drill, report, sleep, type Proc } from '../helpers/processes';

const drill = new Drill('drill-api');
let api: Proc;

beforeAll(async () => {
  await drill.worker();
  api = await drill.api();
  await drill.fleet({ push: 3, pull: 0, labels: { app: 'portal' } });
}, 60_000);

afterAll(async () => {
  await drill.stop();
  await drill.dropKeys();
});

interface Outcome {
  sent: number;
  at: number;
  status: number | 'no answer';
  id?: string;
}

describe('drill 6: API restart under load', () => {
  it('loses no accepted request', async () => {
    const outcomes: Outcome[] = [];
    let n = 0;
    let stopping = false;
    const load = async () => {
      while (!stopping) {
        const body = makeRolloutRequest({ configKey: `${drill.name}-c${n++}`, stages: fastStages(0.2) });
        const sent = Date.now();
        try {
          const r = await drill.call<RolloutSummary>('POST', '/v1/rollouts', body);
          outcomes.push({ sent, at: Date.now(), status: r.status, ...(r.status === 201 ? { id: r.body.id } : {}) });
        } catch {
          outcomes.push({ sent, at: Date.now(), status: 'no answer' });
          await sleep(50);
        }
      }
    };
    const loops = [load(), load(), load(), load()];

    const restarts: string[] = [];
    for (const how of ['SIGTERM', 'SIGKILL'] as const) {
      await sleep(2_500);
      const at = Date.now();
      if (how === 'SIGTERM') await api.term();
      else await api.kill9();
      const gone = Date.now();
      const drained = outcomes.filter((o) => o.status === 201 && o.sent < at && o.at >= at).length;
      api = await drill.api();
      // Recovery: a request sent once the old process was gone, answered 201 by the new one
      const fresh = (o: Outcome) => o.status === 201 && o.sent >= gone;
      await new Promise<void>((resolve) => {
        const t = setInterval(() => {
          if (outcomes.some(fresh)) resolve(clearInterval(t));
        }, 20);
      });
      const back = outcomes.find(fresh)!.at;
      restarts.push(
        `${how}: old API gone after ${gone - at} ms (${drained} in-flight requests finished with 201), new API answering 201 ${back - at} ms after the signal`,
      );
    }
    await sleep(1_500);
    stopping = true;
    await Promise.all(loops);

    // Every 201 is a rollout that exists, and each runs to completion
    const accepted = outcomes.filter((o) => o.status === 201);
    const missing: string[] = [];
    for (const o of accepted) if ((await drill.call('GET', `/v1/rollouts/${o.id}`)).status !== 200) missing.push(o.id!);
    expect(missing).toEqual([]);
    const done = await Promise.all(accepted.map((o) => drill.untilTerminal(o.id!, 120_000)));
    expect(done.filter((d) => d.state !== 'completed').map((d) => `${d.id}: ${d.state}`)).toEqual([]);

    const refused = outcomes.filter((o) => o.status === 'no answer').length;
    const other = outcomes.filter((o) => o.status !== 201 && o.status !== 'no answer');
    expect(other.map((o) => o.status)).toEqual([]);
    report(
      6,
      `${restarts.join('; ')}; ${accepted.length} accepted, all exist and completed; ${refused} got no answer (never acknowledged)`,
    );
  }, 180_000);
});
