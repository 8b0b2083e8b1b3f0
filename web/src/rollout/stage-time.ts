/** When a stage ran, from its record: pure, so it is unit-tested outside the browser. */
import { isTerminal } from '../../../domain/lifecycle';
import type { RolloutState } from '../../../domain/lifecycle';
import type { StageStatus } from '../../../domain/schemas';

/**
 * When a stage ran. `to` null: it is still running (its clock ticks). `to` undefined: it no longer
 * runs but no end was recorded (rollbacks from before the end was kept): no clock then.
 */
export interface StageTime {
  from: string;
  to: string | null | undefined;
}

export function stageTime(stage: Pick<StageStatus, 'state' | 'startedAt' | 'finishedAt'>, rolloutState: RolloutState): StageTime | null {
  if (!stage.startedAt) return null;
  if (stage.finishedAt) return { from: stage.startedAt, to: stage.finishedAt };
  const running = (stage.state === 'applying' || stage.state === 'baking') && !isTerminal(rolloutState);
  return { from: stage.startedAt, to: running ? null : undefined };
}
