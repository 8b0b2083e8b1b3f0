/**
 * The rollout workflow: canary → partial → full, each stage applied in batches and baked while
 * health is probed; a regression rolls every touched target back or holds for a human.
 *
 * Deterministic wiring only, read top to bottom as the product card: prepare, review, then per
 * stage the gates, apply and bake, then done. Every decision (which state, what counts, what
 * resets, how long to wait, what an event says) is a pure function in ../domain; every side effect
 * is an activity. Below RolloutRun lie its watches (rollout-watch.ts), probes (rollout-probes.ts)
 * and record (rollout-record.ts). The whole run state is a small checkpoint, so the workflow can
 * continue as new at any interval and keep its history bounded.
 */
import {
  ApplicationFailure,
  ContinueAsNew,
  allHandlersFinished,
  condition,
  isCancellation,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ApplyResult, FinalizeResult, PrepareResult } from '../activities';
import { stageBakeMs } from '../domain/bake';
import { appliedMessage, completedMessage, confirmationFields, stageConfirmationWaitMs } from '../domain/confirmation';
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
import { isTerminal, phaseAfterPrepare, phaseAfterReview } from '../domain/lifecycle';
import { overriddenAfter } from '../domain/freeze-holds';
import { initialSummary } from '../domain/summary';
import { addsNoTarget, applyBatchSize, applyRegression, applyStartsAt, batches, stageSpan, waveOpenedBy } from '../domain/planning';
import { onRunError } from '../domain/rollback-plan';
import {
  appliedDetail,
  approvalRequestedEvent,
  controlDetail,
  errorMessage,
  failedBeforeTouchingMessage,
  fastRollbackReason,
  freezeOverriddenEvent,
  gateWaiting,
  rejectedMessage,
  reviewCountedMessage,
  reviewRecord,
  reviewRequestedEvent,
  rolloutStartedEvent,
  runErrorReason,
  stageCompletedMessage,
  stageSkippedMessage,
  stageStartedEvent,
  startedThroughFreezeEvent,
} from '../domain/rollout-events';
import type { RolloutSummary } from '../domain/schemas';
import { applying, bookkeeping } from './activity-proxies';
import {
  controlUpdate,
  preparedUpdate,
  reviewUpdate,
  statusQuery,
  type ControlRequest,
  type FastRollbackInput,
  type ReviewRequest,
  type RolloutCheckpoint,
  type RolloutInput,
} from './definitions';
import { Patch } from './patches';
import { now } from './rollout-record';
import { WatchingRun } from './rollout-watch';

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

/** One stage of the summary, as the run moves it. */
type StageStatus = RolloutSummary['stages'][number];

/**
 * One rollout run: its handlers and the sequence that moves it, top to bottom. Its probes
 * (rollout-probes.ts), watches (rollout-watch.ts) and record (rollout-record.ts) are the layers
 * below; the decisions are domain/'s.
 */
class RolloutRun extends WatchingRun {
  installHandlers(): void {
    setHandler(statusQuery, () => this.summary);
    setHandler(controlUpdate, (req) => this.control(req), { validator: (req: ControlRequest) => this.validate(req) });
    setHandler(reviewUpdate, (req) => this.review(req), { validator: (req: ReviewRequest) => this.validateReview(req) });
    setHandler(preparedUpdate, async () => {
      await condition(() => this.summary.version !== null || isTerminal(this.summary.state));
      return this.summary;
    });
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
