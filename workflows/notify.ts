/**
 * One notification: one event of a rollout for one subscription. Started by the `recordProgress`
 * activity under a deterministic id (domain/notify-delivery.ts), so a retried recording never
 * sends twice; the activity retries the POST with backoff within NOTIFY_RETRY and records every
 * attempt. Its result says whether the receiver got it.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities, DeliverInput, DeliverResult } from '../activities';
import { NOTIFY_RETRY, NOTIFY_TIMEOUT_MS } from '../domain/notify-delivery';

const delivering = proxyActivities<Activities>({
  // One POST per attempt, plus the Redis writes around it.
  startToCloseTimeout: NOTIFY_TIMEOUT_MS + 5_000,
  retry: {
    initialInterval: NOTIFY_RETRY.initialIntervalMs,
    backoffCoefficient: NOTIFY_RETRY.backoffCoefficient,
    maximumInterval: NOTIFY_RETRY.maximumIntervalMs,
    maximumAttempts: NOTIFY_RETRY.maximumAttempts,
  },
});

export type NotificationResult = DeliverResult | { status: 'failed'; error: string };

export async function notificationWorkflow(input: DeliverInput): Promise<NotificationResult> {
  try {
    return await delivering.deliverNotification(input);
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const error = cause instanceof ApplicationFailure || cause instanceof Error ? cause.message : String(cause);
    return { status: 'failed', error };
  }
}
