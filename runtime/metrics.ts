/**
 * Tollgate's Prometheus metrics: every metric the API and the worker export, by name, in one
 * module. Code that observes something imports the metric object from here; docs/observability.md
 * has the table, docs/prometheus/alerts.yml and docs/grafana/tollgate.json are built on these names.
 *
 * Two registries, one per process: the API serves `apiRegistry` on its /metrics, the worker serves
 * `workerRegistry` on its own listener (worker/metrics-server.ts) together with the Temporal SDK's
 * metrics. Labels are closed sets (states, outcomes, reasons, route names): never a rollout id, a
 * target id or a config key, which would make one series per rollout.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export const apiRegistry = new Registry();
export const workerRegistry = new Registry();

/** Seconds, from a fast canary to a long bake: stage durations and time to detect. */
const LONG_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1_200, 1_800, 3_600, 7_200, 21_600, 86_400];
/** Seconds for things that should take seconds: time to safety, notification latency. */
const SHORT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600];
/** Seconds of one HTTP exchange (API requests, target probes). */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/* ---------- worker: rollouts, as their events are recorded (activities/index.ts recordProgress) ---------- */

/**
 * Every event of every rollout, counted once (recordProgress counts only the events Redis did not
 * have yet, so a retried activity or a second worker adds nothing). `type` is one of EVENT_TYPES.
 */
export const rolloutEvents = new Counter({
  name: 'tollgate_rollout_events_total',
  help: 'Rollout events recorded, by event type (domain/schemas.ts EVENT_TYPES).',
  labelNames: ['type'] as const,
  registers: [workerRegistry],
});

export const rolloutsStarted = new Counter({
  name: 'tollgate_rollouts_started_total',
  help: 'Rollouts that started rolling out (past review).',
  registers: [workerRegistry],
});

/** outcome: completed, rolled_back, failed, rejected. */
export const rolloutsFinished = new Counter({
  name: 'tollgate_rollouts_finished_total',
  help: 'Rollouts that reached a terminal state, by that state.',
  labelNames: ['outcome'] as const,
  registers: [workerRegistry],
});

/** source: apply (a target refused the change), health (probes), analysis (canary analysis). */
export const regressions = new Counter({
  name: 'tollgate_regressions_total',
  help: 'Regressions detected, by what detected them.',
  labelNames: ['source'] as const,
  registers: [workerRegistry],
});

export const stageDuration = new Histogram({
  name: 'tollgate_stage_duration_seconds',
  help: 'Seconds from a stage starting to apply until it completed its bake healthy.',
  buckets: LONG_BUCKETS,
  registers: [workerRegistry],
});

export const timeToDetect = new Histogram({
  name: 'tollgate_time_to_detect_seconds',
  help: "Seconds from the rollout's first stage starting to apply (first exposure) until a regression was detected.",
  labelNames: ['source'] as const,
  buckets: LONG_BUCKETS,
  registers: [workerRegistry],
});

/** trigger: regression (Tollgate detected it), human (someone asked for the rollback). */
export const timeToSafety = new Histogram({
  name: 'tollgate_time_to_safety_seconds',
  help: 'Seconds from the detection (or the rollback request) until every touched target was restored.',
  labelNames: ['trigger'] as const,
  buckets: SHORT_BUCKETS,
  registers: [workerRegistry],
});

/* ---------- worker: targets (applyBatch, probeTargets, rollbackTargets) ---------- */

/**
 * Per target of an apply batch. outcome: delivered (push target took it), assigned (pull target:
 * recorded for it to fetch), or the failure reason: http_status, timeout, connection,
 * version_mismatch, target_missing.
 */
export const applyOutcomes = new Counter({
  name: 'tollgate_apply_outcomes_total',
  help: 'Targets an apply batch handled, by outcome.',
  labelNames: ['outcome'] as const,
  registers: [workerRegistry],
});

/** outcome: ok, or the failure reason: http_status, timeout, connection, version_mismatch, not_confirmed. */
export const probeOutcomes = new Counter({
  name: 'tollgate_probe_outcomes_total',
  help: 'Target health observations during bakes, by outcome.',
  labelNames: ['outcome'] as const,
  registers: [workerRegistry],
});

export const probeLatency = new Histogram({
  name: 'tollgate_probe_latency_seconds',
  help: "Seconds a target's health URL took to answer (or to fail).",
  buckets: HTTP_BUCKETS,
  registers: [workerRegistry],
});

/** outcome: restored, or the failure reason of a target a rollback pass could not restore. */
export const rollbackOutcomes = new Counter({
  name: 'tollgate_rollback_outcomes_total',
  help: 'Targets a rollback pass handled, by outcome.',
  labelNames: ['outcome'] as const,
  registers: [workerRegistry],
});

/* ---------- worker: notifications ---------- */

/**
 * Observed by whatever delivers a notification: seconds from the event's `at` (when Tollgate
 * decided) until the receiver answered 2xx. `event` is the notification's event name (regression,
 * rollback_started, rolled_back, review_needed, approval_needed, frozen, completed, failed);
 * `outcome` is delivered or failed (the last attempt's latency, for a delivery that gave up).
 */
export const notificationLatency = new Histogram({
  name: 'tollgate_notification_latency_seconds',
  help: 'Seconds from a rollout event to its notification being accepted by the receiver.',
  labelNames: ['event', 'outcome'] as const,
  buckets: SHORT_BUCKETS,
  registers: [workerRegistry],
});

/** 1 when the Temporal SDK's own exporter answered the last scrape of the worker's /metrics. */
export const temporalMetricsUp = new Gauge({
  name: 'tollgate_temporal_sdk_metrics_up',
  help: "Whether the Temporal SDK's metrics were included in this scrape (1) or could not be read (0).",
  registers: [workerRegistry],
});

/* ---------- API ---------- */

/** route: the contract's operation name (api/contract.ts), or `other` (dashboard assets, unknown paths). */
export const httpRequests = new Counter({
  name: 'tollgate_http_requests_total',
  help: 'API requests answered, by route and status code.',
  labelNames: ['route', 'status'] as const,
  registers: [apiRegistry],
});

export const httpDuration = new Histogram({
  name: 'tollgate_http_request_duration_seconds',
  help: 'Seconds to answer an API request, by route (event streams excluded: they last as long as their client).',
  labelNames: ['route'] as const,
  buckets: HTTP_BUCKETS,
  registers: [apiRegistry],
});

/** state: the non-terminal states; finished rollouts are counted by tollgate_rollouts_finished_total. */
export const rolloutsInState = new Gauge({
  name: 'tollgate_rollouts',
  help: 'Rollouts in flight, by state, read from the read model at scrape time.',
  labelNames: ['state'] as const,
  registers: [apiRegistry],
});

/** Every metric name this module defines, for tests that check dashboards and rules against them. */
export function tollgateMetricNames(): string[] {
  return [...apiRegistry.getMetricsAsArray(), ...workerRegistry.getMetricsAsArray()].map((m) => m.name);
}
