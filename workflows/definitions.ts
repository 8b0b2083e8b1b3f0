/**
 * What the API, the worker and the workflows share: the task queue, workflow ids, inputs, and the
 * update and query definitions. No workflow logic lives here.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { RolloutAction } from '../domain/lifecycle';
import type { RolloutSummary } from '../domain/schemas';
import type { NewRollout } from '../domain/summary';
import type { FreezeHold, RolloutPolicy } from '../domain/policy';
import type { CanaryStageState } from '../domain/analysis-schemas';

export const DEFAULT_TASK_QUEUE = 'tollgate-rollouts';

/**
 * One workflow id per config key: Temporal refuses a second running workflow with the same id,
 * which is what makes "one active rollout per config" race-free.
 */
export function workflowIdFor(configKey: string): string {
  return `tollgate-config-${configKey}`;
}

export interface RolloutInput extends NewRollout {
  /**
   * The effective policy the rollout started under: it keeps it (freeze windows included) whatever
   * an admin changes later. Absent on rollouts from before policies had freeze windows.
   */
  policy?: RolloutPolicy;
  /** Set when the workflow continues as new: where the previous run stopped. */
  resume?: RolloutCheckpoint;
}

export type RolloutPhase = 'prepare' | 'review' | 'gate' | 'apply' | 'bake' | 'done';

/** Where a run is in its plan. */
export interface RolloutPosition {
  phase: RolloutPhase;
  stageIndex: number;
  /** Cumulative target count per stage: stage i covers plan entries [stageTargets[i-1], stageTargets[i]). */
  stageTargets: number[];
  /** Plan entries [0, appliedUpTo) carry the new version. */
  appliedUpTo: number;
  /** Bake time the current stage has left, counted only while the rollout runs and health is observed. */
  bakeRemainingMs: number;
}

/** What a run has judged and holds on at its position: runs of verdicts, holds, approvals and freezes. */
export interface RolloutJudgement {
  /** Consecutive unhealthy intervals. */
  streak: number;
  awaitingApproval: boolean;
  approved: boolean;
  /** Who has approved the current approval gate so far (four eyes: distinct, never the submitter). */
  gateApprovers?: string[];
  /** Held after a regression under the pause policy (so the same regression is not re-reported). */
  heldForRegression: boolean;
  /** Consecutive inconclusive intervals (health.compareToBaseline only). */
  inconclusive?: number;
  /** Held because the whole fleet, not the change, is failing. */
  heldInconclusive?: boolean;
  /**
   * Canary analysis of the targets [0, upto) on the new version: the stage's run of verdicts. A new
   * canary set (the next stage applied) starts a new one.
   */
  analysis?: { upto: number; state: CanaryStageState };
  /** Targets that had not confirmed the new version at the last probe. */
  pending?: number;
  /** Held before the current stage by these freezes (absent or empty: not frozen). */
  freezeHolds?: FreezeHold[];
  /** Ids of the freezes an admin's override let the rollout through. */
  overriddenFreezes?: string[];
  /** A human paused it: it stays paused when a freeze that also holds it lifts. */
  humanPaused?: boolean;
}

/**
 * Everything a rollout run needs to carry on from where it stopped (continue as new): its summary,
 * its position, its judgement, and the counters of its writes to the read model. Small by design,
 * and flat: runs in flight carry this shape in their `resume` input, so fields are only ever added.
 * (Not to be confused with `RolloutCursor` in domain/schemas.ts, a page position of `GET /v1/rollouts`.)
 */
export interface RolloutCheckpoint extends RolloutPosition, RolloutJudgement {
  summary: RolloutSummary;
  /** The last event sequence number given out. */
  seq: number;
  /** The summary's revision: the read model keeps only a newer one. */
  rev: number;
}

export interface ControlRequest {
  rolloutId: string;
  action: RolloutAction;
  /** The caller's token name; absent only in histories from before authentication. */
  actor?: string | undefined;
  reason?: string | undefined;
  /** resume only, admins only (the API checks): go on through the freezes that hold the rollout now. */
  override?: { reason: string } | undefined;
}

export interface ReviewRequest {
  rolloutId: string;
  by: string;
  decision: 'approve' | 'reject';
  comment?: string | undefined;
}

export interface FastRollbackInput {
  rolloutId: string;
  actor?: string | undefined;
  reason?: string | undefined;
}

/** pause | resume | approve | rollback. Rejected (validator) when the state does not allow it. */
export const controlUpdate = defineUpdate<RolloutSummary, [ControlRequest]>('control');
/** approve | reject a rollout pending review. Rejected (validator) for the submitter, or when not pending. */
export const reviewUpdate = defineUpdate<RolloutSummary, [ReviewRequest]>('review');
/** Completes once the rollout has its version and plan (or has ended). */
export const preparedUpdate = defineUpdate<RolloutSummary, []>('prepared');
export const statusQuery = defineQuery<RolloutSummary>('status');
