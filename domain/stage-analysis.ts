/**
 * A stage under canary analysis, as the rollout acts on it: whether analysis judges the stage at
 * all, what one interval's decision leads to, and what the stage's verdict at the end of its bake
 * allows. The statistics are judge.ts's; this is what the rollout does with them. Pure, tested by
 * table; the workflow bundle runs it.
 */
import type { CanaryAnalysisResult, CanaryStageLimits, CanaryStageState } from './analysis-schemas';
import { analysisApplies } from './analysis';
import { concludeStage, type StageStep } from './judge';
import { analysisRegressionMessage, stageStateEvidence } from './rollout-events';

/** Canary analysis judges the stage: it was asked for, and a baseline is left to compare with. */
export function analysisJudges(analysis: unknown, appliedUpTo: number, totalTargets: number): boolean {
  return analysis !== undefined && analysisApplies(appliedUpTo, totalTargets);
}

/**
 * What analysis asks of the rollout: `go_on` (keep probing, or promote at the end of a bake),
 * `rollback` (a regression, with its words and evidence), or `hold` for a human, saying why.
 */
export type AnalysisResponse =
  { kind: 'go_on' } | { kind: 'rollback'; message: string; evidence: Record<string, unknown> } | { kind: 'hold'; why: string };

/** After one interval: the stage's limits turned its verdict into continue, roll back or hold. */
export function intervalResponse(step: StageStep, result: CanaryAnalysisResult, limits: CanaryStageLimits): AnalysisResponse {
  switch (step.decision) {
    case 'continue':
      return { kind: 'go_on' };
    case 'rollback':
      return { kind: 'rollback', message: analysisRegressionMessage(result.message), evidence: stageStateEvidence(step.state, result) };
    case 'hold':
      return {
        kind: 'hold',
        why: `${step.state.inconclusive} inconclusive intervals, more than the ${limits.inconclusiveLimit} allowed: ${result.message}`,
      };
  }
}

/**
 * At the end of a bake under analysis. `keep_probing`: the stage has no verdict yet (a fresh canary
 * set, or no interval judged). `promote`: the stage may go on. Otherwise it rolls back, or holds
 * for a human: a stage that ended inconclusive or marginal never promotes.
 */
export type StageConclusion = { kind: 'keep_probing' } | { kind: 'promote' } | Exclude<AnalysisResponse, { kind: 'go_on' }>;

export function stageConclusion(run: { state: CanaryStageState; fresh: boolean }, limits: CanaryStageLimits): StageConclusion {
  const { state } = run;
  if (run.fresh || state.lastVerdict === null) return { kind: 'keep_probing' };
  switch (concludeStage(state, limits)) {
    case 'promote':
      return { kind: 'promote' };
    case 'rollback':
      return {
        kind: 'rollback',
        message: analysisRegressionMessage(`${state.failures} failed intervals`),
        evidence: stageStateEvidence(state),
      };
    case 'hold':
      return { kind: 'hold', why: `the bake ended on a ${state.lastVerdict} verdict: promotion needs a pass` };
  }
}
