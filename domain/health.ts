/**
 * Health assessment: from one interval's probe results to a verdict, and from a run of verdicts to
 * a regression. Pure and import-free: the workflow bundle runs it, and it is tested by table.
 */

export type ProbeFailureReason = 'http_status' | 'timeout' | 'connection' | 'version_mismatch';

export interface ProbeFailure {
  targetId: string;
  reason: ProbeFailureReason;
  status?: number;
  message: string;
}

/** One interval's probes across the targets on the new version. */
export interface ProbeSummary {
  at: string;
  /** Targets that could be observed (a health URL, or a reported version). */
  total: number;
  failed: number;
  /** Targets on the new version with no health URL and no reported version. */
  unobserved: number;
  p95LatencyMs: number | null;
  failuresByReason: Partial<Record<ProbeFailureReason, number>>;
  /** The first few failures, as evidence; never the whole fleet. */
  failures: ProbeFailure[];
}

export interface HealthThresholds {
  maxErrorRate: number;
  maxLatencyMs?: number | undefined;
  failureThreshold: number;
}

export type IntervalVerdict = 'healthy' | 'unhealthy' | 'no_data';

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
  return { verdict: reasons.length > 0 ? 'unhealthy' : 'healthy', errorRate, reasons };
}

export interface HealthStreak {
  /** Consecutive unhealthy intervals so far. */
  streak: number;
  regressed: boolean;
  assessment: IntervalAssessment;
}

/**
 * Folds one interval into the run of consecutive unhealthy intervals. An interval with no data
 * neither extends nor breaks the run: silence is not evidence of health.
 */
export function nextHealth(previousStreak: number, sample: ProbeSummary, t: HealthThresholds): HealthStreak {
  const assessment = assessInterval(sample, t);
  const streak = assessment.verdict === 'unhealthy' ? previousStreak + 1 : assessment.verdict === 'healthy' ? 0 : previousStreak;
  return { streak, regressed: streak >= t.failureThreshold, assessment };
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
