/** What the rollout page reads out of a rollout's record: a decision's evidence, and when each stage ran. */
import type { HealthPolicy, StageStatus } from '../../domain/schemas';
import { readEvidence } from '../../web/src/rollout/evidence-reading';
import { stageTime } from '../../web/src/rollout/stage-time';

const health: HealthPolicy = { intervalSeconds: 1, timeoutMs: 1000, maxErrorRate: 0.1, maxLatencyMs: 250, failureThreshold: 2 };

describe('readEvidence', () => {
  it('reads a health regression as measured against allowed, with the failing targets', () => {
    const reading = readEvidence(
      {
        source: 'health',
        consecutiveFailedIntervals: 2,
        policy: 'rollback',
        state: 'running',
        sample: {
          at: '2026-12-01T10:00:00.000Z',
          total: 4,
          failed: 2,
          unobserved: 1,
          p95LatencyMs: 120.4,
          failuresByReason: { http_status: 1, timeout: 1 },
          failures: [
            { targetId: 'web-1', reason: 'http_status', status: 500, message: 'HTTP 500 from /healthz' },
            { targetId: 'web-2', reason: 'timeout', message: 'no answer within 1000 ms' },
            { targetId: 'web-3', reason: 'http_status', status: 503, message: 'HTTP 503' },
          ],
        },
      },
      health,
    );
    expect(reading.checks).toEqual([
      { id: 'error-rate', label: 'error rate', observed: '50% (2 of 4 failed)', limit: 'at most 10%', verdict: 'over' },
      { id: 'latency', label: 'p95 latency', observed: '120 ms', limit: 'at most 250 ms', verdict: 'within' },
      { id: 'streak', label: 'bad intervals', observed: '2 in a row', limit: '2 to fail', verdict: 'over' },
      { id: 'unobserved', label: 'not observable', observed: '1 target', limit: 'left out', verdict: 'info' },
    ]);
    expect(reading.failures).toEqual([
      { targetId: 'web-1', why: 'HTTP 500', message: 'HTTP 500 from /healthz' },
      { targetId: 'web-2', why: 'timeout', message: 'no answer within 1000 ms' },
      { targetId: 'web-3', why: 'HTTP 503', message: '' },
    ]);
    expect(reading.facts).toEqual([
      ['source', 'health'],
      ['policy', 'rollback'],
      ['state', 'running'],
    ]);
  });

  it('reads an inconclusive interval against the previous version', () => {
    const reading = readEvidence(
      {
        source: 'health',
        consecutiveIntervals: 2,
        sample: { total: 2, failed: 2, p95LatencyMs: null, failures: [], baseline: { total: 8, failed: 8, p95LatencyMs: null } },
      },
      health,
    );
    expect(reading.checks.map((c) => [c.id, c.observed, c.limit])).toEqual([
      ['error-rate', '100% (2 of 2 failed)', 'at most 10%'],
      ['streak', '2 in a row', '2 to hold'],
      ['baseline', '100% (8 of 8 failed)', 'for comparison'],
    ]);
  });

  it('names the targets an apply, a rollback or a confirmation wait left behind', () => {
    expect(
      readEvidence({ source: 'apply', failures: [{ targetId: 'a', reason: 'connection', message: 'refused' }] }, health).failures,
    ).toEqual([{ targetId: 'a', why: 'connection', message: 'refused' }]);
    expect(readEvidence({ remaining: 1, unrestored: [{ targetId: 'b', reason: 'timeout', message: 'slow' }] }, health).failures).toEqual([
      { targetId: 'b', why: 'timeout', message: 'slow' },
    ]);
    expect(
      readEvidence({ source: 'confirmation', unconfirmed: { count: 2, targetIds: ['c', 'd'] } }, health).failures.map((f) => f.targetId),
    ).toEqual(['c', 'd']);
  });

  it('lists the metrics of a canary analysis verdict', () => {
    const reading = readEvidence(
      { source: 'analysis', result: { verdict: 'fail', metrics: [{ name: 'latency', verdict: 'fail', message: 'canary slower by 40%' }] } },
      health,
    );
    expect(reading.metrics).toEqual([{ name: 'latency', verdict: 'fail', message: 'canary slower by 40%' }]);
  });

  it('says who asked for a rollback and why, in words', () => {
    expect(readEvidence({ actor: 'erin', reason: 'pager went off' }, health)).toEqual({
      checks: [],
      failures: [],
      metrics: [],
      facts: [
        ['actor', 'erin'],
        ['reason', 'pager went off'],
      ],
    });
  });

  it('ignores fields that do not have the expected shape', () => {
    expect(readEvidence({ sample: 'oops', failures: [42, { reason: 'no id' }] }, health)).toEqual({
      checks: [],
      failures: [],
      metrics: [],
      facts: [],
    });
  });
});

describe('stageTime', () => {
  const FROM = '2026-12-01T10:00:00.000Z';
  const TO = '2026-12-01T10:03:00.000Z';
  type Stage = Pick<StageStatus, 'state' | 'startedAt' | 'finishedAt'>;
  const cases: [string, Stage, Parameters<typeof stageTime>[1], ReturnType<typeof stageTime>][] = [
    ['not started', { state: 'pending', startedAt: null, finishedAt: null }, 'running', null],
    ['baking: its clock runs', { state: 'baking', startedAt: FROM, finishedAt: null }, 'running', { from: FROM, to: null }],
    ['completed', { state: 'completed', startedAt: FROM, finishedAt: TO }, 'running', { from: FROM, to: TO }],
    [
      'cut short by a rollback, which recorded its end',
      { state: 'rolled_back', startedAt: FROM, finishedAt: TO },
      'rolled_back',
      { from: FROM, to: TO },
    ],
    [
      'rolled back before ends were recorded: no clock',
      { state: 'rolled_back', startedAt: FROM, finishedAt: null },
      'rolled_back',
      { from: FROM, to: undefined },
    ],
    [
      'baking in a rollout that ended: no clock',
      { state: 'baking', startedAt: FROM, finishedAt: null },
      'failed',
      { from: FROM, to: undefined },
    ],
  ];
  it.each(cases)('%s', (_name, stage, state, expected) => expect(stageTime(stage, state)).toEqual(expected));
});
