/**
 * Confirmation: whether a target runs what it was assigned, as far as Tollgate knows. A target
 * confirms a version by reporting it (pull targets) or by answering its delivery (push targets).
 * Pure, importing only rollback-plan.ts (itself import-free); the clock is an argument.
 */
import { namedTargets } from './rollback-plan';

/**
 * How long a target that reports its version has to confirm a new one before it counts as failed.
 * Until then its probes are left out, and the bake does not end.
 */
export const CONFIRM_WITHIN_MS = 30_000;

/** Whether `withinMs` has passed since `sinceMs`: a wait for confirmations has run out. */
export function confirmationOverdue(nowMs: number, sinceMs: number, withinMs: number): boolean {
  return nowMs - sinceMs >= withinMs;
}

/** What Tollgate knows of the targets a rollout assigned its version to. */
export interface KnownTargets {
  /** Assigned the new version (and not restored). */
  assigned: number;
  /** Of those, how many confirmed running it; undefined: not counted (a run from before counts). */
  confirmed?: number | undefined;
}

/** `confirmedTargets` and `unconfirmedTargets` of the summary, from a count; nothing when there was none. */
export function confirmationFields(known: KnownTargets): { confirmedTargets?: number; unconfirmedTargets?: number } {
  if (known.confirmed === undefined) return {};
  return { confirmedTargets: known.confirmed, unconfirmedTargets: Math.max(0, known.assigned - known.confirmed) };
}

/**
 * The completed event's message: what is confirmed and what is only assigned, never "runs on all"
 * for a target that never said so.
 */
export function completedMessage(version: number | null, known: KnownTargets): string {
  const all = `all ${known.assigned} targets`;
  if (known.confirmed === undefined) return `version ${version} assigned to ${all}`;
  if (known.confirmed >= known.assigned) return `version ${version} confirmed running on ${all}`;
  const unconfirmed = known.assigned - known.confirmed;
  return `version ${version} assigned to ${all}: ${known.confirmed} confirmed running it, ${unconfirmed} assigned but not confirmed (no report of the version yet)`;
}

/** An applied batch's message: assigned, and of those how many confirmed on delivery (push) and how many wait for a report. */
export function appliedMessage(
  batch: { from: number; to: number },
  total: number,
  result: { failed: number; confirmed?: number | undefined },
): string {
  const range = `assigned to targets ${batch.from + 1}-${batch.to} of ${total}`;
  if (result.confirmed === undefined) return range;
  const count = batch.to - batch.from;
  const unconfirmed = count - result.confirmed - result.failed;
  const parts = [`${result.confirmed} confirmed on delivery`];
  if (unconfirmed > 0) parts.push(`${unconfirmed} assigned but not confirmed yet`);
  if (result.failed > 0) parts.push(`${result.failed} failed`);
  return `${range} (${parts.join(', ')})`;
}

/** The rolled-back event's message: targets returned to their previous version, and which of those confirmed it. */
export function rolledBackMessage(restored: number, confirmedOnDelivery: number | undefined, durationMs: number): string {
  const base = `restored ${restored} targets to their previous versions in ${durationMs} ms`;
  if (confirmedOnDelivery === undefined) return base;
  const waiting = restored - confirmedOnDelivery;
  return `${base}: ${confirmedOnDelivery} confirmed on delivery${waiting > 0 ? `, ${waiting} reassigned but not confirmed yet` : ''}`;
}

/**
 * The rollout policy's `confirmWithinSeconds` in milliseconds: how long a stage waits, after its
 * last batch, for every target it assigned to confirm the version; null: a stage counts as applied
 * once assigned (the default).
 */
export function stageConfirmationWaitMs(policy: { confirmWithinSeconds?: number | undefined } | undefined): number | null {
  return policy?.confirmWithinSeconds === undefined ? null : policy.confirmWithinSeconds * 1000;
}

/**
 * One look at the targets a wait for confirmations covers: `confirmed` (none left: go on),
 * `overdue` (the wait ran out with some left: a regression), or `wait` (probe, look again).
 */
export type ConfirmationStep = 'confirmed' | 'overdue' | 'wait';

export function confirmationStep(unconfirmed: number, nowMs: number, sinceMs: number, withinMs: number): ConfirmationStep {
  if (unconfirmed === 0) return 'confirmed';
  return confirmationOverdue(nowMs, sinceMs, withinMs) ? 'overdue' : 'wait';
}

/** Targets still unconfirmed: how many, and the first few as evidence. */
export interface Unconfirmed {
  count: number;
  targetIds: string[];
}

/** A regression's words and evidence. */
export interface RegressionFinding {
  message: string;
  evidence: Record<string, unknown>;
}

/** Targets of the waves before `wave` that have not confirmed the version in time: the wave gate's regression. */
export function waveUnconfirmed(left: Unconfirmed, wave: string, version: number | null): RegressionFinding {
  return {
    message: `${left.count} targets of the waves before "${wave}" have not confirmed version ${version} within ${CONFIRM_WITHIN_MS / 1000} s: ${namedTargets(left.targetIds, left.count)}`,
    evidence: { source: 'wave', wave, unconfirmed: left },
  };
}

/** Targets a stage assigned that have not confirmed the version within the policy's wait: the stage's regression. */
export function stageUnconfirmed(
  left: Unconfirmed,
  upto: number,
  stage: string,
  version: number | null,
  withinMs: number,
): RegressionFinding {
  return {
    message: `${left.count} of the ${upto} targets on version ${version} have not confirmed it within ${withinMs / 1000} s of stage ${stage}: ${namedTargets(left.targetIds, left.count)}`,
    evidence: { source: 'confirmation', stage, withinSeconds: withinMs / 1000, unconfirmed: left },
  };
}
