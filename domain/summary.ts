/** The summary a rollout starts with, before its workflow has planned it. Pure. */
import { allowedActions } from './lifecycle';
import type { HealthPolicy, OnRegression, RollbackPolicy, RolloutSummary, Stage } from './schemas';

export interface NewRollout {
  rolloutId: string;
  configKey: string;
  stages: Stage[];
  health: HealthPolicy;
  onRegression: OnRegression;
  rollback?: RollbackPolicy | undefined;
  description?: string | undefined;
  createdAt: string;
}

export function initialSummary(r: NewRollout, workflowId: string): RolloutSummary {
  return {
    id: r.rolloutId,
    configKey: r.configKey,
    version: null,
    previousStableVersion: null,
    state: 'running',
    reason: null,
    currentStage: null,
    currentStageIndex: null,
    stages: r.stages.map((s) => ({ ...s, targets: 0, state: 'pending', startedAt: null, finishedAt: null })),
    totalTargets: 0,
    updatedTargets: 0,
    onRegression: r.onRegression,
    health: r.health,
    ...(r.rollback !== undefined ? { rollback: r.rollback } : {}),
    ...(r.description !== undefined ? { description: r.description } : {}),
    allowedActions: [...allowedActions('running')],
    createdAt: r.createdAt,
    updatedAt: r.createdAt,
    workflowId,
  };
}
