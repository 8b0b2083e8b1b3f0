/**
 * What a decision's evidence says, in words: what was measured against what the rollout allows
 * (error rate, p95 latency, bad intervals in a row), the targets that failed and why, the metrics
 * of a canary analysis, and the event's other facts. Pure and free of the DOM, so it is
 * unit-tested outside the browser.
 *
 * An event's detail is free-form (each event type writes its own), so every field is read as
 * unknown and only used when it has the expected shape.
 */
import type { HealthPolicy } from '../../../domain/schemas';

export interface Check {
  /** Stable name for tests and styles: error-rate, latency, streak, baseline. */
  id: string;
  label: string;
  observed: string;
  limit: string;
  verdict: 'over' | 'within' | 'info';
}

export interface FailingTarget {
  targetId: string;
  why: string;
  message: string;
}

export interface MetricRow {
  name: string;
  verdict: string;
  message: string;
}

export interface EvidenceReading {
  checks: Check[];
  failures: FailingTarget[];
  metrics: MetricRow[];
  /** The remaining plain fields, as label and value. */
  facts: [string, string][];
}

type Fields = Record<string, unknown>;

const isFields = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function percent(ratio: number): string {
  return `${Math.round(ratio * 1000) / 10}%`;
}

/** `consecutiveFailedIntervals` → `consecutive failed intervals`. */
function words(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

/** Fields the readable parts already show (or that only make sense as JSON). */
const SHOWN = new Set([
  'sample',
  'failures',
  'unrestored',
  'unconfirmed',
  'metrics',
  'result',
  'stageState',
  'limits',
  'consecutiveFailedIntervals',
  'consecutiveIntervals',
]);

function healthChecks(detail: Fields, health: HealthPolicy): Check[] {
  const sample = isFields(detail.sample) ? detail.sample : undefined;
  if (!sample) return [];
  const checks: Check[] = [];
  const total = num(sample.total);
  const failed = num(sample.failed);
  if (total !== undefined && failed !== undefined) {
    const rate = total > 0 ? failed / total : null;
    checks.push({
      id: 'error-rate',
      label: 'error rate',
      observed: rate === null ? 'no target observed' : `${percent(rate)} (${failed} of ${total} failed)`,
      limit: `at most ${percent(health.maxErrorRate)}`,
      verdict: rate === null ? 'info' : rate > health.maxErrorRate ? 'over' : 'within',
    });
  }
  const p95 = num(sample.p95LatencyMs);
  if (p95 !== undefined) {
    const max = health.maxLatencyMs;
    checks.push({
      id: 'latency',
      label: 'p95 latency',
      observed: `${Math.round(p95)} ms`,
      limit: max !== undefined ? `at most ${max} ms` : 'no limit',
      verdict: max === undefined ? 'info' : p95 > max ? 'over' : 'within',
    });
  }
  const inARow = num(detail.consecutiveFailedIntervals) ?? num(detail.consecutiveIntervals);
  if (inARow !== undefined) {
    const holds = detail.consecutiveIntervals !== undefined;
    checks.push({
      id: 'streak',
      label: holds ? 'inconclusive intervals' : 'bad intervals',
      observed: `${inARow} in a row`,
      limit: `${health.failureThreshold} to ${holds ? 'hold' : 'fail'}`,
      verdict: inARow >= health.failureThreshold ? 'over' : 'within',
    });
  }
  const base = isFields(sample.baseline) ? sample.baseline : undefined;
  const baseTotal = num(base?.total);
  const baseFailed = num(base?.failed);
  if (baseTotal !== undefined && baseFailed !== undefined) {
    checks.push({
      id: 'baseline',
      label: 'previous version',
      observed: baseTotal > 0 ? `${percent(baseFailed / baseTotal)} (${baseFailed} of ${baseTotal} failed)` : 'no target observed',
      limit: 'for comparison',
      verdict: 'info',
    });
  }
  for (const key of ['unobserved', 'pending'] as const) {
    const n = num(sample[key]);
    if (n !== undefined && n > 0)
      checks.push({
        id: key,
        label: key === 'unobserved' ? 'not observable' : 'not confirmed yet',
        observed: `${n} target${n === 1 ? '' : 's'}`,
        limit: 'left out',
        verdict: 'info',
      });
  }
  return checks;
}

function failingTargets(detail: Fields): FailingTarget[] {
  const sample = isFields(detail.sample) ? detail.sample : undefined;
  const list = [detail.failures, sample?.failures, detail.unrestored].find(Array.isArray) as unknown[] | undefined;
  const out: FailingTarget[] = (list ?? []).filter(isFields).flatMap((f) => {
    const targetId = str(f.targetId);
    if (!targetId) return [];
    const status = num(f.status);
    const why = status !== undefined ? `HTTP ${status}` : (str(f.reason) ?? '').replace(/_/g, ' ');
    const message = str(f.message) ?? '';
    // A probe's message is often just the status again: said once.
    return [{ targetId, why, message: message === why ? '' : message }];
  });
  // A stage that did not confirm in time names the targets only.
  const unconfirmed = isFields(detail.unconfirmed) && Array.isArray(detail.unconfirmed.targetIds) ? detail.unconfirmed.targetIds : [];
  for (const id of unconfirmed) if (typeof id === 'string') out.push({ targetId: id, why: 'not confirmed', message: '' });
  return out;
}

function metricRows(detail: Fields): MetricRow[] {
  const result = isFields(detail.result) ? detail.result : undefined;
  const list = [detail.metrics, result?.metrics].find(Array.isArray) as unknown[] | undefined;
  return (list ?? []).filter(isFields).flatMap((m) => {
    const name = str(m.name);
    return name ? [{ name, verdict: str(m.verdict) ?? '', message: str(m.message) ?? '' }] : [];
  });
}

function plainFacts(detail: Fields): [string, string][] {
  return Object.entries(detail).flatMap(([key, v]): [string, string][] => {
    if (SHOWN.has(key)) return [];
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      const text = key === 'durationMs' && typeof v === 'number' ? `${Math.round(v)} ms` : String(v);
      return [[words(key), text]];
    }
    if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return [[words(key), v.join(', ')]];
    return [];
  });
}

/** The readable parts of an event's detail, judged against the rollout's health policy. */
export function readEvidence(detail: Fields, health: HealthPolicy): EvidenceReading {
  return { checks: healthChecks(detail, health), failures: failingTargets(detail), metrics: metricRows(detail), facts: plainFacts(detail) };
}
