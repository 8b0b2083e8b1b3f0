/**
 * The canary judge: from one metric's canary and baseline samples over a stage so far to a verdict
 * with its evidence; from every metric's verdict to a Kayenta-style score and the interval's
 * verdict; and from the stage's run of interval verdicts to continue, roll back or hold.
 *
 * Per metric:
 * - inconclusive, never pass, on a source error, no data, fewer than `minSamples` values on a side,
 *   or any value that is not a finite number ≥ 0 (a relative tolerance presupposes a ratio scale);
 * - fail when the always-valid sequential test (sequential.ts) rejects "the canary is at most
 *   `tolerance` worse" at α/(number of metrics): the only way to fail, so the chance that a healthy
 *   change is failed stays at most α per stage however often the stage is judged;
 * - marginal when the fixed-horizon test rejects it (Kayenta's method: one-sided Mann-Whitney at
 *   `confidenceLevel` against the baseline moved by the tolerance, after Tukey's fences) but the
 *   sequential test does not yet: suspicious, not proven;
 * - pass otherwise. Direction-aware: a canary better than the baseline only ever passes.
 *
 * Pure, and import-free at run time but for stats.ts and sequential.ts: the workflow bundle runs it.
 */
/* eslint no-restricted-properties: ["error", {"object": "Math", "property": "random"}, {"object": "Date", "property": "now"}] */
/* eslint no-restricted-globals: ["error", "Date", "setTimeout", "setInterval", "fetch", "process"] */
import type {
  CanaryAnalysisConfig,
  CanaryAnalysisResult,
  CanaryMetric,
  CanaryMetricData,
  CanaryMetricEvidence,
  CanaryMetricVerdict,
  CanaryReason,
  CanaryStageLimits,
  CanaryStageState,
  CanaryVerdict,
  StageDecision,
  StageOutcome,
} from './analysis-schemas';
import { alwaysValidPValue, foldIntervals, sequentialRejects } from './sequential';
import { hodgesLehmann, mannWhitneyU, median, removeOutliers } from './stats';

export const METRIC_DIRECTIONS = ['increase_is_bad', 'decrease_is_bad'] as const;
export const OUTLIER_HANDLING = ['remove', 'keep'] as const;
export const CANARY_VERDICTS = ['pass', 'marginal', 'fail', 'inconclusive'] as const;
export const CANARY_REASONS = [
  'source_error',
  'no_data',
  'too_few_samples',
  'invalid_values',
  'regression',
  'suspected_regression',
  'within_tolerance',
  'external_verdict',
] as const;
export const STAGE_DECISIONS = ['continue', 'rollback', 'hold'] as const;
export const STAGE_OUTCOMES = ['promote', 'rollback', 'hold'] as const;

/**
 * Values per side the fixed-horizon evidence pools at most (the latest intervals that fit): its
 * effect interval sorts all m·n pairwise differences, 1e6 of them at this bound. The sequential
 * test, one rank statistic per interval, always sees every interval.
 */
export const MAX_POOLED_SAMPLES = 1000;
/** e-values are reported up to this; beyond it the evidence says no more than "overwhelming". */
export const MAX_REPORTED_E_VALUE = 1e15;

/* ---------- one metric ---------- */

export interface JudgeMetricOptions {
  /** The metric's share of the stage's false-alarm budget: α / number of metrics. */
  alpha: number;
  confidenceLevel: number;
  minSamples: number;
  mixingSd: number;
}

export function judgeMetric(metric: CanaryMetric, data: CanaryMetricData | undefined, options: JudgeMetricOptions): CanaryMetricVerdict {
  const threshold = { tolerance: metric.tolerance, pValue: 1 - options.confidenceLevel, eValue: 1 / options.alpha };
  const intervals = data?.intervals ?? [];
  const canaryAll = intervals.flatMap((interval) => interval.canary);
  const baselineAll = intervals.flatMap((interval) => interval.baseline);
  const empty: CanaryMetricEvidence = {
    canaryCount: canaryAll.length,
    baselineCount: baselineAll.length,
    canaryMedian: null,
    baselineMedian: null,
    effect: null,
    interval: null,
    confidenceLevel: options.confidenceLevel,
    pValue: null,
    eValue: null,
    intervalsObserved: 0,
    threshold,
    outliersRemoved: { canary: 0, baseline: 0 },
  };
  const inconclusive = (reason: CanaryReason, message: string): CanaryMetricVerdict => ({
    name: metric.name,
    verdict: 'inconclusive',
    critical: metric.critical,
    reason,
    message,
    evidence: empty,
  });

  if (data?.error !== undefined) return inconclusive('source_error', `the metric source failed: ${data.error}`);
  if (canaryAll.length === 0 || baselineAll.length === 0) {
    return inconclusive('no_data', `no data (${canaryAll.length} canary, ${baselineAll.length} baseline values)`);
  }
  const invalid = [...canaryAll, ...baselineAll].filter((value) => !isValidValue(value)).length;
  if (invalid > 0) return inconclusive('invalid_values', `${invalid} value${invalid === 1 ? ' is' : 's are'} not a finite number ≥ 0`);
  if (canaryAll.length < options.minSamples || baselineAll.length < options.minSamples) {
    return inconclusive(
      'too_few_samples',
      `too few samples: ${canaryAll.length} canary and ${baselineAll.length} baseline values, at least ${options.minSamples} each needed`,
    );
  }
  // Every value is now a finite number (isValidValue), so the narrowing below is safe.
  const validIntervals = intervals.map((interval) => ({ canary: interval.canary as number[], baseline: interval.baseline as number[] }));

  const shift = { direction: metric.direction, tolerance: metric.tolerance };
  const sequential = foldIntervals(validIntervals, shift, options.mixingSd);
  const eValue = Math.min(MAX_REPORTED_E_VALUE, Math.exp(sequential.maxLogEValue));

  const pooled = latestPooled(validIntervals);
  const canaryClean = withoutOutliers(pooled.canary, metric.outliers, options.minSamples);
  const baselineClean = withoutOutliers(pooled.baseline, metric.outliers, options.minSamples);
  const canary = canaryClean.kept;
  const baseline = baselineClean.kept;
  const canaryMedian = median(canary);
  const baselineMedian = median(baseline);
  const factor = metric.direction === 'increase_is_bad' ? 1 + metric.tolerance : 1 - metric.tolerance;
  const { pValue } = mannWhitneyU(
    canary,
    baseline.map((value) => value * factor),
    { alternative: metric.direction === 'increase_is_bad' ? 'greater' : 'less' },
  );
  const shiftEstimate = hodgesLehmann(canary, baseline, { confLevel: options.confidenceLevel });
  const relative = (value: number) => value / baselineMedian;
  const effect = baselineMedian > 0 ? relative(shiftEstimate.estimate) : null;
  const evidence: CanaryMetricEvidence = {
    canaryCount: canary.length,
    baselineCount: baseline.length,
    canaryMedian,
    baselineMedian,
    effect,
    interval: baselineMedian > 0 ? [relative(shiftEstimate.lower), relative(shiftEstimate.upper)] : null,
    confidenceLevel: options.confidenceLevel,
    pValue,
    eValue,
    intervalsObserved: sequential.looks,
    threshold,
    outliersRemoved: { canary: canaryClean.removed.length, baseline: baselineClean.removed.length },
  };

  const worse = metric.direction === 'increase_is_bad' ? 'higher' : 'lower';
  const effectText = describeEffect(effect, shiftEstimate.estimate);
  const allowed = `${formatPercent(metric.tolerance)} allowed`;
  const verdict = (v: CanaryVerdict, reason: CanaryReason, message: string): CanaryMetricVerdict => ({
    name: metric.name,
    verdict: v,
    critical: metric.critical,
    reason,
    message,
    evidence,
  });
  if (sequentialRejects(sequential, options.alpha)) {
    return verdict(
      'fail',
      'regression',
      `canary ${worse} than baseline beyond the ${allowed}: ${effectText}, e-value ${formatNumber(eValue)} ≥ ${formatNumber(threshold.eValue)} (always-valid p ${formatNumber(alwaysValidPValue(sequential))})`,
    );
  }
  if (pValue < threshold.pValue) {
    return verdict(
      'marginal',
      'suspected_regression',
      `canary ${worse} than baseline beyond the ${allowed} at ${formatPercent(options.confidenceLevel)} confidence (p ${formatNumber(pValue)}, ${effectText}), not yet proven: e-value ${formatNumber(eValue)} < ${formatNumber(threshold.eValue)}`,
    );
  }
  return verdict(
    'pass',
    'within_tolerance',
    `within the ${allowed}: ${effectText} (p ${formatNumber(pValue)}, e-value ${formatNumber(eValue)})`,
  );
}

/* ---------- every metric of an interval ---------- */

/**
 * Judges every configured metric and combines them. The score is the share of metrics passing, as
 * Kayenta's (a marginal metric is what Kayenta would call failed, so it earns nothing). In order:
 * a failing critical metric fails; an inconclusive critical metric, or no conclusive metric at all,
 * is inconclusive; a score in the pass band passes unless a critical metric is marginal; a score
 * held below the pass band only by inconclusive metrics is inconclusive; a score in the marginal
 * band is marginal; below it fails, but only when some metric failed (always-valid evidence): a low
 * score made of marginal metrics stays marginal, so the designed false-alarm rate holds.
 */
export function judgeInterval(
  config: CanaryAnalysisConfig,
  data: Readonly<Record<string, CanaryMetricData | undefined>>,
  /**
   * Verdicts reached elsewhere (an external judge's), scored beside the metrics. They take no share
   * of α: the false-alarm bound covers the statistical metrics only.
   */
  external: readonly CanaryMetricVerdict[] = [],
): CanaryAnalysisResult {
  const options: JudgeMetricOptions = {
    alpha: config.alpha / Math.max(1, config.metrics.length),
    confidenceLevel: config.confidenceLevel,
    minSamples: config.minSamples,
    mixingSd: config.mixingSd,
  };
  const metrics = [...config.metrics.map((metric) => judgeMetric(metric, data[metric.name], options)), ...external];
  const count = (verdict: CanaryVerdict) => metrics.filter((metric) => metric.verdict === verdict).length;
  const credit = count('pass');
  const conclusive = metrics.length - count('inconclusive');
  const score = round1((100 * credit) / metrics.length);
  const names = (pick: (metric: CanaryMetricVerdict) => boolean) =>
    metrics
      .filter(pick)
      .map((metric) => metric.name)
      .join(', ');
  const result = (verdict: CanaryVerdict, message: string): CanaryAnalysisResult => ({ verdict, score, message, metrics });

  const criticalFailed = names((metric) => metric.critical && metric.verdict === 'fail');
  if (criticalFailed !== '') return result('fail', `critical metric failed: ${criticalFailed}`);
  const criticalInconclusive = names((metric) => metric.critical && metric.verdict === 'inconclusive');
  if (criticalInconclusive !== '') return result('inconclusive', `critical metric inconclusive: ${criticalInconclusive}`);
  if (conclusive === 0) return result('inconclusive', 'no metric is conclusive');
  const criticalMarginal = names((metric) => metric.critical && metric.verdict === 'marginal');
  if (score >= config.bands.pass) {
    if (criticalMarginal !== '')
      return result('marginal', `score ${score} ≥ ${config.bands.pass}, but critical metric marginal: ${criticalMarginal}`);
    return result('pass', `score ${score} ≥ ${config.bands.pass}`);
  }
  if (count('inconclusive') > 0 && (100 * credit) / conclusive >= config.bands.pass) {
    return result(
      'inconclusive',
      `score ${score} < ${config.bands.pass} only for want of data: ${names((metric) => metric.verdict === 'inconclusive')}`,
    );
  }
  if (score >= config.bands.marginal || count('fail') === 0) return result('marginal', `score ${score} < ${config.bands.pass}`);
  return result('fail', `score ${score} < ${config.bands.marginal}; failed: ${names((metric) => metric.verdict === 'fail')}`);
}

/* ---------- the stage ---------- */

export const INITIAL_STAGE_STATE: CanaryStageState = Object.freeze({
  intervals: 0,
  passes: 0,
  marginals: 0,
  failures: 0,
  consecutiveFailures: 0,
  inconclusive: 0,
  lastVerdict: null,
});

export interface StageStep {
  state: CanaryStageState;
  decision: StageDecision;
}

/**
 * Folds one interval's verdict into the stage. Limits count as Argo Rollouts' do: a limit of n
 * tolerates n, and the (n+1)th rolls back (failures) or holds for a human (inconclusive). A failure
 * beats an inconclusive count: a proven regression rolls back even when data were also missing.
 * Inconclusive and marginal intervals neither extend nor break a run of failures.
 */
export function nextStageVerdict(
  state: CanaryStageState,
  interval: Pick<CanaryAnalysisResult, 'verdict'>,
  limits: CanaryStageLimits,
): StageStep {
  const verdict = interval.verdict;
  const next: CanaryStageState = {
    intervals: state.intervals + 1,
    passes: state.passes + (verdict === 'pass' ? 1 : 0),
    marginals: state.marginals + (verdict === 'marginal' ? 1 : 0),
    failures: state.failures + (verdict === 'fail' ? 1 : 0),
    consecutiveFailures: verdict === 'fail' ? state.consecutiveFailures + 1 : verdict === 'pass' ? 0 : state.consecutiveFailures,
    inconclusive: state.inconclusive + (verdict === 'inconclusive' ? 1 : 0),
    lastVerdict: verdict,
  };
  return { state: next, decision: limitDecision(next, limits) };
}

function limitDecision(state: CanaryStageState, limits: CanaryStageLimits): StageDecision {
  if (state.failures > limits.failureLimit) return 'rollback';
  if (limits.consecutiveFailureLimit !== undefined && state.consecutiveFailures > limits.consecutiveFailureLimit) return 'rollback';
  if (state.inconclusive > limits.inconclusiveLimit) return 'hold';
  return 'continue';
}

/**
 * At the end of a stage's bake: promote only when no limit was passed and the latest verdict, which
 * judged the whole stage so far, passed. A stage that saw no data, or ended inconclusive, marginal or
 * failing within its limits, holds for a human: analysis never passes on no evidence.
 */
export function concludeStage(state: CanaryStageState, limits: CanaryStageLimits): StageOutcome {
  const decision = limitDecision(state, limits);
  if (decision !== 'continue') return decision;
  return state.lastVerdict === 'pass' ? 'promote' : 'hold';
}

/* ---------- helpers ---------- */

/**
 * Tukey's fences on one side, unless that would leave fewer than minSamples values: on so few the
 * quartiles say little, and judging on fewer values than the caller asked for would be worse.
 */
function withoutOutliers(values: number[], handling: CanaryMetric['outliers'], minSamples: number): { kept: number[]; removed: number[] } {
  if (handling === 'keep') return { kept: values, removed: [] };
  const result = removeOutliers(values);
  return result.kept.length >= minSamples ? result : { kept: values, removed: [] };
}

function isValidValue(value: number | null): value is number {
  return value !== null && Number.isFinite(value) && value >= 0;
}

/** The latest intervals whose values fit MAX_POOLED_SAMPLES per side (at least the latest one, trimmed). */
function latestPooled(intervals: readonly { canary: number[]; baseline: number[] }[]): { canary: number[]; baseline: number[] } {
  const canary: number[] = [];
  const baseline: number[] = [];
  for (let i = intervals.length - 1; i >= 0; i--) {
    const interval = intervals[i]!;
    if (canary.length + interval.canary.length > MAX_POOLED_SAMPLES || baseline.length + interval.baseline.length > MAX_POOLED_SAMPLES) {
      if (canary.length === 0 || baseline.length === 0) {
        canary.push(...interval.canary.slice(0, MAX_POOLED_SAMPLES - canary.length));
        baseline.push(...interval.baseline.slice(0, MAX_POOLED_SAMPLES - baseline.length));
      }
      break;
    }
    canary.push(...interval.canary);
    baseline.push(...interval.baseline);
  }
  return { canary, baseline };
}

function describeEffect(relativeEffect: number | null, absolute: number): string {
  if (relativeEffect !== null) return `effect ${relativeEffect >= 0 ? '+' : ''}${formatPercent(relativeEffect)}`;
  return `shift ${absolute >= 0 ? '+' : ''}${formatNumber(absolute)} (baseline median 0)`;
}

function formatPercent(ratio: number): string {
  return `${Math.round(ratio * 1000) / 10}%`;
}

function formatNumber(value: number): string {
  if (value === 0 || (Math.abs(value) >= 0.001 && Math.abs(value) < 1e6)) return String(Number(value.toPrecision(3)));
  return value.toExponential(2);
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
