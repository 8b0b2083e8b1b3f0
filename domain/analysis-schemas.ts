/**
 * The zod schemas of canary analysis: what a rollout asks for (metrics, tolerances, bands, stage
 * limits), the samples a metric source hands the judge, and the verdicts with their evidence that
 * go out as events. Each schema is the single source of its type (`z.infer`).
 * Kept apart from judge.ts, which imports these types only, so zod stays out of the workflow bundle.
 */
import { z } from 'zod';
import { CANARY_REASONS, CANARY_VERDICTS, METRIC_DIRECTIONS, OUTLIER_HANDLING, STAGE_DECISIONS, STAGE_OUTCOMES } from './judge';

/** Metrics per analysis: each costs a rank test and a sort of its pairwise differences per interval. */
export const MAX_CANARY_METRICS = 20;
/** Values per side of one interval of one metric. */
export const MAX_INTERVAL_SAMPLES = 1000;
/** Intervals of one stage handed to the judge at once. */
export const MAX_STAGE_INTERVALS = 500;

const MetricName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_", ":" or "-"');

export const MetricDirection = z.enum(METRIC_DIRECTIONS);
export type MetricDirection = z.infer<typeof MetricDirection>;

export const CanaryMetric = z
  .object({
    name: MetricName,
    direction: MetricDirection.describe(
      'increase_is_bad for latency and error rates: a canary lower than the baseline is never a failure.',
    ),
    tolerance: z
      .number()
      .min(0)
      .max(10)
      .describe('Relative effect allowed before it counts: 0.1 lets the canary be 10% worse than the baseline.'),
    critical: z.boolean().default(false).describe('A failing critical metric fails the interval whatever the score.'),
    outliers: z
      .enum(OUTLIER_HANDLING)
      .default('remove')
      .describe(
        "Tukey's fences (1.5 IQR) on each side before the fixed-horizon test and the effect estimate; never before the sequential test.",
      ),
  })
  .strict()
  .superRefine((metric, ctx) => {
    if (metric.direction === 'decrease_is_bad' && metric.tolerance >= 1) {
      ctx.addIssue({ code: 'custom', path: ['tolerance'], message: 'a decrease of 100% or more cannot be tolerated: it must be below 1' });
    }
  })
  .meta({ id: 'CanaryMetric' });
export type CanaryMetric = z.infer<typeof CanaryMetric>;

export const CanaryBands = z
  .object({
    pass: z.number().min(0).max(100).default(75),
    marginal: z.number().min(0).max(100).default(50),
  })
  .strict()
  .refine((bands) => bands.pass >= bands.marginal, { message: 'the pass band must be at least the marginal band', path: ['pass'] })
  .meta({ id: 'CanaryBands' });
export type CanaryBands = z.infer<typeof CanaryBands>;

export const CanaryAnalysisConfig = z
  .object({
    metrics: z
      .array(CanaryMetric)
      .min(1)
      .max(MAX_CANARY_METRICS)
      .refine((metrics) => new Set(metrics.map((metric) => metric.name)).size === metrics.length, 'metric names must be unique'),
    alpha: z
      .number()
      .gt(0)
      .max(0.2)
      .default(0.01)
      .describe('Designed false-alarm rate per stage: the chance that a healthy change is failed, split evenly across the metrics.'),
    confidenceLevel: z
      .number()
      .gt(0.5)
      .lt(1)
      .default(0.98)
      .describe("Of the fixed-horizon Mann-Whitney test and the Hodges–Lehmann interval (Kayenta's default 98%)."),
    minSamples: z.number().int().min(2).max(MAX_INTERVAL_SAMPLES).default(5).describe('Per side; fewer is inconclusive.'),
    mixingSd: z.number().gt(0).max(10).default(1).describe('Scale of the sequential test’s mixture, in per-interval standard deviations.'),
    bands: CanaryBands.default({ pass: 75, marginal: 50 }),
  })
  .strict()
  .meta({ id: 'CanaryAnalysisConfig' });
export type CanaryAnalysisConfig = z.infer<typeof CanaryAnalysisConfig>;

export const CanaryStageLimits = z
  .object({
    failureLimit: z.number().int().min(0).max(100).default(0).describe('Failed intervals a stage tolerates; one more rolls back.'),
    consecutiveFailureLimit: z
      .number()
      .int()
      .min(0)
      .max(100)
      .optional()
      .describe('Failed intervals in a row a stage tolerates; one more rolls back.'),
    inconclusiveLimit: z
      .number()
      .int()
      .min(0)
      .max(100)
      .default(2)
      .describe('Inconclusive intervals a stage tolerates; one more holds the rollout for a human instead of promoting.'),
  })
  .strict()
  .meta({ id: 'CanaryStageLimits' });
export type CanaryStageLimits = z.infer<typeof CanaryStageLimits>;

/** JSON has no NaN or Infinity (JSON.stringify writes null): null stands for a value the source could not produce. */
const SampleValue = z.number().nullable();

export const CanaryIntervalSamples = z
  .object({
    canary: z.array(SampleValue).max(MAX_INTERVAL_SAMPLES),
    baseline: z.array(SampleValue).max(MAX_INTERVAL_SAMPLES),
  })
  .strict()
  .meta({ id: 'CanaryIntervalSamples', description: 'One metric over one interval, canary and baseline sampled at the same moments.' });
export type CanaryIntervalSamples = z.infer<typeof CanaryIntervalSamples>;

export const CanaryMetricData = z
  .object({
    intervals: z.array(CanaryIntervalSamples).max(MAX_STAGE_INTERVALS).describe('The stage so far, oldest first.'),
    error: z.string().max(1000).optional().describe('The metric source failed: the metric is inconclusive.'),
  })
  .strict()
  .meta({ id: 'CanaryMetricData' });
export type CanaryMetricData = z.infer<typeof CanaryMetricData>;

export const CanaryVerdict = z.enum(CANARY_VERDICTS);
export type CanaryVerdict = z.infer<typeof CanaryVerdict>;

export const CanaryReason = z.enum(CANARY_REASONS);
export type CanaryReason = z.infer<typeof CanaryReason>;

export const CanaryMetricEvidence = z
  .object({
    canaryCount: z.number().int().nonnegative(),
    baselineCount: z.number().int().nonnegative(),
    canaryMedian: z.number().nullable(),
    baselineMedian: z.number().nullable(),
    effect: z
      .number()
      .nullable()
      .describe('Hodges–Lehmann shift of canary − baseline relative to the baseline median (0.4: 40% higher); null when that median is 0.'),
    interval: z.tuple([z.number(), z.number()]).nullable().describe('The confidence interval of effect, on the same relative scale.'),
    confidenceLevel: z.number(),
    pValue: z
      .number()
      .nullable()
      .describe('Fixed-horizon one-sided Mann-Whitney p of the canary against the baseline moved by the tolerance.'),
    eValue: z
      .number()
      .nullable()
      .describe('Largest e-value of the sequential test over the stage so far (capped at 1e15); fail at threshold.eValue.'),
    intervalsObserved: z.number().int().nonnegative().describe('Intervals that carried information to the sequential test.'),
    threshold: z.object({ tolerance: z.number(), pValue: z.number(), eValue: z.number() }),
    outliersRemoved: z.object({ canary: z.number().int().nonnegative(), baseline: z.number().int().nonnegative() }),
  })
  .meta({ id: 'CanaryMetricEvidence' });
export type CanaryMetricEvidence = z.infer<typeof CanaryMetricEvidence>;

export const CanaryMetricVerdict = z
  .object({
    name: MetricName,
    verdict: CanaryVerdict,
    critical: z.boolean(),
    reason: CanaryReason,
    message: z.string(),
    evidence: CanaryMetricEvidence,
  })
  .meta({ id: 'CanaryMetricVerdict' });
export type CanaryMetricVerdict = z.infer<typeof CanaryMetricVerdict>;

export const CanaryAnalysisResult = z
  .object({
    verdict: CanaryVerdict,
    score: z.number().min(0).max(100).describe('Share of metrics passing, as Kayenta scores it.'),
    message: z.string(),
    metrics: z.array(CanaryMetricVerdict),
  })
  .meta({ id: 'CanaryAnalysisResult' });
export type CanaryAnalysisResult = z.infer<typeof CanaryAnalysisResult>;

export const CanaryStageState = z
  .object({
    intervals: z.number().int().nonnegative(),
    passes: z.number().int().nonnegative(),
    marginals: z.number().int().nonnegative(),
    failures: z.number().int().nonnegative(),
    consecutiveFailures: z.number().int().nonnegative(),
    inconclusive: z.number().int().nonnegative(),
    lastVerdict: CanaryVerdict.nullable(),
  })
  .meta({ id: 'CanaryStageState' });
export type CanaryStageState = z.infer<typeof CanaryStageState>;

export const StageDecision = z.enum(STAGE_DECISIONS);
export type StageDecision = z.infer<typeof StageDecision>;

export const StageOutcome = z.enum(STAGE_OUTCOMES);
export type StageOutcome = z.infer<typeof StageOutcome>;

/* ---------- what a rollout asks for: checks that feed the judge ---------- */

/** Checks per rollout: each is a source of metrics (or, later, of a verdict) queried every interval. */
export const MAX_ANALYSIS_CHECKS = 5;

/**
 * What the `http` check measures on each target's health URL, per interval: `latency` (ms, of the
 * probes that answered 2xx: a failed probe's latency says nothing of the service's) and `errors`
 * (1 for a failed probe, 0 for a good one). The metric's name picks which.
 */
export const HTTP_CHECK_METRICS = ['latency', 'errors'] as const;
export type HttpCheckMetric = (typeof HTTP_CHECK_METRICS)[number];

export const DEFAULT_HTTP_METRICS: CanaryMetric[] = [
  { name: 'latency', direction: 'increase_is_bad', tolerance: 0.1, critical: true, outliers: 'remove' },
  { name: 'errors', direction: 'increase_is_bad', tolerance: 0, critical: true, outliers: 'keep' },
];

export const HttpCheck = z
  .object({
    type: z.literal('http'),
    metrics: z
      .array(CanaryMetric)
      .min(1)
      .max(HTTP_CHECK_METRICS.length)
      .default(DEFAULT_HTTP_METRICS)
      .superRefine((metrics, ctx) => {
        metrics.forEach((metric, i) => {
          if (!(HTTP_CHECK_METRICS as readonly string[]).includes(metric.name)) {
            ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `an http check measures ${HTTP_CHECK_METRICS.join(' or ')}` });
          }
        });
      }),
  })
  .strict()
  .describe(
    "Probes every canary target's health URL and, at the same moment, up to 100 baseline targets' (still on the previous version): latency of the 2xx answers, and errors (1 per failed probe).",
  )
  .meta({ id: 'HttpCheck' });
export type HttpCheck = z.infer<typeof HttpCheck>;

/** A PromQL template, before the target sets are put in. */
export const MAX_QUERY_LENGTH = 2000;
/** A Prometheus query's answer is read within this, by default; a slower one is a source error. */
export const DEFAULT_PROMETHEUS_TIMEOUT_MS = 5_000;
/** Placeholders a PromQL template may use: regex alternations of target ids. */
export const QUERY_PLACEHOLDERS = ['{{canary}}', '{{baseline}}'] as const;

const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }).max(2048);

const PromQlTemplate = z
  .string()
  .min(1)
  .max(MAX_QUERY_LENGTH)
  .refine(
    (query) => QUERY_PLACEHOLDERS.some((placeholder) => query.includes(placeholder)),
    'must select the targets with {{canary}} or {{baseline}} (regex alternations of their ids, as in target=~"{{canary}}|{{baseline}}")',
  );

export const PrometheusCheck = z
  .object({
    type: z.literal('prometheus'),
    url: HttpUrl.optional().describe("The Prometheus server's base URL; without it the worker's PROMETHEUS_URL."),
    targetLabel: z
      .string()
      .regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/, 'must be a Prometheus label name')
      .default('target')
      .describe(
        "The label of the result vector that holds a series' target id: it puts each value on the canary's side or the baseline's.",
      ),
    timeoutMs: z.number().int().min(100).max(60_000).default(DEFAULT_PROMETHEUS_TIMEOUT_MS),
    metrics: z.array(CanaryMetric).min(1).max(MAX_CANARY_METRICS),
    queries: z
      .record(MetricName, PromQlTemplate)
      .describe(
        'One instant query per metric, run each interval with {{canary}} and {{baseline}} replaced by regex alternations of the target ids (escaped): one value per target.',
      ),
  })
  .strict()
  .superRefine((check, ctx) => {
    check.metrics.forEach((metric) => {
      if (check.queries[metric.name] === undefined)
        ctx.addIssue({ code: 'custom', path: ['queries', metric.name], message: `metric "${metric.name}" needs a query` });
    });
    for (const name of Object.keys(check.queries)) {
      if (!check.metrics.some((metric) => metric.name === name))
        ctx.addIssue({ code: 'custom', path: ['queries', name], message: `no metric named "${name}"` });
    }
  })
  .meta({ id: 'PrometheusCheck' });
export type PrometheusCheck = z.infer<typeof PrometheusCheck>;

/** An external judge's answer is read within this, by default; a slower one is inconclusive. */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 5_000;
/** Characters of an external judge's reason kept in the evidence. */
export const MAX_WEBHOOK_REASON = 1000;
/** Target ids of each side sent to an external judge, at most (with the full counts). */
export const MAX_WEBHOOK_TARGET_IDS = 100;

export const WebhookCheck = z
  .object({
    type: z.literal('webhook'),
    name: MetricName.default('webhook').describe('How its verdict is named beside the metrics (unique across checks).'),
    url: HttpUrl,
    timeoutMs: z.number().int().min(100).max(30_000).default(DEFAULT_WEBHOOK_TIMEOUT_MS),
    critical: z.boolean().default(true).describe('A failing critical verdict fails the interval whatever the score.'),
  })
  .strict()
  .describe(
    'POSTs the stage’s context (WebhookRequest) each interval to an external judge, which answers pass, fail or inconclusive with a reason (WebhookAnswer). A timeout, an error or any other answer is inconclusive, never a pass.',
  )
  .meta({ id: 'WebhookCheck' });
export type WebhookCheck = z.infer<typeof WebhookCheck>;

/** What an external judge receives. */
export const WebhookRequest = z
  .object({
    rolloutId: z.string(),
    configKey: z.string(),
    version: z.number().int(),
    stage: z.string(),
    interval: z.number().int().nonnegative(),
    canary: z.object({ count: z.number().int(), targetIds: z.array(z.string()).max(MAX_WEBHOOK_TARGET_IDS) }),
    baseline: z.object({ count: z.number().int(), targetIds: z.array(z.string()).max(MAX_WEBHOOK_TARGET_IDS) }),
  })
  .meta({ id: 'WebhookRequest' });
export type WebhookRequest = z.infer<typeof WebhookRequest>;

/** What an external judge must answer (2xx, JSON). */
export const WebhookAnswer = z
  .object({ verdict: z.enum(['pass', 'fail', 'inconclusive']), reason: z.string().max(MAX_WEBHOOK_REASON) })
  .meta({ id: 'WebhookAnswer' });
export type WebhookAnswer = z.infer<typeof WebhookAnswer>;

export const AnalysisCheck = z.discriminatedUnion('type', [HttpCheck, PrometheusCheck, WebhookCheck]).meta({ id: 'AnalysisCheck' });
export type AnalysisCheck = z.infer<typeof AnalysisCheck>;

/**
 * Canary analysis of a rollout: the checks, the judge's settings (CanaryAnalysisConfig without its
 * metrics, which come from the checks) and the limits every stage is held to.
 */
export const RolloutAnalysis = CanaryAnalysisConfig.omit({ metrics: true })
  .extend({
    checks: z.array(AnalysisCheck).min(1).max(MAX_ANALYSIS_CHECKS),
    limits: CanaryStageLimits.default({ failureLimit: 0, inconclusiveLimit: 2 }),
  })
  .strict()
  .superRefine((analysis, ctx) => {
    const names = new Map<string, number>();
    let count = 0;
    analysis.checks.forEach((check, i) => {
      const named =
        check.type === 'webhook'
          ? [{ name: check.name, path: ['checks', i, 'name'] }]
          : check.metrics.map((metric, j) => ({ name: metric.name, path: ['checks', i, 'metrics', j, 'name'] }));
      for (const { name, path } of named) {
        count += 1;
        const first = names.get(name);
        if (first !== undefined)
          ctx.addIssue({
            code: 'custom',
            path,
            message: `metric "${name}" is already measured by check ${first}: names are unique across checks`,
          });
        else names.set(name, i);
      }
    });
    if (count > MAX_CANARY_METRICS)
      ctx.addIssue({
        code: 'custom',
        path: ['checks'],
        message: `at most ${MAX_CANARY_METRICS} metrics across all checks (${count} given)`,
      });
  })
  .meta({ id: 'RolloutAnalysis' });
export type RolloutAnalysis = z.infer<typeof RolloutAnalysis>;

/** Where a stage's analysis stands: the dashboard's view of the limits. */
export const AnalysisStageStatus = CanaryStageState.extend({ stage: z.string() }).meta({ id: 'AnalysisStageStatus' });
export type AnalysisStageStatus = z.infer<typeof AnalysisStageStatus>;
