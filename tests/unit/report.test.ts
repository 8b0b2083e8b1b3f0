/** The incident report: built from a rollout's record by a pure function, one case per row. */
import { configDiff } from '../../domain/diff';
import { buildIncidentReport, hasIncident, reportMarkdown } from '../../domain/report';
import type { IncidentReport } from '../../domain/report-schemas';
import type { RolloutDetail, RolloutEvent, StageHealthSample } from '../../domain/schemas';

const T0 = Date.parse('2026-12-02T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

function event(
  seq: number,
  ms: number,
  type: RolloutEvent['type'],
  message: string,
  detail: Record<string, unknown> = {},
  stage?: string,
): RolloutEvent {
  return { seq, at: at(ms), type, message, detail, ...(stage ? { stage } : {}) };
}

/** Eight targets; t1 and t2 got version 2 (at 0 and 10 ms) and were restored at 600 and 650 ms. */
function makeRollout(overrides: Partial<RolloutDetail> = {}): RolloutDetail {
  const targets: RolloutDetail['targets'] = {};
  for (let i = 1; i <= 8; i++) {
    const exposed = i <= 2;
    targets[`t${i}`] = {
      version: exposed ? 2 : null,
      previousVersion: exposed ? 1 : null,
      assignedVersion: 1,
      confirmedVersion: 1,
      appliedAt: exposed ? at((i - 1) * 10) : null,
      restoredAt: exposed ? at(600 + (i - 1) * 50) : null,
    };
  }
  return {
    id: 'r1',
    configKey: 'orders-db',
    version: 2,
    previousStableVersion: 1,
    state: 'rolled_back',
    reason: 'regression: error rate 100% exceeds 0% (2/2 failed)',
    currentStage: 'canary',
    currentStageIndex: 0,
    stages: [
      {
        name: 'canary',
        percent: 25,
        bakeSeconds: 1,
        approval: false,
        targets: 2,
        state: 'rolled_back',
        startedAt: at(-5),
        finishedAt: null,
      },
      { name: 'full', percent: 100, bakeSeconds: 1, approval: false, targets: 8, state: 'pending', startedAt: null, finishedAt: null },
    ],
    totalTargets: 8,
    updatedTargets: 0,
    onRegression: 'rollback',
    health: { intervalSeconds: 0.25, timeoutMs: 1000, maxErrorRate: 0, failureThreshold: 2 },
    description: 'orders table: rename customer_id',
    submittedBy: 'dora',
    requiredApprovals: 1,
    reviews: [{ by: 'bob', decision: 'approve', comment: 'looks fine', at: at(-100) }],
    approvals: [],
    allowedActions: [],
    createdAt: at(-200),
    updatedAt: at(700),
    workflowId: 'wf',
    targets,
    events: [
      event(1, -10, 'rollout_started', 'version 2 of orders-db to 8 targets'),
      event(2, -5, 'stage_started', 'stage canary: 2 more targets (2 of 8)', { from: 0, to: 2 }, 'canary'),
      event(3, 40, 'applied', 'applied to targets 1-2 of 8', { from: 0, to: 2, applied: 2 }, 'canary'),
      event(4, 500, 'regression_detected', 'error rate 100% exceeds 0% (2/2 failed)', { source: 'health', policy: 'rollback' }, 'canary'),
      event(5, 510, 'rollback_started', 'rolling back: regression: error rate 100% exceeds 0% (2/2 failed)', {}, 'canary'),
      event(6, 700, 'rolled_back', 'restored 2 targets to their previous versions in 190 ms', { restored: 2, attempts: 1 }),
    ],
    ...overrides,
  };
}

function sample(ms: number, failed: number, total = 2): StageHealthSample {
  return {
    stage: 'canary',
    at: at(ms),
    total,
    failed,
    unobserved: 0,
    p95LatencyMs: 3,
    failuresByReason: failed > 0 ? { http_status: failed } : {},
    failures: Array.from({ length: failed }, (_, i) => ({
      targetId: `t${i + 1}`,
      reason: 'http_status' as const,
      status: 500,
      message: 'HTTP 500',
    })),
  };
}

const SAMPLES = [sample(100, 0), sample(300, 2), sample(490, 2)];
const DIFF = configDiff('orders-db', { version: 1, content: { schema: 41 } }, { version: 2, content: { schema: 42 } });

function build(r: RolloutDetail, samples: StageHealthSample[] = SAMPLES, now = at(10_000)): IncidentReport {
  const report = buildIncidentReport({ rollout: r, samples, diff: DIFF, now });
  if (!report) throw new Error('expected a report');
  return report;
}

describe('hasIncident', () => {
  const regression = [event(1, 0, 'regression_detected', 'x')];
  it.each<[string, RolloutDetail['state'], RolloutEvent[], boolean]>([
    ['a completed rollout without a regression', 'completed', [], false],
    ['a rejected rollout', 'rejected', [], false],
    ['a running rollout', 'running', [], false],
    ['a rolled-back rollout', 'rolled_back', [], true],
    ['one rolling back', 'rolling_back', [], true],
    ['a failed rollout', 'failed', [], true],
    ['a rollout held after a regression', 'paused', regression, true],
    ['a rollout completed after a regression was resumed', 'completed', regression, true],
  ])('%s', (_name, state, events, expected) => {
    expect(hasIncident({ state, events })).toBe(expected);
  });
});

describe('buildIncidentReport', () => {
  it('answers null for a rollout without an incident', () => {
    expect(
      buildIncidentReport({ rollout: makeRollout({ state: 'completed', events: [] }), samples: [], diff: null, now: at(0) }),
    ).toBeNull();
  });

  it('measures a rollback from the recorded timestamps', () => {
    const r = build(makeRollout());
    expect(r.status).toBe('safe');
    expect(r.impact).toMatchObject({
      fleetTargets: 8,
      exposedTargets: 2,
      blastRadius: 0.25,
      stagesReached: ['canary'],
      exposureStart: at(0),
      exposureEnd: at(650),
      exposureWindowMs: 650,
      targetExposureMs: { total: 600 + 640, max: 640, median: 620 },
      stillExposed: 0,
    });
    expect(r.impact.targets.map((t) => [t.targetId, t.exposureMs])).toEqual([
      ['t1', 600],
      ['t2', 640],
    ]);
    expect(r.detection).toMatchObject({
      firstExposureAt: at(0),
      firstFailingEvidenceAt: at(300),
      decisionAt: at(500),
      safetyAt: at(650),
      timeToDetectMs: 500,
      evidenceToDecisionMs: 200,
      timeToSafetyMs: 150,
      restoredCount: 2,
      unrestored: [],
      rollbackAttempts: 1,
    });
    expect(r.evidence.decision).toMatchObject({ by: 'tollgate', source: 'health', at: at(500) });
    expect(r.summary).toMatchObject({ trigger: 'regression', submittedBy: 'dora', fromVersion: 1, toVersion: 2 });
    expect(r.summary.reviews.map((x) => x.by)).toEqual(['bob']);
    expect(r.correctiveMeasures).toEqual([]);
  });

  it('lists each unhealthy interval with its numbers, judged by the rollout’s thresholds', () => {
    const r = build(makeRollout());
    expect(r.evidence.checksTotal).toBe(2);
    expect(r.evidence.checks[0]).toMatchObject({
      at: at(300),
      source: 'health',
      summary: 'error rate 100% exceeds 0% (2/2 failed)',
      numbers: { failed: 2, total: 2, errorRate: 1, maxErrorRate: 0 },
      failures: [
        { targetId: 't1', status: 500 },
        { targetId: 't2', status: 500 },
      ],
    });
  });

  it('names the targets a failed rollback could not restore, and reaches no safety', () => {
    const rollout = makeRollout({
      state: 'failed',
      events: [
        ...makeRollout().events.slice(0, 5),
        event(6, 900, 'failed', 'rollback gave up after 3 attempts: 1 targets not restored (t2)', {
          remaining: 1,
          attempts: 3,
          unrestored: [{ targetId: 't2', reason: 'connection', message: 'ECONNREFUSED' }],
        }),
      ],
    });
    rollout.targets.t2!.restoredAt = null;
    const r = build(rollout);
    expect(r.status).toBe('unsafe');
    expect(r.impact.stillExposed).toBe(1);
    expect(r.impact.exposureEnd).toBeNull();
    expect(r.detection).toMatchObject({ safetyAt: null, timeToSafetyMs: null, restoredCount: 1, rollbackAttempts: 3 });
    expect(r.detection.unrestored).toEqual([{ targetId: 't2', reason: 'connection', message: 'ECONNREFUSED' }]);
    // Its exposure runs to the report's time.
    expect(r.impact.targets.find((t) => t.targetId === 't2')!.exposureMs).toBe(10_000 - 10);
  });

  it('reports a rollout held after a regression as held, still exposed', () => {
    const rollout = makeRollout({ state: 'paused', reason: 'regression: error rate 100% exceeds 0% (2/2 failed)', onRegression: 'pause' });
    rollout.events = [...rollout.events.slice(0, 4), event(5, 505, 'paused', 'held for a human after a regression')];
    for (const t of Object.values(rollout.targets)) t.restoredAt = null;
    const r = build(rollout);
    expect(r.status).toBe('held');
    expect(r.impact.stillExposed).toBe(2);
    expect(r.detection).toMatchObject({ timeToDetectMs: 500, safetyAt: null, timeToSafetyMs: null });
    expect(r.detection.unrestored.map((u) => u.reason)).toEqual(['held for a human', 'held for a human']);
  });

  it('credits a human rollback to its actor', () => {
    const rollout = makeRollout({ reason: 'rollback requested by ann' });
    rollout.events = [
      ...rollout.events.slice(0, 3),
      event(4, 450, 'rollback_requested', 'rollback requested by ann', { actor: 'ann', reason: 'pager' }, 'canary'),
      ...rollout.events.slice(4),
    ];
    const r = build(rollout, []);
    expect(r.summary.trigger).toBe('human');
    expect(r.evidence.decision).toMatchObject({ by: 'ann', source: 'human', at: at(450) });
    expect(r.detection).toMatchObject({
      timeToDetectMs: 450,
      firstFailingEvidenceAt: null,
      evidenceToDecisionMs: null,
      timeToSafetyMs: 200,
    });
    expect(r.timeline.find((e) => e.type === 'rollback_requested')!.actor).toBe('ann');
  });

  it('ends exposure at the rolled_back event for targets restored before restore times were kept', () => {
    const rollout = makeRollout();
    for (const t of Object.values(rollout.targets)) delete t.restoredAt;
    const r = build(rollout);
    expect(r.detection).toMatchObject({ safetyAt: at(700), timeToSafetyMs: 200 });
    expect(r.impact.targetExposureMs!.max).toBe(700);
  });

  it('counts a rollout that failed before touching a target as no exposure, safe at once', () => {
    const rollout = makeRollout({
      state: 'failed',
      events: [event(1, 0, 'failed', 'rollout failed before any target was touched: staged input missing')],
    });
    for (const t of Object.values(rollout.targets)) Object.assign(t, { version: null, appliedAt: null, restoredAt: null });
    const r = build(rollout, []);
    expect(r).toMatchObject({ status: 'safe', impact: { exposedTargets: 0, blastRadius: 0, targetExposureMs: null } });
    expect(r.detection).toMatchObject({ timeToDetectMs: null, timeToSafetyMs: 0 });
  });

  it('keeps analysis intervals that only continued out of the timeline', () => {
    const rollout = makeRollout();
    rollout.events = [
      ...rollout.events.slice(0, 3),
      event(10, 200, 'analysis', 'interval 1: pass', { verdict: 'pass', decision: 'continue' }),
      event(11, 400, 'analysis', 'interval 2: fail', {
        verdict: 'fail',
        decision: 'rollback',
        metrics: [
          {
            name: 'errors',
            verdict: 'fail',
            message: 'canary errors 40% above baseline',
            evidence: { canaryMedian: 0.4, baselineMedian: 0, pValue: 0.001 },
          },
        ],
      }),
      ...rollout.events.slice(3),
    ];
    const r = build(rollout, []);
    expect(r.timeline.filter((e) => e.type === 'analysis').map((e) => e.message)).toEqual(['interval 2: fail']);
    expect(r.evidence.checks[0]).toMatchObject({
      source: 'analysis',
      summary: 'errors: canary errors 40% above baseline',
      numbers: { canaryMedian: 0.4, pValue: 0.001 },
    });
    expect(r.detection.firstFailingEvidenceAt).toBe(at(400));
  });
});

describe('reportMarkdown', () => {
  it('has the sections of a postmortem, the diff, and an empty corrective-measures table', () => {
    const md = reportMarkdown(build(makeRollout()));
    const headings = md.split('\n').filter((l) => l.startsWith('## '));
    expect(headings).toEqual([
      '## Summary',
      '## Impact',
      '## Timeline',
      '## Root-cause evidence',
      '## Detection and recovery',
      '## Corrective measures',
    ]);
    expect(md).toContain('Targets exposed: **2 of 8** (blast radius **25%**');
    expect(md).toContain('| Time to detect | 500 ms |');
    expect(md).toContain('~ /schema: 41 → 42');
    expect(md).toContain('-  "schema": 41');
    expect(md).toContain('|  |  |  |');
  });

  it('keeps user text from breaking a table', () => {
    const rollout = makeRollout({ description: 'a | b\nc' });
    const md = reportMarkdown(build(rollout));
    expect(md).toContain('| Description | a \\| b c |');
  });
});
