/**
 * When a rollout's workflow starts afresh from its checkpoint (continue as new): its history is long
 * enough that Temporal suggests it, or past Tollgate's own bound. Pure and import-free.
 */

/** Continue as new past this many history events (Temporal's hard limit is 50k). */
export const HISTORY_EVENTS_LIMIT = 10_000;

export function continueAsNewDue(history: { continueAsNewSuggested: boolean; historyLength: number }): boolean {
  return history.continueAsNewSuggested || history.historyLength >= HISTORY_EVENTS_LIMIT;
}
