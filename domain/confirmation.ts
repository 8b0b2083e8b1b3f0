/**
 * Confirmation: whether a target runs what it was assigned, as far as Tollgate knows. A target
 * confirms a version by reporting it (pull targets) or by answering its delivery (push targets).
 * Pure and import-free; the clock is an argument.
 */

/**
 * How long a target that reports its version has to confirm a new one before it counts as failed.
 * Until then its probes are left out, and the bake does not end.
 */
export const CONFIRM_WITHIN_MS = 30_000;

/** Whether `withinMs` has passed since `sinceMs`: a wait for confirmations has run out. */
export function confirmationOverdue(nowMs: number, sinceMs: number, withinMs: number): boolean {
  return nowMs - sinceMs >= withinMs;
}
