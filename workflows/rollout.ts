/**
 * The rollout workflow: canary → partial → full, each stage applied in batches and baked while
 * health is probed; a regression rolls every touched target back or holds for a human.
 *
 * Deterministic wiring only. Decisions come from ../domain (stage batches, health verdicts,
 * allowed actions); every side effect is an activity. The whole run state is a small checkpoint, so the
 * workflow can continue as new at any interval and keep its history bounded.
 */
import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  ContinueAsNew,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  AlertResult,
  ApplyResult,
  FinalizeInput,
  FinalizeResult,
  PrepareResult,
  TargetFailure,
  UnconfirmedResult,
} from '../activities';
import { canaryRunFor } from '../domain/analysis';
import {
  bakeClockRuns,
  bakeEndsNow,
  bakeLeftAfterTurn,
  bakeOvertime,
  newVersionLive,
  probeIntervalMs,
  probeWaitMs,
  stageBakeMs,
  watchStep,
  watchWait,
  type WatchKind,
} from '../domain/bake';
import {
  appliedMessage,
  completedMessage,
  CONFIRM_WITHIN_MS,
  confirmationFields,
  confirmationStep,
  rolledBackMessage,
  stageConfirmationWaitMs,
  stageUnconfirmed,
  waveUnconfirmed,
  type RegressionFinding,
} from '../domain/confirmation';
import {
  awaitsApproval,
  controlPlan,
  gateApproval,
  refuseControl,
  refuseReview,
  resumed,
  reviewOutcome,
  rollbackTakenUp,
} from '../domain/controls';
import { INITIAL_STAGE_STATE, nextStageVerdict } from '../domain/judge';
import {
  fleetInconclusive,
  healthRegression,
  nextHealth,
  nextInconclusive,
  sampleOutlived,
  warnsUnmonitored,
  type IntervalAssessment,
  type ProbeSummary,
} from '../domain/health';
import { actionsFor, isTerminal, phaseAfterPrepare, phaseAfterReview, type RolloutState } from '../domain/lifecycle';
import { freezeGateStep, freezeRecheckMs, overriddenAfter } from '../domain/freeze-holds';
import { initialSummary } from '../domain/summary';
import { addsNoTarget, applyBatchSize, applyRegression, applyStartsAt, batches, stageSpan, waveOpenedBy } from '../domain/planning';
import {
  confirmedAfterPass,
  DEFAULT_ROLLBACK,
  holdStarts,
  onRunError,
  regressionResponse,
  rolledBackStageState,
  rollbackStep,
} from '../domain/rollback-plan';
import {
  activityErrorMessage,
  alertEvent,
  analysisEvent,
  analysisHeldMessage,
  appliedDetail,
  approvalRequestedEvent,
  controlDetail,
  errorMessage,
  failedBeforeTouchingMessage,
  fastRollbackReason,
  FLEET_INCONCLUSIVE_HELD_MESSAGE,
  freezeOverriddenEvent,
  frozenEvent,
  gateWaiting,
  inconclusiveReason,
  REGRESSION_HELD_MESSAGE,
  regressionReason,
  rejectedMessage,
  reviewCountedMessage,
  reviewRecord,
  reviewRequestedEvent,
  rollbackAttemptEvent,
  rollbackGaveUp,
  rollbackStartedMessage,
  rolledBackDetail,
  rolloutStartedEvent,
  runErrorReason,
  stageCompletedMessage,
  stageSkippedMessage,
  stageStartedEvent,
  startedThroughFreezeEvent,
  unfrozenMessage,
  UNMONITORED_MESSAGE,
  type EventDetail,
} from '../domain/rollout-events';
import { continueAsNewDue } from '../domain/run-history';
import { analysisJudges, intervalResponse, stageConclusion } from '../domain/stage-analysis';
import type { RolloutEvent, RolloutEventType, RolloutSummary } from '../domain/schemas';
import { alerting, applying, bookkeeping, probing, restoring } from './activity-proxies';
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
import { Patch } from './patches';

export { Patch };

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
  detail: EventDetail;
}

/** One stage of the summary, as the run moves it. */
type StageStatus = RolloutSummary['stages'][number];

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

  /** The stage the run is at, for events: none before the first and after the last. */
  private get stageName(): string | undefined {
    return this.summary.currentStage ?? undefined;
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

  private emit(type: RolloutEventType, message: string, detail: EventDetail = {}, stage?: string): void {
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

  /** Records a review; reviewOutcome decides what it does (a reject ends the rollout, enough approvals start it). */
  private async review(req: ReviewRequest): Promise<RolloutSummary> {
    const reviews = (this.summary.reviews ??= []);
    const { entry, detail } = reviewRecord(req, now());
    const outcome = reviewOutcome(reviews, req, this.summary.requiredApprovals);
    if (outcome.kind === 'rejected') {
      reviews.push(entry);
      this.setState('rejected', outcome.reason);
      this.emit('rejected', rejectedMessage(outcome.reason), detail);
    } else if (outcome.kind === 'counted') {
      reviews.push(entry);
      const { approvals, required } = outcome;
      this.emit('reviewed', reviewCountedMessage(req.by, approvals, required), { ...detail, approvals, required });
      if (outcome.starts) this.setState('running', null);
      else this.setState('pending_review', outcome.waitingReason);
    }
    await this.commit();
    return this.summary;
  }

  /** Carries out what controlPlan decides for the request; a rollback returns once it is taken up. */
  private async control(req: ControlRequest): Promise<RolloutSummary> {
    const who = controlDetail(req);
    const stage = this.stageName;
    const plan = controlPlan(req, {
      state: this.summary.state,
      awaitingApproval: this.judgement.awaitingApproval,
      requiredApprovals: this.summary.requiredApprovals,
    });
    switch (plan.kind) {
      case 'pause':
        this.judgement.humanPaused = true;
        this.setState('paused', plan.reason);
        this.emit('paused', plan.message, who, stage);
        break;
      case 'go_on':
        if (plan.countsGateApproval && !this.gateApproved(who.actor, stage)) {
          await this.commit();
          return this.summary;
        }
        if (plan.opensGate !== null) {
          this.judgement.awaitingApproval = false;
          this.judgement.approved = true;
          this.emit('approved', plan.opensGate, who, stage);
        }
        if (plan.resumes !== null) this.emit('resumed', plan.resumes, who, stage);
        if (req.override) this.overrideFreezes(who.actor, req.override.reason, stage);
        Object.assign(this.judgement, resumed(this.judgement));
        this.resumes += 1;
        this.setState('running', null);
        break;
      case 'rollback':
        this.emit('rollback_requested', plan.message, who, stage);
        this.requestRollback(plan.reason, who);
        break;
    }
    this.nudged = true;
    await this.commit();
    if (plan.kind === 'rollback') await condition(() => rollbackTakenUp(this.summary.state));
    return this.summary;
  }

  /** Counts one approval of the current gate under four eyes (gateApproval): true once it has enough. */
  private gateApproved(actor: string, stage: string | undefined): boolean {
    const gate = gateApproval(this.judgement.gateApprovers ?? [], actor, this.summary.requiredApprovals);
    if (gate.counted) (this.summary.approvals ??= []).push({ stage: stage ?? '', by: actor, at: now() });
    this.judgement.gateApprovers = gate.approvers;
    if (gate.passed) return true;
    const waiting = gateWaiting(actor, gate.approvers.length, gate.required, stage);
    this.emit('approved', waiting.message, waiting.detail, stage);
    this.setState('awaiting_approval', waiting.reason);
    return false;
  }

  /** An admin resumed through the freezes that hold the rollout now: they no longer hold it (later ones will). */
  private overrideFreezes(actor: string, reason: string, stage: string | undefined): void {
    const holds = this.judgement.freezeHolds ?? [];
    this.judgement.overriddenFreezes = overriddenAfter(this.judgement.overriddenFreezes ?? [], holds);
    this.summary.override = true;
    this.summary.overrideReason = reason;
    const event = freezeOverriddenEvent(actor, reason, holds);
    this.emit('freeze_overridden', event.message, event.detail, stage);
  }

  private requestRollback(reason: string, detail: EventDetail): void {
    if (this.rollbackRequest) return;
    this.rollbackRequest = { reason, detail };
    this.progressScope.cancel();
  }

  private throwIfRollbackRequested(): void {
    if (this.rollbackRequest) throw new CancelledFailure('rollback requested');
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
        const message = errorMessage(err);
        if (onRunError(this.summary.updatedTargets, this.position.phase) === 'fail') {
          this.setState('failed', message);
          this.emit('failed', failedBeforeTouchingMessage(message), { error: message });
          await this.finalize('failed');
          return this.summary;
        }
        this.rollbackRequest = { reason: runErrorReason(message), detail: { error: message } };
      }
    }
    if (this.rollbackRequest) await this.rollBack(this.rollbackRequest);
    await condition(allHandlersFinished);
    return this.summary;
  }

  /**
   * The product card, top to bottom: prepare, review, then per stage gate → apply → bake, then done.
   * Every await here stays inline (the steps between them are synchronous methods): an update
   * handler races this loop for the next command, and an extra async hop would reorder the
   * commands of recorded histories.
   */
  private async progress(): Promise<void> {
    const { position, judgement } = this;
    if (position.phase === 'prepare') {
      const prepared = await bookkeeping.prepareRollout({
        rolloutId: this.summary.id,
        configKey: this.summary.configKey,
        percents: this.summary.stages.map((stageStatus) => stageStatus.percent),
        createdAt: this.summary.createdAt,
      });
      this.planPrepared(prepared);
      await this.commit();
    }

    if (position.phase === 'review') {
      // Held here, no target touched, the config key still held by this workflow's id.
      await condition(() => this.summary.state !== 'pending_review');
      position.phase = phaseAfterReview(this.summary.state);
      if (position.phase === 'done') {
        await this.finalize('rejected');
        return;
      }
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
          this.emit('stage_skipped', stageSkippedMessage(stage.name, from, this.summary.totalTargets), {}, stage.name);
          await this.commit();
          position.stageIndex += 1;
          continue;
        }
        const wave = waveOpenedBy(this.summary.stages, stageIndex, from);
        if (wave !== null && patched(Patch.waveGate)) await this.waveGate(from, wave);
        if (awaitsApproval(stage, judgement.approved)) {
          this.requestApproval(stage.name, to - from);
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
        this.startStage(stage, span);
        await this.commit();
      }

      if (position.phase === 'apply') {
        const batchSize = applyBatchSize(patched(Patch.largerApplyBatches));
        for (const batch of batches(position.appliedUpTo, to, batchSize)) {
          if (this.summary.state !== 'running') await this.monitor('hold');
          const applied = await applying.applyBatch({
            rolloutId: this.summary.id,
            configKey: this.summary.configKey,
            version: this.summary.version!,
            ...batch,
          });
          this.recordApplied(stage.name, batch, applied);
          const failed = applyRegression(applied);
          if (failed) await this.regression(failed.message, failed.evidence);
          await this.commit();
        }
        const confirmWithinMs = stageConfirmationWaitMs(this.input?.policy);
        if (confirmWithinMs !== null) await this.stageConfirmation(to, stage.name, confirmWithinMs);
        this.startBake(stage);
        await this.commit();
      }

      if (position.phase === 'bake') {
        await this.monitor('bake');
        this.completeStage(stage);
        await this.commit();
      }
    }

    this.completeRollout();
    await this.finalize('completed', [], (settled) => this.announceCompleted(settled));
  }

  /* ---------- the steps between the awaits (synchronous) ---------- */

  /** The version and plan are known: the rollout waits for review or goes to its first gate. */
  private planPrepared(prepared: PrepareResult): void {
    const { position } = this;
    this.summary.version = prepared.version;
    this.summary.totalTargets = prepared.totalTargets;
    this.summary.previousStableVersion = prepared.previousStableVersion;
    this.summary.stages.forEach((stageStatus, i) => (stageStatus.targets = prepared.stageTargets[i] ?? 0));
    position.stageTargets = prepared.stageTargets;
    position.phase = phaseAfterPrepare(this.summary.state);
    if (position.phase === 'review') {
      const event = reviewRequestedEvent({
        version: prepared.version,
        configKey: this.summary.configKey,
        totalTargets: prepared.totalTargets,
        required: this.summary.requiredApprovals ?? 0,
        submittedBy: this.summary.submittedBy,
      });
      this.emit('review_requested', event.message, event.detail);
    } else {
      this.emitStarted();
    }
  }

  private requestApproval(stage: string, targets: number): void {
    this.judgement.awaitingApproval = true;
    const event = approvalRequestedEvent(stage, targets);
    this.setState('awaiting_approval', event.reason);
    this.emit('approval_requested', event.message, event.detail, stage);
  }

  /** Past its gates: the stage applies from where the plan (or an earlier run) got to. */
  private startStage(stage: StageStatus, span: { from: number; to: number }): void {
    const { position } = this;
    this.judgement.approved = false;
    position.phase = 'apply';
    position.appliedUpTo = applyStartsAt(position.appliedUpTo, span.from);
    stage.state = 'applying';
    stage.startedAt = now();
    const event = stageStartedEvent(stage.name, span.from, span.to, this.summary.totalTargets);
    this.emit('stage_started', event.message, event.detail, stage.name);
  }

  private recordApplied(stage: string, batch: { from: number; to: number }, applied: ApplyResult): void {
    this.position.appliedUpTo = batch.to;
    this.summary.updatedTargets = batch.to;
    this.emit('applied', appliedMessage(batch, this.summary.totalTargets, applied), appliedDetail(batch, applied), stage);
  }

  /** Every target of the stage is assigned (and confirmed, if the policy asks): its bake clock starts. */
  private startBake(stage: StageStatus): void {
    this.position.phase = 'bake';
    this.position.bakeRemainingMs = stageBakeMs(stage.bakeSeconds);
    this.judgement.streak = 0;
    stage.state = 'baking';
  }

  private completeStage(stage: StageStatus): void {
    stage.state = 'completed';
    stage.finishedAt = now();
    this.emit('stage_completed', stageCompletedMessage(stage.name, stage.bakeSeconds), {}, stage.name);
    this.position.stageIndex += 1;
    this.position.phase = 'gate';
  }

  private completeRollout(): void {
    this.position.phase = 'done';
    this.summary.currentStage = null;
    this.summary.currentStageIndex = null;
    this.setState('completed', null);
  }

  /** The completed event says what finalizing counted as confirmed (nothing, in runs from before the count). */
  private announceCompleted(settled: FinalizeResult | null): void {
    const known = { assigned: this.summary.totalTargets, confirmed: settled?.confirmed };
    Object.assign(this.summary, confirmationFields(known));
    this.emit('completed', completedMessage(this.summary.version, known), {
      version: this.summary.version,
      ...confirmationFields(known),
    });
  }

  private emitStarted(): void {
    const started = rolloutStartedEvent(this.summary, this.position.stageTargets);
    this.emit('rollout_started', started.message, started.detail);
    const throughFreeze = startedThroughFreezeEvent(this.input?.override);
    if (throughFreeze) this.emit('freeze_overridden', throughFreeze.message, throughFreeze.detail);
  }

  /**
   * Probes the targets on the new version every interval while the rollout bakes, waits for an
   * approval, or is held: health is watched wherever the new version is live. Returns when the
   * bake time has run (counting only time spent running), the gate is approved, or the hold ends.
   */
  private async monitor(kind: WatchKind): Promise<void> {
    const { position, judgement } = this;
    const intervalMs = probeIntervalMs(this.summary.health);
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
        } else if (bakeEndsNow(judgement, () => patched(Patch.bakeEndsSettled))) return;
      }

      const started = Date.now();
      const live = newVersionLive(position.appliedUpTo);
      this.nudged = false;
      if (live) await this.probeOnce();
      // A regression found by this probe cancelled the run; without a wait left to observe that
      // cancellation, the bake would end and the next stage (or completion) would be recorded.
      if (this.rollbackRequest && patched(Patch.stopAtRegression)) throw new CancelledFailure('rollback requested');
      const probeMs = Date.now() - started;
      probed = true;
      const baking = bakeClockRuns(kind, this.summary.state === 'running');
      const overtime = bakeOvertime({ baking, bakeRemainingMs: position.bakeRemainingMs, analyzed: this.analyzed(), runs: judgement }, () =>
        patched(Patch.bakeEndsSettled),
      );
      const wait = watchWait({
        live,
        baking,
        overtime,
        intervalMs,
        elapsedMs: Date.now() - started,
        bakeRemainingMs: position.bakeRemainingMs,
      });
      if (wait.kind === 'until_nudged') await condition(() => this.nudged);
      else if (wait.kind === 'timer') await condition(() => this.nudged, wait.ms);
      position.bakeRemainingMs = bakeLeftAfterTurn(
        {
          bakeRemainingMs: position.bakeRemainingMs,
          baking,
          runningNow: this.summary.state === 'running',
          elapsedMs: Date.now() - started,
          probeMs,
          intervalMs,
          probeTimeoutMs: this.summary.health.timeoutMs,
        },
        () => patched(Patch.bakeCountsObservedTime),
      );
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
    const stage = this.stageName;
    const intervalMs = probeIntervalMs(this.summary.health);
    for (;;) {
      const started = Date.now();
      const check = await bookkeeping.checkFreeze({ configKey: this.summary.configKey, windows: this.input?.policy?.freeze ?? [] });
      const step = freezeGateStep(check.holds, {
        overridden: judgement.overriddenFreezes ?? [],
        announced: judgement.freezeHolds ?? [],
        state: this.summary.state,
        reason: this.summary.reason,
      });
      if (step.kind === 'clear') return;
      if (step.kind === 'lifted') {
        judgement.freezeHolds = [];
        if (step.announce) this.emit('unfrozen', unfrozenMessage(stage), {}, stage);
        if (step.resumes) this.setState('running', null);
        await this.commit();
        return;
      }
      if (step.announce) {
        judgement.freezeHolds = step.holds;
        const event = frozenEvent(stage, step.holds);
        this.emit('frozen', event.message, event.detail, stage);
        if (step.pauses) this.setState('paused', event.reason);
        await this.commit();
      }
      this.nudged = false;
      if (newVersionLive(position.appliedUpTo)) await this.probeOnce();
      this.throwIfRollbackRequested();
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
    await this.awaitConfirmation(upto, CONFIRM_WITHIN_MS, (left) => waveUnconfirmed(left, wave, this.summary.version));
  }

  /**
   * Under a policy that requires confirmation (`confirmWithinSeconds`): the stage counts as applied
   * once every target it assigned confirms the new version; one still unconfirmed when the wait
   * runs out is a regression (rolled back, or held for a human, by the rollout's onRegression).
   */
  private async stageConfirmation(upto: number, stage: string, withinMs: number): Promise<void> {
    await this.awaitConfirmation(upto, withinMs, (left) => stageUnconfirmed(left, upto, stage, this.summary.version, withinMs));
  }

  /**
   * Waits, probing health every interval, until every target of plan entries [0, upto) confirms the
   * new version, or `withinMs` has passed: then what is left is a regression.
   */
  private async awaitConfirmation(upto: number, withinMs: number, overdue: (left: UnconfirmedResult) => RegressionFinding): Promise<void> {
    const began = Date.now();
    const intervalMs = probeIntervalMs(this.summary.health);
    for (;;) {
      const started = Date.now();
      const left = await bookkeeping.unconfirmedTargets({
        rolloutId: this.summary.id,
        configKey: this.summary.configKey,
        version: this.summary.version!,
        upto,
      });
      Object.assign(this.summary, confirmationFields({ assigned: upto, confirmed: upto - left.count }));
      const step = confirmationStep(left.count, Date.now(), began, withinMs);
      if (step === 'confirmed') return;
      if (step === 'overdue') {
        const { message, evidence } = overdue(left);
        await this.regression(message, evidence);
        this.throwIfRollbackRequested();
        return;
      }
      this.nudged = false;
      await this.probeOnce();
      this.throwIfRollbackRequested();
      const wait = probeWaitMs({ intervalMs, elapsedMs: Date.now() - started, bakeRemainingMs: null });
      if (wait > 0) await condition(() => this.nudged, wait);
    }
  }

  /* ---------- health ---------- */

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
    if (sampleOutlived(resumesBefore, this.resumes, () => patched(Patch.sampleAcrossResume))) return;
    this.judgement.pending = sample.pending ?? 0;
    const verdict = nextHealth(this.judgement.streak, sample, this.summary.health);
    this.judgement.streak = verdict.streak;
    if (this.summary.health.compareToBaseline) await this.inconclusive(verdict.assessment, sample);
    if (warnsUnmonitored(verdict.assessment, this.warnedUnmonitored)) {
      this.warnedUnmonitored = true;
      this.emit('health_unmonitored', UNMONITORED_MESSAGE, { unobserved: sample.unobserved }, stage);
      await this.commit();
    }
    if (verdict.regressed) {
      const { message, evidence } = healthRegression(verdict, sample);
      await this.regression(message, evidence);
    }
  }

  /**
   * The new version fails, but so does the fleet without it: rolling back would not help, and
   * going on would not be safe. Held for a human, whatever the regression policy.
   */
  private async inconclusive(assessment: IntervalAssessment, sample: ProbeSummary): Promise<void> {
    const next = nextInconclusive(this.judgement.inconclusive ?? 0, assessment, this.summary.health);
    this.judgement.inconclusive = next.count;
    if (!next.hold || !holdStarts(this.judgement.heldInconclusive, this.rollbackRequest !== null)) return;
    const stage = this.stageName;
    const { why, detail } = fleetInconclusive(assessment, next.count, sample, this.summary.state);
    this.judgement.heldInconclusive = true;
    this.emit('health_inconclusive', why, detail, stage);
    this.setState('paused', inconclusiveReason(why));
    this.emit('paused', FLEET_INCONCLUSIVE_HELD_MESSAGE, {}, stage);
    await this.commit();
  }

  /* ---------- canary analysis ---------- */

  /** Canary analysis judges this stage: it was asked for, and a baseline is left to compare with. */
  private analyzed(): boolean {
    return analysisJudges(this.summary.analysis, this.position.appliedUpTo, this.summary.totalTargets);
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
    const event = analysisEvent(step, outcome, analysis.limits);
    this.emit('analysis', event.message, event.detail, stage);
    await this.commit();
    const response = intervalResponse(step, outcome.result, analysis.limits);
    if (response.kind === 'rollback') await this.regression(response.message, response.evidence);
    else if (response.kind === 'hold') await this.holdForAnalysis(response.why);
  }

  /**
   * At the end of a bake under analysis: true when the stage may promote. A stage with no verdict
   * yet keeps probing; one that ended inconclusive or marginal holds for a human, never promotes.
   */
  private async concludeAnalysis(): Promise<boolean> {
    const run = canaryRunFor(this.judgement.analysis, this.position.appliedUpTo, INITIAL_STAGE_STATE);
    const conclusion = stageConclusion(run, this.summary.analysis!.limits);
    switch (conclusion.kind) {
      case 'keep_probing':
        return false;
      case 'promote':
        return true;
      case 'rollback':
        await this.regression(conclusion.message, conclusion.evidence);
        this.throwIfRollbackRequested();
        return false;
      case 'hold':
        await this.holdForAnalysis(conclusion.why);
        return false;
    }
  }

  /** The analysis cannot tell: held for a human (once per hold), whatever the regression policy. */
  private async holdForAnalysis(why: string): Promise<void> {
    if (!holdStarts(this.judgement.heldInconclusive, this.rollbackRequest !== null)) return;
    this.judgement.heldInconclusive = true;
    this.setState('paused', inconclusiveReason(why));
    this.emit('paused', analysisHeldMessage(why), { source: 'analysis' }, this.stageName);
    await this.commit();
  }

  /* ---------- regression, rollback, the end ---------- */

  /** Applies the regression policy: roll back at once, or hold for a human (once per hold). */
  private async regression(message: string, evidence: EventDetail): Promise<void> {
    const response = regressionResponse(this.summary.onRegression, this.judgement.heldForRegression, this.summary.state);
    if (response === 'already_held') return;
    const stage = this.stageName;
    this.emit('regression_detected', message, { ...evidence, policy: this.summary.onRegression, state: this.summary.state }, stage);
    if (response === 'roll_back') {
      this.requestRollback(regressionReason(message), evidence);
      await this.commit();
      return;
    }
    this.judgement.heldForRegression = true;
    this.setState('paused', regressionReason(message));
    this.emit('paused', REGRESSION_HELD_MESSAGE, {}, stage);
    await this.commit();
  }

  /**
   * Returns every touched target to its previous version. Passes over what is left until nothing
   * is, or the attempts run out (rollbackStep): then the rollout is `failed`, naming the targets it
   * could not restore. It never ends quietly with a target on the bad version.
   */
  async rollBack(req: RollbackRequest): Promise<void> {
    const started = Date.now();
    const policy = this.summary.rollback ?? DEFAULT_ROLLBACK;
    this.setState('rolling_back', req.reason);
    for (const stageStatus of this.summary.stages) stageStatus.state = rolledBackStageState(stageStatus.state);
    this.emit('rollback_started', rollbackStartedMessage(req.reason), req.detail, this.stageName);
    await this.commit();

    let confirmedOnDelivery: number | undefined;
    for (let attempt = 1; ; attempt++) {
      const pass = await restoring.rollbackTargets({ rolloutId: this.summary.id, configKey: this.summary.configKey });
      const step = rollbackStep(attempt, pass.remaining, policy);
      confirmedOnDelivery = confirmedAfterPass(confirmedOnDelivery, pass.confirmed);
      this.summary.restoredTargets = pass.restored;
      if (confirmedOnDelivery !== undefined) this.summary.restoredConfirmedTargets = confirmedOnDelivery;
      if (step.kind === 'restored') {
        this.summary.updatedTargets = 0;
        this.setState('rolled_back', req.reason);
        this.emit(
          'rolled_back',
          rolledBackMessage(pass.touched, confirmedOnDelivery, Date.now() - started),
          rolledBackDetail(pass.touched, confirmedOnDelivery, attempt, Date.now() - started),
        );
        await this.finalize('rolled_back');
        return;
      }
      if (step.kind === 'give_up') {
        const gaveUp = rollbackGaveUp(attempt, pass.remaining, pass.failures);
        this.setState('failed', gaveUp.reason);
        this.emit('failed', gaveUp.message, gaveUp.detail);
        await this.finalize('failed', pass.failures);
        return;
      }
      const attempted = rollbackAttemptEvent(attempt, pass);
      this.emit('rollback_attempt', attempted.message, attempted.detail);
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
      error = activityErrorMessage(err);
    }
    const event = alertEvent(
      sent,
      error,
      this.summary.state,
      unrestored.map((failure) => failure.targetId),
    );
    this.emit('alert', event.message, event.detail);
    await this.commit();
  }

  private async continueAsNewIfLong(): Promise<void> {
    if (!continueAsNewDue(workflowInfo())) return;
    await condition(allHandlersFinished);
    await this.commit();
    if (this.input) await continueAsNew<typeof rolloutWorkflow>({ ...this.input, resume: this.checkpoint });
  }
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
  const reason = input.reason ?? fastRollbackReason(loaded.summary.version, actor);
  await run.rollBack({ reason, detail: { fastTrack: true, actor } });
  return run.summary;
}
