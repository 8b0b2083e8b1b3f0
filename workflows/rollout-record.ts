/**
 * A rollout run's record and its ways out: the checkpoint it carries, the events it emits and
 * commits to the read model, and what a regression, a rollback and the end of the run do.
 * The first layer of RolloutRun (workflows/rollout.ts); deterministic workflow code only.
 */
import {
  CancellationScope,
  CancelledFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { AlertResult, FinalizeInput, FinalizeResult, TargetFailure } from '../activities';
import { rolledBackMessage } from '../domain/confirmation';
import { actionsFor, type RolloutState } from '../domain/lifecycle';
import { confirmedAfterPass, DEFAULT_ROLLBACK, regressionResponse, rolledBackStage, rollbackStep } from '../domain/rollback-plan';
import {
  activityErrorMessage,
  alertEvent,
  REGRESSION_HELD_MESSAGE,
  regressionReason,
  rollbackAttemptEvent,
  rollbackGaveUp,
  rollbackStartedMessage,
  rolledBackDetail,
  type EventDetail,
} from '../domain/rollout-events';
import { continueAsNewDue } from '../domain/run-history';
import type { RolloutEvent, RolloutEventType, RolloutSummary } from '../domain/schemas';
import { alerting, bookkeeping, restoring } from './activity-proxies';
import type { RolloutCheckpoint, RolloutJudgement, RolloutPosition, RolloutInput } from './definitions';
import { Patch } from './patches';
import type { rolloutWorkflow } from './rollout';

export function now(): string {
  return new Date().toISOString();
}

export interface RollbackRequest {
  reason: string;
  detail: EventDetail;
}

/** The record of one rollout run; RolloutRun (workflows/rollout.ts) is this, its probes and its watches. */
export abstract class RunRecord {
  private pending: RolloutEvent[] = [];
  private commits: Promise<void> = Promise.resolve();
  /** Wakes a waiting monitor loop early when a human acts. */
  protected nudged = false;
  protected rollbackRequest: RollbackRequest | null = null;
  /** The scope of the stages: a rollback request cancels it. */
  protected readonly progressScope = new CancellationScope();
  protected warnedUnmonitored = false;
  /** Counts resumes and approvals, so a probe in flight across one can tell (Patch.sampleAcrossResume). */
  protected resumes = 0;

  constructor(
    readonly checkpoint: RolloutCheckpoint,
    protected readonly input: RolloutInput | null,
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
  protected get stageName(): string | undefined {
    return this.summary.currentStage ?? undefined;
  }

  /* ---------- bookkeeping ---------- */

  protected emit(type: RolloutEventType, message: string, detail: EventDetail = {}, stage?: string): void {
    this.checkpoint.seq += 1;
    this.pending.push({ seq: this.checkpoint.seq, at: now(), type, ...(stage !== undefined ? { stage } : {}), message, detail });
  }

  protected setState(state: RolloutState, reason: string | null = this.summary.reason): void {
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

  protected requestRollback(reason: string, detail: EventDetail): void {
    if (this.rollbackRequest) return;
    this.rollbackRequest = { reason, detail };
    this.progressScope.cancel();
  }

  protected throwIfRollbackRequested(): void {
    if (this.rollbackRequest) throw new CancelledFailure('rollback requested');
  }

  /* ---------- regression, rollback, the end ---------- */

  /** Applies the regression policy: roll back at once, or hold for a human (once per hold). */
  protected async regression(message: string, evidence: EventDetail): Promise<void> {
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
    // Summary fields only: the commands the workflow sends are the same, so no patch is needed.
    const at = now();
    for (const stageStatus of this.summary.stages) Object.assign(stageStatus, rolledBackStage(stageStatus, at));
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
  protected async finalize(
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
  protected async alert(unrestored: TargetFailure[]): Promise<void> {
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

  protected async continueAsNewIfLong(): Promise<void> {
    if (!continueAsNewDue(workflowInfo())) return;
    await condition(allHandlersFinished);
    await this.commit();
    if (this.input) await continueAsNew<typeof rolloutWorkflow>({ ...this.input, resume: this.checkpoint });
  }
}
