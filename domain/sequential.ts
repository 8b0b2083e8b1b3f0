/**
 * The always-valid sequential test of "the canary is worse than the baseline by more than the
 * tolerance": a mixture sequential probability ratio test (mSPRT; Robbins 1970, Johari, Pekelis &
 * Walsh, "Always Valid Inference", 2017 — the test behind Optimizely's stats engine) over one
 * distribution-free observation per interval.
 *
 * Designed false-alarm rate: rejecting when the e-value reaches 1/α rolls back a healthy change
 * with probability at most α per metric and stage (α = 0.01 by default in the judge, split across
 * the metrics), however many intervals are looked at, because the e-value is a nonnegative
 * supermartingale under the null and Ville's inequality bounds the chance that it ever reaches 1/α.
 *
 * Each interval contributes z, the Mann-Whitney statistic of the canary's values against the
 * baseline's values of the same interval moved by the tolerance (×(1 + tolerance), or ×(1 − tolerance)
 * when a decrease is bad), standardised by its exact permutation mean and tie-corrected standard
 * deviation. Why ranks within an interval:
 * - canary and baseline are sampled at the same moments, so a fleet-wide slow minute moves both
 *   and cancels in the ranks;
 * - z has mean ≤ 0 and variance 1 under the null whatever the metric's distribution (lognormal
 *   latency, mostly-zero error rates, outliers), so nothing has to be estimated first and the very
 *   first interval already counts;
 * - its permutation distribution is close to normal (for one canary value it is the discrete
 *   uniform, which is strictly sub-Gaussian), which is what the normal mixture assumes. The
 *   property tests in tests/unit/sequential.test.ts measure the false-alarm rate this gives.
 *
 * The mixture is one-sided: the mixing density is a normal of scale τ (`mixingSd`) folded onto
 * positive drifts, so evidence that the canary is better never counts towards a rollback, and a
 * canary better than the baseline makes the e-value fall. With S the sum of the z's and k intervals,
 * Λ = ∫₀^∞ exp(θS − θ²k/2) · 2φ(θ/τ)/τ dθ = 2/√(1 + kτ²) · exp(S²/2a) · Φ(S/√a), with a = k + 1/τ².
 *
 * Pure and import-free but for stats.ts: workflow code folds intervals through it.
 */
/* eslint no-restricted-properties: ["error", {"object": "Math", "property": "random"}, {"object": "Date", "property": "now"}] */
/* eslint no-restricted-globals: ["error", "Date", "setTimeout", "setInterval", "fetch", "process"] */
import { logNormalCdf, uStatistic } from './stats';

export type Direction = 'increase_is_bad' | 'decrease_is_bad';

/**
 * The mixing scale, in units of one interval's standardised statistic. A drift of about 0.5–1.5 per
 * interval (a 20–60% latency regression seen by a handful of canary values) is what a rollout
 * needs to catch in a few intervals; τ = 1 puts the mixture's weight there.
 */
export const DEFAULT_MIXING_SD = 1;

export interface SequentialState {
  /** Intervals that carried information (both sides present, not every value tied). */
  looks: number;
  /** Σ z over those intervals. */
  sum: number;
  /** ln Λ after the latest look. */
  logEValue: number;
  /** The largest ln Λ seen at any look: the always-valid p-value is exp(−maxLogEValue). */
  maxLogEValue: number;
}

export const INITIAL_SEQUENTIAL_STATE: SequentialState = Object.freeze({ looks: 0, sum: 0, logEValue: 0, maxLogEValue: 0 });

export interface ToleranceShift {
  direction: Direction;
  /** Relative: 0.1 allows the canary 10% worse than the baseline before it counts as a regression. */
  tolerance: number;
}

/**
 * One interval's standardised rank statistic, oriented so that a worse canary is positive; null
 * when the interval carries no information (a side is empty, or every value is tied after the
 * shift). Values must be finite and nonnegative: a relative tolerance presupposes a ratio scale.
 */
export function rankObservation(canary: readonly number[], baseline: readonly number[], shift: ToleranceShift): number | null {
  if (canary.length === 0 || baseline.length === 0) return null;
  const factor = shift.direction === 'increase_is_bad' ? 1 + shift.tolerance : 1 - shift.tolerance;
  const stat = uStatistic(
    canary,
    baseline.map((value) => value * factor),
  );
  if (stat.sd === 0) return null;
  const z = (stat.u - stat.mean) / stat.sd;
  return shift.direction === 'increase_is_bad' ? z : -z;
}

/** ln Λ of the one-sided normal mixture for the sum S of k unit-variance observations (see the module doc). */
export function mixtureLogEValue(sum: number, looks: number, mixingSd: number = DEFAULT_MIXING_SD): number {
  if (looks === 0) return 0;
  const a = looks + 1 / (mixingSd * mixingSd);
  return Math.LN2 - 0.5 * Math.log1p(looks * mixingSd * mixingSd) + (sum * sum) / (2 * a) + logNormalCdf(sum / Math.sqrt(a));
}

/** Folds one interval's observation into the test; null (no information) leaves it as it was. */
export function nextSequentialState(
  state: SequentialState,
  observation: number | null,
  mixingSd: number = DEFAULT_MIXING_SD,
): SequentialState {
  if (observation === null) return state;
  const looks = state.looks + 1;
  const sum = state.sum + observation;
  const logEValue = mixtureLogEValue(sum, looks, mixingSd);
  return { looks, sum, logEValue, maxLogEValue: Math.max(state.maxLogEValue, logEValue) };
}

/** The always-valid p-value: the chance under the null of evidence this strong at any look. */
export function alwaysValidPValue(state: SequentialState): number {
  return Math.min(1, Math.exp(-state.maxLogEValue));
}

/**
 * Whether the test has rejected at some look: the e-value reached 1/α. Once it has, it stays
 * rejected (a later fall of the e-value does not undo a crossed boundary).
 */
export function sequentialRejects(state: SequentialState, alpha: number): boolean {
  return state.maxLogEValue >= -Math.log(alpha);
}

export interface IntervalSamples {
  canary: readonly number[];
  baseline: readonly number[];
}

/** The test after every interval of a stage so far, folded in order. */
export function foldIntervals(
  intervals: readonly IntervalSamples[],
  shift: ToleranceShift,
  mixingSd: number = DEFAULT_MIXING_SD,
): SequentialState {
  return intervals.reduce(
    (state, interval) => nextSequentialState(state, rankObservation(interval.canary, interval.baseline, shift), mixingSd),
    INITIAL_SEQUENTIAL_STATE,
  );
}
