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
import { OPEN_POLICY } from '../domain/outbound';
import { DEFAULT_OUTBOUND, mapLimit, TargetHttp, type DeliveryPolicy, type HttpOutcome, type OutboundOptions } from './http';
import { FreezeStore } from '../store/freeze';
import { freezeHolds, type FreezeCheck } from '../domain/freeze-holds';
import type { FreezeWindow } from '../domain/policy';
import { createAnalysisActivities, type AnalyzeInput } from './analysis';

export interface ActivityDeps {
  store: Store;
  delivery?: Partial<DeliveryPolicy>;
  /** Requests in flight at once per activity, for delivery and probes. */
  concurrency?: number;
  /** The fence around target URLs and the answer size cap (TOLLGATE_TARGET_ALLOW, TOLLGATE_MAX_TARGET_RESPONSE). */
  outbound?: Partial<OutboundOptions>;
  /** Where alerts are POSTed (TOLLGATE_ALERT_WEBHOOK); without it they go to the worker's log. */
  alertWebhook?: string | undefined;
  /** The Prometheus server of `prometheus` checks that name none (PROMETHEUS_URL). */
  prometheusUrl?: string | undefined;
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
}

/** One alert POST: it must not hold the workflow up for long, it is retried instead. */
export const ALERT_TIMEOUT_MS = 5_000;

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

function failureOf(targetId: string, o: HttpOutcome): TargetFailure {
  return { targetId, reason: o.reason ?? 'http_status', ...(o.status ? { status: o.status } : {}), message: o.message ?? 'failed' };
}

export function createActivities(deps: ActivityDeps) {
  const { store } = deps;
  const delivery: DeliveryPolicy = { ...DEFAULT_DELIVERY, ...deps.delivery };
  const concurrency = deps.concurrency ?? DEFAULT_CONCURRENCY;
  const targets = new TargetHttp({ ...DEFAULT_OUTBOUND, ...deps.outbound });
  // The alert webhook is the operator's own URL, not a target's: the allow-list for targets does
  // not apply to it, only the ranges that are always refused.
  const alerts = new TargetHttp({ ...DEFAULT_OUTBOUND, ...deps.outbound, policy: OPEN_POLICY });
  const freezes = new FreezeStore(store.redis, store.prefix);

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
      failed: outcomes.filter((o) => !o.ok).length,
      p95LatencyMs: percentile(
        outcomes.map((o) => o.latencyMs),
        0.95,
      ),
    };
  }

  const activities = {
    /** Allocates the version, stores the content, and fixes the order targets will be updated in. */
    async prepareRollout(input: PrepareInput): Promise<PrepareResult> {
      const { rolloutId, configKey } = input;
      const existing = await store.redis.get(store.k.rolloutVersion(rolloutId));
      let total = await store.redis.llen(store.k.rolloutPlan(rolloutId));
      let version: number;
      let planned: number[] | null;
      if (existing !== null && total > 0) {
        version = Number(existing);
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
      const push = docs.filter((t): t is Target & { applyUrl: string } => !!t?.applyUrl);
      ids.forEach((id, i) => {
        if (!docs[i]) failures.push({ targetId: id, reason: 'target_missing', message: 'target no longer registered' });
      });
      const signal = cancellationSignal();
      await mapLimit(push, concurrency, async (t) => {
        if (signal.aborted) return;
        const o = await targets.deliver(t.applyUrl, { configKey, version, content, rolloutId }, delivery);
        heartbeat();
        if (!o.ok) return void failures.push(failureOf(t.id, o));
        const reported = (o.body as { version?: unknown } | undefined)?.version;
        const running = typeof reported === 'number' ? reported : version;
        await store.confirm(t.id, configKey, running);
        if (running !== version) {
          failures.push({ targetId: t.id, reason: 'version_mismatch', message: `target reports version ${running}, expected ${version}` });
        }
      });
      // In-flight deliveries have finished: a cancelled batch never races the rollback behind it.
      if (signal.aborted) throw ApplicationFailure.retryable('apply cancelled', 'Cancelled');
      return { applied: ids.length, pushed: push.length, failed: failures.length, failures: failures.slice(0, MAX_EVIDENCE) };
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
        const o = await targets.probe(doc.healthUrl, input.timeoutMs);
        latencies.push(o.latencyMs);
        if (!o.ok)
          failures.push({
            targetId: id,
            reason: o.reason ?? 'http_status',
            ...(o.status ? { status: o.status } : {}),
            message: o.message ?? 'failed',
          });
      });
      const failuresByReason: ProbeSummary['failuresByReason'] = {};
      for (const f of failures) failuresByReason[f.reason] = (failuresByReason[f.reason] ?? 0) + 1;
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
      const docs = await store.getTargets(todo);
      heartbeat({ reassigned: todo.length });

      const contents = new Map<number, unknown>();
      const restored: [string, number][] = [];
      const failures: TargetFailure[] = [];
      await mapLimit(todo, concurrency, async (id, i) => {
        const prev = previous[i] ?? 0;
        const doc = docs[i];
        if (!doc?.applyUrl) return void restored.push([id, prev]);
        const content = await contentOf(configKey, prev, contents);
        const o = await targets.deliver(doc.applyUrl, { configKey, version: prev, content, rolloutId, rollback: true }, delivery);
        heartbeat();
        if (!o.ok) return void failures.push(failureOf(id, o));
        const reported = (o.body as { version?: unknown } | undefined)?.version;
        await store.confirm(id, configKey, typeof reported === 'number' ? reported : prev);
        restored.push([id, prev]);
      });
      await store.markRestored(rolloutId, restored);
      failures.sort((a, b) => (a.targetId < b.targetId ? -1 : 1));
      return {
        touched: touched.length,
        restored: done.size + restored.length,
        remaining: failures.length,
        failures: failures.slice(0, MAX_EVIDENCE),
      };
    },

    async recordProgress(input: RecordInput): Promise<void> {
      await store.recordProgress(input.summary, input.rev, input.events);
    },

    /** Moves the config's stable version: forward on completion, back when a stable version is rolled back. */
    async finalizeRollout(input: FinalizeInput): Promise<void> {
      const { configKey, version } = input;
      if (input.outcome === 'completed' && version !== null) {
        await store.setStableVersion(configKey, version);
      } else if (version !== null && (await store.stableVersion(configKey)) === version) {
        await store.setStableVersion(configKey, input.previousStableVersion);
      }
      await store.dropStaged(input.rolloutId);
    },

    /**
     * Tells a human that a rollout needs one: POSTs to the alert webhook, or logs when there is
     * none. Retried by Temporal within a bound; the body's `idempotencyKey` (also a header) is the
     * same on every attempt, so a receiver can drop the repeats.
     */
    async sendAlert(input: AlertInput): Promise<AlertResult> {
      const idempotencyKey = `${input.rolloutId}:${input.state}`;
      const body = { kind: 'rollout_needs_attention', idempotencyKey, ...input };
      if (!deps.alertWebhook) {
        console.error(`ALERT ${JSON.stringify(body)}`);
        return { channel: 'log' };
      }
      const o = await alerts.deliver(
        deps.alertWebhook,
        body,
        { timeoutMs: ALERT_TIMEOUT_MS, attempts: 1, backoffMs: 0 },
        { 'idempotency-key': idempotencyKey },
      );
      if (!o.ok) throw ApplicationFailure.retryable(`alert webhook: ${o.message ?? 'failed'}`, 'AlertFailed');
      return { channel: 'webhook', ...(o.status ? { status: o.status } : {}) };
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
