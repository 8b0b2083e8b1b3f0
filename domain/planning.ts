/**
 * Stage planning: how many targets each stage covers, and the batches they are applied in.
 * Pure and import-free (the workflow bundle runs it), tested by table.
 */

/**
 * Cumulative target counts per stage: stage i covers max(1, ceil(percent/100 × N)) targets, never
 * fewer than the stage before and never more than N. A stage whose count equals its predecessor's
 * adds no target and is skipped.
 */
export function stageTargetCounts(total: number, percents: readonly number[]): number[] {
  if (total <= 0) return percents.map(() => 0);
  let previous = 0;
  return percents.map((percent) => {
    // The epsilon keeps float noise (0.07 × 100 = 7.000000000000001) from adding a target.
    const wanted = Math.max(1, Math.ceil((percent * total) / 100 - 1e-9));
    previous = Math.min(total, Math.max(previous, wanted));
    return previous;
  });
}

export interface Batch {
  from: number;
  to: number;
}

/** Splits the half-open range [from, to) into consecutive batches of at most `size`. */
export function batches(from: number, to: number, size: number): Batch[] {
  if (size < 1) throw new RangeError('batch size must be at least 1');
  const out: Batch[] = [];
  for (let start = from; start < to; start += size) out.push({ from: start, to: Math.min(to, start + size) });
  return out;
}

/** Plan entries [from, to) that stage `index` adds, from the cumulative counts per stage. */
export function stageSpan(stageTargets: readonly number[], index: number): Batch {
  return { from: index === 0 ? 0 : (stageTargets[index - 1] ?? 0), to: stageTargets[index] ?? 0 };
}

/** A stage that adds no target (its count equals its predecessor's) is skipped. */
export function addsNoTarget(span: Batch): boolean {
  return span.to <= span.from;
}

/**
 * The wave a stage opens, when the stage must first wait for the earlier waves to confirm: it
 * names a wave that differs from the stage before, and targets are already on the new version.
 * Null: no wave gate.
 */
export function waveOpenedBy(stages: readonly { wave?: string | undefined }[], index: number, from: number): string | null {
  const wave = stages[index]?.wave;
  const previousWave = index > 0 ? stages[index - 1]?.wave : undefined;
  return wave !== undefined && from > 0 && previousWave !== wave ? wave : null;
}

/**
 * Targets per apply activity: small enough that a pause takes effect between batches within about
 * a second at loopback delivery rates (a rollback cancels the batch in flight), large enough that
 * Temporal round trips (an activity and a progress record per batch) do not dominate a stage.
 */
export const APPLY_BATCH_SIZE = 2_000;
/** The batch size of runs started before the `larger-apply-batches` patch. */
export const APPLY_BATCH_SIZE_BEFORE_PATCH = 250;

/** Apply batch size: APPLY_BATCH_SIZE for runs with `larger-apply-batches`, the old 250 for runs from before it. */
export function applyBatchSize(largerBatches: boolean): number {
  return largerBatches ? APPLY_BATCH_SIZE : APPLY_BATCH_SIZE_BEFORE_PATCH;
}

/** Where a stage's applying starts: its first target, or further on when a run before it got there. */
export function applyStartsAt(appliedUpTo: number, from: number): number {
  return Math.max(appliedUpTo, from);
}

/** A batch with targets that failed to apply is a regression: its words and evidence. Null when none failed. */
export function applyRegression(result: { applied: number; failed: number; failures: readonly unknown[] }): {
  message: string;
  evidence: Record<string, unknown>;
} | null {
  return result.failed > 0
    ? { message: `${result.failed} of ${result.applied} targets failed to apply`, evidence: { source: 'apply', failures: result.failures } }
    : null;
}
