import fc from 'fast-check';
import {
  exactUDistribution,
  hodgesLehmann,
  logNormalCdf,
  mannWhitneyU,
  median,
  normalCdf,
  normalQuantile,
  quantile,
  removeOutliers,
  uStatistic,
  type Alternative,
  type MannWhitneyOptions,
} from '../../domain/stats';

/*
 * Reference data sets and where their published results come from. R and scipy cannot run here, so
 * every expected value below is one printed in the cited source.
 */
// scipy.stats.mannwhitneyu docstring, "Examples" (scipy ≥ 1.7), after Shier (2004): ages at diagnosis.
const males = [19, 22, 16, 29, 24];
const females = [20, 11, 17, 12];
// R ?wilcox.test example, Hollander & Wolfe (1973) p. 69 (1999 edition Table 4.1, p. 110): permeability
// of the human chorioamnion at term (x) and at 12-26 weeks (y). No ties, small samples.
const term = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
const early = [1.15, 0.88, 0.9, 0.74, 1.21];
// endmemo.com/r/wilcoxon.php, R's wilcox.test output: samples with ties (normal approximation, continuity corrected).
const tiedX = [1, 5, 9, 24, 56, 21, 3, 7, 21, 4];
const tiedY = [12, 15, 5, 9, 9, 14, 56, 22, 3, 7, 32, 5];
const farY = [1233, 4356, 987, 39999, 1111, 200000];
// NAG Library example g08amc (nag_mann_whitney), example data and results: heavily tied groups of 16 and 23.
const nagGroup1 = [13, 6, 12, 7, 12, 7, 10, 7, 10, 7, 16, 7, 10, 8, 9, 8];
const nagGroup2 = [17, 6, 10, 8, 15, 8, 15, 10, 15, 10, 14, 10, 14, 11, 14, 11, 13, 12, 13, 12, 13, 12, 12];

describe('mannWhitneyU against published values', () => {
  const cases: [string, number[], number[], MannWhitneyOptions, number, number, 'exact' | 'normal', number][] = [
    // [name, x, y, options, U, p, method, digits]
    ['scipy: males vs females, exact', males, females, {}, 17, 0.1111111111111111, 'exact', 12],
    ['scipy: males vs females, asymptotic', males, females, { exact: false }, 17, 0.11134688653314041, 'normal', 12],
    [
      'scipy: asymptotic without continuity correction',
      males,
      females,
      { exact: false, correct: false },
      17,
      0.0864107329737,
      'normal',
      12,
    ],
    ['scipy: females vs males, less, exact', females, males, { alternative: 'less' }, 3, 0.05555555555555555, 'exact', 12],
    // R prints W = 35, p-value = 0.1272 for the help page's wilcox.test(x, y, alternative = "g").
    ['R: Hollander & Wolfe, greater, exact', term, early, { alternative: 'greater' }, 35, 0.1272, 'exact', 4],
    // R's "H&W large sample approximation" in the same example: exact = FALSE, correct = FALSE, p-value = 0.1103.
    [
      'R: Hollander & Wolfe, greater, large-sample',
      term,
      early,
      { alternative: 'greater', exact: false, correct: false },
      35,
      0.1103,
      'normal',
      4,
    ],
    // coin::wilcox_test(distribution = "exact") on the same data, Hollander & Wolfe (1999) p. 111: p-value = 0.2544.
    ['coin: Hollander & Wolfe, two-sided, exact', term, early, {}, 35, 0.2544, 'exact', 4],
    ['R: ties, two-sided (W = 51.5)', tiedX, tiedY, {}, 51.5, 0.5966, 'normal', 4],
    ['R: ties, complete separation (W = 0)', tiedX, farY, {}, 0, 0.001364, 'normal', 6],
    // ClickHouse mannWhitneyUTest('greater') documentation example: (9, 0.04042779918503192).
    [
      'ClickHouse: greater, normal approximation',
      [10, 11, 12],
      [1, 2, 3],
      { alternative: 'greater', exact: false },
      9,
      0.04042779918503192,
      'normal',
      12,
    ],
    // NAG g08amc: test statistic 86, normal statistic −2.8039, approximate tail probability 0.0025.
    ['NAG: heavy ties, lower tail', nagGroup1, nagGroup2, { alternative: 'less' }, 86, 0.0025, 'normal', 4],
  ];
  it.each(cases)('%s', (_name, x, y, options, u, p, method, digits) => {
    const result = mannWhitneyU(x, y, options);
    expect(result.u).toBe(u);
    expect(result.method).toBe(method);
    expect(result.pValue).toBeCloseTo(p, digits);
  });

  it('NAG: the normal statistic is −2.8039 (tie and continuity corrected)', () => {
    expect(mannWhitneyU(nagGroup1, nagGroup2, { alternative: 'less' }).z).toBeCloseTo(-2.8039, 4);
  });
  it('coin: the standardised statistic of the Hollander & Wolfe data is ±1.2247', () => {
    expect(mannWhitneyU(term, early, { exact: false, correct: false }).z).toBeCloseTo(1.2247, 4);
  });
});

describe('mannWhitneyU edge cases', () => {
  const cases: [string, number[], number[], MannWhitneyOptions, number][] = [
    ['every value tied: no evidence, p = 1', [5, 5, 5], [5, 5, 5, 5], {}, 1],
    ['U at its mean, exact two-sided: p capped at 1', [1, 4], [2, 3], {}, 1],
    ['one value each, x larger, greater: p = 1/2', [2], [1], { alternative: 'greater' }, 0.5],
    // x − 10 = 1.5, 2.5, 3.5 against 1, 2, 3: U = 6, and P(U ≥ 6) = 7/20 for m = n = 3.
    ['mu moves x before ranking: x − 10 against y', [11.5, 12.5, 13.5], [1, 2, 3], { alternative: 'greater', mu: 10 }, 0.35],
  ];
  it.each(cases)('%s', (_name, x, y, options, p) => expect(mannWhitneyU(x, y, options).pValue).toBeCloseTo(p, 12));

  it('ties rule out the exact distribution even when asked for', () => {
    expect(mannWhitneyU([1, 2, 2], [2, 3, 4], { exact: true }).method).toBe('normal');
  });
  it('50 values or more use the normal approximation by default, as R', () => {
    const x = Array.from({ length: 50 }, (_, i) => i * 2);
    const y = Array.from({ length: 10 }, (_, i) => i * 2 + 1);
    expect(mannWhitneyU(x, y).method).toBe('normal');
  });
  it.each([
    ['empty x', [], [1]],
    ['empty y', [1], []],
    ['NaN', [1, NaN], [2]],
    ['Infinity', [1], [Infinity]],
  ] as [string, number[], number[]][])('refuses %s', (_name, x, y) => {
    expect(() => mannWhitneyU(x, y)).toThrow(RangeError);
  });
});

describe('exactUDistribution', () => {
  it('m = n = 2: U = 0…4 with counts 1, 1, 2, 1, 1 of C(4, 2) = 6', () => {
    expect(Array.from(exactUDistribution(2, 2))).toEqual([1, 1, 2, 1, 1].map((c) => expect.closeTo(c / 6, 15) as number));
  });
  it.each([
    [3, 7],
    [10, 5],
    [49, 49],
  ])('m = %i, n = %i: sums to 1 and is symmetric about mn/2', (m, n) => {
    const distribution = Array.from(exactUDistribution(m, n));
    expect(distribution).toHaveLength(m * n + 1);
    expect(distribution.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    distribution.forEach((p, u) => expect(p).toBeCloseTo(distribution[m * n - u]!, 15));
  });
});

describe('hodgesLehmann against published values', () => {
  // coin::wilcox_test(pd ~ age, distribution = "exact", conf.int = TRUE), Hollander & Wolfe (1999)
  // p. 111, reports 12-26 weeks − at term: 95 percent CI −0.76 … 0.15, difference in location −0.305.
  // R's wilcox.test(x, y, conf.int = TRUE) computes the same exact interval; here x − y, so the signs flip.
  it('Hollander & Wolfe, exact: estimate 0.305, 95% CI [−0.15, 0.76]', () => {
    const result = hodgesLehmann(term, early);
    expect(result.method).toBe('exact');
    expect(result.estimate).toBeCloseTo(0.305, 12);
    expect(result.lower).toBeCloseTo(-0.15, 12);
    expect(result.upper).toBeCloseTo(0.76, 12);
    // 2·P(U ≤ 11) for m = 10, n = 5: the exact interval is conservative.
    expect(result.achievedConfLevel).toBeGreaterThanOrEqual(0.95);
  });
  it('y − x gives the mirror image, as coin printed it', () => {
    const result = hodgesLehmann(early, term);
    expect([result.estimate, result.lower, result.upper].map((v) => Number(v.toFixed(3)))).toEqual([-0.305, -0.76, 0.15]);
  });
  it('one-sided intervals are open on the other side', () => {
    expect(hodgesLehmann(term, early, { alternative: 'greater' }).upper).toBe(Infinity);
    expect(hodgesLehmann(term, early, { alternative: 'less' }).lower).toBe(-Infinity);
  });
  it('the one-sided bound at level 1 − α/2 is the two-sided bound at 1 − α (exact)', () => {
    const twoSided = hodgesLehmann(term, early, { confLevel: 0.9 });
    expect(hodgesLehmann(term, early, { confLevel: 0.95, alternative: 'greater' }).lower).toBe(twoSided.lower);
    expect(hodgesLehmann(term, early, { confLevel: 0.95, alternative: 'less' }).upper).toBe(twoSided.upper);
  });
  it('the exact estimate is the median of the pairwise differences', () => {
    expect(hodgesLehmann([1, 2, 3], [0]).estimate).toBe(2);
    expect(hodgesLehmann([10, 20], [1, 2]).estimate).toBe(13.5);
  });
});

/** R's wdiff(d, zq) evaluated the slow way, at every pairwise difference and between them. */
function bruteForceRoot(x: number[], y: number[], zq: number, alternative: Alternative): number {
  const f = (d: number) => {
    const stat = uStatistic(
      x.map((v) => v - d),
      y,
    );
    if (stat.sd === 0) return 0;
    const distance = stat.u - stat.mean;
    const correction = alternative === 'two_sided' ? Math.sign(distance) * 0.5 : alternative === 'greater' ? 0.5 : -0.5;
    return (distance - correction) / stat.sd - zq;
  };
  const diffs = [...new Set(x.flatMap((xi) => y.map((yj) => xi - yj)))].sort((a, b) => a - b);
  if (f(diffs[0]!) <= 0) return diffs[0]!;
  if (f(diffs[diffs.length - 1]!) >= 0) return diffs[diffs.length - 1]!;
  for (let i = 0; i < diffs.length; i++) {
    const next = i + 1 < diffs.length ? diffs[i + 1]! : diffs[i]! + 1;
    if (f((diffs[i]! + next) / 2) <= 0) return diffs[i]!;
  }
  return diffs[diffs.length - 1]!;
}

describe('hodgesLehmann, normal approximation (ties)', () => {
  it('matches the root of R’s statistic found the slow way (every pairwise difference)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 3, maxLength: 12 }),
        fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 3, maxLength: 12 }),
        (x, y) => {
          fc.pre(uStatistic(x, y).ties && uStatistic(x, y).sd > 0);
          const result = hodgesLehmann(x, y, { exact: false });
          expect(result.estimate).toBe(bruteForceRoot(x, y, 0, 'two_sided'));
          expect(result.lower).toBe(bruteForceRoot(x, y, normalQuantile(0.975), 'two_sided'));
          expect(result.upper).toBe(bruteForceRoot(x, y, normalQuantile(0.025), 'two_sided'));
        },
      ),
      { numRuns: 200, seed: 11 },
    );
  });
  it('without ties and with large samples it agrees with the exact interval to one pairwise difference', () => {
    const x = Array.from({ length: 40 }, (_, i) => Math.sqrt(i + 1) * 7.1);
    const y = Array.from({ length: 45 }, (_, i) => Math.sqrt(i + 0.5) * 6.9);
    const exact = hodgesLehmann(x, y);
    const normal = hodgesLehmann(x, y, { exact: false });
    const diffs = x.flatMap((xi) => y.map((yj) => xi - yj)).sort((a, b) => a - b);
    const rankOf = (v: number) => diffs.indexOf(v);
    expect(Math.abs(rankOf(exact.lower) - rankOf(normal.lower))).toBeLessThanOrEqual(1);
    expect(Math.abs(rankOf(exact.upper) - rankOf(normal.upper))).toBeLessThanOrEqual(1);
  });
});

describe('normal distribution', () => {
  // Φ and Φ⁻¹ to the digits of R's pnorm/qnorm (Abramowitz & Stegun 26.2 tables agree to their precision).
  const cdf: [number, number, number][] = [
    [0, 0.5, 15],
    [1, 0.841344746068543, 14],
    [1.96, 0.97500210485178, 13],
    [-1.644853626951472, 0.05, 13],
    [-3, 0.00134989803163009, 15],
    [3, 0.99865010196837, 13],
  ];
  it.each(cdf)('Φ(%d) = %d', (x, p, digits) => expect(normalCdf(x)).toBeCloseTo(p, digits));
  it('keeps relative accuracy in the far tail: Φ(−8) = 6.22096057427178e-16', () => {
    expect(normalCdf(-8) / 6.22096057427178e-16).toBeCloseTo(1, 10);
    expect(Math.exp(logNormalCdf(-8)) / 6.22096057427178e-16).toBeCloseTo(1, 10);
  });
  it('ln Φ stays finite where Φ underflows: ln Φ(−40) ≈ −804.608', () => {
    // ln φ(40) − ln 40 − 1/1600 + …: −800 − 0.918939 − 3.688879 − 0.000625 + 0.0000019
    expect(logNormalCdf(-40)).toBeCloseTo(-804.608442, 5);
  });
  const quantiles: [number, number][] = [
    [0.5, 0],
    [0.95, 1.644853626951472],
    [0.975, 1.959963984540054],
    [0.99, 2.326347874040841],
    [0.995, 2.575829303548901],
    [0.999, 3.090232306167814],
    [0.025, -1.959963984540054],
    [1e-10, -6.361340902404056],
  ];
  it.each(quantiles)('Φ⁻¹(%d) = %d', (p, x) => expect(normalQuantile(p)).toBeCloseTo(x, 9));
  it.each([
    [0, -Infinity],
    [1, Infinity],
    [-0.1, NaN],
    [1.1, NaN],
  ])('Φ⁻¹(%d) = %d', (p, x) => expect(normalQuantile(p)).toBe(x));
  it('Φ(Φ⁻¹(p)) = p across (0, 1)', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-12, max: 1 - 1e-12, noNaN: true }), (p) => {
        expect(Math.abs(normalCdf(normalQuantile(p)) - p)).toBeLessThan(1e-13 + 1e-9 * p);
      }),
      { seed: 3 },
    );
  });
});

describe('quantile and median (R type 7)', () => {
  // R: quantile(1:10) gives 1, 3.25, 5.5, 7.75, 10.
  const oneToTen = Array.from({ length: 10 }, (_, i) => i + 1);
  it.each([
    [0, 1],
    [0.25, 3.25],
    [0.5, 5.5],
    [0.75, 7.75],
    [1, 10],
  ])('quantile(1:10, %d) = %d', (p, q) => expect(quantile(oneToTen, p)).toBe(q));
  it.each([
    ['odd count', [3, 1, 2], 2],
    ['even count', [4, 1, 3, 2], 2.5],
    ['single', [7], 7],
    ['empty', [], NaN],
  ] as [string, number[], number][])('median: %s', (_name, values, expected) => expect(median(values)).toBe(expected));
});

describe('removeOutliers (Tukey fences)', () => {
  const cases: [string, number[], number | undefined, number[], number[]][] = [
    // Q1 = 3.25, Q3 = 7.75, IQR = 4.5: fences −3.5 and 14.5.
    ['one high outlier', [1, 2, 3, 4, 5, 6, 7, 8, 9, 100], undefined, [1, 2, 3, 4, 5, 6, 7, 8, 9], [100]],
    ['both sides', [-50, 10, 11, 12, 13, 14, 15, 80], undefined, [10, 11, 12, 13, 14, 15], [-50, 80]],
    ['k = 3 keeps moderate outliers', [1, 2, 3, 4, 5, 6, 7, 8, 9, 20], 3, [1, 2, 3, 4, 5, 6, 7, 8, 9, 20], []],
    [
      'zero IQR removes nothing (mostly-zero error rates)',
      [0, 0, 0, 0, 0, 0, 0, 0.02, 0.5],
      undefined,
      [0, 0, 0, 0, 0, 0, 0, 0.02, 0.5],
      [],
    ],
    ['empty', [], undefined, [], []],
  ];
  it.each(cases)('%s', (_name, values, k, kept, removed) => {
    const result = removeOutliers(values, k);
    expect(result.kept).toEqual(kept);
    expect(result.removed).toEqual(removed);
  });
});

describe('properties', () => {
  const sample = fc.array(fc.integer({ min: -30, max: 30 }), { minLength: 1, maxLength: 25 });
  const distinctSample = fc.uniqueArray(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 20 });
  const runs = { numRuns: 300, seed: 42 };

  it('U_xy + U_yx = n·m', () => {
    fc.assert(
      fc.property(sample, sample, (x, y) => {
        expect(mannWhitneyU(x, y).u + mannWhitneyU(y, x).u).toBe(x.length * y.length);
      }),
      runs,
    );
  });
  it('the two-sided p is symmetric in x and y, and "greater" for x is "less" for y', () => {
    fc.assert(
      fc.property(sample, sample, fc.boolean(), (x, y, exact) => {
        const options = { exact: exact ? ('auto' as const) : false };
        expect(mannWhitneyU(x, y, options).pValue).toBeCloseTo(mannWhitneyU(y, x, options).pValue, 12);
        expect(mannWhitneyU(x, y, { ...options, alternative: 'greater' }).pValue).toBeCloseTo(
          mannWhitneyU(y, x, { ...options, alternative: 'less' }).pValue,
          12,
        );
      }),
      runs,
    );
  });
  it('p is unchanged by shifting both samples by a constant', () => {
    fc.assert(
      fc.property(sample, sample, fc.integer({ min: -1000, max: 1000 }), (x, y, c) => {
        const shift = (values: number[]) => values.map((v) => v + c);
        expect(mannWhitneyU(shift(x), shift(y)).pValue).toBe(mannWhitneyU(x, y).pValue);
      }),
      runs,
    );
  });
  it('p is unchanged by a strictly increasing transform of both samples (ranks only)', () => {
    fc.assert(
      fc.property(sample, sample, (x, y) => {
        const transform = (values: number[]) => values.map((v) => v * v * v + 2 * v);
        expect(mannWhitneyU(transform(x), transform(y)).pValue).toBe(mannWhitneyU(x, y).pValue);
      }),
      runs,
    );
  });
  it('the Hodges–Lehmann estimate and interval move with a shift of x (and against a shift of y)', () => {
    fc.assert(
      // Even x, odd y and an even shift: no ties before or after, so both sides use the same method.
      fc.property(distinctSample, distinctSample, fc.integer({ min: -500, max: 500 }), (xs, ys, half) => {
        const x = xs.map((v) => 2 * v);
        const y = ys.map((v) => 2 * v + 1);
        const c = 2 * half;
        const base = hodgesLehmann(x, y);
        const movedX = hodgesLehmann(
          x.map((v) => v + c),
          y,
        );
        const movedY = hodgesLehmann(
          x,
          y.map((v) => v + c),
        );
        expect(movedX.estimate).toBeCloseTo(base.estimate + c, 9);
        expect(movedX.lower).toBeCloseTo(base.lower + c, 9);
        expect(movedX.upper).toBeCloseTo(base.upper + c, 9);
        expect(movedY.estimate).toBeCloseTo(base.estimate - c, 9);
      }),
      runs,
    );
  });
  it('the estimate lies inside its interval', () => {
    fc.assert(
      fc.property(sample, sample, (x, y) => {
        fc.pre(uStatistic(x, y).sd > 0);
        const result = hodgesLehmann(x, y);
        expect(result.lower).toBeLessThanOrEqual(result.estimate);
        expect(result.estimate).toBeLessThanOrEqual(result.upper);
      }),
      runs,
    );
  });
});
