/**
 * The canary-analysis activity: one interval's samples of every check, for the canary (targets on
 * the new version) and the baseline (targets still on the previous one) at the same moment, kept
 * by interval, then the whole stage so far handed to the pure judge (domain/judge.ts).
 *
 * Idempotent: an interval's samples are stored under its index, so running it again replaces them.
 */
import {
  MAX_INTERVAL_SAMPLES,
  MAX_STAGE_INTERVALS,
  type CanaryAnalysisResult,
  type CanaryIntervalSamples,
  type CanaryMetricData,
  type HttpCheck,
  type HttpCheckMetric,
  type PrometheusCheck,
  type WebhookCheck,
  type WebhookRequest,
  MAX_WEBHOOK_TARGET_IDS,
  WebhookAnswer,
  type RolloutAnalysis,
} from '../domain/analysis-schemas';
import { judgeConfig, renderQuery, samplesFromVector, webhookVerdict } from '../domain/analysis';
import { judgeInterval } from '../domain/judge';
import type { Store } from '../store/store';
import { mapLimit, type HttpOutcome, type TargetHttp } from './http';

/** Targets still on the previous version probed as the baseline each interval, at most. */
export const ANALYSIS_BASELINE_MAX = 100;

export interface AnalyzeInput {
  rolloutId: string;
  configKey: string;
  version: number;
  stage: string;
  /** Plan entries [0, upto) run the new version: the canary. The next ones are the baseline. */
  upto: number;
  /** This interval's index within the canary set's analysis (0, 1, …). */
  interval: number;
  timeoutMs: number;
  analysis: RolloutAnalysis;
}

export interface AnalysisOutcome {
  at: string;
  /** Targets sampled on each side this interval. */
  canaryTargets: number;
  baselineTargets: number;
  /** Canary targets left out: they report their version and do not run the new one (yet). */
  excluded: number;
  result: CanaryAnalysisResult;
}

/** One interval as stored: per metric, the samples or the reason the source had none. */
type StoredInterval = Record<string, CanaryIntervalSamples | { error: string }>;

interface Side {
  /** Target ids, for metric queries. */
  ids: string[];
  /** Health URLs, for probes. */
  urls: string[];
}

export interface AnalysisDeps {
  store: Store;
  targets: TargetHttp;
  concurrency: number;
  /** PROMETHEUS_URL: for `prometheus` checks that name no server. */
  prometheusUrl?: string | undefined;
}

export function createAnalysisActivities({ store, targets, concurrency, prometheusUrl }: AnalysisDeps) {
  /** The canary's health URLs (of targets that run the new version, or do not say) and the baseline's. */
  async function sides(input: AnalyzeInput): Promise<{ canary: Side; baseline: Side; excluded: number }> {
    const canaryIds = await store.planSlice(input.rolloutId, 0, input.upto);
    const baselineIds = await store.planSlice(input.rolloutId, input.upto, input.upto + ANALYSIS_BASELINE_MAX);
    const [canaryDocs, baselineDocs, confirmations, appliedAt] = await Promise.all([
      store.getTargets(canaryIds),
      store.getTargets(baselineIds),
      store.confirmations(canaryIds, input.configKey),
      store.appliedAt(input.rolloutId, canaryIds),
    ]);
    let excluded = 0;
    const canary: Side = { ids: [], urls: [] };
    canaryDocs.forEach((doc, i) => {
      const conf = confirmations[i];
      const since = appliedAt[i];
      // A target that reports its version answers for the old one until it confirms the new one.
      if (conf && (since == null || conf.at < since || conf.version !== input.version)) return void excluded++;
      // The plan's order is a hash of the ids, so its first targets are as good a sample as any.
      if (canary.ids.length >= MAX_INTERVAL_SAMPLES) return;
      canary.ids.push(canaryIds[i]!);
      if (doc?.healthUrl) canary.urls.push(doc.healthUrl);
    });
    const baseline: Side = {
      ids: baselineIds.filter((_, i) => baselineDocs[i]),
      urls: baselineDocs.flatMap((doc) => (doc?.healthUrl ? [doc.healthUrl] : [])),
    };
    return { canary, baseline, excluded };
  }

  function httpSamples(check: HttpCheck, canary: HttpOutcome[], baseline: HttpOutcome[]): StoredInterval {
    const values = (outcomes: HttpOutcome[], metric: HttpCheckMetric): number[] =>
      metric === 'latency'
        ? outcomes.filter((outcome) => outcome.ok).map((outcome) => outcome.latencyMs)
        : outcomes.map((outcome) => (outcome.ok ? 0 : 1));
    const out: StoredInterval = {};
    for (const metric of check.metrics) {
      const name = metric.name as HttpCheckMetric;
      out[metric.name] = { canary: values(canary, name), baseline: values(baseline, name) };
    }
    return out;
  }

  /** Each metric's query, run once with both target sets put in; the answer split by the target label. */
  async function prometheusSamples(check: PrometheusCheck, canary: Side, baseline: Side): Promise<StoredInterval> {
    const base = check.url ?? prometheusUrl;
    const out: StoredInterval = {};
    await Promise.all(
      check.metrics.map(async (metric) => {
        if (!base) return void (out[metric.name] = { error: 'no Prometheus server: the check names no url and PROMETHEUS_URL is not set' });
        if (canary.ids.length === 0 || baseline.ids.length === 0) return void (out[metric.name] = { canary: [], baseline: [] });
        const query = renderQuery(check.queries[metric.name]!, canary.ids, baseline.ids);
        const url = `${base.replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(query)}`;
        const answer = await targets.getJson(url, check.timeoutMs);
        // A refused URL, a timeout, a server that is down or a bad query (400): the source failed.
        if (!answer.ok) return void (out[metric.name] = { error: `prometheus: ${answer.message ?? 'failed'}` });
        out[metric.name] = samplesFromVector(answer.body, check.targetLabel, canary.ids, baseline.ids);
      }),
    );
    return out;
  }

  /** Asks an external judge once: no retry within the interval, the next interval asks again. */
  async function askWebhook(check: WebhookCheck, input: AnalyzeInput, canary: Side, baseline: Side) {
    const body: WebhookRequest = {
      rolloutId: input.rolloutId,
      configKey: input.configKey,
      version: input.version,
      stage: input.stage,
      interval: input.interval,
      canary: { count: canary.ids.length, targetIds: canary.ids.slice(0, MAX_WEBHOOK_TARGET_IDS) },
      baseline: { count: baseline.ids.length, targetIds: baseline.ids.slice(0, MAX_WEBHOOK_TARGET_IDS) },
    };
    const answer = await targets.deliver(check.url, body, { timeoutMs: check.timeoutMs, attempts: 1, backoffMs: 0 });
    if (!answer.ok) return webhookVerdict(check, { error: answer.message ?? 'failed' });
    const parsed = WebhookAnswer.safeParse(answer.body);
    if (!parsed.success) return webhookVerdict(check, { error: 'the answer is not {verdict: pass|fail|inconclusive, reason}' });
    return webhookVerdict(check, parsed.data);
  }

  return {
    async analyzeInterval(input: AnalyzeInput): Promise<AnalysisOutcome> {
      const { canary, baseline, excluded } = await sides(input);
      const samples: StoredInterval = {};
      const http = input.analysis.checks.find((check): check is HttpCheck => check.type === 'http');
      if (http) {
        // Both sides at the same moment: a fleet-wide slow-down then moves them alike.
        const [canaryOutcomes, baselineOutcomes] = await Promise.all([
          mapLimit(canary.urls, concurrency, (url) => targets.probe(url, input.timeoutMs)),
          mapLimit(baseline.urls, concurrency, (url) => targets.probe(url, input.timeoutMs)),
        ]);
        Object.assign(samples, httpSamples(http, canaryOutcomes, baselineOutcomes));
      }
      const webhooks = Promise.all(
        input.analysis.checks.flatMap((check) => (check.type === 'webhook' ? [askWebhook(check, input, canary, baseline)] : [])),
      );
      for (const check of input.analysis.checks)
        if (check.type === 'prometheus') Object.assign(samples, await prometheusSamples(check, canary, baseline));
      await store.putAnalysisInterval(input.rolloutId, input.upto, input.interval, samples);
      const stored = (await store.analysisIntervals(input.rolloutId, input.upto, input.interval, MAX_STAGE_INTERVALS)) as StoredInterval[];
      const config = judgeConfig(input.analysis);
      const data: Record<string, CanaryMetricData> = {};
      for (const metric of config.metrics) {
        const intervals = stored.flatMap((interval) => {
          const entry = interval[metric.name];
          return entry && !('error' in entry) ? [entry] : [];
        });
        // The latest interval's source error decides: a source that failed now cannot vouch for the canary now.
        const latest = stored.at(-1)?.[metric.name];
        data[metric.name] = { intervals, ...(latest && 'error' in latest ? { error: latest.error } : {}) };
      }
      return {
        at: new Date().toISOString(),
        canaryTargets: canary.urls.length,
        baselineTargets: baseline.urls.length,
        excluded,
        result: judgeInterval(config, data, await webhooks),
      };
    },
  };
}
