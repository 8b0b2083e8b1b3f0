/**
 * Tollgate's activities: every side effect a rollout has. Built by `createActivities(deps)` from a
 * store and delivery policy, so tests pass real clients pointed at test servers.
 *
 * Each activity is idempotent: a retry (after a timeout, a worker crash, a Redis outage) leaves the
 * same state as one run. Target sets travel by reference (rollout id + plan indexes), never as
 * payloads in the workflow history.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ProbeSummary } from '../domain/health';
import { percentile } from '../domain/health';
import { stableOrder } from '../domain/ordering';
import { stageTargetCounts } from '../domain/planning';
import { Reason } from '../domain/reasons';
import type { BaselineSample, ProbeFailure, RolloutEvent, RolloutSummary, Target, TargetFailure } from '../domain/schemas';
import type { Store } from '../store/store';
import { OPEN_POLICY, type OutboundPolicy } from '../domain/outbound';
import { DEFAULT_OUTBOUND, mapLimit, TargetHttp, type DeliveryPolicy, type HttpOutcome, type OutboundOptions } from './http';
import { freezeHolds, type FreezeCheck } from '../domain/freeze-holds';
import type { FreezeWindow } from '../domain/policy';
import { createAnalysisActivities, type AnalyzeInput } from './analysis';
import { createNotifyActivities, type DeliverInput } from './notify';
import { needsHistory, observeRollout } from '../domain/rollout-metrics';
import { errorFields, silentLogger, type Logger } from '../runtime/log';
import * as metrics from '../runtime/metrics';

export interface ActivityDeps {
  store: Store;
  delivery?: Partial<DeliveryPolicy>;
  /** Requests in flight at once per activity, for delivery and probes. */
  concurrency?: number;
  /** The fence around target URLs and the answer size cap (TOLLGATE_TARGET_ALLOW, TOLLGATE_MAX_TARGET_RESPONSE). */
  outbound?: Partial<OutboundOptions>;
  /**
   * The fence around subscription URLs (TOLLGATE_NOTIFY_ALLOW). Receivers are the operator's own
   * (chat, paging, their hooks): by default only the ranges that are always refused apply, not the
   * targets' allow-list.
   */
  notifyPolicy?: OutboundPolicy;
  /** The dashboard's base URL, for the links in notifications (TOLLGATE_PUBLIC_URL). */
  publicUrl?: string | undefined;
  /** The Prometheus server of `prometheus` checks that name none (PROMETHEUS_URL). */
  prometheusUrl?: string | undefined;
  /** The worker's log (runtime/log.ts); silent by default. */
  log?: Logger;
}

/** Push delivery: 5 s per request, 3 attempts, 250 ms then 500 ms apart. */
export const DEFAULT_DELIVERY: DeliveryPolicy = { timeoutMs: 5_000, attempts: 3, backoffMs: 250 };
export const DEFAULT_CONCURRENCY = 64;
/** Evidence kept per decision: enough to see the pattern, bounded for the history and the UI. */
export const MAX_EVIDENCE = 20;
/** Targets still on the previous version probed as a baseline each interval, at most. */
export const BASELINE_MAX = 100;

export interface PrepareInput {
  rolloutId: string;
  configKey: string;
  percents: number[];
  createdAt: string;
}
export interface PrepareResult {
  version: number;
  totalTargets: number;
  stageTargets: number[];
  previousStableVersion: number | null;
}

export interface FreezeCheckInput {
  configKey: string;
  /** The freeze windows of the policy the rollout started under. */
  windows: FreezeWindow[];
}

export interface UnconfirmedInput {
  rolloutId: string;
  configKey: string;
  version: number;
  /** Plan entries [0, upto): the targets of the waves already rolled out. */
  upto: number;
}
export interface UnconfirmedResult {
  count: number;
  /** The first few, as evidence. */
  targetIds: string[];
}

export interface ApplyInput {
  rolloutId: string;
  configKey: string;
  version: number;
  from: number;
  to: number;
}
export type { TargetFailure };
export interface ApplyResult {
  applied: number;
  pushed: number;
  failed: number;
  /** Push targets that answered their delivery with the new version: confirmed. The rest of those applied wait for a report. */
  confirmed?: number;
  failures: TargetFailure[];
}

export interface ProbeInput {
  rolloutId: string;
  configKey: string;
  version: number;
  stage: string;
  upto: number;
  timeoutMs: number;
  /** Also probe up to as many targets still on the previous version (at most BASELINE_MAX). */
  baseline?: boolean;
  /** A target that reports its version and has not confirmed the new one this long after its assignment fails. */
  confirmWithinMs?: number;
}

export interface RollbackInput {
  rolloutId: string;
  configKey: string;
}
export interface RollbackResult {
  touched: number;
  restored: number;
  /** Of `restored` in this pass, the push targets that answered their redelivery: they confirmed the previous version. */
  confirmed?: number;
  remaining: number;
  failures: TargetFailure[];
}

export interface RecordInput {
  summary: RolloutSummary;
  rev: number;
  events: RolloutEvent[];
}

export interface FinalizeInput {
  rolloutId: string;
  configKey: string;
  version: number | null;
  /** `rejected`: review refused it; its version was stored but never reached a target. */
  outcome: 'completed' | 'rolled_back' | 'failed' | 'rejected';
  previousStableVersion: number | null;
}

/** What a completed rollout's targets confirmed: the plan's targets, and those that reported (or answered delivery with) its version. */
export interface FinalizeResult {
  assigned: number;
  confirmed: number;
}

export interface AlertInput {
  rolloutId: string;
  configKey: string;
  version: number | null;
  state: string;
  reason: string | null;
  /** Targets left on a version they should not run (at most MAX_EVIDENCE). */
  unrestored: TargetFailure[];
}
export interface AlertResult {
  channel: 'webhook' | 'log';
  status?: number;
  /** POSTs the alert subscription's delivery took. */
  attempts?: number;
}

/** The dashboard base URL in notification links when TOLLGATE_PUBLIC_URL is not set. */
export const DEFAULT_PUBLIC_URL = 'http://localhost:3000';

/** Events the worker's log names (info; regressions and failures at warn): the turns of a rollout. */
const LOGGED_EVENTS: ReadonlySet<RolloutEvent['type']> = new Set([
  'rollout_started',
  'stage_started',
  'stage_completed',
  'regression_detected',
  'paused',
  'resumed',
  'rollback_started',
  'rolled_back',
  'completed',
  'failed',
  'rejected',
]);

export interface LoadedRollout {
  summary: RolloutSummary;
  lastSeq: number;
  lastRev: number;
}

function heartbeat(details?: unknown): void {
  // Outside an activity (direct calls in tests) there is no context to heartbeat to.
  try {
    Context.current().heartbeat(details);
  } catch {
    /* not in an activity */
  }
}

/** How often an activity that talks to targets tells Temporal it is alive. */
export const HEARTBEAT_EVERY_MS = 1_000;

/**
 * Heartbeats on a timer while `fn` runs: a heartbeat says the worker is alive, not that a target
 * answered, so a batch of slow targets is not mistaken for a dead worker, and a dead worker is
 * noticed within the heartbeat timeout (10 s) whatever the targets do.
 */
function keepAlive<I, O>(fn: (input: I) => Promise<O>): (input: I) => Promise<O> {
  return async (input) => {
    const timer = setInterval(() => heartbeat(), HEARTBEAT_EVERY_MS);
    try {
      return await fn(input);
    } finally {
      clearInterval(timer);
    }
  };
}

function cancellationSignal(): AbortSignal {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return new AbortController().signal;
  }
}

function failureOf(targetId: string, outcome: HttpOutcome): TargetFailure {
  return {
    targetId,
    reason: outcome.reason ?? 'http_status',
    ...(outcome.status ? { status: outcome.status } : {}),
    message: outcome.message ?? 'failed',
  };
}

export function createActivities(deps: ActivityDeps) {
  const { store } = deps;
  const delivery: DeliveryPolicy = { ...DEFAULT_DELIVERY, ...deps.delivery };
  const concurrency = deps.concurrency ?? DEFAULT_CONCURRENCY;
  const targets = new TargetHttp({ ...DEFAULT_OUTBOUND, ...deps.outbound });
  const { freezes } = store;
  const notify = createNotifyActivities({
    store,
    subscriptions: store.subscriptions,
    http: new TargetHttp({ ...DEFAULT_OUTBOUND, ...deps.outbound, policy: deps.notifyPolicy ?? OPEN_POLICY }),
    publicUrl: deps.publicUrl ?? DEFAULT_PUBLIC_URL,
  });
  const log = deps.log ?? silentLogger;

  /** Counts and times what a batch of newly recorded events says (domain/rollout-metrics.ts). */
  async function observeProgress(summary: RolloutSummary, fresh: RolloutEvent[]): Promise<void> {
    if (fresh.length === 0) return;
    const history = needsHistory(fresh) ? await store.rolloutEvents(summary.id) : [];
    const seen = observeRollout(fresh, summary, history);
    for (const type of seen.eventTypes) metrics.rolloutEvents.inc({ type });
    if (seen.started > 0) metrics.rolloutsStarted.inc(seen.started);
    for (const outcome of seen.finished) metrics.rolloutsFinished.inc({ outcome });
    for (const r of seen.regressions) {
      metrics.regressions.inc({ source: r.source });
      if (r.detectSeconds !== null) metrics.timeToDetect.observe({ source: r.source }, r.detectSeconds);
    }
    for (const seconds of seen.stageSeconds) metrics.stageDuration.observe(seconds);
    for (const s of seen.safety) metrics.timeToSafety.observe({ trigger: s.trigger }, s.seconds);
    const rolloutLog = log.child({ rolloutId: summary.id, configKey: summary.configKey });
    for (const event of fresh) {
      // The timeline is in the read model; the log carries the turns worth a glance.
      const level = event.type === 'regression_detected' || event.type === 'failed' ? 'warn' : 'info';
      if (LOGGED_EVENTS.has(event.type)) rolloutLog[level]({ event: event.type, stage: event.stage, seq: event.seq }, event.message);
    }
  }

  async function contentOf(configKey: string, version: number, cache: Map<number, unknown>): Promise<unknown> {
    if (version === 0) return null;
    if (!cache.has(version)) cache.set(version, (await store.configContent(configKey, version)).content ?? null);
    return cache.get(version);
  }

  /** The next targets in plan order, still on the previous version: how the fleet fares without the change. */
  async function probeBaseline(rolloutId: string, from: number, count: number, timeoutMs: number): Promise<BaselineSample> {
    const ids = await store.planSlice(rolloutId, from, from + count);
    const urls = (await store.getTargets(ids)).flatMap((t) => (t?.healthUrl ? [t.healthUrl] : []));
    const outcomes = await mapLimit(urls, concurrency, (url) => targets.probe(url, timeoutMs));
    return {
      total: outcomes.length,
      failed: outcomes.filter((outcome) => !outcome.ok).length,
      p95LatencyMs: percentile(
        outcomes.map((outcome) => outcome.latencyMs),
        0.95,
      ),
    };
  }

  const activities = {
    /** Allocates the version, stores the content, and fixes the order targets will be updated in. */
    async prepareRollout(input: PrepareInput): Promise<PrepareResult> {
      const { rolloutId, configKey } = input;
      const existing = await store.rolloutVersion(rolloutId);
      let total = await store.planLength(rolloutId);
      let version: number;
      let planned: number[] | null;
      if (existing !== null && total > 0) {
        version = existing;
        planned = await store.stageTargets(rolloutId);
      } else {
        const staged = await store.readStaged(rolloutId);
        if (!staged) {
          throw ApplicationFailure.nonRetryable(`the input of rollout ${rolloutId} is no longer staged`, Reason.StagedInputMissing);
        }
        version = await store.allocateVersion(rolloutId, configKey, staged.content, input.createdAt);
        // Under waves the API resolved the order (every wave before the next) and the per-wave
        // counts; percents alone cannot say them, so both are kept as given.
        planned = staged.stageTargets ?? null;
        if (planned) await store.storeStageTargets(rolloutId, planned);
        total = await store.storePlan(rolloutId, planned ? staged.targetIds : stableOrder(configKey, staged.targetIds));
        await store.dropStaged(rolloutId);
      }
      return {
        version,
        totalTargets: total,
        stageTargets: planned ?? stageTargetCounts(total, input.percents),
        previousStableVersion: await store.stableVersion(configKey),
      };
    },

    /**
     * Which freezes hold the key now: stop-the-line (live, from Redis) and the windows of the
     * policy the rollout started under. Evaluated here, not in workflow code, because the time-zone
     * rules come from the runtime's ICU data: the answer is recorded in the history and replays alike.
     */
    async checkFreeze(input: FreezeCheckInput): Promise<FreezeCheck> {
      return freezeHolds(input.configKey, await freezes.forKey(input.configKey), input.windows, new Date());
    },

    /** Targets of plan entries [0, upto) that have not confirmed running the version: a wave is whole only when none is left. */
    async unconfirmedTargets(input: UnconfirmedInput): Promise<UnconfirmedResult> {
      const ids = await store.planSlice(input.rolloutId, 0, input.upto);
      const confirmations = await store.confirmations(ids, input.configKey);
      const missing = ids.filter((_, i) => confirmations[i]?.version !== input.version);
      return { count: missing.length, targetIds: missing.slice(0, MAX_EVIDENCE) };
    },

    /**
     * Assigns the version to plan entries [from, to): recorded in Redis first (with each target's
     * previous version), then delivered to push targets. Failed deliveries are returned, not thrown:
     * the workflow treats them as a regression. Redis errors throw, and the activity is retried.
     */
    async applyBatch(input: ApplyInput): Promise<ApplyResult> {
      const { rolloutId, configKey, version } = input;
      const ids = await store.planSlice(rolloutId, input.from, input.to);
      const docs = await store.getTargets(ids);
      await store.assignBatch(rolloutId, configKey, version, ids, Date.now());
      heartbeat({ assigned: ids.length });

      const content = (await store.configContent(configKey, version)).content;
      const failures: TargetFailure[] = [];
      const push = docs.filter((target): target is Target & { applyUrl: string } => !!target?.applyUrl);
      ids.forEach((id, i) => {
        if (!docs[i]) failures.push({ targetId: id, reason: 'target_missing', message: 'target no longer registered' });
        else if (!docs[i].applyUrl) metrics.applyOutcomes.inc({ outcome: 'assigned' });
      });
      const signal = cancellationSignal();
      // Confirmations are written together once the deliveries are done (one pipeline, not a round
      // trip per target); a retry after a crash delivers and confirms again, which is idempotent.
      const confirmations: [string, number, number][] = [];
      let confirmed = 0;
      // The body is the same for every target: serialized once, not once per delivery.
      const body = JSON.stringify({ configKey, version, content, rolloutId });
      await mapLimit(push, concurrency, async (target) => {
        if (signal.aborted) return;
        const outcome = await targets.deliverJson(target.applyUrl, body, delivery);
        if (!outcome.ok) return void failures.push(failureOf(target.id, outcome));
        const reported = (outcome.body as { version?: unknown } | undefined)?.version;
        const running = typeof reported === 'number' ? reported : version;
        confirmations.push([target.id, running, Date.now()]);
        if (running !== version) {
          failures.push({
            targetId: target.id,
            reason: 'version_mismatch',
            message: `target reports version ${running}, expected ${version}`,
          });
        } else {
          confirmed++;
          metrics.applyOutcomes.inc({ outcome: 'delivered' });
        }
      });
      for (const f of failures) metrics.applyOutcomes.inc({ outcome: f.reason });
      if (failures.length > 0) {
        log.warn(
          { rolloutId, configKey, version, failed: failures.length, of: ids.length },
          `apply: ${failures.length} of ${ids.length} targets failed`,
        );
      }
      await store.confirmMany(configKey, confirmations);
      // In-flight deliveries have finished: a cancelled batch never races the rollback behind it.
      if (signal.aborted) throw ApplicationFailure.retryable('apply cancelled', 'Cancelled');
      return { applied: ids.length, pushed: push.length, failed: failures.length, confirmed, failures: failures.slice(0, MAX_EVIDENCE) };
    },

    /**
     * One health interval over plan entries [0, upto): each target's health URL, and whether a
     * target that reported its version since the assignment reports the right one.
     */
    async probeTargets(input: ProbeInput): Promise<ProbeSummary> {
      const { rolloutId, configKey, version } = input;
      const ids = await store.planSlice(rolloutId, 0, input.upto);
      const [docs, confirmations, appliedAt] = await Promise.all([
        store.getTargets(ids),
        store.confirmations(ids, configKey),
        store.appliedAt(rolloutId, ids),
      ]);
      const failures: ProbeFailure[] = [];
      const latencies: number[] = [];
      let observed = 0;
      let pending = 0;
      const now = Date.now();
      await mapLimit(ids, concurrency, async (id, i) => {
        const doc = docs[i];
        const conf = confirmations[i];
        const since = appliedAt[i];
        const reported = conf && since !== null && since !== undefined && conf.at >= since ? conf.version : null;
        if (conf && reported === null && input.confirmWithinMs !== undefined && since != null) {
          // It reports versions, but not this one yet: what it answers is the old version's health.
          if (now - since <= input.confirmWithinMs) return void pending++;
          observed++;
          failures.push({
            targetId: id,
            reason: 'not_confirmed',
            message: `has not confirmed version ${version} within ${Math.round(input.confirmWithinMs / 1000)} s`,
          });
          return;
        }
        if (!doc?.healthUrl && reported === null) return;
        observed++;
        if (reported !== null && reported !== version) {
          failures.push({ targetId: id, reason: 'version_mismatch', message: `reports version ${reported}, expected ${version}` });
          return;
        }
        if (!doc?.healthUrl) return;
        const outcome = await targets.probe(doc.healthUrl, input.timeoutMs);
        latencies.push(outcome.latencyMs);
        metrics.probeLatency.observe(outcome.latencyMs / 1000);
        if (outcome.ok) metrics.probeOutcomes.inc({ outcome: 'ok' });
        if (!outcome.ok)
          failures.push({
            targetId: id,
            reason: outcome.reason ?? 'http_status',
            ...(outcome.status ? { status: outcome.status } : {}),
            message: outcome.message ?? 'failed',
          });
      });
      const failuresByReason: ProbeSummary['failuresByReason'] = {};
      for (const f of failures) failuresByReason[f.reason] = (failuresByReason[f.reason] ?? 0) + 1;
      for (const [reason, count] of Object.entries(failuresByReason)) metrics.probeOutcomes.inc({ outcome: reason }, count);
      failures.sort((a, b) => (a.targetId < b.targetId ? -1 : 1));
      const sample: ProbeSummary = {
        at: new Date().toISOString(),
        total: observed,
        failed: failures.length,
        unobserved: ids.length - observed - pending,
        ...(input.confirmWithinMs !== undefined ? { pending } : {}),
        p95LatencyMs: percentile(latencies, 0.95),
        failuresByReason,
        failures: failures.slice(0, MAX_EVIDENCE),
        ...(input.baseline
          ? { baseline: await probeBaseline(rolloutId, input.upto, Math.min(BASELINE_MAX, Math.max(1, ids.length)), input.timeoutMs) }
          : {}),
      };
      await store.appendHealthSample(rolloutId, input.stage, sample);
      return sample;
    },

    /**
     * Returns every target this rollout touched to the version it had before. Targets already
     * restored are skipped; the rest are reassigned and, for push targets, redelivered. What could
     * not be delivered is returned so the workflow can retry within its bound and name them.
     */
    async rollbackTargets(input: RollbackInput): Promise<RollbackResult> {
      const { rolloutId, configKey } = input;
      const [touched, done] = await Promise.all([store.touchedTargets(rolloutId), store.restoredTargets(rolloutId)]);
      const todo = touched.filter((id) => !done.has(id)).sort();
      const previous = await store.restoreBatch(rolloutId, configKey, todo);
      // A pull target is restored once reassigned; a push target once the old version is delivered.
      const reassignedAt = Date.now();
      const docs = await store.getTargets(todo);
      heartbeat({ reassigned: todo.length });

      // One body per previous version (usually one for the whole fleet), serialized once.
      const bodies = new Map<number, string>();
      const contents = new Map<number, unknown>();
      const restored: [string, number, number][] = [];
      const confirmations: [string, number, number][] = [];
      const failures: TargetFailure[] = [];
      let confirmed = 0;
      for (const prev of new Set(previous.map((p) => p ?? 0))) {
        bodies.set(
          prev,
          JSON.stringify({ configKey, version: prev, content: await contentOf(configKey, prev, contents), rolloutId, rollback: true }),
        );
      }
      await mapLimit(todo, concurrency, async (id, i) => {
        const prev = previous[i] ?? 0;
        const doc = docs[i];
        if (!doc?.applyUrl) return void restored.push([id, prev, reassignedAt]);
        const outcome = await targets.deliverJson(doc.applyUrl, bodies.get(prev)!, delivery);
        if (!outcome.ok) return void failures.push(failureOf(id, outcome));
        const reported = (outcome.body as { version?: unknown } | undefined)?.version;
        const deliveredAt = Date.now();
        confirmations.push([id, typeof reported === 'number' ? reported : prev, deliveredAt]);
        confirmed++;
        restored.push([id, prev, deliveredAt]);
      });
      // Confirmed before marked restored: a crash between the two only makes a retry deliver again.
      await store.confirmMany(configKey, confirmations);
      await store.markRestored(rolloutId, restored);
      if (restored.length > 0) metrics.rollbackOutcomes.inc({ outcome: 'restored' }, restored.length);
      for (const f of failures) metrics.rollbackOutcomes.inc({ outcome: f.reason });
      failures.sort((a, b) => (a.targetId < b.targetId ? -1 : 1));
      return {
        touched: touched.length,
        restored: done.size + restored.length,
        confirmed,
        remaining: failures.length,
        failures: failures.slice(0, MAX_EVIDENCE),
      };
    },

    /**
     * Writes the read model and the events, then starts their notifications (activities/notify.ts):
     * only recorded events are notified, and a retry starts none twice.
     */
    async recordProgress(input: RecordInput): Promise<void> {
      const fresh = await store.recordProgress(input.summary, input.rev, input.events);
      // Metrics never fail the write they describe: a miss is a gap in a chart, not a stuck rollout.
      await observeProgress(input.summary, fresh).catch((err: unknown) =>
        log.warn({ rolloutId: input.summary.id, err: errorFields(err) }, 'metrics: could not observe recorded events'),
      );
      await notify.fanOut(input.summary, input.events);
    },

    /** One attempt to deliver one notification (run by the notification workflow, retried by Temporal). */
    async deliverNotification(input: DeliverInput) {
      return notify.deliverNotification(input);
    },

    /** Moves the config's stable version: forward on completion, back when a stable version is rolled back. */
    async finalizeRollout(input: FinalizeInput): Promise<FinalizeResult | null> {
      const { configKey, version } = input;
      let known: FinalizeResult | null = null;
      if (input.outcome === 'completed' && version !== null) {
        await store.setStableVersion(configKey, version);
        const ids = await store.planSlice(input.rolloutId, 0, Number.MAX_SAFE_INTEGER);
        const confirmations = await store.confirmations(ids, configKey);
        known = { assigned: ids.length, confirmed: confirmations.filter((confirmation) => confirmation?.version === version).length };
      } else if (version !== null && (await store.stableVersion(configKey)) === version) {
        await store.setStableVersion(configKey, input.previousStableVersion);
      }
      await store.dropStaged(input.rolloutId);
      return known;
    },

    /**
     * Tells a human that a rollout needs one. The alert webhook (TOLLGATE_ALERT_WEBHOOK) is the
     * subscription `alert-webhook`: the rollout's `failed` event was already handed to it when it was
     * recorded, so this reports that delivery's outcome (waiting up to ALERT_WAIT_MS, then retried by
     * the workflow) instead of POSTing again. Without that subscription the alert is a line on the
     * worker's stderr.
     */
    async sendAlert(input: AlertInput): Promise<AlertResult> {
      const outcome = await notify.alertOutcome(input.rolloutId, input.configKey);
      if (outcome === 'none' || (outcome !== 'pending' && outcome.status === 'skipped')) {
        const idempotencyKey = `${input.rolloutId}:${input.state}`;
        log.error(
          { alert: { kind: 'rollout_needs_attention', idempotencyKey, ...input }, rolloutId: input.rolloutId },
          `ALERT: rollout ${input.rolloutId} is ${input.state}`,
        );
        return { channel: 'log' };
      }
      if (outcome === 'pending') throw ApplicationFailure.retryable('alert webhook: not delivered yet, still retrying', 'AlertPending');
      if (outcome.status === 'delivered') return { channel: 'webhook', status: outcome.statusCode, attempts: outcome.attempts };
      throw ApplicationFailure.retryable(`alert webhook: ${outcome.error}`, 'AlertFailed');
    },

    async loadRollout(rolloutId: string): Promise<LoadedRollout> {
      const summary = await store.rolloutSummary(rolloutId);
      if (!summary) throw ApplicationFailure.nonRetryable(`rollout ${rolloutId} not found`, Reason.NotFound);
      return { summary, lastSeq: await store.lastEventSeq(rolloutId), lastRev: await store.lastRev(rolloutId) };
    },
  };
  const analysis = createAnalysisActivities({ store, targets, concurrency, prometheusUrl: deps.prometheusUrl });
  return {
    ...activities,
    analyzeInterval: keepAlive((input: AnalyzeInput) => analysis.analyzeInterval(input)),
    applyBatch: keepAlive((input: ApplyInput) => activities.applyBatch(input)),
    probeTargets: keepAlive((input: ProbeInput) => activities.probeTargets(input)),
    rollbackTargets: keepAlive((input: RollbackInput) => activities.rollbackTargets(input)),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { AnalysisOutcome, AnalyzeInput } from './analysis';
export type { DeliverInput, DeliverResult } from './notify';
