/**
 * Human control of a running rollout: which requests it refuses (and why), what a review decides,
 * when a gate under four eyes has its approvals, and what resume or approve clears. Pure and free
 * of runtime imports (the workflow bundle runs it), tested by table; the workflow turns a refusal
 * into an ApplicationFailure with the refusal's reason code.
 */
import type { CanaryStageState } from './analysis-schemas';
import { resumedStageState } from './analysis';
import { describeHolds } from './freeze-holds';
import { actionsFor, type RolloutAction, type RolloutState } from './lifecycle';
import type { FreezeHold } from './policy';
import { Reason } from './reasons';
import { pluralApprovals } from './summary';

/** A refused request: the reason code the API maps to a status, and a message that says why. */
export interface Refusal {
  reason: Reason;
  message: string;
}

/** What a control request is checked against: the rollout as it stands. */
export interface ControlContext {
  rolloutId: string;
  state: RolloutState;
  reason: string | null;
  submittedBy?: string | undefined;
  requiredApprovals?: number | undefined;
  awaitingApproval: boolean;
  /** A rollback is already under way (requested, not yet started). */
  rollbackRequested: boolean;
  /** The freezes that hold the rollout before its next stage now. */
  freezeHolds: readonly FreezeHold[];
}

export interface ControlAsk {
  rolloutId: string;
  action: RolloutAction;
  actor?: string | undefined;
  override?: { reason: string } | undefined;
}

/** Approvals must come from people other than the submitter: the policy asks for approvals. */
export function fourEyes(requiredApprovals: number | undefined): boolean {
  return (requiredApprovals ?? 0) > 0;
}

/** Null when the rollout takes the request now; otherwise why not. */
export function refuseControl(ctx: ControlContext, ask: ControlAsk): Refusal | null {
  if (ask.rolloutId !== ctx.rolloutId) {
    return { reason: Reason.NotFound, message: `this workflow runs rollout ${ctx.rolloutId}, not ${ask.rolloutId}` };
  }
  if (!actionsFor(ctx.state, ctx.reason).includes(ask.action) || ctx.rollbackRequested) {
    return { reason: Reason.InvalidState, message: `cannot ${ask.action} a rollout that is ${ctx.state}` };
  }
  if ((ask.action === 'resume' || ask.action === 'approve') && ctx.freezeHolds.length > 0 && !ask.override) {
    return {
      reason: Reason.Frozen,
      message: `cannot ${ask.action}: ${describeHolds(ctx.freezeHolds)}; an admin may resume through it with an override`,
    };
  }
  if (ask.action === 'approve' && ctx.awaitingApproval && fourEyes(ctx.requiredApprovals) && ask.actor === ctx.submittedBy) {
    return { reason: Reason.FourEyes, message: `${ask.actor} submitted this rollout and may not approve its gates` };
  }
  return null;
}

export interface ReviewContext {
  rolloutId: string;
  state: RolloutState;
  submittedBy?: string | undefined;
}

export interface ReviewAsk {
  rolloutId: string;
  by: string;
}

/** Null when the rollout takes the review now; otherwise why not. */
export function refuseReview(ctx: ReviewContext, ask: ReviewAsk): Refusal | null {
  if (ask.rolloutId !== ctx.rolloutId) {
    return { reason: Reason.NotFound, message: `this workflow runs rollout ${ctx.rolloutId}, not ${ask.rolloutId}` };
  }
  if (ctx.state !== 'pending_review') {
    return { reason: Reason.InvalidState, message: `cannot review a rollout that is ${ctx.state}` };
  }
  if (ask.by === ctx.submittedBy) {
    return { reason: Reason.FourEyes, message: `${ask.by} submitted this rollout and may not review it` };
  }
  return null;
}

/** Distinct reviewers who approved. */
export function approvalCount(reviews: readonly { by: string; decision: string }[]): number {
  return new Set(reviews.filter((review) => review.decision === 'approve').map((review) => review.by)).size;
}

/**
 * What a review decides: `rejected` ends the rollout; `counted` adds an approval, and the rollout
 * starts once `approvals` reaches `required`; `repeat` is a reviewer's second approval, which
 * counts once and changes nothing.
 */
export type ReviewOutcome =
  | { kind: 'rejected'; reason: string }
  | { kind: 'counted'; approvals: number; required: number; starts: boolean; waitingReason: string | null }
  | { kind: 'repeat' };

export function reviewOutcome(
  reviews: readonly { by: string; decision: string }[],
  review: { by: string; decision: 'approve' | 'reject'; comment?: string | undefined },
  requiredApprovals: number | undefined,
): ReviewOutcome {
  if (review.decision === 'reject') {
    return { kind: 'rejected', reason: `rejected by ${review.by}${review.comment ? `: ${review.comment}` : ''}` };
  }
  if (reviews.some((r) => r.by === review.by && r.decision === 'approve')) return { kind: 'repeat' };
  const approvals = approvalCount([...reviews, review]);
  const required = requiredApprovals ?? 1;
  const starts = approvals >= required;
  return {
    kind: 'counted',
    approvals,
    required,
    starts,
    waitingReason: starts ? null : `waiting for ${pluralApprovals(required - approvals, true)}`,
  };
}

/**
 * One approval of an approval gate under four eyes: who has approved it so far (distinct people;
 * the validator has refused the submitter), and whether that is enough. A passed gate starts the
 * next one from nobody.
 */
export function gateApproval(
  approvers: readonly string[],
  actor: string,
  requiredApprovals: number | undefined,
): { approvers: string[]; counted: boolean; passed: boolean; required: number } {
  const counted = !approvers.includes(actor);
  const next = counted ? [...approvers, actor] : [...approvers];
  const required = requiredApprovals ?? 1;
  const passed = next.length >= required;
  return { approvers: passed ? [] : next, counted, passed, required };
}

/** What a resume (or approve) of a held rollout clears: the holds and the runs of evidence that led to them. */
export interface HoldState {
  humanPaused?: boolean | undefined;
  streak: number;
  heldForRegression: boolean;
  inconclusive?: number | undefined;
  heldInconclusive?: boolean | undefined;
  analysis?: { upto: number; state: CanaryStageState } | undefined;
}

/**
 * A human looked and said go on: the hold ends, and the runs of unhealthy or inconclusive
 * intervals that led to it start again from zero, so the same evidence does not hold the rollout
 * a second time. Canary analysis keeps its intervals and clears its failures (analysis.ts).
 */
export function resumed<H extends HoldState>(hold: H): H {
  return {
    ...hold,
    humanPaused: false,
    streak: 0,
    heldForRegression: false,
    inconclusive: 0,
    heldInconclusive: false,
    ...(hold.analysis ? { analysis: { ...hold.analysis, state: resumedStageState(hold.analysis.state) } } : {}),
  };
}

/** What the rollout stands on when a control request arrives (the validator has taken it). */
export interface ControlStanding {
  state: RolloutState;
  awaitingApproval: boolean;
  requiredApprovals?: number | undefined;
}

/**
 * What a control request does. `pause` and `rollback` carry the reason the rollout takes and the
 * event's message. `go_on` (resume or approve): `countsGateApproval` when it is one approval of a
 * gate under four eyes (the gate may still want more); `opensGate`, the message of an approval
 * gate it opens (a resume at a gate counts as approval); `resumes`, the message when it ends a pause.
 */
export type ControlPlan =
  | { kind: 'pause'; reason: string; message: string }
  | { kind: 'rollback'; reason: string; message: string }
  | { kind: 'go_on'; countsGateApproval: boolean; opensGate: string | null; resumes: string | null };

export function controlPlan(
  req: { action: RolloutAction; actor?: string | undefined; reason?: string | undefined },
  standing: ControlStanding,
): ControlPlan {
  const actor = req.actor ?? 'unknown';
  switch (req.action) {
    case 'pause':
      return { kind: 'pause', reason: req.reason ?? 'paused by a human', message: `paused by ${actor}` };
    case 'rollback':
      return { kind: 'rollback', reason: req.reason ?? `rollback requested by ${actor}`, message: `rollback requested by ${actor}` };
    case 'resume':
    case 'approve': {
      const approve = req.action === 'approve';
      return {
        kind: 'go_on',
        countsGateApproval: standing.awaitingApproval && approve && fourEyes(standing.requiredApprovals),
        opensGate: standing.awaitingApproval ? `${approve ? 'approved' : 'resumed (counts as approval)'} by ${actor}` : null,
        resumes: standing.state === 'paused' ? `${approve ? 'approved' : 'resumed'} by ${actor}` : null,
      };
    }
  }
}

/**
 * A requested rollback has been taken up: the rollout left the states it takes one in (running,
 * paused, at a gate), so the request's caller sees it rolling back (or already ended).
 */
export function rollbackTakenUp(state: RolloutState): boolean {
  return state !== 'running' && state !== 'paused' && state !== 'awaiting_approval';
}

/** A stage with an approval gate waits for it, unless a human approved it already (a resume at the gate counts). */
export function awaitsApproval(stage: { approval?: boolean | undefined }, approved: boolean): boolean {
  return Boolean(stage.approval) && !approved;
}
