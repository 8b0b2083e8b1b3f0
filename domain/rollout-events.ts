/**
 * What a rollout says: the message and detail of each event it records, and the reason its state
 * carries while it is paused, held, failed or rolled back. One place for the words, so the workflow
 * only says when; the dashboard, the CLI and the notifications read them as they are written here.
 * Pure and free of runtime imports but for domain modules the workflow bundle already runs.
 */
import type { CanaryAnalysisResult, CanaryStageLimits, CanaryStageState } from './analysis-schemas';
import { describeHolds } from './freeze-holds';
import { FROZEN_REASON_PREFIX } from './lifecycle';
import type { StageStep } from './judge';
import type { FreezeHold } from './policy';
import { namedTargets } from './rollback-plan';
import type { TargetFailure } from './schemas';
import { pluralApprovals } from './summary';

export type EventDetail = Record<string, unknown>;

/** An event's words: its message and its detail. */
export interface EventText {
  message: string;
  detail: EventDetail;
}

/** The message of anything thrown, as the failed event and the rollback reason name it. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** An activity's failure names its cause (the activity's own error), not the wrapper around it. */
export function activityErrorMessage(err: unknown): string {
  return err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
}

/* ---------- start and review ---------- */

export interface StartedRollout {
  version: number | null;
  configKey: string;
  totalTargets: number;
  previousStableVersion: number | null;
  submittedBy?: string | undefined;
  emergency?: boolean | undefined;
  emergencyReason?: string | undefined;
  override?: boolean | undefined;
  overrideReason?: string | undefined;
}

export function rolloutStartedEvent(rollout: StartedRollout, stageTargets: readonly number[]): EventText {
  return {
    message: `version ${rollout.version} of ${rollout.configKey} to ${rollout.totalTargets} targets${rollout.emergency ? ' (EMERGENCY)' : ''}`,
    detail: {
      version: rollout.version,
      totalTargets: rollout.totalTargets,
      stageTargets,
      previousStableVersion: rollout.previousStableVersion,
      ...(rollout.submittedBy ? { submittedBy: rollout.submittedBy } : {}),
      ...(rollout.emergency ? { emergency: true, emergencyReason: rollout.emergencyReason } : {}),
      ...(rollout.override ? { override: true, overrideReason: rollout.overrideReason } : {}),
    },
  };
}

/** An admin started the rollout through freezes: said once, at the start. Null when no freeze was gone through. */
export function startedThroughFreezeEvent(
  override: { by: string; reason: string; freezes: readonly string[] } | undefined,
): EventText | null {
  if (!override || override.freezes.length === 0) return null;
  return {
    message: `${override.by} started it through a freeze: ${override.reason}`,
    detail: { actor: override.by, reason: override.reason, freezes: override.freezes },
  };
}

export function reviewRequestedEvent(r: {
  version: number;
  configKey: string;
  totalTargets: number;
  required: number;
  submittedBy?: string | undefined;
}): EventText {
  return {
    message: `version ${r.version} of ${r.configKey} waits for ${pluralApprovals(r.required)} before it starts`,
    detail: { version: r.version, totalTargets: r.totalTargets, required: r.required, submittedBy: r.submittedBy },
  };
}

export interface ReviewGiven {
  by: string;
  decision: 'approve' | 'reject';
  comment?: string | undefined;
}

/** A review as the summary keeps it, and the detail of the event that records it. */
export function reviewRecord(review: ReviewGiven, at: string): { entry: ReviewGiven & { at: string }; detail: EventDetail } {
  const comment = review.comment ? { comment: review.comment } : {};
  return {
    entry: { by: review.by, decision: review.decision, ...comment, at },
    detail: { actor: review.by, decision: review.decision, ...comment },
  };
}

export function rejectedMessage(reason: string): string {
  return `${reason}; no target was touched`;
}

export function reviewCountedMessage(by: string, approvals: number, required: number): string {
  return `approved by ${by} (${approvals} of ${required})`;
}

/* ---------- human control ---------- */

/** Who acted, and why if they said: the detail of every control event. */
export function controlDetail(req: { actor?: string | undefined; reason?: string | undefined }): { actor: string; reason?: string } {
  return { actor: req.actor ?? 'unknown', ...(req.reason ? { reason: req.reason } : {}) };
}

/** One approval of a gate under four eyes that is not yet enough: the event, and the reason the rollout waits with. */
export function gateWaiting(
  actor: string,
  approvals: number,
  required: number,
  stage: string | undefined,
): { message: string; detail: EventDetail; reason: string } {
  return {
    message: `approved by ${actor} (${approvals} of ${required}); waiting for more`,
    detail: { actor, approvals, required },
    reason: `stage ${stage ?? ''} needs ${pluralApprovals(required - approvals, true)}`,
  };
}

/** An admin resumed through the freezes that hold the rollout now. */
export function freezeOverriddenEvent(actor: string, reason: string, holds: readonly FreezeHold[]): EventText {
  const through = holds.length > 0 ? describeHolds(holds) : 'no freeze holds it now';
  return { message: `${actor} resumed through the freeze (${through}): ${reason}`, detail: { actor, reason, holds } };
}

/* ---------- stages ---------- */

export function stageSkippedMessage(stage: string, from: number, totalTargets: number): string {
  return `stage ${stage} adds no target (${from} of ${totalTargets} already updated)`;
}

export function approvalRequestedEvent(stage: string, targets: number): EventText & { reason: string } {
  return { reason: `stage ${stage} needs approval`, message: `stage ${stage} waits for approval`, detail: { targets } };
}

export function stageStartedEvent(stage: string, from: number, to: number, totalTargets: number): EventText {
  return { message: `stage ${stage}: ${to - from} more targets (${to} of ${totalTargets})`, detail: { from, to } };
}

export function stageCompletedMessage(stage: string, bakeSeconds: number): string {
  return `stage ${stage} healthy after ${bakeSeconds} s bake`;
}

/** An applied batch's detail: its range and counts, and the failures when there were any. */
export function appliedDetail(
  batch: { from: number; to: number },
  result: { applied: number; pushed: number; failed: number; failures: readonly TargetFailure[] },
): EventDetail {
  const counts: EventDetail = { applied: result.applied, pushed: result.pushed, failed: result.failed };
  if (result.failures.length > 0) counts.failures = result.failures;
  return { ...batch, ...counts };
}

/* ---------- freezes ---------- */

export function unfrozenMessage(stage: string | undefined): string {
  return `the freeze lifted: stage ${stage ?? ''} may go on`;
}

export function frozenEvent(stage: string | undefined, holds: readonly FreezeHold[]): EventText & { reason: string } {
  const why = describeHolds(holds);
  return { message: `holding before stage ${stage ?? ''}: ${why}`, detail: { holds }, reason: `${FROZEN_REASON_PREFIX}: ${why}` };
}

/* ---------- health, analysis and holds ---------- */

export const UNMONITORED_MESSAGE = 'no target on the new version has a health URL or reports its version';

export interface AnalyzedInterval {
  canaryTargets: number;
  baselineTargets: number;
  excluded: number;
  result: CanaryAnalysisResult;
}

/** One interval of canary analysis: its verdict, and what the stage's limits made of it. */
export function analysisEvent(step: StageStep, outcome: AnalyzedInterval, limits: CanaryStageLimits): EventText {
  const { result } = outcome;
  return {
    message: `interval ${step.state.intervals}: ${result.verdict} (score ${result.score}): ${result.message}`,
    detail: {
      verdict: result.verdict,
      score: result.score,
      decision: step.decision,
      canaryTargets: outcome.canaryTargets,
      baselineTargets: outcome.baselineTargets,
      excluded: outcome.excluded,
      stageState: step.state,
      limits,
      metrics: result.metrics,
    },
  };
}

/** Held because the evidence cannot tell: the reason of the pause. */
export function inconclusiveReason(why: string): string {
  return `inconclusive: ${why}`;
}

export function analysisHeldMessage(why: string): string {
  return `held for a human: ${why}; resume to go on, rollback to restore`;
}

export const FLEET_INCONCLUSIVE_HELD_MESSAGE =
  'held for a human: the fleet fails with or without this change; resume to go on, rollback to restore';

export function regressionReason(message: string): string {
  return `regression: ${message}`;
}

export const REGRESSION_HELD_MESSAGE = 'held for a human after a regression: resume to go on, rollback to restore';

/** Why a stage's analysis stopped it: the canary's verdict or its count of failed intervals. */
export function analysisRegressionMessage(cause: string): string {
  return `canary analysis: ${cause}`;
}

export function stageStateEvidence(stageState: CanaryStageState, result?: CanaryAnalysisResult): EventDetail {
  return { source: 'analysis', stageState, ...(result ? { result } : {}) };
}

/* ---------- rollback and the end ---------- */

export function rollbackStartedMessage(reason: string): string {
  return `rolling back: ${reason}`;
}

export function rolledBackDetail(
  touched: number,
  confirmedOnDelivery: number | undefined,
  attempts: number,
  durationMs: number,
): EventDetail {
  return {
    restored: touched,
    ...(confirmedOnDelivery !== undefined ? { confirmedOnDelivery } : {}),
    attempts,
    durationMs,
  };
}

/** The rollback's attempts are spent: the reason the failed rollout carries, and its event. */
export function rollbackGaveUp(attempts: number, remaining: number, unrestored: readonly TargetFailure[]): EventText & { reason: string } {
  const named = namedTargets(
    unrestored.map((failure) => failure.targetId),
    remaining,
  );
  return {
    reason: `rollback could not restore ${remaining} targets: ${named}`,
    message: `rollback gave up after ${attempts} attempts: ${remaining} targets not restored (${named})`,
    detail: { remaining, unrestored, attempts },
  };
}

export function rollbackAttemptEvent(
  attempt: number,
  pass: { touched: number; remaining: number; failures: readonly TargetFailure[] },
): EventText {
  return {
    message: `attempt ${attempt}: ${pass.remaining} of ${pass.touched} targets not restored yet`,
    detail: { attempt, remaining: pass.remaining, failures: pass.failures },
  };
}

export function failedBeforeTouchingMessage(error: string): string {
  return `rollout failed before any target was touched: ${error}`;
}

export function runErrorReason(error: string): string {
  return `rollout error: ${error}`;
}

export function fastRollbackReason(version: number | null, actor: string): string {
  return `fast-track rollback of completed version ${version} requested by ${actor}`;
}

/** The alert after a failure: where it went, or why it could not be delivered. */
export function alertEvent<Sent extends { channel: string }>(
  sent: Sent | null,
  error: string,
  state: string,
  unrestored: readonly string[],
): EventText {
  if (sent) return { message: `alert sent (${sent.channel}): rollout ${state}`, detail: { ...sent, unrestored } };
  return { message: `alert could not be delivered: ${error}`, detail: { delivered: false, error, unrestored } };
}
