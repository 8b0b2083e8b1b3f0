/**
 * What the dashboard draws from a summary: per-stage progress and which buttons are live. Pure,
 * so it is unit-tested outside the browser.
 */
import type { RolloutAction, RolloutState } from '../../domain/lifecycle';
import type { RolloutSummary } from '../../domain/schemas';

export interface StageProgress {
  name: string;
  /** Targets of this stage (cumulative: a stage includes the ones before it) on the new version. */
  done: number;
  total: number;
  /** 0..1 */
  ratio: number;
}

/**
 * `updatedTargets` counts targets on the new version and not restored; stages are cumulative,
 * so a stage is as far along as that count, up to its own size.
 */
export function stageProgress(s: Pick<RolloutSummary, 'stages' | 'updatedTargets'>): StageProgress[] {
  return s.stages.map((st) => {
    const done = Math.max(0, Math.min(s.updatedTargets, st.targets));
    return { name: st.name, done, total: st.targets, ratio: st.targets > 0 ? done / st.targets : 0 };
  });
}

export function actionEnabled(s: Pick<RolloutSummary, 'allowedActions'>, action: RolloutAction): boolean {
  return s.allowedActions.includes(action);
}

export const STATE_LABEL: Record<RolloutState, string> = {
  pending_review: 'Pending review',
  running: 'Running',
  paused: 'Paused',
  awaiting_approval: 'Awaiting approval',
  rolling_back: 'Rolling back',
  rolled_back: 'Rolled back',
  completed: 'Completed',
  failed: 'Failed',
  rejected: 'Rejected',
};
