/** The summary a rollout starts with, before its workflow has planned it. Pure. */
import { allowedActions } from './lifecycle';
import type { RolloutAnalysis } from './analysis-schemas';
import type { HealthPolicy, OnRegression, RollbackPolicy, RolloutSummary, Stage } from './schemas';

export interface NewRollout {
  rolloutId: string;
  configKey: string;
  stages: Stage[];
  health: HealthPolicy;
  /** Canary analysis; absent: health thresholds judge each interval, as in v1. */
  analysis?: RolloutAnalysis | undefined;
  onRegression: OnRegression;
  rollback?: RollbackPolicy | undefined;
  description?: string | undefined;
  createdAt: string;
  /** Who submitted it (the token's name); absent on rollouts from before authentication. */
  submittedBy?: string | undefined;
  /** Distinct approvals needed before it starts and at each approval gate (0 or absent: none). */
  requiredApprovals?: number | undefined;
  emergency?: { reason: string } | undefined;
  /** Started through a freeze by an admin: who, why, and the ids of the freezes it went through. */
  override?: { reason: string; by: string; freezes: string[] } | undefined;
}

/** Where a new rollout starts: waiting for its reviewers, or running. */
export function initialState(r: NewRollout): 'pending_review' | 'running' {
  return (r.requiredApprovals ?? 0) > 0 && !r.emergency ? 'pending_review' : 'running';
}

export function initialSummary(r: NewRollout, workflowId: string): RolloutSummary {
  const state = initialState(r);
  return {
    id: r.rolloutId,
    configKey: r.configKey,
    version: null,
    previousStableVersion: null,
    state,
    reason: state === 'pending_review' ? `waiting for ${pluralApprovals(r.requiredApprovals ?? 0)}` : null,
    currentStage: null,
    currentStageIndex: null,
    stages: r.stages.map((s) => ({ ...s, targets: 0, state: 'pending', startedAt: null, finishedAt: null })),
    totalTargets: 0,
    updatedTargets: 0,
    onRegression: r.onRegression,
    health: r.health,
    ...(r.analysis !== undefined ? { analysis: r.analysis } : {}),
    ...(r.rollback !== undefined ? { rollback: r.rollback } : {}),
    ...(r.description !== undefined ? { description: r.description } : {}),
    ...(r.submittedBy !== undefined ? { submittedBy: r.submittedBy } : {}),
    ...(r.emergency ? { emergency: true, emergencyReason: r.emergency.reason } : {}),
    ...(r.override ? { override: true, overrideReason: r.override.reason } : {}),
    ...(r.requiredApprovals ? { requiredApprovals: r.requiredApprovals, reviews: [], approvals: [] } : {}),
    allowedActions: [...allowedActions(state)],
    createdAt: r.createdAt,
    updatedAt: r.createdAt,
    workflowId,
  };
}

/** "1 approval", "2 more approvals": for reasons and event messages. */
export function pluralApprovals(n: number, more = false): string {
  return `${n}${more ? ' more' : ''} approval${n === 1 ? '' : 's'}`;
}
