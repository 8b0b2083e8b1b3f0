/** The CLI's formatting, by value: bars, tables, event lines and the live watch frame. */
import type { RolloutEvent, RolloutSummary, TargetRolloutStatus } from '../../domain/schemas';
import {
  auditTable,
  bakeRemaining,
  nextSteps,
  reviewStatus,
  rolloutDetail,
  targetCells,
  tokensTable,
  tokenStatus,
  shownStageState,
  stripAnsi,
  duration,
  eventLine,
  evidence,
  makeStyle,
  progressBar,
  rolloutsTable,
  table,
  truncate,
  visibleLength,
  watchFrame,
} from '../../cli/render';

const T0 = Date.parse('2026-11-25T08:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

function summary(over: Partial<RolloutSummary> = {}): RolloutSummary {
  return {
    id: 'r1',
    configKey: 'portal-db',
    version: 3,
    previousStableVersion: 2,
    state: 'running',
    reason: null,
    currentStage: 'partial',
    currentStageIndex: 1,
    stages: [
      {
        name: 'canary',
        percent: 10,
        bakeSeconds: 60,
        approval: false,
        targets: 1,
        state: 'completed',
        startedAt: at(0),
        finishedAt: at(61),
      },
      { name: 'partial', percent: 50, bakeSeconds: 60, approval: false, targets: 5, state: 'baking', startedAt: at(61), finishedAt: null },
      { name: 'full', percent: 100, bakeSeconds: 60, approval: true, targets: 10, state: 'pending', startedAt: null, finishedAt: null },
    ],
    totalTargets: 10,
    updatedTargets: 5,
    onRegression: 'rollback',
    health: { intervalSeconds: 10, timeoutMs: 2000, maxErrorRate: 0, failureThreshold: 2 },
    allowedActions: ['pause', 'rollback'],
    createdAt: at(0),
    updatedAt: at(62),
    workflowId: 'rollout-portal-db',
    ...over,
  };
}

function ev(
  seq: number,
  s: number,
  type: RolloutEvent['type'],
  message: string,
  stage?: string,
  detail: Record<string, unknown> = {},
): RolloutEvent {
  return { seq, at: at(s), type, message, detail, ...(stage ? { stage } : {}) };
}

describe('progressBar', () => {
  it.each([
    [0, 10, '[----------] 0/10'],
    [5, 10, '[#####-----] 5/10'],
    [10, 10, '[##########] 10/10'],
    [1, 3, '[###-------] 1/3'],
    [0, 0, '[----------] 0/0'],
    [12, 10, '[##########] 12/10'],
  ])('%i of %i', (done, total, expected) => expect(progressBar(done, total)).toBe(expected));
});

describe('duration', () => {
  it.each([
    [0, '0s'],
    [59.6, '1m00s'],
    [61, '1m01s'],
    [3 * 3600 + 120, '3h02m'],
    [-4, '0s'],
  ])('%d s', (s, expected) => expect(duration(s)).toBe(expected));
});

describe('table', () => {
  it('pads columns to the widest cell, ignoring colour codes', () => {
    const st = makeStyle(true);
    const lines = table(
      ['ID', 'STATE'],
      [
        [st.red('a'), 'x'],
        ['bbb', 'yy'],
      ],
    );
    expect(lines.map((l) => stripAnsi(l))).toEqual(['ID   STATE', 'a    x', 'bbb  yy']);
  });
  it('lists rollouts with progress, submitter and second-precision times', () => {
    expect(rolloutsTable([summary({ submittedBy: 'dana' })])).toEqual([
      'ID  CONFIG     VERSION  STATE    STAGE    PROGRESS  SUBMITTED BY  CREATED',
      'r1  portal-db  3        running  partial  5/10      dana          2026-11-25T08:00:00Z',
    ]);
  });
  it('adds an EMERGENCY column only when a listed rollout is one', () => {
    const lines = rolloutsTable([
      summary({ id: 'r2', emergency: true, emergencyReason: 'INC-42: checkout down since 07:55, pool exhausted on every node' }),
      summary(),
    ]);
    expect(lines[0]).toMatch(/CREATED\s+EMERGENCY$/);
    expect(lines[1]).toMatch(/ {2}-  +2026-11-25T08:00:00Z {2}EMERGENCY: INC-42: checkout down since 07:55, pool…$/);
    expect(lines[2]).toMatch(/Z$/);
  });
});

describe('eventLine', () => {
  it('is one plain, append-only line', () => {
    const e = ev(7, 13, 'regression_detected', 'error rate 100% exceeds 0% (1/1 failed)', 'canary');
    expect(eventLine('r1', e)).toBe('2026-11-25T08:00:13Z rollout r1 canary regression_detected error rate 100% exceeds 0% (1/1 failed)');
  });
  it('carries a regression’s evidence on the same line', () => {
    const e = ev(7, 13, 'regression_detected', 'error rate 50% exceeds 0% (1/2 failed)', 'canary', {
      sample: { failures: [{ targetId: 'web-1', reason: 'http_status', status: 500, message: 'HTTP 500' }] },
    });
    expect(eventLine('r1', e)).toBe(
      '2026-11-25T08:00:13Z rollout r1 canary regression_detected error rate 50% exceeds 0% (1/2 failed) [failing: web-1: HTTP 500]',
    );
  });
  it('marks a rollout-wide event with "-" so columns stay put', () => {
    expect(eventLine('r1', ev(1, 0, 'rollout_started', 'version 3 of portal-db to 10 targets'))).toBe(
      '2026-11-25T08:00:00Z rollout r1 - rollout_started version 3 of portal-db to 10 targets',
    );
  });
});

describe('evidence', () => {
  it('names failing targets from a health sample', () => {
    const e = ev(1, 0, 'regression_detected', 'x', 'canary', {
      sample: { failures: [{ targetId: 'web-1', reason: 'http_status', status: 500, message: 'HTTP 500' }] },
    });
    expect(evidence(e)).toEqual(['web-1: HTTP 500']);
  });
  it('names failing targets from a failed apply', () => {
    const e = ev(1, 0, 'regression_detected', 'x', 'canary', {
      failures: [{ targetId: 'web-2', reason: 'timeout', message: 'timed out after 1000 ms' }],
    });
    expect(evidence(e)).toEqual(['web-2: timed out after 1000 ms']);
  });
  it('is empty without failures', () => expect(evidence(ev(1, 0, 'paused', 'x'))).toEqual([]));
});

describe('bakeRemaining', () => {
  const stage = summary().stages[1]!;
  it('counts down from the stage’s last apply', () => {
    expect(bakeRemaining(stage, [ev(5, 62, 'applied', 'a', 'partial')], T0 + 92_000)).toBe(30);
  });
  it('falls back to the stage start', () => expect(bakeRemaining(stage, [], T0 + 91_000)).toBe(30));
  it('never goes below zero', () => expect(bakeRemaining(stage, [], T0 + 999_000)).toBe(0));
  it('is null for a stage that is not baking', () => expect(bakeRemaining(summary().stages[0]!, [], T0)).toBeNull());
});

describe('shownStageState', () => {
  const applying = { ...summary().stages[1]!, state: 'applying' as const };
  it('is baking once the stage’s last batch is applied', () => {
    expect(shownStageState(applying, [ev(5, 62, 'applied', 'a', 'partial', { from: 1, to: 5 })])).toBe('baking');
  });
  it('is applying while batches remain', () => {
    expect(shownStageState(applying, [ev(5, 62, 'applied', 'a', 'partial', { from: 1, to: 3 })])).toBe('applying');
  });
  it('is the summary’s state otherwise', () => expect(shownStageState(summary().stages[2]!, [])).toBe('pending'));
});

describe('truncate', () => {
  it('cuts to the visible width and keeps colour codes whole', () => {
    const st = makeStyle(true);
    const cut = truncate(`${st.red('abcdef')}ghij`, 5);
    expect(visibleLength(cut)).toBe(5);
    expect(stripAnsi(cut)).toBe('abcd…');
  });
  it('leaves short lines alone', () => expect(truncate('abc', 5)).toBe('abc'));
});

describe('watchFrame', () => {
  const events = [
    ev(1, 0, 'rollout_started', 'version 3 of portal-db to 10 targets'),
    ev(2, 1, 'stage_started', 'stage canary: 1 more targets (1 of 10)', 'canary'),
    ev(3, 61, 'stage_completed', 'stage canary healthy after 60 s bake', 'canary'),
    ev(4, 61, 'stage_started', 'stage partial: 4 more targets (5 of 10)', 'partial'),
    ev(5, 62, 'applied', 'applied to targets 2-5 of 10', 'partial'),
  ];
  const opts = { now: T0 + 92_000, width: 120, style: makeStyle(false), events: 2 };

  it('shows each stage with its bar, state, bake countdown and health, then recent events', () => {
    const frame = watchFrame(
      { summary: summary(), events, health: { partial: { at: at(90), total: 5, failed: 0, p95LatencyMs: 12.4 } }, feed: 'live' },
      opts,
    );
    expect(frame).toEqual([
      'rollout r1  portal-db v3  running  5/10 targets',
      '  canary   [##########] 1/1    completed',
      '> partial  [##########] 5/5    baking       bake 30s left  health 0/5 failing, p95 12 ms',
      '  full     [#####-----] 5/10   pending      approval gate',
      'recent events:',
      '  08:01:01 partial stage_started stage partial: 4 more targets (5 of 10)',
      '  08:01:02 partial applied applied to targets 2-5 of 10',
      'actions: tollgate rollout pause|rollback r1',
    ]);
  });

  it('shows a regression with its evidence, and how it is fed when not live', () => {
    const regression = ev(6, 70, 'regression_detected', 'error rate 100% exceeds 0% (1/1 failed)', 'canary', {
      sample: { failures: [{ targetId: 'web-push-0', reason: 'http_status', status: 500, message: 'HTTP 500' }] },
    });
    const s = summary({
      state: 'rolled_back',
      reason: 'regression: error rate 100% exceeds 0% (1/1 failed)',
      updatedTargets: 0,
      allowedActions: [],
    });
    const frame = watchFrame({ summary: s, events: [...events, regression], health: {}, feed: 'polling' }, opts);
    expect(frame[0]).toBe('rollout r1  portal-db v3  rolled_back  0/10 targets (polling)');
    expect(frame[1]).toBe('  regression: error rate 100% exceeds 0% (1/1 failed)');
    expect(frame).toContain('regression at canary: error rate 100% exceeds 0% (1/1 failed)');
    expect(frame).toContain('    web-push-0: HTTP 500');
    expect(frame.some((l) => l.startsWith('actions:'))).toBe(false);
  });

  it('fits every line to the terminal width', () => {
    const frame = watchFrame({ summary: summary(), events, health: {}, feed: 'live' }, { ...opts, width: 30 });
    for (const l of frame) expect(visibleLength(l)).toBeLessThanOrEqual(30);
  });
});

describe('reviews', () => {
  const review = (by: string, decision: 'approve' | 'reject', comment?: string) => ({
    by,
    decision,
    at: at(5),
    ...(comment ? { comment } : {}),
  });
  it.each<[string, Partial<RolloutSummary>, string]>([
    ['no policy', {}, 'none required'],
    ['an emergency', { emergency: true }, 'skipped (emergency)'],
    [
      'waiting',
      { state: 'pending_review', requiredApprovals: 2, reviews: [review('erin', 'approve')] },
      '1 of 2 approvals (waiting for 1 more)',
    ],
    [
      'a repeated approval counts once',
      { state: 'pending_review', requiredApprovals: 2, reviews: [review('erin', 'approve'), review('erin', 'approve')] },
      '1 of 2 approvals (waiting for 1 more)',
    ],
    ['approved', { requiredApprovals: 1, reviews: [review('erin', 'approve')] }, '1 of 1 approval'],
    [
      'rejected',
      { state: 'rejected', requiredApprovals: 1, reviews: [review('frank', 'reject', 'wrong pool')] },
      'rejected by frank: wrong pool',
    ],
  ])('%s', (_name, over, expected) => expect(reviewStatus(summary(over))).toBe(expected));

  it('points a rollout pending review at the review command', () => {
    expect(nextSteps(summary({ state: 'pending_review', allowedActions: [] }))).toBe(
      'review (tollgate rollout review r1 --approve|--reject)',
    );
    expect(nextSteps(summary())).toBe('pause, rollback');
  });

  it('shows an emergency first, the submitter, and every review and gate approval in time order', () => {
    const d = {
      ...summary({
        emergency: true,
        emergencyReason: 'INC-42: checkout down',
        submittedBy: 'ci',
        requiredApprovals: 1,
        reviews: [review('erin', 'approve', 'looks right')],
        approvals: [{ stage: 'full', by: 'frank', at: at(90) }],
      }),
      targets: {},
      events: [],
    };
    const lines = rolloutDetail(d);
    expect(lines.slice(0, 2)).toEqual([
      'EMERGENCY: INC-42: checkout down',
      '  started on the emergency path: no review, no staging minimums (never without health checks)',
    ]);
    expect(lines).toContain('submitted   by ci');
    const at0 = lines.indexOf('reviews and approvals');
    expect(lines.slice(at0 + 1, at0 + 4)).toEqual([
      '  AT                    BY     DECISION            COMMENT',
      '  2026-11-25T08:00:05Z  erin   approved            looks right',
      '  2026-11-25T08:01:30Z  frank  approved gate full  -',
    ]);
  });

  it('watch says a rollout waits for review, and how to give it', () => {
    const s = summary({
      state: 'pending_review',
      reason: 'waiting for 1 approval',
      requiredApprovals: 1,
      submittedBy: 'dana',
      allowedActions: [],
      currentStage: null,
      currentStageIndex: null,
    });
    const frame = watchFrame({ summary: s, events: [], health: {}, feed: 'live' }, { now: T0, width: 120, style: makeStyle(false) });
    expect(frame).toContain('  review: 0 of 1 approval (waiting for 1 more), submitted by dana');
    expect(frame.at(-1)).toBe('review: tollgate rollout review r1 --approve|--reject');
  });
});

describe('governance tables', () => {
  const token = {
    id: 'tok_0123456789abcdef',
    name: 'ci-deploy',
    role: 'deployer' as const,
    createdAt: at(0),
    createdBy: 'admin',
  };
  it.each<[string, Partial<typeof token> & { expiresAt?: string; revokedAt?: string; revokedBy?: string }, string]>([
    ['active', {}, 'active'],
    ['expires later', { expiresAt: at(100) }, 'active'],
    ['expired', { expiresAt: at(5) }, 'expired'],
    ['revoked', { revokedAt: at(7), revokedBy: 'admin' }, 'revoked 2026-11-25T08:00:07Z by admin'],
  ])('token status: %s', (_name, over, expected) => expect(tokenStatus({ ...token, ...over }, T0 + 10_000)).toBe(expected));

  it('lists tokens with scope, creator and expiry, never a secret', () => {
    expect(
      tokensTable(
        [
          token,
          {
            ...token,
            id: 'tok_fedcba9876543210',
            name: 'edge',
            role: 'agent',
            targets: { selector: { app: 'portal' } },
            expiresAt: at(3600),
          },
        ],
        T0,
      ),
    ).toEqual([
      'ID                    NAME       ROLE      TARGETS              CREATED               BY     EXPIRES               STATUS',
      'tok_0123456789abcdef  ci-deploy  deployer  -                    2026-11-25T08:00:00Z  admin  never                 active',
      'tok_fedcba9876543210  edge       agent     selector app=portal  2026-11-25T08:00:00Z  admin  2026-11-25T09:00:00Z  active',
    ]);
  });

  it('lists audit entries with actor and status, and flags emergencies', () => {
    const entry = {
      id: '1-0',
      at: at(1),
      actor: 'alice',
      role: 'deployer',
      action: 'pauseRollout',
      method: 'POST',
      path: '/v1/rollouts/r1/pause',
      configKey: 'portal-db',
      rolloutId: 'r1',
      status: 202,
      requestId: 'q',
      ip: '127.0.0.1',
    };
    expect(
      auditTable([{ ...entry, id: '2-0', actor: 'ci', role: 'admin', action: 'createRollout', status: 201, emergency: true }, entry]),
    ).toEqual([
      'AT                    ACTOR  ROLE      ACTION         STATUS  CONFIG     ROLLOUT  EMERGENCY',
      '2026-11-25T08:00:01Z  ci     admin     createRollout  201     portal-db  r1       EMERGENCY',
      '2026-11-25T08:00:01Z  alice  deployer  pauseRollout   202     portal-db  r1',
    ]);
    expect(auditTable([])).toEqual(['no audit entries']);
  });
});

describe('targets of a rollout', () => {
  const target = (over: Partial<TargetRolloutStatus>): TargetRolloutStatus => ({
    version: 3,
    previousVersion: 2,
    assignedVersion: 3,
    confirmedVersion: 3,
    appliedAt: at(5),
    restoredAt: null,
    ...over,
  });
  const cases: [string, TargetRolloutStatus, RolloutSummary['state'], [string, string, string, string]][] = [
    ['on the new version, confirmed', target({}), 'running', ['3', '3 at 08:00:05', '2', '-']],
    ['assigned, not yet reporting it', target({ confirmedVersion: 2 }), 'running', ['2 (assigned 3)', '3 at 08:00:05', '2', '-']],
    [
      'not reached yet',
      target({ version: null, assignedVersion: 2, confirmedVersion: 2, appliedAt: null }),
      'running',
      ['2', '-', '2', '-'],
    ],
    [
      'given the new version, then restored by the rollback',
      target({ assignedVersion: 2, confirmedVersion: 2, restoredAt: at(70) }),
      'rolled_back',
      ['2', '3 at 08:00:05', '2', '2 at 08:01:10'],
    ],
    [
      'restored to nothing (it had no version before)',
      target({ previousVersion: 0, assignedVersion: 0, confirmedVersion: null, restoredAt: at(70) }),
      'rolled_back',
      ['-', '3 at 08:00:05', 'none', 'none at 08:01:10'],
    ],
    [
      'restored by a rollback from before restoredAt was recorded',
      target({ assignedVersion: 2, confirmedVersion: 2, appliedAt: undefined, restoredAt: undefined }),
      'rolled_back',
      ['2', '3', '2', '2'],
    ],
    ['a rollback that could not restore it', target({ restoredAt: null }), 'failed', ['3', '3 at 08:00:05', '2', '-']],
  ];
  it.each(cases)('%s', (_name, t, state, expected) => expect(targetCells(t, state)).toEqual(expected));

  it('tells, for a rolled-back rollout, what each target runs, what it was given and what it was restored to', () => {
    const d = {
      ...summary({ state: 'rolled_back', reason: 'rollback requested by erin', updatedTargets: 0 }),
      targets: {
        'web-0': target({ assignedVersion: 2, confirmedVersion: 2, restoredAt: at(70) }),
        'web-1': target({ version: null, assignedVersion: 2, confirmedVersion: 2, appliedAt: null }),
      },
      events: [],
    };
    const lines = rolloutDetail(d);
    const from = lines.indexOf('targets');
    expect(lines.slice(from + 1, from + 4)).toEqual([
      '  ID     RUNNING  THIS ROLLOUT   BEFORE  RESTORED',
      '  web-0  2        3 at 08:00:05  2       2 at 08:01:10',
      '  web-1  2        -              2       -',
    ]);
  });
});
