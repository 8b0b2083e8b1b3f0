/**
 * How a notification is delivered: the retry bound of its activity and the ids that make a
 * delivery happen once. No dependencies, so the notification workflow imports it as it is.
 */

/**
 * The `deliverNotification` activity's retry policy: the first retry after 500 ms, doubling up to
 * 30 s apart, 10 attempts in all (about 2 min). Each attempt is one POST of at most
 * NOTIFY_TIMEOUT_MS; a receiver that answers 2xx has it.
 */
export const NOTIFY_RETRY = {
  initialIntervalMs: 500,
  backoffCoefficient: 2,
  maximumIntervalMs: 30_000,
  maximumAttempts: 10,
} as const;

/** One POST to a receiver: connect, answer and body within this. */
export const NOTIFY_TIMEOUT_MS = 5_000;

/** The subscription TOLLGATE_ALERT_WEBHOOK becomes (created by the worker at start). */
export const ALERT_SUBSCRIPTION_ID = 'alert-webhook';

/**
 * One workflow per (event, subscription): starting it twice (a retried recordProgress) is refused
 * by Temporal, so a notification is sent once however often the event is recorded.
 */
export function notificationWorkflowId(rolloutId: string, seq: number, subscriptionId: string): string {
  return `notify:${rolloutId}:${seq}:${subscriptionId}`;
}
