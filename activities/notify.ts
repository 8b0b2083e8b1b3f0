/**
 * Notification activities: the fan-out that `recordProgress` runs once events are recorded (one
 * notification workflow per event and subscription that receives it), and the delivery of one
 * notification (one signed POST per attempt, each attempt recorded). Outbound calls go through
 * the fence (domain/outbound.ts) like every call to a target.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { type Client, WorkflowIdReusePolicy } from '@temporalio/client';
import {
  type Delivery,
  deliveryStatus,
  type NotificationPayload,
  notificationPayload,
  planNotifications,
  receives,
  renderBody,
} from '../domain/notifications';
import { ALERT_SUBSCRIPTION_ID, NOTIFY_RETRY, NOTIFY_TIMEOUT_MS, notificationWorkflowId } from '../domain/notify-delivery';
import { SIGNATURE_HEADER, signatureHeader } from '../domain/signature';
import type { RolloutEvent, RolloutSummary } from '../domain/schemas';
import type { Store } from '../store/store';
import type { SubscriptionStore } from '../store/subscriptions';
import type { TargetHttp } from './http';
import type { notificationWorkflow, NotificationResult } from '../workflows/notify';
import * as metrics from '../runtime/metrics';
import { workflowCallRefusal } from '../runtime/temporal-errors';

export interface DeliverInput {
  subscriptionId: string;
  seq: number;
  /** Built when the event was recorded, from the summary recorded with it; never the secret. */
  payload: NotificationPayload;
}

export type DeliverResult =
  { status: 'delivered'; statusCode: number; attempts: number; latencyMs: number } | { status: 'skipped'; reason: string };

export interface NotifyDeps {
  store: Store;
  subscriptions: SubscriptionStore;
  /** The fenced HTTP client for subscription URLs (TOLLGATE_NOTIFY_ALLOW). */
  http: TargetHttp;
  /** The dashboard's base URL in links (TOLLGATE_PUBLIC_URL). */
  publicUrl: string;
}

/** How long `sendAlert` waits for the alert subscription's delivery before its own retry. */
export const ALERT_WAIT_MS = 8_000;

function activityContext(): Context | null {
  try {
    return Context.current();
  } catch {
    return null;
  }
}

function withTimeout<T>(ms: number, p: Promise<T>): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

export function createNotifyActivities(deps: NotifyDeps) {
  const { subscriptions, http } = deps;

  return {
    /**
     * Starts the notifications a batch of recorded events makes. Each has its own workflow id and
     * Temporal refuses a second start of one, so running this again (a retried recordProgress)
     * sends nothing twice. Outside an activity (direct calls in tests) there is no client: nothing is sent.
     */
    async fanOut(summary: RolloutSummary, events: readonly RolloutEvent[]): Promise<number> {
      if (events.length === 0) return 0;
      const subs = await subscriptions.list();
      const planned = planNotifications(summary.id, summary.configKey, events, subs);
      const ctx = activityContext();
      if (planned.length === 0 || !ctx) return 0;
      const client: Client = ctx.client;
      const bySeq = new Map(events.map((e) => [e.seq, e]));
      await Promise.all(
        planned.map(async (p) => {
          const input: DeliverInput = {
            subscriptionId: p.subscriptionId,
            seq: p.seq,
            payload: notificationPayload(summary, bySeq.get(p.seq)!, p.event, deps.publicUrl),
          };
          try {
            await client.workflow.start<typeof notificationWorkflow>('notificationWorkflow', {
              taskQueue: ctx.info.taskQueue,
              workflowId: p.workflowId,
              args: [input],
              workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
              // The first workflow task goes straight to this worker instead of through the task
              // queue's poll: a regression page should not wait for a poller to come round.
              requestEagerStart: true,
            });
          } catch (err) {
            if (workflowCallRefusal(err) !== 'id_taken') throw err;
          }
        }),
      );
      return planned.length;
    },

    /**
     * One attempt to deliver one notification: the body in the subscription's format, signed when
     * it has a secret (the timestamp is this attempt's), the same idempotency key on every attempt.
     * The attempt is recorded; a failure is thrown for Temporal to retry (NOTIFY_RETRY), except a
     * URL the fence refuses, which no retry would change.
     */
    async deliverNotification(input: DeliverInput): Promise<DeliverResult> {
      const { payload } = input;
      const sub = await subscriptions.get(input.subscriptionId);
      if (!sub) return { status: 'skipped', reason: 'the subscription was deleted' };
      const attempt = activityContext()?.info.attempt ?? 1;
      const body = JSON.stringify(renderBody(sub.format, payload));
      const headers: Record<string, string> = {
        'idempotency-key': payload.idempotencyKey,
        'tollgate-event': payload.event,
        'tollgate-delivery-attempt': String(attempt),
        'user-agent': 'Tollgate-Notifications/1',
      };
      if (sub.secret) headers[SIGNATURE_HEADER] = signatureHeader(sub.secret, body);
      const o = await http.post(sub.url, body, NOTIFY_TIMEOUT_MS, headers);
      const now = new Date();
      const refused = !o.ok && (o.message ?? '').startsWith('refused:');
      const latencyMs = now.getTime() - Date.parse(payload.occurredAt);
      const record: Delivery = {
        idempotencyKey: payload.idempotencyKey,
        event: payload.event,
        rolloutId: payload.rolloutId,
        seq: input.seq,
        status: deliveryStatus(o.ok, !refused, attempt, NOTIFY_RETRY.maximumAttempts),
        attempts: attempt,
        ...(o.status ? { lastStatusCode: o.status } : {}),
        ...(o.ok ? {} : { lastError: (o.message ?? 'failed').slice(0, 500) }),
        occurredAt: payload.occurredAt,
        lastAttemptAt: now.toISOString(),
        ...(o.ok ? { deliveredAt: now.toISOString() } : {}),
        requestMs: Math.round(o.latencyMs * 10) / 10,
        latencyMs: o.ok ? latencyMs : null,
      };
      await subscriptions.recordDelivery(sub.id, record);
      // Delivered notifications by their latency; failed ones once, when no retry is left.
      if (o.ok) metrics.notificationLatency.observe({ event: payload.event, outcome: 'delivered' }, latencyMs / 1000);
      else if (record.status === 'failed')
        metrics.notificationLatency.observe({ event: payload.event, outcome: 'failed' }, latencyMs / 1000);
      if (o.ok) return { status: 'delivered', statusCode: o.status ?? 200, attempts: attempt, latencyMs };
      const why = `${sub.id}: ${o.message ?? 'failed'}`;
      if (refused) throw ApplicationFailure.nonRetryable(why, 'NotificationRefused');
      throw ApplicationFailure.retryable(why, 'NotificationFailed');
    },

    /**
     * What became of a rollout's `failed` notification to the alert subscription (TOLLGATE_ALERT_WEBHOOK):
     * 'none' when there is no such notification, else its result, or 'pending' after ALERT_WAIT_MS.
     */
    async alertOutcome(rolloutId: string, configKey: string): Promise<NotificationResult | 'none' | 'pending'> {
      const sub = await subscriptions.get(ALERT_SUBSCRIPTION_ID);
      const ctx = activityContext();
      if (!sub || !receives(sub, 'failed', configKey) || !ctx) return 'none';
      const failed = (await deps.store.rolloutEvents(rolloutId)).filter((e) => e.type === 'failed').at(-1);
      if (!failed) return 'none';
      const handle = ctx.client.workflow.getHandle<typeof notificationWorkflow>(notificationWorkflowId(rolloutId, failed.seq, sub.id));
      try {
        const result = await withTimeout(ALERT_WAIT_MS, handle.result());
        return result === 'timeout' ? 'pending' : result;
      } catch (err) {
        if (workflowCallRefusal(err) === 'not_found') return 'none';
        throw err;
      }
    },
  };
}
