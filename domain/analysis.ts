/**
 * Canary analysis as the workflow and the activity wire it: which metrics the judge is given (from
 * the rollout's checks), and what a human's resume clears from a stage's count. The statistics and
 * the stage's limits are judge.ts's; this module only adapts the request to them.
 *
 * Pure, and import-free at run time: the workflow bundle runs it.
 */
/* eslint no-restricted-properties: ["error", {"object": "Math", "property": "random"}, {"object": "Date", "property": "now"}] */
/* eslint no-restricted-globals: ["error", "Date", "setTimeout", "setInterval", "fetch", "process"] */
import type {
  CanaryAnalysisConfig,
  CanaryIntervalSamples,
  CanaryMetricVerdict,
  CanaryStageState,
  RolloutAnalysis,
  WebhookAnswer,
  WebhookCheck,
} from './analysis-schemas';

/** The judge's configuration: the rollout's settings, with every check's metrics in check order. */
export function judgeConfig(analysis: RolloutAnalysis): CanaryAnalysisConfig {
  const { checks, limits: _limits, ...settings } = analysis;
  return { ...settings, metrics: checks.flatMap((check) => (check.type === 'webhook' ? [] : check.metrics)) };
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

/**
 * A PromQL template with `{{canary}}` and `{{baseline}}` replaced by regex alternations of the
 * target ids, escaped twice: for the regex (ids may hold ".") and for the PromQL string literal the
 * template puts them in (a backslash must be doubled there).
 */
export function renderQuery(template: string, canaryIds: readonly string[], baselineIds: readonly string[]): string {
  const alternation = (ids: readonly string[]) =>
    ids.map((id) => id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/[\\"]/g, '\\$&')).join('|');
  return template.replaceAll('{{canary}}', alternation(canaryIds)).replaceAll('{{baseline}}', alternation(baselineIds));
}

/**
 * One value per series of a Prometheus instant-query answer (`/api/v1/query`), on the canary's side
 * or the baseline's by the series' target label; series of other targets are left out. A value
 * Prometheus could not compute (NaN, ±Inf: a rate over no traffic) becomes null, which the judge
 * counts as invalid: inconclusive, never a pass. Anything but a successful vector is an error.
 */
export function samplesFromVector(
  answer: unknown,
  targetLabel: string,
  canaryIds: readonly string[],
  baselineIds: readonly string[],
): CanaryIntervalSamples | { error: string } {
  const body = answer as { status?: unknown; error?: unknown; data?: { resultType?: unknown; result?: unknown } } | null | undefined;
  if (!body || typeof body !== 'object') return { error: 'the answer is not JSON (or too large to read)' };
  if (body.status !== 'success') return { error: `prometheus: ${typeof body.error === 'string' ? body.error : 'query failed'}` };
  if (body.data?.resultType !== 'vector' || !Array.isArray(body.data.result))
    return { error: `the query must give an instant vector, not ${String(body.data?.resultType)}` };
  const canary = new Set(canaryIds);
  const baseline = new Set(baselineIds);
  const out: CanaryIntervalSamples = { canary: [], baseline: [] };
  for (const series of body.data.result as { metric?: Record<string, unknown>; value?: unknown }[]) {
    const id = series.metric?.[targetLabel];
    const raw = Array.isArray(series.value) ? (series.value[1] as unknown) : undefined;
    const value = typeof raw === 'string' ? Number(raw) : NaN;
    const sample = Number.isFinite(value) ? value : null;
    if (typeof id !== 'string') continue;
    if (canary.has(id)) out.canary.push(sample);
    else if (baseline.has(id)) out.baseline.push(sample);
  }
  return out;
}

/**
 * An external judge's verdict as the judge scores it beside the metrics: what it answered, or
 * inconclusive (reason `source_error`) when it could not be asked or gave no valid answer. Its
 * evidence is its reason: it counted no samples of ours.
 */
export function webhookVerdict(
  check: Pick<WebhookCheck, 'name' | 'critical'>,
  answer: WebhookAnswer | { error: string },
): CanaryMetricVerdict {
  const evidence = {
    canaryCount: 0,
    baselineCount: 0,
    canaryMedian: null,
    baselineMedian: null,
    effect: null,
    interval: null,
    confidenceLevel: 0,
    pValue: null,
    eValue: null,
    intervalsObserved: 0,
    threshold: { tolerance: 0, pValue: 0, eValue: 0 },
    outliersRemoved: { canary: 0, baseline: 0 },
  };
  if ('error' in answer)
    return {
      name: check.name,
      verdict: 'inconclusive',
      critical: check.critical,
      reason: 'source_error',
      message: `the external judge could not be asked: ${answer.error}`,
      evidence,
    };
  return {
    name: check.name,
    verdict: answer.verdict,
    critical: check.critical,
    reason: 'external_verdict',
    message: `external judge: ${answer.verdict}: ${answer.reason}`,
    evidence,
  };
}

/**
 * The canary analysis run of the set [0, upto): the one under way when it judges the same set,
 * else a fresh one (the next stage applied is a new canary set).
 */
export function canaryRunFor(
  current: { upto: number; state: CanaryStageState } | undefined,
  upto: number,
  initial: CanaryStageState,
): { upto: number; state: CanaryStageState; fresh: boolean } {
  return current?.upto === upto ? { ...current, fresh: false } : { upto, state: initial, fresh: true };
}
