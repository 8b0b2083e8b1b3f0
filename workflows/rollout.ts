/**
 * The rollout workflow: canary → partial → full, each stage applied in batches and baked while
 * health is probed; a regression rolls every touched target back or holds for a human.
 *
 * Deterministic wiring only. Decisions come from ../domain (stage batches, health verdicts,
 * allowed actions); every side effect is an activity. The whole run state is a small cursor, so the
 * workflow can continue as new at any interval and keep its history bounded.
 */
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  ContinueAsNew,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities, AlertResult, ApplyResult, FinalizeInput, TargetFailure } from '../activities';
import { analysisApplies } from '../domain/analysis';
import { bakedMs, bakeTimeUp, probeWaitMs, verdictSettled, watchStep, type WatchKind } from '../domain/bake';
import { CONFIRM_WITHIN_MS, confirmationOverdue } from '../domain/confirmation';
import { fourEyes, gateApproval, refuseControl, refuseReview, resumed, reviewOutcome } from '../domain/controls';
import { concludeStage, INITIAL_STAGE_STATE, nextStageVerdict } from '../domain/judge';
import { nextHealth, nextInconclusive, type IntervalAssessment, type ProbeSummary } from '../domain/health';
import { actionsFor, FROZEN_REASON_PREFIX, isFrozenHold, isTerminal, type RolloutState } from '../domain/lifecycle';
import { describeHolds, freezeRecheckMs, sameHolds, uncoveredHolds } from '../domain/freeze-holds';
import { initialSummary, pluralApprovals } from '../domain/summary';
import { addsNoTarget, batches, stageSpan, waveOpenedBy } from '../domain/planning';
import { DEFAULT_ROLLBACK, namedTargets, onRunError, rolledBackStageState, rollbackStep } from '../domain/rollback-plan';
import { Reason } from '../domain/reasons';
import type { RolloutEvent, RolloutEventType, RolloutSummary } from '../domain/schemas';
import {
  controlUpdate,
  preparedUpdate,
  reviewUpdate,
  statusQuery,
  type ControlRequest,
  type FastRollbackInput,
  type ReviewRequest,
  type RolloutCursor,
  type RolloutInput,
} from './definitions';

/** Targets per apply activity: small enough that pause and rollback take effect between batches. */
export const APPLY_BATCH_SIZE = 250;
/** Continue as new past this many history events (Temporal's hard limit is 50k). */
export const HISTORY_EVENTS_LIMIT = 10_000;

/** Redis outages are waited out: retries never stop, at most 10 s apart. */
const waitOutRetry: ActivityOptions['retry'] = {
  initialInterval: '500ms',
  backoffCoefficient: 2,
  maximumInterval: '10s',
  nonRetryableErrorTypes: [Reason.StagedInputMissing, Reason.NotFound],
};

/**
 * Every activity that talks to targets heartbeats each second, so a worker that dies mid-activity
 * is noticed within 10 s and the activity runs again elsewhere.
 */
const bookkeeping = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: waitOutRetry });
const applying = proxyActivities<Activities>({
  startToCloseTimeout: '5m',
  scheduleToCloseTimeout: '1h',
  heartbeatTimeout: '10s',
  retry: waitOutRetry,
  // A cancelled batch finishes its in-flight deliveries before rollback starts delivering.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});
const probing = proxyActivities<Activities>({
  startToCloseTimeout: '5m',
  scheduleToCloseTimeout: '1h',
  heartbeatTimeout: '10s',
  retry: waitOutRetry,
  cancellationType: ActivityCancellationType.TRY_CANCEL,
});
const restoring = proxyActivities<Activities>({ startToCloseTimeout: '30m', heartbeatTimeout: '10s', retry: waitOutRetry });
/** An unreachable alert receiver must not keep the config locked: 5 tries over ~30 s, then given up. */
const alerting = proxyActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
});

/**
 * Workflow changes that would alter the commands of a rollout already in flight, by id. Kept
 * until no run started before the change can still be open (then `deprecatePatch`).
 */
export const Patch = {
  /** A failed rollout sends an alert (an activity) and records an `alert` event. */
  alertOnFailure: 'alert-on-failure',
  /** A bake does not count the time a probe was stuck (an outage): time without health data is not bake time. */
  bakeCountsObservedTime: 'bake-counts-observed-time',
  /** A regression found at the very end of a bake stops the run there, before the stage completes. */
  stopAtRegression: 'stop-at-regression',
  /**
   * A bake ends only on a settled verdict: while its latest interval is unhealthy (or
   * inconclusive) it keeps probing until the run of bad intervals breaks or reaches the threshold.
   * Without it a short bake with one bad interval under a threshold of two passed the stage, and
   * the next stage started a fresh count.
   */
  bakeEndsSettled: 'bake-ends-settled',
  /**
   * Before each stage, a freeze-check activity: while a freeze window of the rollout's policy or
   * stop-the-line holds the key, the rollout holds there (paused, reason `frozen…`), still probing.
   */
  freezeGate: 'freeze-gate',
  /**
   * Before the first stage of a wave, every target of the earlier waves must have confirmed the
   * new version (an activity reads their reports), not only have baked.
   */
  waveGate: 'wave-gate',
} as const;

function now(): string {
  return new Date().toISOString();
}

export function initialCursor(input: RolloutInput): RolloutCursor {
  return {
    summary: initialSummary(input, workflowInfo().workflowId),
    phase: 'prepare',
    stageIndex: 0,
    stageTargets: [],
    appliedUpTo: 0,
    bakeRemainingMs: 0,
    streak: 0,
    awaitingApproval: false,
    approved: false,
    heldForRegression: false,
    ...(input.override ? { overriddenFreezes: [...input.override.freezes] } : {}),
    seq: 0,
    rev: 0,
  };
}

interface RollbackRequest {
  reason: string;
  detail: Record<string, unknown>;
}

/** One rollout run: its cursor, its handlers, and the steps that move it. */
class RolloutRun {
  private pending: RolloutEvent[] = [];
  private commits: Promise<void> = Promise.resolve();
  /** Wakes a waiting monitor loop early when a human acts. */
  private nudged = false;
  private rollbackRequest: RollbackRequest | null = null;
  private readonly progressScope = new CancellationScope();
  private warnedUnmonitored = false;

  constructor(
    readonly c: RolloutCursor,
    private readonly input: RolloutInput | null,
  ) {}

  get s(): RolloutSummary {
    return this.c.summary;
  }

  installHandlers(): void {
    setHandler(statusQuery, () => this.s);
    setHandler(controlUpdate, (req) => this.control(req), { validator: (req: ControlRequest) => this.validate(req) });
    setHandler(reviewUpdate, (req) => this.review(req), { validator: (req: ReviewRequest) => this.validateReview(req) });
    setHandler(preparedUpdate, async () => {
      await condition(() => this.s.version !== null || isTerminal(this.s.state));
      return this.s;
    });
  }

  /* ---------- bookkeeping ---------- */

  private emit(type: RolloutEventType, message: string, detail: Record<string, unknown> = {}, stage?: string): void {
    this.c.seq += 1;
    this.pending.push({ seq: this.c.seq, at: now(), type, ...(stage !== undefined ? { stage } : {}), message, detail });
  }

  private setState(state: RolloutState, reason: string | null = this.s.reason): void {
    this.s.state = state;
    this.s.reason = reason;
    this.s.allowedActions = [...actionsFor(state, reason)];
  }

  /**
   * Records the summary and pending events in the read model. Commits run one after another (an
   * update handler and the main loop may both commit) and cannot be cancelled: a rollback must
   * never lose the events that explain it.
   */
  commit(): Promise<void> {
    const next = this.commits.then(() =>
      CancellationScope.nonCancellable(async () => {
        const events = this.pending.splice(0);
        this.c.rev += 1;
        this.s.updatedAt = now();
        await bookkeeping.recordProgress({ summary: this.s, rev: this.c.rev, events });
      }),
    );
    this.commits = next;
    return next;
  }

  /* ---------- human control ---------- */

  private validate(req: ControlRequest): void {
    const refusal = refuseControl(
      {
        rolloutId: this.s.id,
        state: this.s.state,
        reason: this.s.reason,
        submittedBy: this.s.submittedBy,
        requiredApprovals: this.s.requiredApprovals,
        awaitingApproval: this.c.awaitingApproval,
        rollbackRequested: this.rollbackRequest !== null,
        freezeHolds: this.c.freezeHolds ?? [],
      },
      req,
    );
    if (refusal) throw ApplicationFailure.nonRetryable(refusal.message, refusal.reason);
  }

  private validateReview(req: ReviewRequest): void {
    const refusal = refuseReview({ rolloutId: this.s.id, state: this.s.state, submittedBy: this.s.submittedBy }, req);
    if (refusal) throw ApplicationFailure.nonRetryable(refusal.message, refusal.reason);
  }

  /**
   * Records a review. A reject ends the rollout; approvals start it once enough distinct
   * reviewers have approved (a reviewer's repeated approval counts once).
   */
  private async review(req: ReviewRequest): Promise<RolloutSummary> {
    const reviews = (this.s.reviews ??= []);
    const entry = { by: req.by, decision: req.decision, ...(req.comment ? { comment: req.comment } : {}), at: now() };
    const detail = { actor: req.by, decision: req.decision, ...(req.comment ? { comment: req.comment } : {}) };
    const outcome = reviewOutcome(reviews, req, this.s.requiredApprovals);
    if (outcome.kind === 'rejected') {
      reviews.push(entry);
      this.setState('rejected', outcome.reason);
      this.emit('rejected', `${outcome.reason}; no target was touched`, detail);
    } else if (outcome.kind === 'counted') {
      reviews.push(entry);
      const { approvals, required } = outcome;
      this.emit('reviewed', `approved by ${req.by} (${approvals} of ${required})`, { ...detail, approvals, required });
      if (outcome.starts) this.setState('running', null);
      else this.setState('pending_review', outcome.waitingReason);
    }
    await this.commit();
    return this.s;
  }

  private async control(req: ControlRequest): Promise<RolloutSummary> {
    const who = { actor: req.actor ?? 'unknown', ...(req.reason ? { reason: req.reason } : {}) };
    const stage = this.s.currentStage ?? undefined;
    switch (req.action) {
      case 'pause':
        this.c.humanPaused = true;
        this.setState('paused', req.reason ?? 'paused by a human');
        this.emit('paused', `paused by ${who.actor}`, who, stage);
        break;
      case 'resume':
      case 'approve':
        if (
          this.c.awaitingApproval &&
          req.action === 'approve' &&
          fourEyes(this.s.requiredApprovals) &&
          !this.gateApproved(who.actor, stage)
        ) {
          await this.commit();
          return this.s;
        }
        if (this.c.awaitingApproval) {
          this.c.awaitingApproval = false;
          this.c.approved = true;
          this.emit('approved', `${req.action === 'approve' ? 'approved' : 'resumed (counts as approval)'} by ${who.actor}`, who, stage);
        }
        if (this.s.state === 'paused')
          this.emit('resumed', `${req.action === 'resume' ? 'resumed' : 'approved'} by ${who.actor}`, who, stage);
        if (req.override) this.overrideFreezes(who.actor, req.override.reason, stage);
        Object.assign(this.c, resumed(this.c));
        this.setState('running', null);
        break;
      case 'rollback':
        this.emit('rollback_requested', `rollback requested by ${who.actor}`, who, stage);
        this.requestRollback(req.reason ?? `rollback requested by ${who.actor}`, who);
        break;
    }
    this.nudged = true;
    await this.commit();
    if (req.action === 'rollback')
      await condition(() => this.s.state !== 'running' && this.s.state !== 'paused' && this.s.state !== 'awaiting_approval');
    return this.s;
  }

  /**
   * Counts one approval of the current gate under four eyes: true once enough distinct people
   * (never the submitter; the validator refuses them) have approved it.
   */
  private gateApproved(actor: string, stage: string | undefined): boolean {
    const gate = gateApproval(this.c.gateApprovers ?? [], actor, this.s.requiredApprovals);
    if (gate.counted) (this.s.approvals ??= []).push({ stage: stage ?? '', by: actor, at: now() });
    this.c.gateApprovers = gate.approvers;
    if (gate.passed) return true;
    const { approvers, required } = gate;
    this.emit(
      'approved',
      `approved by ${actor} (${approvers.length} of ${required}); waiting for more`,
      { actor, approvals: approvers.length, required },
      stage,
    );
    this.setState('awaiting_approval', `stage ${stage ?? ''} needs ${pluralApprovals(required - approvers.length, true)}`);
    return false;
  }

  /** An admin resumed through the freezes that hold the rollout now: they no longer hold it (later ones will). */
  private overrideFreezes(actor: string, reason: string, stage: string | undefined): void {
    const holds = this.c.freezeHolds ?? [];
    this.c.overriddenFreezes = [...(this.c.overriddenFreezes ?? []), ...holds.map((hold) => hold.id)];
    this.s.override = true;
    this.s.overrideReason = reason;
    const through = holds.length > 0 ? describeHolds(holds) : 'no freeze holds it now';
    this.emit('freeze_overridden', `${actor} resumed through the freeze (${through}): ${reason}`, { actor, reason, holds }, stage);
  }

  private requestRollback(reason: string, detail: Record<string, unknown>): void {
    if (this.rollbackRequest) return;
    this.rollbackRequest = { reason, detail };
    this.progressScope.cancel();
  }

  /* ---------- the run ---------- */

  async run(): Promise<RolloutSummary> {
    try {
      await this.progressScope.run(() => this.progress());
    } catch (err) {
      if (err instanceof ContinueAsNew) throw err;
      if (!this.rollbackRequest) {
        if (isCancellation(err)) throw err;
        // Anything unexpected after targets were touched is treated as a regression: restore them.
        const message = err instanceof Error ? err.message : String(err);
        if (onRunError(this.s.updatedTargets, this.c.phase) === 'fail') {
          this.setState('failed', message);
          this.emit('failed', `rollout failed before any target was touched: ${message}`, { error: message });
          await this.finalize('failed');
          return this.s;
        }
        this.rollbackRequest = { reason: `rollout error: ${message}`, detail: { error: message } };
      }
    }
    if (this.rollbackRequest) await this.rollBack(this.rollbackRequest);
    await condition(allHandlersFinished);
    return this.s;
  }

  private async progress(): Promise<void> {
    const c = this.c;
    if (c.phase === 'prepare') {
      const p = await bookkeeping.prepareRollout({
        rolloutId: this.s.id,
        configKey: this.s.configKey,
        percents: this.s.stages.map((st) => st.percent),
        createdAt: this.s.createdAt,
      });
      this.s.version = p.version;
      this.s.totalTargets = p.totalTargets;
      this.s.previousStableVersion = p.previousStableVersion;
      this.s.stages.forEach((st, i) => (st.targets = p.stageTargets[i] ?? 0));
      c.stageTargets = p.stageTargets;
      if (this.s.state === 'pending_review') {
        c.phase = 'review';
        const required = this.s.requiredApprovals ?? 0;
        this.emit(
          'review_requested',
          `version ${p.version} of ${this.s.configKey} waits for ${pluralApprovals(required)} before it starts`,
          {
            version: p.version,
            totalTargets: p.totalTargets,
            required,
            submittedBy: this.s.submittedBy,
          },
        );
      } else {
        c.phase = 'gate';
        this.emitStarted();
      }
      await this.commit();
    }

    if (c.phase === 'review') {
      // Held here, no target touched, the config key still held by this workflow's id.
      await condition(() => this.s.state !== 'pending_review');
      if (this.s.state === 'rejected') {
        c.phase = 'done';
        await this.finalize('rejected');
        return;
      }
      c.phase = 'gate';
      this.emitStarted();
      await this.commit();
    }

    while (c.stageIndex < this.s.stages.length) {
      const i = c.stageIndex;
      const stage = this.s.stages[i]!;
      const span = stageSpan(c.stageTargets, i);
      const { from, to } = span;
      this.s.currentStage = stage.name;
      this.s.currentStageIndex = i;

      if (c.phase === 'gate') {
        if (addsNoTarget(span)) {
          stage.state = 'skipped';
          this.emit(
            'stage_skipped',
            `stage ${stage.name} adds no target (${from} of ${this.s.totalTargets} already updated)`,
            {},
            stage.name,
          );
          await this.commit();
          c.stageIndex += 1;
          continue;
        }
        const wave = waveOpenedBy(this.s.stages, i, from);
        if (wave !== null && patched(Patch.waveGate)) await this.waveGate(from, wave);
        if (stage.approval && !c.approved) {
          c.awaitingApproval = true;
          this.setState('awaiting_approval', `stage ${stage.name} needs approval`);
          this.emit('approval_requested', `stage ${stage.name} waits for approval`, { targets: to - from }, stage.name);
          await this.commit();
          await this.monitor('gate');
        }
        if (patched(Patch.freezeGate)) {
          // A human pause (or a regression held for a human) outlasts the freeze: after the hold, check again.
          for (;;) {
            await this.freezeGate();
            if (this.s.state === 'running') break;
            await this.monitor('hold');
          }
        }
        c.approved = false;
        c.phase = 'apply';
        c.appliedUpTo = Math.max(c.appliedUpTo, from);
        stage.state = 'applying';
        stage.startedAt = now();
        this.emit(
          'stage_started',
          `stage ${stage.name}: ${to - from} more targets (${to} of ${this.s.totalTargets})`,
          { from, to },
          stage.name,
        );
        await this.commit();
      }

      if (c.phase === 'apply') {
        for (const b of batches(c.appliedUpTo, to, APPLY_BATCH_SIZE)) {
          if (this.s.state !== 'running') await this.monitor('hold');
          const r = await applying.applyBatch({ rolloutId: this.s.id, configKey: this.s.configKey, version: this.s.version!, ...b });
          c.appliedUpTo = b.to;
          this.s.updatedTargets = b.to;
          this.emit(
            'applied',
            `applied to targets ${b.from + 1}-${b.to} of ${this.s.totalTargets}`,
            { ...b, ...summarizeApply(r) },
            stage.name,
          );
          if (r.failed > 0)
            await this.regression(`${r.failed} of ${r.applied} targets failed to apply`, { source: 'apply', failures: r.failures });
          await this.commit();
        }
        c.phase = 'bake';
        c.bakeRemainingMs = stage.bakeSeconds * 1000;
        c.streak = 0;
        stage.state = 'baking';
        await this.commit();
      }

      if (c.phase === 'bake') {
        await this.monitor('bake');
        stage.state = 'completed';
        stage.finishedAt = now();
        this.emit('stage_completed', `stage ${stage.name} healthy after ${stage.bakeSeconds} s bake`, {}, stage.name);
        c.stageIndex += 1;
        c.phase = 'gate';
        await this.commit();
      }
    }

    c.phase = 'done';
    this.s.currentStage = null;
    this.s.currentStageIndex = null;
    this.setState('completed', null);
    this.emit('completed', `version ${this.s.version} runs on all ${this.s.totalTargets} targets`, { version: this.s.version });
    await this.finalize('completed');
  }

  private emitStarted(): void {
    const s = this.s;
    this.emit(
      'rollout_started',
      `version ${s.version} of ${s.configKey} to ${s.totalTargets} targets${s.emergency ? ' (EMERGENCY)' : ''}`,
      {
        version: s.version,
        totalTargets: s.totalTargets,
        stageTargets: this.c.stageTargets,
        previousStableVersion: s.previousStableVersion,
        ...(s.submittedBy ? { submittedBy: s.submittedBy } : {}),
        ...(s.emergency ? { emergency: true, emergencyReason: s.emergencyReason } : {}),
        ...(s.override ? { override: true, overrideReason: s.overrideReason } : {}),
      },
    );
    const override = this.input?.override;
    if (override && override.freezes.length > 0) {
      this.emit('freeze_overridden', `${override.by} started it through a freeze: ${override.reason}`, {
        actor: override.by,
        reason: override.reason,
        freezes: override.freezes,
      });
    }
  }

  /**
   * Probes the targets on the new version every interval while the rollout bakes, waits for an
   * approval, or is held: health is watched wherever the new version is live. Returns when the
   * bake time has run (counting only time spent running), the gate is approved, or the hold ends.
   */
  private async monitor(kind: WatchKind): Promise<void> {
    const c = this.c;
    const intervalMs = this.s.health.intervalSeconds * 1000;
    let probed = false;
    for (;;) {
      const step = watchStep({
        kind,
        running: this.s.state === 'running',
        awaitingApproval: c.awaitingApproval,
        bakeRemainingMs: c.bakeRemainingMs,
        probed,
      });
      if (step === 'over') return;
      if (step === 'judge') {
        // Runs without `analysis` (every run from before it) take the branch they always took.
        if (this.analyzed()) {
          if (await this.concludeAnalysis()) return;
        } else if (verdictSettled(c) || !patched(Patch.bakeEndsSettled)) return;
      }

      const started = Date.now();
      const live = c.appliedUpTo > 0;
      this.nudged = false;
      if (live) await this.probeOnce();
      // A regression found by this probe cancelled the run; without a wait left to observe that
      // cancellation, the bake would end and the next stage (or completion) would be recorded.
      if (this.rollbackRequest && patched(Patch.stopAtRegression)) throw new CancelledFailure('rollback requested');
      const probeMs = Date.now() - started;
      probed = true;
      const baking = kind === 'bake' && this.s.state === 'running';
      // Past its time with an unsettled verdict, a bake keeps probing at the normal interval.
      // Under analysis, a bake past its time is waiting for a verdict that allows promotion.
      const overtime =
        baking && bakeTimeUp(c.bakeRemainingMs) && (this.analyzed() ? true : !verdictSettled(c) && patched(Patch.bakeEndsSettled));
      const wait = probeWaitMs({
        intervalMs,
        elapsedMs: Date.now() - started,
        bakeRemainingMs: baking && !overtime ? c.bakeRemainingMs : null,
      });
      if (!live && !baking) await condition(() => this.nudged);
      else if (wait > 0) await condition(() => this.nudged, wait);
      if (baking && this.s.state === 'running') {
        const elapsedMs = Date.now() - started;
        c.bakeRemainingMs -= patched(Patch.bakeCountsObservedTime)
          ? bakedMs({ elapsedMs, probeMs, intervalMs, probeTimeoutMs: this.s.health.timeoutMs })
          : elapsedMs;
      }
      await this.continueAsNewIfLong();
    }
  }

  /**
   * Holds before the next stage while a freeze holds the key: a freeze window of the policy the
   * rollout started under, or stop-the-line. Health is still probed every interval and a
   * regression still rolls back: a freeze stops forward motion, never safety. Checked again every
   * interval and when a window ends; goes on by itself when it lifts, unless a human paused it.
   */
  private async freezeGate(): Promise<void> {
    const c = this.c;
    const stage = this.s.currentStage ?? undefined;
    const intervalMs = this.s.health.intervalSeconds * 1000;
    for (;;) {
      const started = Date.now();
      const check = await bookkeeping.checkFreeze({ configKey: this.s.configKey, windows: this.input?.policy?.freeze ?? [] });
      const holds = uncoveredHolds(check.holds, c.overriddenFreezes ?? []);
      if (holds.length === 0) {
        if ((c.freezeHolds ?? []).length > 0) {
          c.freezeHolds = [];
          // Gone through by an override, the freeze still holds: only a lifted one is "unfrozen".
          if (check.holds.length === 0) this.emit('unfrozen', `the freeze lifted: stage ${stage ?? ''} may go on`, {}, stage);
          if (isFrozenHold(this.s.state, this.s.reason)) this.setState('running', null);
          await this.commit();
        }
        return;
      }
      if (!sameHolds(holds, c.freezeHolds ?? [])) {
        c.freezeHolds = holds;
        const why = describeHolds(holds);
        this.emit('frozen', `holding before stage ${stage ?? ''}: ${why}`, { holds }, stage);
        if (this.s.state === 'running' || isFrozenHold(this.s.state, this.s.reason))
          this.setState('paused', `${FROZEN_REASON_PREFIX}: ${why}`);
        await this.commit();
      }
      this.nudged = false;
      if (c.appliedUpTo > 0) await this.probeOnce();
      if (this.rollbackRequest) throw new CancelledFailure('rollback requested');
      const wait = freezeRecheckMs({ nowMs: Date.now(), turnStartedMs: started, intervalMs, nextChangeAt: check.nextChangeAt });
      await condition(() => this.nudged, wait);
      await this.continueAsNewIfLong();
    }
  }

  /**
   * Before the first stage of a wave: every target of the earlier waves runs the new version (it
   * confirmed it) and has baked. Health is probed meanwhile. A target that has not confirmed within
   * CONFIRM_WITHIN_MS is a regression, as in a bake: rolled back, or held for a human who decides.
   */
  private async waveGate(upto: number, wave: string): Promise<void> {
    const began = Date.now();
    const intervalMs = this.s.health.intervalSeconds * 1000;
    for (;;) {
      const started = Date.now();
      const left = await bookkeeping.unconfirmedTargets({
        rolloutId: this.s.id,
        configKey: this.s.configKey,
        version: this.s.version!,
        upto,
      });
      if (left.count === 0) return;
      if (confirmationOverdue(Date.now(), began, CONFIRM_WITHIN_MS)) {
        const named = namedTargets(left.targetIds, left.count);
        await this.regression(
          `${left.count} targets of the waves before "${wave}" have not confirmed version ${this.s.version} within ${CONFIRM_WITHIN_MS / 1000} s: ${named}`,
          { source: 'wave', wave, unconfirmed: left },
        );
        if (this.rollbackRequest) throw new CancelledFailure('rollback requested');
        return;
      }
      this.nudged = false;
      await this.probeOnce();
      if (this.rollbackRequest) throw new CancelledFailure('rollback requested');
      const wait = probeWaitMs({ intervalMs, elapsedMs: Date.now() - started, bakeRemainingMs: null });
      if (wait > 0) await condition(() => this.nudged, wait);
    }
  }

  private async probeOnce(): Promise<void> {
    if (this.analyzed()) return this.analyzeOnce();
    const stage = this.s.currentStage ?? 'unknown';
    const sample: ProbeSummary = await probing.probeTargets({
      rolloutId: this.s.id,
      configKey: this.s.configKey,
      version: this.s.version!,
      stage,
      upto: this.c.appliedUpTo,
      timeoutMs: this.s.health.timeoutMs,
      ...(this.s.health.compareToBaseline ? { baseline: true } : {}),
      confirmWithinMs: CONFIRM_WITHIN_MS,
    });
    this.c.pending = sample.pending ?? 0;
    const verdict = nextHealth(this.c.streak, sample, this.s.health);
    this.c.streak = verdict.streak;
    if (this.s.health.compareToBaseline) await this.inconclusive(verdict.assessment, sample);
    if (verdict.assessment.verdict === 'no_data' && !this.warnedUnmonitored) {
      this.warnedUnmonitored = true;
      this.emit(
        'health_unmonitored',
        `no target on the new version has a health URL or reports its version`,
        { unobserved: sample.unobserved },
        stage,
      );
      await this.commit();
    }
    if (verdict.regressed) {
      await this.regression(verdict.assessment.reasons.join('; '), {
        source: 'health',
        consecutiveFailedIntervals: verdict.streak,
        sample,
      });
    }
  }

  /** Canary analysis judges this stage: it was asked for, and a baseline is left to compare with. */
  private analyzed(): boolean {
    return this.s.analysis !== undefined && analysisApplies(this.c.appliedUpTo, this.s.totalTargets);
  }

  /**
   * One interval of canary analysis: the activity samples canary and baseline and judges the stage
   * so far; the stage's limits (judge.ts) turn the verdict into continue, roll back or hold.
   */
  private async analyzeOnce(): Promise<void> {
    const analysis = this.s.analysis!;
    const c = this.c;
    const stage = this.s.currentStage ?? 'unknown';
    const run = c.analysis?.upto === c.appliedUpTo ? c.analysis : { upto: c.appliedUpTo, state: INITIAL_STAGE_STATE };
    const outcome = await probing.analyzeInterval({
      rolloutId: this.s.id,
      configKey: this.s.configKey,
      version: this.s.version!,
      stage,
      upto: c.appliedUpTo,
      interval: run.state.intervals,
      timeoutMs: this.s.health.timeoutMs,
      analysis,
    });
    const step = nextStageVerdict(run.state, outcome.result, analysis.limits);
    c.analysis = { upto: run.upto, state: step.state };
    this.s.analysisStage = { stage, ...step.state };
    const { result } = outcome;
    this.emit(
      'analysis',
      `interval ${step.state.intervals}: ${result.verdict} (score ${result.score}): ${result.message}`,
      {
        verdict: result.verdict,
        score: result.score,
        decision: step.decision,
        canaryTargets: outcome.canaryTargets,
        baselineTargets: outcome.baselineTargets,
        excluded: outcome.excluded,
        stageState: step.state,
        limits: analysis.limits,
        metrics: result.metrics,
      },
      stage,
    );
    await this.commit();
    if (step.decision === 'rollback') {
      await this.regression(`canary analysis: ${result.message}`, { source: 'analysis', stageState: step.state, result });
    } else if (step.decision === 'hold') {
      await this.holdForAnalysis(
        `${step.state.inconclusive} inconclusive intervals, more than the ${analysis.limits.inconclusiveLimit} allowed: ${result.message}`,
      );
    }
  }

  /**
   * At the end of a bake under analysis: true when the stage may promote. A stage with no verdict
   * yet keeps probing; one that ended inconclusive or marginal holds for a human, never promotes.
   */
  private async concludeAnalysis(): Promise<boolean> {
    const state = this.c.analysis?.upto === this.c.appliedUpTo ? this.c.analysis.state : null;
    if (!state || state.lastVerdict === null) return false;
    const outcome = concludeStage(state, this.s.analysis!.limits);
    if (outcome === 'promote') return true;
    if (outcome === 'rollback') {
      await this.regression(`canary analysis: ${state.failures} failed intervals`, { source: 'analysis', stageState: state });
      if (this.rollbackRequest) throw new CancelledFailure('rollback requested');
    } else {
      await this.holdForAnalysis(`the bake ended on a ${state.lastVerdict} verdict: promotion needs a pass`);
    }
    return false;
  }

  /** The analysis cannot tell: held for a human (once per hold), whatever the regression policy. */
  private async holdForAnalysis(why: string): Promise<void> {
    if (this.c.heldInconclusive || this.rollbackRequest) return;
    const stage = this.s.currentStage ?? undefined;
    this.c.heldInconclusive = true;
    this.setState('paused', `inconclusive: ${why}`);
    this.emit('paused', `held for a human: ${why}; resume to go on, rollback to restore`, { source: 'analysis' }, stage);
    await this.commit();
  }

  /**
   * The new version fails, but so does the fleet without it: rolling back would not help, and
   * going on would not be safe. Held for a human, whatever the regression policy.
   */
  private async inconclusive(assessment: IntervalAssessment, sample: ProbeSummary): Promise<void> {
    const next = nextInconclusive(this.c.inconclusive ?? 0, assessment, this.s.health);
    this.c.inconclusive = next.count;
    if (!next.hold || this.c.heldInconclusive || this.rollbackRequest) return;
    const stage = this.s.currentStage ?? undefined;
    const why = assessment.reasons.join('; ');
    this.c.heldInconclusive = true;
    this.emit('health_inconclusive', why, { source: 'health', consecutiveIntervals: next.count, sample, state: this.s.state }, stage);
    this.setState('paused', `inconclusive: ${why}`);
    this.emit('paused', 'held for a human: the fleet fails with or without this change; resume to go on, rollback to restore', {}, stage);
    await this.commit();
  }

  /** Applies the regression policy: roll back at once, or hold for a human (once per hold). */
  private async regression(message: string, evidence: Record<string, unknown>): Promise<void> {
    if (this.c.heldForRegression && this.s.state === 'paused') return;
    const stage = this.s.currentStage ?? undefined;
    this.emit('regression_detected', message, { ...evidence, policy: this.s.onRegression, state: this.s.state }, stage);
    if (this.s.onRegression === 'rollback') {
      this.requestRollback(`regression: ${message}`, evidence);
      await this.commit();
      return;
    }
    this.c.heldForRegression = true;
    this.setState('paused', `regression: ${message}`);
    this.emit('paused', 'held for a human after a regression: resume to go on, rollback to restore', {}, stage);
    await this.commit();
  }

  /**
   * Returns every touched target to its previous version. Passes over what is left until nothing
   * is, or the attempts run out: then the rollout is `failed`, naming the targets it could not
   * restore. It never ends quietly with a target on the bad version.
   */
  async rollBack(req: RollbackRequest): Promise<void> {
    const started = Date.now();
    const policy = this.s.rollback ?? DEFAULT_ROLLBACK;
    this.setState('rolling_back', req.reason);
    for (const st of this.s.stages) st.state = rolledBackStageState(st.state);
    this.emit('rollback_started', `rolling back: ${req.reason}`, req.detail, this.s.currentStage ?? undefined);
    await this.commit();

    for (let attempt = 1; ; attempt++) {
      const r = await restoring.rollbackTargets({ rolloutId: this.s.id, configKey: this.s.configKey });
      const step = rollbackStep(attempt, r.remaining, policy);
      if (step.kind === 'restored') {
        this.s.updatedTargets = 0;
        this.setState('rolled_back', req.reason);
        this.emit('rolled_back', `restored ${r.touched} targets to their previous versions in ${Date.now() - started} ms`, {
          restored: r.touched,
          attempts: attempt,
          durationMs: Date.now() - started,
        });
        await this.finalize('rolled_back');
        return;
      }
      if (step.kind === 'give_up') {
        const named = namedTargets(
          r.failures.map((f) => f.targetId),
          r.remaining,
        );
        this.setState('failed', `rollback could not restore ${r.remaining} targets: ${named}`);
        this.emit('failed', `rollback gave up after ${attempt} attempts: ${r.remaining} targets not restored (${named})`, {
          remaining: r.remaining,
          unrestored: r.failures,
          attempts: attempt,
        });
        await this.finalize('failed', r.failures);
        return;
      }
      this.emit('rollback_attempt', `attempt ${attempt}: ${r.remaining} of ${r.touched} targets not restored yet`, {
        attempt,
        remaining: r.remaining,
        failures: r.failures,
      });
      await this.commit();
      await sleep(step.backoffMs);
    }
  }

  private async finalize(outcome: FinalizeInput['outcome'], unrestored: TargetFailure[] = []): Promise<void> {
    await bookkeeping.finalizeRollout({
      rolloutId: this.s.id,
      configKey: this.s.configKey,
      version: this.s.version,
      outcome,
      previousStableVersion: this.s.previousStableVersion,
    });
    await this.commit();
    if (outcome === 'failed' && patched(Patch.alertOnFailure)) await this.alert(unrestored);
  }

  /** The failure is already recorded; the alert only tells a human, and its own failure is recorded too. */
  private async alert(unrestored: TargetFailure[]): Promise<void> {
    const input = {
      rolloutId: this.s.id,
      configKey: this.s.configKey,
      version: this.s.version,
      state: this.s.state,
      reason: this.s.reason,
      unrestored,
    };
    let sent: AlertResult | null = null;
    let error = '';
    try {
      sent = await alerting.sendAlert(input);
    } catch (err) {
      error = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    }
    const targets = unrestored.map((f) => f.targetId);
    if (sent) this.emit('alert', `alert sent (${sent.channel}): rollout ${this.s.state}`, { ...sent, unrestored: targets });
    else this.emit('alert', `alert could not be delivered: ${error}`, { delivered: false, error, unrestored: targets });
    await this.commit();
  }

  private async continueAsNewIfLong(): Promise<void> {
    const info = workflowInfo();
    if (!info.continueAsNewSuggested && info.historyLength < HISTORY_EVENTS_LIMIT) return;
    await condition(allHandlersFinished);
    await this.commit();
    if (this.input) await continueAsNew<typeof rolloutWorkflow>({ ...this.input, resume: this.c });
  }
}

function summarizeApply(r: ApplyResult): Record<string, unknown> {
  const out: Record<string, unknown> = { applied: r.applied, pushed: r.pushed, failed: r.failed };
  if (r.failures.length > 0) out.failures = r.failures satisfies TargetFailure[];
  return out;
}

/** A staged rollout of one config change. Its result is the final summary. */
export async function rolloutWorkflow(input: RolloutInput): Promise<RolloutSummary> {
  const run = new RolloutRun(input.resume ?? initialCursor(input), input);
  run.installHandlers();
  return run.run();
}

/**
 * Rolls a completed rollout back at once, without re-running stages: every target it touched
 * returns to its previous version. Runs under the config's workflow id, so it cannot overlap a
 * newer rollout of the same config.
 */
export async function fastRollbackWorkflow(input: FastRollbackInput): Promise<RolloutSummary> {
  const loaded = await bookkeeping.loadRollout(input.rolloutId);
  const cursor: RolloutCursor = {
    summary: loaded.summary,
    phase: 'done',
    stageIndex: loaded.summary.stages.length,
    stageTargets: loaded.summary.stages.map((s) => s.targets),
    appliedUpTo: loaded.summary.totalTargets,
    bakeRemainingMs: 0,
    streak: 0,
    awaitingApproval: false,
    approved: false,
    heldForRegression: false,
    seq: loaded.lastSeq,
    rev: loaded.lastRev,
  };
  const run = new RolloutRun(cursor, null);
  setHandler(statusQuery, () => run.s);
  const actor = input.actor ?? 'unknown';
  const reason = input.reason ?? `fast-track rollback of completed version ${loaded.summary.version} requested by ${actor}`;
  await run.rollBack({ reason, detail: { fastTrack: true, actor } });
  return run.s;
}
