import { firstExposure, needsHistory, observeRollout } from '../../domain/rollout-metrics';
import type { RolloutEvent, StageStatus } from '../../domain/schemas';

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function event(
  seq: number,
  type: RolloutEvent['type'],
  seconds: number,
  detail: Record<string, unknown> = {},
  stage?: string,
): RolloutEvent {
  return { seq, at: at(seconds), type, message: type, detail, ...(stage ? { stage } : {}) };
}

function stage(name: string, startedAt: number | null, finishedAt: number | null = null): StageStatus {
  return {
    name,
    percent: 50,
    bakeSeconds: 1,
    approval: false,
    targets: 1,
    state: 'completed',
    startedAt: startedAt === null ? null : at(startedAt),
    finishedAt: finishedAt === null ? null : at(finishedAt),
  };
}

describe('observeRollout', () => {
  const stages = [stage('canary', 10, 40), stage('full', 45, null)];

  const cases: {
    name: string;
    fresh: RolloutEvent[];
    history?: RolloutEvent[];
    expected: Partial<ReturnType<typeof observeRollout>>;
  }[] = [
    {
      name: 'a start counts once and names its event',
      fresh: [event(1, 'rollout_started', 0)],
      expected: { eventTypes: ['rollout_started'], started: 1, finished: [] },
    },
    {
      name: 'a completed stage is timed from its start to its finish',
      fresh: [event(5, 'stage_completed', 40, {}, 'canary')],
      expected: { stageSeconds: [30] },
    },
    {
      name: 'a stage the summary does not know is not timed',
      fresh: [event(5, 'stage_completed', 40, {}, 'nowhere')],
      expected: { stageSeconds: [] },
    },
    {
      name: 'a regression is timed from the first exposure and keeps its source',
      fresh: [event(9, 'regression_detected', 70, { source: 'health' }, 'full')],
      expected: { regressions: [{ source: 'health', detectSeconds: 60 }] },
    },
    {
      name: 'an unknown regression source is "other", never a new label',
      fresh: [event(9, 'regression_detected', 70, { source: 'made-up' })],
      expected: { regressions: [{ source: 'other', detectSeconds: 60 }] },
    },
    {
      name: 'a rollback after a regression: time to safety from the detection (found in the history)',
      fresh: [event(12, 'rolled_back', 74.5)],
      history: [event(9, 'regression_detected', 70, { source: 'health' }), event(10, 'rollback_started', 71)],
      expected: { finished: ['rolled_back'], safety: [{ trigger: 'regression', seconds: 4.5 }] },
    },
    {
      name: 'a rollback a human asked for: from the request',
      fresh: [event(11, 'rollback_started', 81), event(12, 'rolled_back', 83)],
      history: [event(9, 'regression_detected', 70, { source: 'health' }), event(10, 'rollback_requested', 80)],
      expected: { safety: [{ trigger: 'human', seconds: 3 }] },
    },
    {
      name: 'a rollback with no trigger on record: from its own start',
      fresh: [event(12, 'rolled_back', 75)],
      history: [event(11, 'rollback_started', 72)],
      expected: { safety: [{ trigger: 'regression', seconds: 3 }] },
    },
    {
      name: 'terminal events are counted by outcome',
      fresh: [event(3, 'failed', 5), event(4, 'completed', 6), event(5, 'rejected', 7)],
      expected: { finished: ['failed', 'completed', 'rejected'] },
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      expect(observeRollout(c.fresh, { stages }, c.history)).toMatchObject(c.expected);
    });
  }

  it('before any stage started, a regression has no time to detect', () => {
    const seen = observeRollout([event(2, 'regression_detected', 5, { source: 'apply' })], { stages: [stage('canary', null)] });
    expect(seen.regressions).toEqual([{ source: 'apply', detectSeconds: null }]);
  });
});

describe('firstExposure and needsHistory', () => {
  it('first exposure is the earliest stage start, whatever the order', () => {
    expect(firstExposure({ stages: [stage('b', 30), stage('a', 12), stage('c', null)] })).toBe(at(12));
    expect(firstExposure({ stages: [stage('a', null)] })).toBeNull();
  });
  it('only a finished rollback needs the earlier events', () => {
    expect(needsHistory([event(1, 'regression_detected', 1)])).toBe(false);
    expect(needsHistory([event(1, 'rolled_back', 1)])).toBe(true);
  });
});
