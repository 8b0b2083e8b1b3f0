/**
 * Rollback decisions: what an error means for a rollout, which stages a rollback marks, how long to
 * wait between passes over unrestored targets, and when to stop trying. Pure and free of runtime
 * imports (the workflow bundle runs it), tested by table.
 */
import type { StageState } from './lifecycle';
import type { RollbackPolicy, StageStatus } from './schemas';

/**
 * Rollback passes over unrestored targets before the rollout is reported failed, when the rollout
 * does not set its own (`rollback` in the request): 10 passes, 1 s apart doubling to 15 s (~1.5 min).
 */
export const DEFAULT_ROLLBACK: RollbackPolicy = { attempts: 10, maxBackoffSeconds: 15 };
/** The wait after the first pass; each later wait doubles, up to the policy's `maxBackoffSeconds`. */
export const ROLLBACK_INITIAL_BACKOFF_MS = 1_000;

/** The wait after pass `attempt` (1-based) left targets unrestored: 1 s, 2 s, 4 s, … capped. */
export function rollbackBackoffMs(attempt: number, policy: RollbackPolicy): number {
  return Math.min(policy.maxBackoffSeconds * 1000, ROLLBACK_INITIAL_BACKOFF_MS * 2 ** (attempt - 1));
}

/**
 * After pass `attempt` left `remaining` targets unrestored: `restored` (none left), `give_up` (the
 * policy's attempts are spent: the rollout fails, naming them), or `retry` after `backoffMs`.
 */
export type RollbackStep = { kind: 'restored' } | { kind: 'give_up' } | { kind: 'retry'; backoffMs: number };

export function rollbackStep(attempt: number, remaining: number, policy: RollbackPolicy): RollbackStep {
  if (remaining === 0) return { kind: 'restored' };
  if (attempt >= policy.attempts) return { kind: 'give_up' };
  return { kind: 'retry', backoffMs: rollbackBackoffMs(attempt, policy) };
}

/** Stages whose targets a rollback takes back: those applied, applying or baking. Skipped and pending stages keep their state. */
export function rolledBackStageState(state: StageState): StageState {
  return state === 'applying' || state === 'baking' || state === 'completed' ? 'rolled_back' : state;
}

/**
 * A stage as a rollback started at `at` leaves it. A stage cut short (applying or baking) ends
 * then: without an end its time would read as still running on every page that shows it. A stage
 * that had completed keeps its own end; one never started has none.
 */
export function rolledBackStage(
  stage: Pick<StageStatus, 'state' | 'startedAt' | 'finishedAt'>,
  at: string,
): Pick<StageStatus, 'state' | 'finishedAt'> {
  const cutShort = stage.startedAt !== null && stage.finishedAt === null && (stage.state === 'applying' || stage.state === 'baking');
  return { state: rolledBackStageState(stage.state), finishedAt: cutShort ? at : stage.finishedAt };
}

/**
 * An unexpected error in the run: before any target was touched (still preparing) the rollout
 * simply fails; after, it is treated as a regression and every touched target is restored.
 */
export function onRunError(updatedTargets: number, phase: string): 'fail' | 'roll_back' {
  return updatedTargets === 0 && phase === 'prepare' ? 'fail' : 'roll_back';
}

/** `a, b, c, …`: the first few target ids as evidence, with an ellipsis when there are more. */
export function namedTargets(ids: readonly string[], count: number): string {
  return ids.join(', ') + (count > ids.length ? ', …' : '');
}

/**
 * What a regression leads to: `roll_back` or `hold` (for a human) by the rollout's policy, or
 * `already_held` when the rollout is paused on a regression already and a human has it.
 */
export function regressionResponse(
  onRegression: 'rollback' | 'pause',
  heldForRegression: boolean,
  state: string,
): 'roll_back' | 'hold' | 'already_held' {
  if (heldForRegression && state === 'paused') return 'already_held';
  return onRegression === 'rollback' ? 'roll_back' : 'hold';
}

/**
 * A hold for a human (inconclusive evidence) starts once: not while one holds already, and not
 * when a rollback is on its way, which outranks it.
 */
export function holdStarts(alreadyHeld: boolean | undefined, rollbackRequested: boolean): boolean {
  return !alreadyHeld && !rollbackRequested;
}

/**
 * Targets confirmed on redelivery across rollback passes. Undefined while no pass counted (runs
 * from before the count): then no message claims a confirmation.
 */
export function confirmedAfterPass(sofar: number | undefined, pass: number | undefined): number | undefined {
  return pass === undefined ? sofar : (sofar ?? 0) + pass;
}
