/**
 * Rank statistics for canary analysis: the Mann-Whitney U (Wilcoxon rank-sum) test, the
 * Hodges–Lehmann shift with its distribution-free confidence interval, Tukey's outlier fences,
 * sample quantiles, and the normal distribution they lean on. Each follows R's `wilcox.test` and
 * `quantile` so that a verdict can be checked by hand against R or scipy.
 *
 * Pure and import-free: workflow code runs it, so no Node built-ins, no clocks, no randomness.
 */
/* eslint no-restricted-properties: ["error", {"object": "Math", "property": "random"}, {"object": "Date", "property": "now"}] */
/* eslint no-restricted-globals: ["error", "Date", "setTimeout", "setInterval", "fetch", "process"] */

/* ---------- the normal distribution ---------- */

/** ln √(2π). */
const LOG_SQRT_2PI = 0.9189385332046728;
const SQRT_2PI = 2.5066282746310002;

/**
 * Below this |x| the Taylor series is used; above it the continued fraction, which converges quickly
 * there and keeps relative accuracy in the far tail (where 0.5 + series cancels).
 */
const SERIES_LIMIT = 5;

/**
 * Φ(-x)/φ(x) for x ≥ SERIES_LIMIT (Mills' ratio), by Laplace's continued fraction
 * 1/(x + 1/(x + 2/(x + 3/(x + …)))), evaluated from the tail up.
 */
function millsRatio(x: number): number {
  let tail = x;
  for (let k = 200; k >= 1; k--) tail = x + k / tail;
  return 1 / tail;
}

/**
 * Φ(x) for |x| < SERIES_LIMIT: Marsaglia's series Φ(x) = ½ + φ(x)·Σ x^(2k+1)/(1·3·…·(2k+1))
 * (G. Marsaglia, "Evaluating the Normal Distribution", J. Statistical Software 11(4), 2004), which
 * is accurate to about 1e-15 in absolute terms there.
 */
function cdfSeries(x: number): number {
  const q = x * x;
  let term = x;
  let sum = x;
  let previous = 0;
  for (let i = 1; sum !== previous;) {
    previous = sum;
    i += 2;
    term *= q / i;
    sum += term;
  }
  return 0.5 + sum * Math.exp(-0.5 * q - LOG_SQRT_2PI);
}

/** The standard normal CDF Φ(x), accurate to about 1e-15 absolute, with relative accuracy in the tails. */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= -SERIES_LIMIT) return Math.exp(-0.5 * x * x - LOG_SQRT_2PI) * millsRatio(-x);
  if (x >= SERIES_LIMIT) return 1 - Math.exp(-0.5 * x * x - LOG_SQRT_2PI) * millsRatio(x);
  return cdfSeries(x);
}

/** ln Φ(x), finite however far into the lower tail x is (the mixture e-value needs it there). */
export function logNormalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= -SERIES_LIMIT) return -0.5 * x * x - LOG_SQRT_2PI + Math.log(millsRatio(-x));
  if (x >= SERIES_LIMIT) return Math.log1p(-Math.exp(-0.5 * x * x - LOG_SQRT_2PI) * millsRatio(x));
  return Math.log(cdfSeries(x));
}

/*
 * P. J. Acklam's rational approximation of the normal quantile (relative error below 1.15e-9),
 * used as the starting point of one Halley step on normalCdf, which brings it to double precision.
 */
const ACKLAM_A = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239,
];
const ACKLAM_B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const ACKLAM_C = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783,
];
const ACKLAM_D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const ACKLAM_LOW = 0.02425;

function polynomial(coefficients: readonly number[], x: number): number {
  let value = 0;
  for (const coefficient of coefficients) value = value * x + coefficient;
  return value;
}

function acklam(p: number): number {
  if (p < ACKLAM_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    return polynomial(ACKLAM_C, q) / (polynomial(ACKLAM_D, q) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (polynomial(ACKLAM_A, r) * q) / (polynomial(ACKLAM_B, r) * r + 1);
}

/** The standard normal quantile Φ⁻¹(p): -Infinity at 0, Infinity at 1, NaN outside [0, 1]. */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  // By symmetry from the lower half, where Φ keeps relative accuracy for the Halley step.
  if (p > 0.5) return -normalQuantile(1 - p);
  let x = acklam(p);
  const error = normalCdf(x) - p;
  const u = error * SQRT_2PI * Math.exp(0.5 * x * x);
  x -= u / (1 + 0.5 * x * u);
  return x;
}

/* ---------- sample summaries ---------- */

function ascending(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/**
 * The p-quantile by linear interpolation between order statistics: R's default `quantile(type = 7)`
 * and numpy's default. NaN for no values.
 */
export function quantile(values: readonly number[], p: number): number {
  return quantileOfSorted(ascending(values), p);
}

function quantileOfSorted(sorted: readonly number[], p: number): number {
  const n = sorted.length;
  if (n === 0 || Number.isNaN(p)) return NaN;
  const h = (n - 1) * Math.min(1, Math.max(0, p));
  const lo = Math.floor(h);
  const low = sorted[lo]!;
  const high = sorted[Math.min(n - 1, lo + 1)]!;
  return low + (h - lo) * (high - low);
}

/** The median (the mean of the two middle values for an even count). NaN for no values. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

export interface OutlierRemoval {
  kept: number[];
  removed: number[];
  /** The fences: values outside [lower, upper] are removed. */
  lower: number;
  upper: number;
}

/**
 * Tukey's fences: removes values below Q1 − k·IQR or above Q3 + k·IQR (k = 1.5 by default, the
 * "outer" fences at 3). Quartiles as `quantile` (R type 7). When the IQR is zero (most values
 * equal, such as per-target error rates that are mostly 0) nothing is removed: zero-width fences
 * would call every non-modal value an outlier, and those are the errors a canary must not hide.
 * Order of the kept values is preserved.
 */
export function removeOutliers(values: readonly number[], k = 1.5): OutlierRemoval {
  const sorted = ascending(values);
  const q1 = quantileOfSorted(sorted, 0.25);
  const q3 = quantileOfSorted(sorted, 0.75);
  const iqr = q3 - q1;
  if (values.length === 0 || !(iqr > 0)) return { kept: [...values], removed: [], lower: q1, upper: q3 };
  const lower = q1 - k * iqr;
  const upper = q3 + k * iqr;
  const kept: number[] = [];
  const removed: number[] = [];
  for (const value of values) (value < lower || value > upper ? removed : kept).push(value);
  return { kept, removed, lower, upper };
}

/* ---------- ranks ---------- */

interface RankSum {
  /** Sum of the mid-ranks of x in the pooled sample. */
  rankSumX: number;
  /** Σ (t³ − t) over groups of t tied values, for the variance correction. */
  tieTerm: number;
  ties: boolean;
}

function rankSum(x: readonly number[], y: readonly number[]): RankSum {
  const m = x.length;
  const total = m + y.length;
  const values = new Float64Array(total);
  for (let i = 0; i < m; i++) values[i] = x[i]!;
  for (let j = 0; j < y.length; j++) values[m + j] = y[j]!;
  // Indices below m are x's. Sorting indices keeps the sample each value came from.
  const order = Uint32Array.from({ length: total }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  let rankSumX = 0;
  let tieTerm = 0;
  for (let start = 0; start < total;) {
    let end = start + 1;
    while (end < total && values[order[end]!] === values[order[start]!]) end++;
    const size = end - start;
    // Ranks start+1 … end share their mean.
    const midRank = (start + 1 + end) / 2;
    for (let i = start; i < end; i++) if (order[i]! < m) rankSumX += midRank;
    tieTerm += size * size * size - size;
    start = end;
  }
  return { rankSumX, tieTerm, ties: tieTerm > 0 };
}

export interface UStatistic {
  /** U for x: the number of pairs with x > y, ties counting ½ (R's W, scipy's U1). */
  u: number;
  /** E[U] = mn/2 when x and y come from one distribution. */
  mean: number;
  /** The standard deviation of U under that null, corrected for ties; 0 when every value is tied. */
  sd: number;
  ties: boolean;
}

/** U for x against y with its null mean and tie-corrected standard deviation. */
export function uStatistic(x: readonly number[], y: readonly number[]): UStatistic {
  const m = x.length;
  const n = y.length;
  const { rankSumX, tieTerm, ties } = rankSum(x, y);
  const u = rankSumX - (m * (m + 1)) / 2;
  const total = m + n;
  const variance = total < 2 ? 0 : ((m * n) / 12) * (total + 1 - tieTerm / (total * (total - 1)));
  return { u, mean: (m * n) / 2, sd: Math.sqrt(Math.max(0, variance)), ties };
}

/* ---------- the exact null distribution of U ---------- */

/**
 * P(U = u) for u = 0 … mn with samples of m and n distinct values. By the largest value of the
 * pooled sample: an x (probability m/(m+n)) beats all n y's, a y beats none, so
 * P_{m,n}(u) = m/(m+n)·P_{m−1,n}(u−n) + n/(m+n)·P_{m,n−1}(u). Probabilities rather than counts:
 * C(98, 49) overflows exact integers in a double, and a convex combination of probabilities
 * never cancels.
 */
export function exactUDistribution(m: number, n: number): Float64Array {
  const key = `${m},${n}`;
  const cached = exactCache.get(key);
  if (cached) return cached.slice();
  const distribution = computeExactUDistribution(m, n);
  // A judge asks for the same few sizes interval after interval; the cache only saves time.
  if (exactCache.size >= EXACT_CACHE_SIZE) exactCache.delete(exactCache.keys().next().value!);
  exactCache.set(key, distribution);
  return distribution.slice();
}

const EXACT_CACHE_SIZE = 32;
const exactCache = new Map<string, Float64Array>();

function computeExactUDistribution(m: number, n: number): Float64Array {
  let previousRow: Float64Array[] = Array.from({ length: n + 1 }, () => Float64Array.of(1));
  for (let i = 1; i <= m; i++) {
    const row: Float64Array[] = [Float64Array.of(1)];
    for (let j = 1; j <= n; j++) {
      const withoutX = previousRow[j]!; // sizes (i−1, j)
      const withoutY = row[j - 1]!; // sizes (i, j−1)
      const out = new Float64Array(i * j + 1);
      const px = i / (i + j);
      const py = j / (i + j);
      for (let u = 0; u <= i * j; u++) {
        const fromX = u >= j && u - j < withoutX.length ? withoutX[u - j]! : 0;
        const fromY = u < withoutY.length ? withoutY[u]! : 0;
        out[u] = px * fromX + py * fromY;
      }
      row.push(out);
    }
    previousRow = row;
  }
  return previousRow[n]!;
}

function cumulative(distribution: Float64Array): Float64Array {
  const out = new Float64Array(distribution.length);
  let sum = 0;
  distribution.forEach((p, u) => {
    sum += p;
    out[u] = sum;
  });
  return out;
}

/** P(U ≤ u) from a cumulative table, 0 below its range and 1 above it. */
function cdfAt(cdf: Float64Array, u: number): number {
  if (u < 0) return 0;
  if (u >= cdf.length - 1) return 1;
  return Math.min(1, cdf[Math.floor(u)]!);
}

/** R's `qwilcox`: the smallest q with P(U ≤ q) ≥ p (with R's 10·ε slack on p). */
function exactUQuantile(cdf: Float64Array, p: number): number {
  const target = p - 10 * Number.EPSILON;
  for (let q = 0; q < cdf.length; q++) if (cdf[q]! >= target) return q;
  return cdf.length - 1;
}

/* ---------- the Mann-Whitney U test ---------- */

export type Alternative = 'two_sided' | 'greater' | 'less';

export interface MannWhitneyOptions {
  /** 'greater': x tends to exceed y + mu. Default 'two_sided'. */
  alternative?: Alternative;
  /** The shift under the null: tests x − mu against y (R's `mu`). Default 0. */
  mu?: number;
  /**
   * 'auto' (the default, as R): exact when both samples have fewer than 50 values and there are no
   * ties, the normal approximation otherwise. `true` asks for exact, which ties still rule out.
   */
  exact?: boolean | 'auto';
  /** Continuity correction of the normal approximation (R's `correct`, scipy's `use_continuity`). Default true. */
  correct?: boolean;
}

export interface MannWhitneyResult {
  /** U for x (R's W, scipy's statistic). */
  u: number;
  pValue: number;
  method: 'exact' | 'normal';
  /** The normal approximation's z (with the continuity correction if applied); null when exact. */
  z: number | null;
  alternative: Alternative;
}

/** R's default: the exact distribution below this many values per sample (and no ties). */
export const EXACT_LIMIT = 50;

/**
 * The Mann-Whitney U (Wilcoxon rank-sum) test of x against y, as R's `wilcox.test(x, y)` computes it.
 * When every value is tied the data say nothing either way and the p-value is 1.
 * Throws on an empty sample or a non-finite value: callers decide what missing data means.
 */
export function mannWhitneyU(x: readonly number[], y: readonly number[], options: MannWhitneyOptions = {}): MannWhitneyResult {
  const alternative = options.alternative ?? 'two_sided';
  const mu = options.mu ?? 0;
  const correct = options.correct ?? true;
  assertSamples(x, y);
  const shifted = mu === 0 ? x : x.map((value) => value - mu);
  const m = x.length;
  const n = y.length;
  const stat = uStatistic(shifted, y);
  const exactRequested = options.exact ?? 'auto';
  const exact = !stat.ties && (exactRequested === true || (exactRequested === 'auto' && m < EXACT_LIMIT && n < EXACT_LIMIT));

  if (exact) {
    const cdf = cumulative(exactUDistribution(m, n));
    const upper = (u: number) => 1 - cdfAt(cdf, u - 1); // P(U ≥ u)
    let pValue: number;
    if (alternative === 'greater') pValue = upper(stat.u);
    else if (alternative === 'less') pValue = cdfAt(cdf, stat.u);
    else pValue = 2 * (stat.u > stat.mean ? upper(stat.u) : cdfAt(cdf, stat.u));
    return { u: stat.u, pValue: clamp01(pValue), method: 'exact', z: null, alternative };
  }

  if (stat.sd === 0) return { u: stat.u, pValue: 1, method: 'normal', z: 0, alternative };
  const distance = stat.u - stat.mean;
  const correction = !correct ? 0 : alternative === 'two_sided' ? Math.sign(distance) * 0.5 : alternative === 'greater' ? 0.5 : -0.5;
  const z = (distance - correction) / stat.sd;
  const pValue =
    alternative === 'greater' ? normalCdf(-z) : alternative === 'less' ? normalCdf(z) : 2 * Math.min(normalCdf(z), normalCdf(-z));
  return { u: stat.u, pValue: clamp01(pValue), method: 'normal', z, alternative };
}

/* ---------- the Hodges–Lehmann shift ---------- */

export interface HodgesLehmannOptions {
  /** Default 0.95. */
  confLevel?: number;
  /** 'greater' gives [lower, Infinity), 'less' (−Infinity, upper]. Default 'two_sided'. */
  alternative?: Alternative;
  /** As for mannWhitneyU; decides between exact order statistics and the normal approximation. */
  exact?: boolean | 'auto';
  correct?: boolean;
}

export interface HodgesLehmannResult {
  /** The shift estimate of x − y (R's "difference in location"). */
  estimate: number;
  lower: number;
  upper: number;
  /** The confidence the interval achieves: exact intervals are conservative, at the next attainable level. */
  achievedConfLevel: number | null;
  method: 'exact' | 'normal';
}

/**
 * The Hodges–Lehmann estimate of the shift x − y and its distribution-free confidence interval from
 * the mn pairwise differences, as R's `wilcox.test(x, y, conf.int = TRUE)`:
 * - exact (no ties, both samples under 50): the estimate is the median of the differences and the
 *   bounds are the differences at the ranks of `qwilcox(α/2, m, n)` from either end (Hollander &
 *   Wolfe 1999, §4.3);
 * - otherwise the bounds are where the tie-corrected, continuity-corrected z statistic of
 *   x − d against y crosses the normal quantile, and the estimate is where it crosses 0. R finds
 *   those roots with `uniroot` to 1e-4; here the statistic is a step function that only moves at a
 *   pairwise difference, so the root is that difference, found by bisection over them.
 * Memory and time grow with m·n (the sorted differences): callers bound their sample sizes.
 */
export function hodgesLehmann(x: readonly number[], y: readonly number[], options: HodgesLehmannOptions = {}): HodgesLehmannResult {
  const confLevel = options.confLevel ?? 0.95;
  const alternative = options.alternative ?? 'two_sided';
  const correct = options.correct ?? true;
  assertSamples(x, y);
  if (!(confLevel > 0 && confLevel < 1)) throw new RangeError(`confLevel must be in (0, 1), not ${confLevel}`);
  const m = x.length;
  const n = y.length;
  const differences = new Float64Array(m * n);
  let k = 0;
  for (const xi of x) for (const yj of y) differences[k++] = xi - yj;
  differences.sort();
  const alpha = 1 - confLevel;
  const exactRequested = options.exact ?? 'auto';
  const ties = uStatistic(x, y).ties;
  const exact = !ties && (exactRequested === true || (exactRequested === 'auto' && m < EXACT_LIMIT && n < EXACT_LIMIT));

  if (exact) {
    const cdf = cumulative(exactUDistribution(m, n));
    const mn = m * n;
    const estimate = quantileOfSorted(Array.from(differences), 0.5);
    const tail = alternative === 'two_sided' ? alpha / 2 : alpha;
    // R: qu <- qwilcox(tail, m, n); if (qu == 0) qu <- 1; the bounds are diffs[qu] and diffs[mn − qu + 1] (1-based).
    const qu = Math.max(1, exactUQuantile(cdf, tail));
    const achievedTail = cdfAt(cdf, qu - 1);
    const lowerBound = differences[qu - 1]!;
    const upperBound = differences[mn - qu]!;
    if (alternative === 'greater')
      return { estimate, lower: lowerBound, upper: Infinity, achievedConfLevel: 1 - achievedTail, method: 'exact' };
    if (alternative === 'less')
      return { estimate, lower: -Infinity, upper: upperBound, achievedConfLevel: 1 - achievedTail, method: 'exact' };
    return { estimate, lower: lowerBound, upper: upperBound, achievedConfLevel: 1 - 2 * achievedTail, method: 'exact' };
  }

  const root = (zq: number, side: Alternative) => normalRoot(x, y, differences, zq, side, correct);
  const estimate = root(0, alternative);
  if (alternative === 'greater')
    return { estimate, lower: root(normalQuantile(1 - alpha), 'greater'), upper: Infinity, achievedConfLevel: null, method: 'normal' };
  if (alternative === 'less')
    return { estimate, lower: -Infinity, upper: root(normalQuantile(alpha), 'less'), achievedConfLevel: null, method: 'normal' };
  return {
    estimate,
    lower: root(normalQuantile(1 - alpha / 2), 'two_sided'),
    upper: root(normalQuantile(alpha / 2), 'two_sided'),
    achievedConfLevel: null,
    method: 'normal',
  };
}

/**
 * The root in d of R's `wdiff(d, zq)`: the corrected z of x − d against y, minus zq. It is a
 * non-increasing step function that moves only at pairwise differences, so its root is one of them.
 * Between neighbouring differences U(x − d) is the number of differences above d and the only ties
 * are those within x and within y, so there it needs no ranking; R's two end checks (at the
 * smallest and largest difference, where x − d ties a y) rank in full.
 */
function normalRoot(
  x: readonly number[],
  y: readonly number[],
  sorted: Float64Array,
  zq: number,
  alternative: Alternative,
  correct: boolean,
): number {
  const m = x.length;
  const n = y.length;
  const mn = m * n;
  const correctionFor = (distance: number) =>
    !correct ? 0 : alternative === 'two_sided' ? Math.sign(distance) * 0.5 : alternative === 'greater' ? 0.5 : -0.5;
  const atPoint = (d: number) => {
    const stat = uStatistic(
      x.map((value) => value - d),
      y,
    );
    if (stat.sd === 0) return 0;
    const distance = stat.u - stat.mean;
    return (distance - correctionFor(distance)) / stat.sd - zq;
  };
  const lowest = sorted[0]!;
  const highest = sorted[mn - 1]!;
  // R: if f(min(x) − max(y)) ≤ 0 the root is that end; if f(max(x) − min(y)) ≥ 0, the other.
  if (atPoint(lowest) <= 0) return lowest;
  if (atPoint(highest) >= 0) return highest;
  const total = m + n;
  const sd = Math.sqrt((mn / 12) * (total + 1 - (tieTerm(x) + tieTerm(y)) / (total * (total - 1))));
  // With c differences at or below d, U = mn − c; find the least c where f ≤ 0.
  const inGap = (c: number) => {
    const distance = mn - c - mn / 2;
    return (distance - correctionFor(distance)) / sd - zq;
  };
  let lo = 1;
  let hi = mn;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (inGap(mid) <= 0) hi = mid;
    else lo = mid + 1;
  }
  return sorted[lo - 1]!;
}

/** Σ (t³ − t) over groups of t equal values. */
function tieTerm(values: readonly number[]): number {
  const sorted = Float64Array.from(values).sort();
  let term = 0;
  for (let start = 0; start < sorted.length;) {
    let end = start + 1;
    while (end < sorted.length && sorted[end] === sorted[start]) end++;
    const size = end - start;
    term += size * size * size - size;
    start = end;
  }
  return term;
}

/* ---------- helpers ---------- */

function clamp01(p: number): number {
  return Math.min(1, Math.max(0, p));
}

function assertSamples(x: readonly number[], y: readonly number[]): void {
  if (x.length === 0 || y.length === 0) throw new RangeError('both samples need at least one value');
  if (!x.every(Number.isFinite) || !y.every(Number.isFinite)) throw new RangeError('samples must be finite numbers');
}
