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
  type RolloutAnalysis,
} from '../domain/analysis-schemas';
import { judgeConfig } from '../domain/analysis';
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
  urls: string[];
}

export interface AnalysisDeps {
  store: Store;
  targets: TargetHttp;
  concurrency: number;
}

export function createAnalysisActivities({ store, targets, concurrency }: AnalysisDeps) {
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
    const canaryUrls: string[] = [];
    canaryDocs.forEach((doc, i) => {
      const conf = confirmations[i];
      const since = appliedAt[i];
      // A target that reports its version answers for the old one until it confirms the new one.
      if (conf && (since == null || conf.at < since || conf.version !== input.version)) return void excluded++;
      if (doc?.healthUrl) canaryUrls.push(doc.healthUrl);
    });
    const baselineUrls = baselineDocs.flatMap((doc) => (doc?.healthUrl ? [doc.healthUrl] : []));
    // The plan's order is a hash of the ids, so its first targets are as good a sample as any.
    return { canary: { urls: canaryUrls.slice(0, MAX_INTERVAL_SAMPLES) }, baseline: { urls: baselineUrls }, excluded };
  }

  function httpSamples(check: HttpCheck, canary: HttpOutcome[], baseline: HttpOutcome[]): StoredInterval {
    const values = (outcomes: HttpOutcome[], metric: HttpCheckMetric): number[] =>
      metric === 'latency' ? outcomes.filter((o) => o.ok).map((o) => o.latencyMs) : outcomes.map((o) => (o.ok ? 0 : 1));
    const out: StoredInterval = {};
    for (const metric of check.metrics) {
      const name = metric.name as HttpCheckMetric;
      out[metric.name] = { canary: values(canary, name), baseline: values(baseline, name) };
    }
    return out;
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
        result: judgeInterval(config, data),
      };
    },
  };
}
