/**
 * Health assessment: from one interval's probe results to a verdict, and from a run of verdicts to
 * a regression. Pure, with type-only imports: the workflow bundle runs it, and it is tested by table.
 */

import type { HealthSample } from './schemas';

/** One interval's probes across the targets on the new version (its shape: `HealthSample` in domain/schemas.ts). */
export type ProbeSummary = HealthSample;

export interface HealthThresholds {
  maxErrorRate: number;
  maxLatencyMs?: number | undefined;
  failureThreshold: number;
}

/**
 * `inconclusive`: the new version looks unhealthy, but the targets still on the previous version
 * look just as bad, so the change is not what is failing.
 */
export type IntervalVerdict = 'healthy' | 'unhealthy' | 'inconclusive' | 'no_data';

export interface IntervalAssessment {
  verdict: IntervalVerdict;
  errorRate: number | null;
  reasons: string[];
}

export function assessInterval(sample: ProbeSummary, t: HealthThresholds): IntervalAssessment {
  if (sample.total === 0) return { verdict: 'no_data', errorRate: null, reasons: [] };
  const errorRate = sample.failed / sample.total;
  const reasons: string[] = [];
  if (errorRate > t.maxErrorRate) {
    reasons.push(`error rate ${formatRatio(errorRate)} exceeds ${formatRatio(t.maxErrorRate)} (${sample.failed}/${sample.total} failed)`);
  }
  if (t.maxLatencyMs !== undefined && sample.p95LatencyMs !== null && sample.p95LatencyMs > t.maxLatencyMs) {
    reasons.push(`p95 latency ${Math.round(sample.p95LatencyMs)} ms exceeds ${t.maxLatencyMs} ms`);
  }
  if (reasons.length === 0) return { verdict: 'healthy', errorRate, reasons };
  const base = sample.baseline;
  if (!base || base.total === 0) return { verdict: 'unhealthy', errorRate, reasons };

  // Against the fleet as it was: only what the new version adds counts against it.
  const baseRate = base.failed / base.total;
  const attributable: string[] = [];
  if (errorRate - baseRate > t.maxErrorRate) {
    attributable.push(
      `error rate ${formatRatio(errorRate)} exceeds the previous version's ${formatRatio(baseRate)} by more than ${formatRatio(t.maxErrorRate)} (${sample.failed}/${sample.total} failed)`,
    );
  }
  const limit = t.maxLatencyMs;
  const latencyOver = limit !== undefined && sample.p95LatencyMs !== null && sample.p95LatencyMs > limit;
  if (latencyOver && (base.p95LatencyMs === null || base.p95LatencyMs <= limit)) {
    attributable.push(
      `p95 latency ${Math.round(sample.p95LatencyMs!)} ms exceeds ${t.maxLatencyMs} ms while the previous version's is within it`,
    );
  }
  if (attributable.length > 0) return { verdict: 'unhealthy', errorRate, reasons: attributable };
  return {
    verdict: 'inconclusive',
    errorRate,
    reasons: [
      `${reasons.join('; ')}, but targets still on the previous version fail as much (${base.failed}/${base.total} failed${
        base.p95LatencyMs !== null ? `, p95 ${Math.round(base.p95LatencyMs)} ms` : ''
      })`,
    ],
  };
}

export interface HealthStreak {
  /** Consecutive unhealthy intervals so far. */
  streak: number;
  regressed: boolean;
  assessment: IntervalAssessment;
}

/**
 * Folds one interval into the run of consecutive unhealthy intervals. An interval with no data, or
 * an inconclusive one, neither extends nor breaks the run: neither is evidence about the change.
 */
export function nextHealth(previousStreak: number, sample: ProbeSummary, t: HealthThresholds): HealthStreak {
  const assessment = assessInterval(sample, t);
  const streak = assessment.verdict === 'unhealthy' ? previousStreak + 1 : assessment.verdict === 'healthy' ? 0 : previousStreak;
  return { streak, regressed: streak >= t.failureThreshold, assessment };
}

/**
 * Consecutive inconclusive intervals: as many as `failureThreshold` hold the rollout for a human
 * (the fleet is failing with or without the change; rolling it back would not help).
 */
export function nextInconclusive(previous: number, assessment: IntervalAssessment, t: HealthThresholds): { count: number; hold: boolean } {
  const count = assessment.verdict === 'inconclusive' ? previous + 1 : assessment.verdict === 'healthy' ? 0 : previous;
  return { count, hold: count >= t.failureThreshold };
}

/** Nearest-rank percentile; null for no values. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1] ?? null;
}

function formatRatio(r: number): string {
  return `${Math.round(r * 1000) / 10}%`;
}

/**
 * A probe that was in flight while a human resumed (or approved) judges the state they just
 * overrode: counting it would undo their resume. `dropsAcrossResume` asks the patch that brought
 * this in (`sample-across-resume`), and is asked only when a resume did happen in between.
 */
export function sampleOutlived(resumesBefore: number, resumesNow: number, dropsAcrossResume: () => boolean): boolean {
  return resumesNow !== resumesBefore && dropsAcrossResume();
}

/** Said once per run: an interval without data means nothing on the new version can be watched. */
export function warnsUnmonitored(assessment: IntervalAssessment, warnedBefore: boolean): boolean {
  return assessment.verdict === 'no_data' && !warnedBefore;
}

/** A run of unhealthy intervals as a regression: the reasons of the last, and the run as evidence. */
export function healthRegression(verdict: HealthStreak, sample: ProbeSummary): { message: string; evidence: Record<string, unknown> } {
  return {
    message: verdict.assessment.reasons.join('; '),
    evidence: { source: 'health', consecutiveFailedIntervals: verdict.streak, sample },
  };
}

/** Held because the fleet fails with or without the change: the event's words and evidence. */
export function fleetInconclusive(
  assessment: IntervalAssessment,
  consecutiveIntervals: number,
  sample: ProbeSummary,
  state: string,
): { why: string; detail: Record<string, unknown> } {
  return { why: assessment.reasons.join('; '), detail: { source: 'health', consecutiveIntervals, sample, state } };
}
