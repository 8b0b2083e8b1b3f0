/**
 * The determinism guard: every recorded history in tests/fixtures/histories replays against the
 * workflow code as built. A change that would break a rollout already in flight fails here; such
 * a change goes behind `patched()` (see `Patch` in workflows/patches.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { testEnv } from '../helpers/env';
import { historyFromCliJson } from './history';

const DIR = join(__dirname, '..', 'fixtures', 'histories');
/** The paths a rollout can take; each must have a recorded history. */
const REQUIRED = [
  'happy',
  'rollback',
  'pause-resume',
  'approval',
  'fast-track-rollback',
  'rollback-failed-alert',
  'review-approved',
  'review-rejected',
  'waves',
  'frozen-resumed',
  'frozen-override',
  'analysis-regression',
  'analysis-held',
];

beforeAll(() => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
});

describe('replaying recorded rollout histories', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

  it('has a history for every path a rollout can take', () => {
    expect(files.map((f) => f.replace(/\.json$/, '')).sort()).toEqual(expect.arrayContaining(REQUIRED));
  });

  it('replays every history without a determinism error', async () => {
    const bundle = testEnv().workflowBundle;
    const histories = files.map((f) => ({
      workflowId: f.replace(/\.json$/, ''),
      history: historyFromCliJson(JSON.parse(readFileSync(join(DIR, f), 'utf8'))),
    }));
    const failures: string[] = [];
    let replayed = 0;
    for await (const r of Worker.runReplayHistories(
      {
        ...(bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath: require.resolve('../../workflows') }),
        replayName: 'tollgate-fixtures',
      },
      histories,
    )) {
      replayed++;
      if (r.error) failures.push(`${r.workflowId}: ${r.error.name}: ${r.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(files.length);
  }, 120_000);
});
