/**
 * How the rollout workflow calls its activities: timeouts, heartbeats, retries and cancellation per
 * kind of work. Workflow code only (proxies, no I/O of its own).
 */
import { ActivityCancellationType, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { Reason } from '../domain/reasons';

/** Redis outages are waited out: retries never stop, at most 10 s apart. */
const waitOutRetry: ActivityOptions['retry'] = {
  initialInterval: '500ms',
  backoffCoefficient: 2,
  maximumInterval: '10s',
  nonRetryableErrorTypes: [Reason.StagedInputMissing, Reason.NotFound],
};

/**
 * Every activity that talks to targets heartbeats each second, so a worker that dies mid-activity
 * is noticed within 10 s and the activity runs again elsewhere.
 */
export const bookkeeping = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: waitOutRetry });
export const applying = proxyActivities<Activities>({
  startToCloseTimeout: '5m',
  scheduleToCloseTimeout: '1h',
  heartbeatTimeout: '10s',
  retry: waitOutRetry,
  // A cancelled batch finishes its in-flight deliveries before rollback starts delivering.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});
export const probing = proxyActivities<Activities>({
  startToCloseTimeout: '5m',
  scheduleToCloseTimeout: '1h',
  heartbeatTimeout: '10s',
  retry: waitOutRetry,
  cancellationType: ActivityCancellationType.TRY_CANCEL,
});
export const restoring = proxyActivities<Activities>({ startToCloseTimeout: '30m', heartbeatTimeout: '10s', retry: waitOutRetry });
/** An unreachable alert receiver must not keep the config locked: 5 tries over ~30 s, then given up. */
export const alerting = proxyActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
});
