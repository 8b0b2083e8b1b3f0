import type { CanaryAnalysisResult, CanaryStageLimits, CanaryStageState } from '../../domain/analysis-schemas';
import { INITIAL_STAGE_STATE, type StageStep } from '../../domain/judge';
import {
  analysisJudges,
  intervalResponse,
  stageConclusion,
  type AnalysisResponse,
  type StageConclusion,
} from '../../domain/stage-analysis';

const limits: CanaryStageLimits = { failureLimit: 1, inconclusiveLimit: 2 };
const stageState = (overrides: Partial<CanaryStageState>): CanaryStageState => ({ ...INITIAL_STAGE_STATE, intervals: 3, ...overrides });
const result = (verdict: CanaryAnalysisResult['verdict'], message: string): CanaryAnalysisResult => ({
  verdict,
  score: 50,
  message,
  metrics: [],
});

describe('analysisJudges', () => {
  const cases: [string, unknown, number, number, boolean][] = [
    ['Given no analysis asked for, then health thresholds judge', undefined, 5, 100, false],
    ['Given analysis and a baseline left, then analysis judges', { limits }, 5, 100, true],
    ['Given analysis but every target on the new version, then nothing to compare with', { limits }, 100, 100, false],
  ];
  it.each(cases)('%s', (_name, analysis, upto, total, expected) => expect(analysisJudges(analysis, upto, total)).toBe(expected));
});

describe('intervalResponse', () => {
  const failed = result('fail', 'error rate up 4x');
  const unsure = result('inconclusive', 'too few samples');
  const cases: [string, StageStep, CanaryAnalysisResult, AnalysisResponse][] = [
    [
      'Given a continue decision, then keep going',
      { state: stageState({ passes: 3 }), decision: 'continue' },
      result('pass', 'ok'),
      { kind: 'go_on' },
    ],
    [
      'Given failures past the limit, then roll back with the verdict as evidence',
      { state: stageState({ failures: 2 }), decision: 'rollback' },
      failed,
      {
        kind: 'rollback',
        message: 'canary analysis: error rate up 4x',
        evidence: { source: 'analysis', stageState: stageState({ failures: 2 }), result: failed },
      },
    ],
    [
      'Given inconclusive intervals past the limit, then hold saying how many',
      { state: stageState({ inconclusive: 3 }), decision: 'hold' },
      unsure,
      { kind: 'hold', why: '3 inconclusive intervals, more than the 2 allowed: too few samples' },
    ],
  ];
  it.each(cases)('%s', (_name, step, interval, expected) => expect(intervalResponse(step, interval, limits)).toEqual(expected));
});

describe('stageConclusion', () => {
  const cases: [string, { state: CanaryStageState; fresh: boolean }, StageConclusion][] = [
    ['Given a fresh canary set, then keep probing', { state: INITIAL_STAGE_STATE, fresh: true }, { kind: 'keep_probing' }],
    [
      'Given no interval judged yet, then keep probing',
      { state: stageState({ lastVerdict: null }), fresh: false },
      { kind: 'keep_probing' },
    ],
    [
      'Given a stage that ended on a pass, then promote',
      { state: stageState({ passes: 3, lastVerdict: 'pass' }), fresh: false },
      { kind: 'promote' },
    ],
    [
      'Given failures past the limit, then roll back counting them',
      { state: stageState({ failures: 2, lastVerdict: 'fail' }), fresh: false },
      {
        kind: 'rollback',
        message: 'canary analysis: 2 failed intervals',
        evidence: { source: 'analysis', stageState: stageState({ failures: 2, lastVerdict: 'fail' }) },
      },
    ],
    [
      'Given a stage that ended marginal, then hold: promotion needs a pass',
      { state: stageState({ marginals: 1, lastVerdict: 'marginal' }), fresh: false },
      { kind: 'hold', why: 'the bake ended on a marginal verdict: promotion needs a pass' },
    ],
  ];
  it.each(cases)('%s', (_name, run, expected) => expect(stageConclusion(run, limits)).toEqual(expected));
});
