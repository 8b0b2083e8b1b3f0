/**
 * The rollout workflow: canary → partial → full, each stage applied in batches and baked while
 * health is probed; a regression rolls every touched target back or holds for a human.
 *
 * Deterministic wiring only. Decisions come from ../domain (stage batches, health verdicts,
 * allowed actions); every side effect is an activity. The whole run state is a small checkpoint, so the
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
import type { Activities, AlertResult, ApplyResult, FinalizeInput, FinalizeResult, TargetFailure, UnconfirmedResult } from '../activities';
import { analysisApplies, canaryRunFor } from '../domain/analysis';
import { bakedMs, bakeTimeUp, probeWaitMs, verdictSettled, watchStep, type WatchKind } from '../domain/bake';
import {
  appliedMessage,
  completedMessage,
  CONFIRM_WITHIN_MS,
  confirmationFields,
  confirmationOverdue,
  rolledBackMessage,
  stageConfirmationWaitMs,
} from '../domain/confirmation';
import { fourEyes, gateApproval, refuseControl, refuseReview, resumed, reviewOutcome } from '../domain/controls';
import { concludeStage, INITIAL_STAGE_STATE, nextStageVerdict } from '../domain/judge';
import { nextHealth, nextInconclusive, type IntervalAssessment, type ProbeSummary } from '../domain/health';
import { actionsFor, FROZEN_REASON_PREFIX, isFrozenHold, isTerminal, type RolloutState } from '../domain/lifecycle';
import { describeHolds, freezeRecheckMs, sameHolds, uncoveredHolds } from '../domain/freeze-holds';
import { initialSummary, pluralApprovals } from '../domain/summary';
import { addsNoTarget, batches, stageSpan, waveOpenedBy } from '../domain/planning';
import { DEFAULT_ROLLBACK, namedTargets, onRunError, regressionResponse, rolledBackStage, rollbackStep } from '../domain/rollback-plan';
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
  type RolloutCheckpoint,
  type RolloutJudgement,
  type RolloutPosition,
  type RolloutInput,
} from './definitions';

/**
 * Targets per apply activity: small enough that a pause takes effect between batches within about
 * a second at loopback delivery rates (a rollback cancels the batch in flight), large enough that
 * Temporal round trips (an activity and a progress record per batch) do not dominate a stage.
 */
export const APPLY_BATCH_SIZE = 2_000;
/** The batch size of runs started before `Patch.largerApplyBatches`. */
export const APPLY_BATCH_SIZE_BEFORE_PATCH = 250;
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
  /** Apply batches of APPLY_BATCH_SIZE (2,000) targets instead of 250: fewer activities per stage. */
  largerApplyBatches: 'larger-apply-batches',
  /** A health sample taken before a human resumed is dropped when it arrives after the resume. */
  sampleAcrossResume: 'sample-across-resume',
} as const;

function now(): string {
  return new Date().toISOString();
}

export function initialCheckpoint(input: RolloutInput): RolloutCheckpoint {
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

/** One rollout run: its checkpoint, its handlers, and the steps that move it. */
class RolloutRun {
  private pending: RolloutEvent[] = [];
  private commits: Promise<void> = Promise.resolve();
  /** Wakes a waiting monitor loop early when a human acts. */
  private nudged = false;
  private rollbackRequest: RollbackRequest | null = null;
  private readonly progressScope = new CancellationScope();
  private warnedUnmonitored = false;
  /** Counts resumes and approvals, so a probe in flight across one can tell (Patch.sampleAcrossResume). */
  private resumes = 0;

  constructor(
    readonly checkpoint: RolloutCheckpoint,
    private readonly input: RolloutInput | null,
  ) {}

  /** What the rollout tells the world: the read model's summary, the status query's answer. */
  get summary(): RolloutSummary {
    return this.checkpoint.summary;
  }

  /** Where the run is in its plan. */
  get position(): RolloutPosition {
    return this.checkpoint;
  }

  /** What the run has judged and holds on at its position: runs of verdicts, holds, approvals, freezes. */
  get judgement(): RolloutJudgement {
    return this.checkpoint;
  }

  installHandlers(): void {
    setHandler(statusQuery, () => this.summary);
    setHandler(controlUpdate, (req) => this.control(req), { validator: (req: ControlRequest) => this.validate(req) });
    setHandler(reviewUpdate, (req) => this.review(req), { validator: (req: ReviewRequest) => this.validateReview(req) });
    setHandler(preparedUpdate, async () => {
      await condition(() => this.summary.version !== null || isTerminal(this.summary.state));
      return this.summary;
    });
  }

  /* ---------- bookkeeping ---------- */

  private emit(type: RolloutEventType, message: string, detail: Record<string, unknown> = {}, stage?: string): void {
    this.checkpoint.seq += 1;
    this.pending.push({ seq: this.checkpoint.seq, at: now(), type, ...(stage !== undefined ? { stage } : {}), message, detail });
  }

  private setState(state: RolloutState, reason: string | null = this.summary.reason): void {
    this.summary.state = state;
    this.summary.reason = reason;
    this.summary.allowedActions = [...actionsFor(state, reason)];
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
        this.checkpoint.rev += 1;
        this.summary.updatedAt = now();
        await bookkeeping.recordProgress({ summary: this.summary, rev: this.checkpoint.rev, events });
      }),
    );
    this.commits = next;
    return next;
  }

  /* ---------- human control ---------- */

  private validate(req: ControlRequest): void {
    const refusal = refuseControl(
      {
        rolloutId: this.summary.id,
        state: this.summary.state,
        reason: this.summary.reason,
        submittedBy: this.summary.submittedBy,
        requiredApprovals: this.summary.requiredApprovals,
        awaitingApproval: this.judgement.awaitingApproval,
        rollbackRequested: this.rollbackRequest !== null,
        freezeHolds: this.judgement.freezeHolds ?? [],
      },
      req,
    );
    if (refusal) throw ApplicationFailure.nonRetryable(refusal.message, refusal.reason);
  }

  private validateReview(req: ReviewRequest): void {
    const refusal = refuseReview({ rolloutId: this.summary.id, state: this.summary.state, submittedBy: this.summary.submittedBy }, req);
    if (refusal) throw ApplicationFailure.nonRetryable(refusal.message, refusal.reason);
  }

  /**
   * Records a review. A reject ends the rollout; approvals start it once enough distinct
   * reviewers have approved (a reviewer's repeated approval counts once).
   */
  private async review(req: ReviewRequest): Promise<RolloutSummary> {
    const reviews = (this.summary.reviews ??= []);
    const entry = { by: req.by, decision: req.decision, ...(req.comment ? { comment: req.comment } : {}), at: now() };
    const detail = { actor: req.by, decision: req.decision, ...(req.comment ? { comment: req.comment } : {}) };
    const outcome = reviewOutcome(reviews, req, this.summary.requiredApprovals);
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
    return this.summary;
  }

  private async control(req: ControlRequest): Promise<RolloutSummary> {
    const who = { actor: req.actor ?? 'unknown', ...(req.reason ? { reason: req.reason } : {}) };
    const stage = this.summary.currentStage ?? undefined;
    switch (req.action) {
      case 'pause':
        this.judgement.humanPaused = true;
        this.setState('paused', req.reason ?? 'paused by a human');
        this.emit('paused', `paused by ${who.actor}`, who, stage);
        break;
      case 'resume':
      case 'approve':
        if (
          this.judgement.awaitingApproval &&
          req.action === 'approve' &&
          fourEyes(this.summary.requiredApprovals) &&
          !this.gateApproved(who.actor, stage)
        ) {
          await this.commit();
          return this.summary;
        }
        if (this.judgement.awaitingApproval) {
          this.judgement.awaitingApproval = false;
          this.judgement.approved = true;
          this.emit('approved', `${req.action === 'approve' ? 'approved' : 'resumed (counts as approval)'} by ${who.actor}`, who, stage);
        }
        if (this.summary.state === 'paused')
          this.emit('resumed', `${req.action === 'resume' ? 'resumed' : 'approved'} by ${who.actor}`, who, stage);
        if (req.override) this.overrideFreezes(who.actor, req.override.reason, stage);
        Object.assign(this.judgement, resumed(this.judgement));
        this.resumes += 1;
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
      await condition(
        () => this.summary.state !== 'running' && this.summary.state !== 'paused' && this.summary.state !== 'awaiting_approval',
      );
    return this.summary;
  }

  /**
   * Counts one approval of the current gate under four eyes: true once enough distinct people
   * (never the submitter; the validator refuses them) have approved it.
   */
  private gateApproved(actor: string, stage: string | undefined): boolean {
    const gate = gateApproval(this.judgement.gateApprovers ?? [], actor, this.summary.requiredApprovals);
    if (gate.counted) (this.summary.approvals ??= []).push({ stage: stage ?? '', by: actor, at: now() });
    this.judgement.gateApprovers = gate.approvers;
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
    const holds = this.judgement.freezeHolds ?? [];
    this.judgement.overriddenFreezes = [...(this.judgement.overriddenFreezes ?? []), ...holds.map((hold) => hold.id)];
    this.summary.override = true;
    this.summary.overrideReason = reason;
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
        if (onRunError(this.summary.updatedTargets, this.position.phase) === 'fail') {
          this.setState('failed', message);
          this.emit('failed', `rollout failed before any target was touched: ${message}`, { error: message });
          await this.finalize('failed');
          return this.summary;
        }
        this.rollbackRequest = { reason: `rollout error: ${message}`, detail: { error: message } };
      }
    }
    if (this.rollbackRequest) await this.rollBack(this.rollbackRequest);
    await condition(allHandlersFinished);
    return this.summary;
  }

  private async progress(): Promise<void> {
    const { position, judgement } = this;
    if (position.phase === 'prepare') {
      const prepared = await bookkeeping.prepareRollout({
        rolloutId: this.summary.id,
        configKey: this.summary.configKey,
        percents: this.summary.stages.map((stageStatus) => stageStatus.percent),
        createdAt: this.summary.createdAt,
      });
      this.summary.version = prepared.version;
      this.summary.totalTargets = prepared.totalTargets;
      this.summary.previousStableVersion = prepared.previousStableVersion;
      this.summary.stages.forEach((stageStatus, i) => (stageStatus.targets = prepared.stageTargets[i] ?? 0));
      position.stageTargets = prepared.stageTargets;
      if (this.summary.state === 'pending_review') {
        position.phase = 'review';
        const required = this.summary.requiredApprovals ?? 0;
        this.emit(
          'review_requested',
          `version ${prepared.version} of ${this.summary.configKey} waits for ${pluralApprovals(required)} before it starts`,
          {
            version: prepared.version,
            totalTargets: prepared.totalTargets,
            required,
            submittedBy: this.summary.submittedBy,
          },
        );
      } else {
        position.phase = 'gate';
        this.emitStarted();
      }
      await this.commit();
    }

    if (position.phase === 'review') {
      // Held here, no target touched, the config key still held by this workflow's id.
      await condition(() => this.summary.state !== 'pending_review');
      if (this.summary.state === 'rejected') {
        position.phase = 'done';
        await this.finalize('rejected');
        return;
      }
      position.phase = 'gate';
      this.emitStarted();
      await this.commit();
    }

    while (position.stageIndex < this.summary.stages.length) {
      const stageIndex = position.stageIndex;
      const stage = this.summary.stages[stageIndex]!;
      const span = stageSpan(position.stageTargets, stageIndex);
      const { from, to } = span;
      this.summary.currentStage = stage.name;
      this.summary.currentStageIndex = stageIndex;

      if (position.phase === 'gate') {
        if (addsNoTarget(span)) {
          stage.state = 'skipped';
          this.emit(
            'stage_skipped',
            `stage ${stage.name} adds no target (${from} of ${this.summary.totalTargets} already updated)`,
            {},
            stage.name,
          );
          await this.commit();
          position.stageIndex += 1;
          continue;
        }
        const wave = waveOpenedBy(this.summary.stages, stageIndex, from);
        if (wave !== null && patched(Patch.waveGate)) await this.waveGate(from, wave);
        if (stage.approval && !judgement.approved) {
          judgement.awaitingApproval = true;
          this.setState('awaiting_approval', `stage ${stage.name} needs approval`);
          this.emit('approval_requested', `stage ${stage.name} waits for approval`, { targets: to - from }, stage.name);
          await this.commit();
          await this.monitor('gate');
        }
        if (patched(Patch.freezeGate)) {
          // A human pause (or a regression held for a human) outlasts the freeze: after the hold, check again.
          for (;;) {
            await this.freezeGate();
            if (this.summary.state === 'running') break;
            await this.monitor('hold');
          }
        }
        judgement.approved = false;
        position.phase = 'apply';
        position.appliedUpTo = Math.max(position.appliedUpTo, from);
        stage.state = 'applying';
        stage.startedAt = now();
        this.emit(
          'stage_started',
          `stage ${stage.name}: ${to - from} more targets (${to} of ${this.summary.totalTargets})`,
          { from, to },
          stage.name,
        );
        await this.commit();
      }

      if (position.phase === 'apply') {
        const batchSize = patched(Patch.largerApplyBatches) ? APPLY_BATCH_SIZE : APPLY_BATCH_SIZE_BEFORE_PATCH;
        for (const batch of batches(position.appliedUpTo, to, batchSize)) {
          if (this.summary.state !== 'running') await this.monitor('hold');
          const applied = await applying.applyBatch({
            rolloutId: this.summary.id,
            configKey: this.summary.configKey,
            version: this.summary.version!,
            ...batch,
          });
          position.appliedUpTo = batch.to;
          this.summary.updatedTargets = batch.to;
          this.emit(
            'applied',
            appliedMessage(batch, this.summary.totalTargets, applied),
            { ...batch, ...summarizeApply(applied) },
            stage.name,
          );
          if (applied.failed > 0)
            await this.regression(`${applied.failed} of ${applied.applied} targets failed to apply`, {
              source: 'apply',
              failures: applied.failures,
            });
          await this.commit();
        }
        const confirmWithinMs = stageConfirmationWaitMs(this.input?.policy);
        if (confirmWithinMs !== null) await this.stageConfirmation(to, stage.name, confirmWithinMs);
        position.phase = 'bake';
        position.bakeRemainingMs = stage.bakeSeconds * 1000;
        judgement.streak = 0;
        stage.state = 'baking';
        await this.commit();
      }

      if (position.phase === 'bake') {
        await this.monitor('bake');
        stage.state = 'completed';
        stage.finishedAt = now();
        this.emit('stage_completed', `stage ${stage.name} healthy after ${stage.bakeSeconds} s bake`, {}, stage.name);
        position.stageIndex += 1;
        position.phase = 'gate';
        await this.commit();
      }
    }

    position.phase = 'done';
    this.summary.currentStage = null;
    this.summary.currentStageIndex = null;
    this.setState('completed', null);
    await this.finalize('completed', [], (settled) => {
      const known = { assigned: this.summary.totalTargets, confirmed: settled?.confirmed };
      Object.assign(this.summary, confirmationFields(known));
      this.emit('completed', completedMessage(this.summary.version, known), {
        version: this.summary.version,
        ...confirmationFields(known),
      });
    });
  }

  private emitStarted(): void {
    const summary = this.summary;
    this.emit(
      'rollout_started',
      `version ${summary.version} of ${summary.configKey} to ${summary.totalTargets} targets${summary.emergency ? ' (EMERGENCY)' : ''}`,
      {
        version: summary.version,
        totalTargets: summary.totalTargets,
        stageTargets: this.position.stageTargets,
        previousStableVersion: summary.previousStableVersion,
        ...(summary.submittedBy ? { submittedBy: summary.submittedBy } : {}),
        ...(summary.emergency ? { emergency: true, emergencyReason: summary.emergencyReason } : {}),
        ...(summary.override ? { override: true, overrideReason: summary.overrideReason } : {}),
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
    const { position, judgement } = this;
    const intervalMs = this.summary.health.intervalSeconds * 1000;
    let probed = false;
    for (;;) {
      const step = watchStep({
        kind,
        running: this.summary.state === 'running',
        awaitingApproval: judgement.awaitingApproval,
        bakeRemainingMs: position.bakeRemainingMs,
        probed,
      });
      if (step === 'over') return;
      if (step === 'judge') {
        // Runs without `analysis` (every run from before it) take the branch they always took.
        if (this.analyzed()) {
          if (await this.concludeAnalysis()) return;
        } else if (verdictSettled(judgement) || !patched(Patch.bakeEndsSettled)) return;
      }

      const started = Date.now();
      const live = position.appliedUpTo > 0;
      this.nudged = false;
      if (live) await this.probeOnce();
      // A regression found by this probe cancelled the run; without a wait left to observe that
      // cancellation, the bake would end and the next stage (or completion) would be recorded.
      if (this.rollbackRequest && patched(Patch.stopAtRegression)) throw new CancelledFailure('rollback requested');
      const probeMs = Date.now() - started;
      probed = true;
      const baking = kind === 'bake' && this.summary.state === 'running';
      // Past its time with an unsettled verdict, a bake keeps probing at the normal interval.
      // Under analysis, a bake past its time is waiting for a verdict that allows promotion.
      const overtime =
        baking &&
        bakeTimeUp(position.bakeRemainingMs) &&
        (this.analyzed() ? true : !verdictSettled(judgement) && patched(Patch.bakeEndsSettled));
      const wait = probeWaitMs({
        intervalMs,
        elapsedMs: Date.now() - started,
        bakeRemainingMs: baking && !overtime ? position.bakeRemainingMs : null,
      });
      if (!live && !baking) await condition(() => this.nudged);
      else if (wait > 0) await condition(() => this.nudged, wait);
      if (baking && this.summary.state === 'running') {
        const elapsedMs = Date.now() - started;
        position.bakeRemainingMs -= patched(Patch.bakeCountsObservedTime)
          ? bakedMs({ elapsedMs, probeMs, intervalMs, probeTimeoutMs: this.summary.health.timeoutMs })
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
    const { position, judgement } = this;
    const stage = this.summary.currentStage ?? undefined;
    const intervalMs = this.summary.health.intervalSeconds * 1000;
    for (;;) {
      const started = Date.now();
      const check = await bookkeeping.checkFreeze({ configKey: this.summary.configKey, windows: this.input?.policy?.freeze ?? [] });
      const holds = uncoveredHolds(check.holds, judgement.overriddenFreezes ?? []);
      if (holds.length === 0) {
        if ((judgement.freezeHolds ?? []).length > 0) {
          judgement.freezeHolds = [];
          // Gone through by an override, the freeze still holds: only a lifted one is "unfrozen".
          if (check.holds.length === 0) this.emit('unfrozen', `the freeze lifted: stage ${stage ?? ''} may go on`, {}, stage);
          if (isFrozenHold(this.summary.state, this.summary.reason)) this.setState('running', null);
          await this.commit();
        }
        return;
      }
      if (!sameHolds(holds, judgement.freezeHolds ?? [])) {
        judgement.freezeHolds = holds;
        const why = describeHolds(holds);
        this.emit('frozen', `holding before stage ${stage ?? ''}: ${why}`, { holds }, stage);
        if (this.summary.state === 'running' || isFrozenHold(this.summary.state, this.summary.reason))
          this.setState('paused', `${FROZEN_REASON_PREFIX}: ${why}`);
        await this.commit();
      }
      this.nudged = false;
      if (position.appliedUpTo > 0) await this.probeOnce();
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
    await this.awaitConfirmation(upto, CONFIRM_WITHIN_MS, (left) => ({
      message: `${left.count} targets of the waves before "${wave}" have not confirmed version ${this.summary.version} within ${CONFIRM_WITHIN_MS / 1000} s: ${namedTargets(left.targetIds, left.count)}`,
      evidence: { source: 'wave', wave, unconfirmed: left },
    }));
  }

  /**
   * Under a policy that requires confirmation (`confirmWithinSeconds`): the stage counts as applied
   * once every target it assigned confirms the new version; one still unconfirmed when the wait
   * runs out is a regression (rolled back, or held for a human, by the rollout's onRegression).
   */
  private async stageConfirmation(upto: number, stage: string, withinMs: number): Promise<void> {
    await this.awaitConfirmation(upto, withinMs, (left) => ({
      message: `${left.count} of the ${upto} targets on version ${this.summary.version} have not confirmed it within ${withinMs / 1000} s of stage ${stage}: ${namedTargets(left.targetIds, left.count)}`,
      evidence: { source: 'confirmation', stage, withinSeconds: withinMs / 1000, unconfirmed: left },
    }));
  }

  /**
   * Waits, probing health every interval, until every target of plan entries [0, upto) confirms the
   * new version, or `withinMs` has passed: then what is left is a regression.
   */
  private async awaitConfirmation(
    upto: number,
    withinMs: number,
    overdue: (left: UnconfirmedResult) => { message: string; evidence: Record<string, unknown> },
  ): Promise<void> {
    const began = Date.now();
    const intervalMs = this.summary.health.intervalSeconds * 1000;
    for (;;) {
      const started = Date.now();
      const left = await bookkeeping.unconfirmedTargets({
        rolloutId: this.summary.id,
        configKey: this.summary.configKey,
        version: this.summary.version!,
        upto,
      });
      Object.assign(this.summary, confirmationFields({ assigned: upto, confirmed: upto - left.count }));
      if (left.count === 0) return;
      if (confirmationOverdue(Date.now(), began, withinMs)) {
        const { message, evidence } = overdue(left);
        await this.regression(message, evidence);
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
    const stage = this.summary.currentStage ?? 'unknown';
    const resumesBefore = this.resumes;
    const sample: ProbeSummary = await probing.probeTargets({
      rolloutId: this.summary.id,
      configKey: this.summary.configKey,
      version: this.summary.version!,
      stage,
      upto: this.position.appliedUpTo,
      timeoutMs: this.summary.health.timeoutMs,
      ...(this.summary.health.compareToBaseline ? { baseline: true } : {}),
      confirmWithinMs: CONFIRM_WITHIN_MS,
    });
    // The sample judges the state a human just resumed from: counting it would undo their resume.
    if (this.resumes !== resumesBefore && patched(Patch.sampleAcrossResume)) return;
    this.judgement.pending = sample.pending ?? 0;
    const verdict = nextHealth(this.judgement.streak, sample, this.summary.health);
    this.judgement.streak = verdict.streak;
    if (this.summary.health.compareToBaseline) await this.inconclusive(verdict.assessment, sample);
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
    return this.summary.analysis !== undefined && analysisApplies(this.position.appliedUpTo, this.summary.totalTargets);
  }

  /**
   * One interval of canary analysis: the activity samples canary and baseline and judges the stage
   * so far; the stage's limits (judge.ts) turn the verdict into continue, roll back or hold.
   */
  private async analyzeOnce(): Promise<void> {
    const analysis = this.summary.analysis!;
    const { position, judgement } = this;
    const stage = this.summary.currentStage ?? 'unknown';
    const run = canaryRunFor(judgement.analysis, position.appliedUpTo, INITIAL_STAGE_STATE);
    const outcome = await probing.analyzeInterval({
      rolloutId: this.summary.id,
      configKey: this.summary.configKey,
      version: this.summary.version!,
      stage,
      upto: position.appliedUpTo,
      interval: run.state.intervals,
      timeoutMs: this.summary.health.timeoutMs,
      analysis,
    });
    const step = nextStageVerdict(run.state, outcome.result, analysis.limits);
    judgement.analysis = { upto: run.upto, state: step.state };
    this.summary.analysisStage = { stage, ...step.state };
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
    const run = canaryRunFor(this.judgement.analysis, this.position.appliedUpTo, INITIAL_STAGE_STATE);
    const { state } = run;
    if (run.fresh || state.lastVerdict === null) return false;
    const outcome = concludeStage(state, this.summary.analysis!.limits);
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
    if (this.judgement.heldInconclusive || this.rollbackRequest) return;
    const stage = this.summary.currentStage ?? undefined;
    this.judgement.heldInconclusive = true;
    this.setState('paused', `inconclusive: ${why}`);
    this.emit('paused', `held for a human: ${why}; resume to go on, rollback to restore`, { source: 'analysis' }, stage);
    await this.commit();
  }

  /**
   * The new version fails, but so does the fleet without it: rolling back would not help, and
   * going on would not be safe. Held for a human, whatever the regression policy.
   */
  private async inconclusive(assessment: IntervalAssessment, sample: ProbeSummary): Promise<void> {
    const next = nextInconclusive(this.judgement.inconclusive ?? 0, assessment, this.summary.health);
    this.judgement.inconclusive = next.count;
    if (!next.hold || this.judgement.heldInconclusive || this.rollbackRequest) return;
    const stage = this.summary.currentStage ?? undefined;
    const why = assessment.reasons.join('; ');
    this.judgement.heldInconclusive = true;
    this.emit('health_inconclusive', why, { source: 'health', consecutiveIntervals: next.count, sample, state: this.summary.state }, stage);
    this.setState('paused', `inconclusive: ${why}`);
    this.emit('paused', 'held for a human: the fleet fails with or without this change; resume to go on, rollback to restore', {}, stage);
    await this.commit();
  }

  /** Applies the regression policy: roll back at once, or hold for a human (once per hold). */
  private async regression(message: string, evidence: Record<string, unknown>): Promise<void> {
    const response = regressionResponse(this.summary.onRegression, this.judgement.heldForRegression, this.summary.state);
    if (response === 'already_held') return;
    const stage = this.summary.currentStage ?? undefined;
    this.emit('regression_detected', message, { ...evidence, policy: this.summary.onRegression, state: this.summary.state }, stage);
    if (response === 'roll_back') {
      this.requestRollback(`regression: ${message}`, evidence);
      await this.commit();
      return;
    }
    this.judgement.heldForRegression = true;
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
    const policy = this.summary.rollback ?? DEFAULT_ROLLBACK;
    this.setState('rolling_back', req.reason);
    // Summary fields only: the commands the workflow sends are the same, so no patch is needed.
    const at = now();
    for (const stageStatus of this.summary.stages) Object.assign(stageStatus, rolledBackStage(stageStatus, at));
    this.emit('rollback_started', `rolling back: ${req.reason}`, req.detail, this.summary.currentStage ?? undefined);
    await this.commit();

    let confirmedOnDelivery: number | undefined;
    for (let attempt = 1; ; attempt++) {
      const pass = await restoring.rollbackTargets({ rolloutId: this.summary.id, configKey: this.summary.configKey });
      const step = rollbackStep(attempt, pass.remaining, policy);
      // Runs from before the count have no `confirmed`: then the message does not claim one.
      if (pass.confirmed !== undefined) confirmedOnDelivery = (confirmedOnDelivery ?? 0) + pass.confirmed;
      this.summary.restoredTargets = pass.restored;
      if (confirmedOnDelivery !== undefined) this.summary.restoredConfirmedTargets = confirmedOnDelivery;
      if (step.kind === 'restored') {
        this.summary.updatedTargets = 0;
        this.setState('rolled_back', req.reason);
        this.emit('rolled_back', rolledBackMessage(pass.touched, confirmedOnDelivery, Date.now() - started), {
          restored: pass.touched,
          ...(confirmedOnDelivery !== undefined ? { confirmedOnDelivery } : {}),
          attempts: attempt,
          durationMs: Date.now() - started,
        });
        await this.finalize('rolled_back');
        return;
      }
      if (step.kind === 'give_up') {
        const named = namedTargets(
          pass.failures.map((failure) => failure.targetId),
          pass.remaining,
        );
        this.setState('failed', `rollback could not restore ${pass.remaining} targets: ${named}`);
        this.emit('failed', `rollback gave up after ${attempt} attempts: ${pass.remaining} targets not restored (${named})`, {
          remaining: pass.remaining,
          unrestored: pass.failures,
          attempts: attempt,
        });
        await this.finalize('failed', pass.failures);
        return;
      }
      this.emit('rollback_attempt', `attempt ${attempt}: ${pass.remaining} of ${pass.touched} targets not restored yet`, {
        attempt,
        remaining: pass.remaining,
        failures: pass.failures,
      });
      await this.commit();
      await sleep(step.backoffMs);
    }
  }

  /** `announce` says what the outcome is, knowing what finalizing counted (null in runs from before the count). */
  private async finalize(
    outcome: FinalizeInput['outcome'],
    unrestored: TargetFailure[] = [],
    announce?: (settled: FinalizeResult | null) => void,
  ): Promise<void> {
    const settled = await bookkeeping.finalizeRollout({
      rolloutId: this.summary.id,
      configKey: this.summary.configKey,
      version: this.summary.version,
      outcome,
      previousStableVersion: this.summary.previousStableVersion,
    });
    announce?.(settled ?? null);
    await this.commit();
    if (outcome === 'failed' && patched(Patch.alertOnFailure)) await this.alert(unrestored);
  }

  /** The failure is already recorded; the alert only tells a human, and its own failure is recorded too. */
  private async alert(unrestored: TargetFailure[]): Promise<void> {
    const input = {
      rolloutId: this.summary.id,
      configKey: this.summary.configKey,
      version: this.summary.version,
      state: this.summary.state,
      reason: this.summary.reason,
      unrestored,
    };
    let sent: AlertResult | null = null;
    let error = '';
    try {
      sent = await alerting.sendAlert(input);
    } catch (err) {
      error = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    }
    const targets = unrestored.map((failure) => failure.targetId);
    if (sent) this.emit('alert', `alert sent (${sent.channel}): rollout ${this.summary.state}`, { ...sent, unrestored: targets });
    else this.emit('alert', `alert could not be delivered: ${error}`, { delivered: false, error, unrestored: targets });
    await this.commit();
  }

  private async continueAsNewIfLong(): Promise<void> {
    const info = workflowInfo();
    if (!info.continueAsNewSuggested && info.historyLength < HISTORY_EVENTS_LIMIT) return;
    await condition(allHandlersFinished);
    await this.commit();
    if (this.input) await continueAsNew<typeof rolloutWorkflow>({ ...this.input, resume: this.checkpoint });
  }
}

function summarizeApply(result: ApplyResult): Record<string, unknown> {
  const out: Record<string, unknown> = { applied: result.applied, pushed: result.pushed, failed: result.failed };
  if (result.failures.length > 0) out.failures = result.failures satisfies TargetFailure[];
  return out;
}

/** A staged rollout of one config change. Its result is the final summary. */
export async function rolloutWorkflow(input: RolloutInput): Promise<RolloutSummary> {
  const run = new RolloutRun(input.resume ?? initialCheckpoint(input), input);
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
  const checkpoint: RolloutCheckpoint = {
    summary: loaded.summary,
    phase: 'done',
    stageIndex: loaded.summary.stages.length,
    stageTargets: loaded.summary.stages.map((stageStatus) => stageStatus.targets),
    appliedUpTo: loaded.summary.totalTargets,
    bakeRemainingMs: 0,
    streak: 0,
    awaitingApproval: false,
    approved: false,
    heldForRegression: false,
    seq: loaded.lastSeq,
    rev: loaded.lastRev,
  };
  const run = new RolloutRun(checkpoint, null);
  setHandler(statusQuery, () => run.summary);
  const actor = input.actor ?? 'unknown';
  const reason = input.reason ?? `fast-track rollback of completed version ${loaded.summary.version} requested by ${actor}`;
  await run.rollBack({ reason, detail: { fastTrack: true, actor } });
  return run.summary;
}
