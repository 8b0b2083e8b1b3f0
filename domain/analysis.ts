/**
 * Canary analysis as the workflow and the activity wire it: which metrics the judge is given (from
 * the rollout's checks), and what a human's resume clears from a stage's count. The statistics and
 * the stage's limits are judge.ts's; this module only adapts the request to them.
 *
 * Pure, and import-free at run time: the workflow bundle runs it.
 */
/* eslint no-restricted-properties: ["error", {"object": "Math", "property": "random"}, {"object": "Date", "property": "now"}] */
/* eslint no-restricted-globals: ["error", "Date", "setTimeout", "setInterval", "fetch", "process"] */
import type { CanaryAnalysisConfig, CanaryStageState, RolloutAnalysis } from './analysis-schemas';

/** The judge's configuration: the rollout's settings, with every check's metrics in check order. */
export function judgeConfig(analysis: RolloutAnalysis): CanaryAnalysisConfig {
  const { checks, limits: _limits, ...settings } = analysis;
  return { ...settings, metrics: checks.flatMap((check) => check.metrics) };
}

/**
 * A human resumed a stage held by its analysis (too many inconclusive intervals, or failures under
 * the pause policy): the counts that held it start again, and the stage needs a fresh verdict
 * before its bake may end. Intervals already judged stay counted, and the judge still sees every
 * sample of the stage: the human's resume buys time, not a clean slate of evidence.
 */
export function resumedStageState(state: CanaryStageState): CanaryStageState {
  return { ...state, failures: 0, consecutiveFailures: 0, inconclusive: 0, lastVerdict: null };
}

/**
 * Whether a stage with targets [0, upto) of `total` on the new version can be analysed: only while
 * some target is left on the previous version to be its baseline. A stage that takes the whole
 * fleet (the last one) has nothing to compare with: its bake is judged by the health thresholds.
 */
export function analysisApplies(upto: number, total: number): boolean {
  return upto > 0 && upto < total;
}
