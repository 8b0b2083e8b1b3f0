/**
 * Notifications: subscriptions (who hears about which rollout events), the public event names,
 * and the payloads receivers get. The zod schemas are the single source of the types, of request
 * validation and of the OpenAPI document; the decisions (which subscriptions get an event, what
 * its payload says) are pure functions with table tests (tests/unit/notifications.test.ts).
 */
import { z } from 'zod';
import { Id, type RolloutEvent, type RolloutEventType, type RolloutSummary } from './schemas';
import { notificationWorkflowId } from './notify-delivery';

/* ---------- limits ---------- */

/** Subscriptions at most (TOLLGATE_MAX_SUBSCRIPTIONS is not configurable: each one costs a workflow per event). */
export const MAX_SUBSCRIPTIONS = 100;
/** Longest subscription URL. */
export const MAX_SUBSCRIPTION_URL = 2048;
/** A signing secret's length: long enough to resist guessing, short enough to bound the header work. */
export const SECRET_MIN = 16;
export const SECRET_MAX = 256;
/** Config keys one subscription may name. */
export const MAX_SUBSCRIPTION_CONFIG_KEYS = 100;
/** Delivery records kept per subscription (the oldest are dropped). */
export const DELIVERIES_KEPT = 200;
/** Bytes of an event's detail carried as evidence; a larger detail is left out (the dashboard has it all). */
export const MAX_EVIDENCE_DETAIL_BYTES = 4_096;

/* ---------- events ---------- */

export const NOTIFICATION_EVENTS = [
  'regression',
  'rollback_started',
  'rolled_back',
  'review_needed',
  'approval_needed',
  'frozen',
  'completed',
  'failed',
] as const;
export const NotificationEvent = z.enum(NOTIFICATION_EVENTS);
export type NotificationEvent = z.infer<typeof NotificationEvent>;

/** The rollout events that are notified, by the public name receivers see. Every other event type is not. */
const PUBLIC_NAME: Partial<Record<RolloutEventType, NotificationEvent>> = {
  regression_detected: 'regression',
  rollback_started: 'rollback_started',
  rolled_back: 'rolled_back',
  review_requested: 'review_needed',
  approval_requested: 'approval_needed',
  frozen: 'frozen',
  completed: 'completed',
  failed: 'failed',
};

export function notificationEventOf(type: RolloutEventType): NotificationEvent | null {
  return PUBLIC_NAME[type] ?? null;
}

/** Events a rollout has at most once: their idempotency key needs no sequence number. */
const ONCE_PER_ROLLOUT: ReadonlySet<NotificationEvent> = new Set(['rollback_started', 'rolled_back', 'completed', 'failed']);

/**
 * The same on every attempt and every subscription: `<rolloutId>:<event>` for events a rollout has
 * once (`r1:failed`, as the alert webhook always sent), `<rolloutId>:<event>:<seq>` for the others.
 */
export function idempotencyKeyOf(rolloutId: string, event: NotificationEvent, seq: number): string {
  return ONCE_PER_ROLLOUT.has(event) ? `${rolloutId}:${event}` : `${rolloutId}:${event}:${seq}`;
}

/* ---------- subscriptions ---------- */

export const SubscriptionFormat = z.enum(['json', 'slack']);
export type SubscriptionFormat = z.infer<typeof SubscriptionFormat>;

const SubscriptionUrl = z
  .string()
  .max(MAX_SUBSCRIPTION_URL, `must be at most ${MAX_SUBSCRIPTION_URL} characters`)
  .pipe(z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }));

export const CreateSubscriptionRequest = z
  .object({
    url: SubscriptionUrl.describe('Receives a POST per event. Checked against the outbound fence (TOLLGATE_NOTIFY_ALLOW) after DNS.'),
    events: z
      .array(NotificationEvent)
      .min(1)
      .max(NOTIFICATION_EVENTS.length)
      .refine((events) => new Set(events).size === events.length, 'events must be unique')
      .optional()
      .describe('Which events to send; omitted: all of them.'),
    format: SubscriptionFormat.default('json').describe('`json`: the notification as it is; `slack`: a Slack incoming-webhook message.'),
    configKeys: z
      .array(Id)
      .min(1)
      .max(MAX_SUBSCRIPTION_CONFIG_KEYS)
      .refine((ks) => new Set(ks).size === ks.length, 'configKeys must be unique')
      .optional()
      .describe('Only rollouts of these config keys; omitted: every key.'),
    secret: z
      .string()
      .min(SECRET_MIN, `must be at least ${SECRET_MIN} characters`)
      .max(SECRET_MAX, `must be at most ${SECRET_MAX} characters`)
      .optional()
      .describe('Signs each POST (HMAC-SHA256, header Tollgate-Signature). Never returned.'),
  })
  .strict()
  .meta({ id: 'CreateSubscriptionRequest' });
export type CreateSubscriptionRequest = z.infer<typeof CreateSubscriptionRequest>;

/** A subscription as the API shows it: never its secret, only whether it has one. */
export const Subscription = z
  .object({
    id: Id,
    url: z.string(),
    events: z.array(NotificationEvent),
    format: SubscriptionFormat,
    configKeys: z.array(Id).optional(),
    hasSecret: z.boolean(),
    createdAt: z.iso.datetime(),
    createdBy: z.string(),
  })
  .meta({ id: 'Subscription' });
export type Subscription = z.infer<typeof Subscription>;

/** What Redis keeps: the view plus the secret, which only the delivery activity reads. */
export type StoredSubscription = Omit<Subscription, 'hasSecret'> & { secret?: string };

export function publicView(stored: StoredSubscription): Subscription {
  const { secret, ...rest } = stored;
  return { ...rest, hasSecret: secret !== undefined };
}

/** The stored form of a request: events resolved (omitted means all). */
export function newSubscription(id: string, input: CreateSubscriptionRequest, by: string, now: Date): StoredSubscription {
  return {
    id,
    url: input.url,
    events: input.events ?? [...NOTIFICATION_EVENTS],
    format: input.format,
    ...(input.configKeys ? { configKeys: input.configKeys } : {}),
    ...(input.secret !== undefined ? { secret: input.secret } : {}),
    createdAt: now.toISOString(),
    createdBy: by,
  };
}

/** Whether a subscription hears of this event of a rollout of this config key. */
export function receives(sub: Pick<StoredSubscription, 'events' | 'configKeys'>, event: NotificationEvent, configKey: string): boolean {
  return sub.events.includes(event) && (sub.configKeys === undefined || sub.configKeys.includes(configKey));
}

export interface PlannedNotification {
  workflowId: string;
  subscriptionId: string;
  event: NotificationEvent;
  seq: number;
  idempotencyKey: string;
}

/** Which notifications a batch of recorded events makes: one per (notified event, subscription that receives it). */
export function planNotifications(
  rolloutId: string,
  configKey: string,
  events: readonly Pick<RolloutEvent, 'seq' | 'type'>[],
  subscriptions: readonly Pick<StoredSubscription, 'id' | 'events' | 'configKeys'>[],
): PlannedNotification[] {
  const out: PlannedNotification[] = [];
  for (const e of events) {
    const event = notificationEventOf(e.type);
    if (!event) continue;
    for (const sub of subscriptions) {
      if (!receives(sub, event, configKey)) continue;
      out.push({
        workflowId: notificationWorkflowId(rolloutId, e.seq, sub.id),
        subscriptionId: sub.id,
        event,
        seq: e.seq,
        idempotencyKey: idempotencyKeyOf(rolloutId, event, e.seq),
      });
    }
  }
  return out;
}

/* ---------- payloads ---------- */

export const NotificationPayload = z
  .object({
    event: NotificationEvent,
    idempotencyKey: z.string().describe('The same on every retry (also the Idempotency-Key header): drop repeats.'),
    occurredAt: z.iso.datetime().describe('When the workflow recorded the event (detection time, for a regression).'),
    message: z.string(),
    rolloutId: z.string(),
    configKey: z.string(),
    version: z.number().int().nullable(),
    previousStableVersion: z.number().int().nullable(),
    state: z.string().describe('The rollout’s state as the event was recorded.'),
    reason: z.string().nullable(),
    description: z.string().optional(),
    submittedBy: z.string().optional(),
    targets: z.object({ total: z.number().int(), updated: z.number().int() }),
    stage: z
      .object({ name: z.string(), percent: z.number(), targets: z.number().int(), state: z.string() })
      .nullable()
      .describe('The stage the event happened in, if any.'),
    evidence: z.object({
      summary: z.string(),
      detail: z.record(z.string(), z.unknown()).optional().describe(`The event's detail, when under ${MAX_EVIDENCE_DETAIL_BYTES} bytes.`),
    }),
    unrestored: z.array(z.unknown()).optional().describe('`failed` after a rollback: the targets left on a version they should not run.'),
    dashboardUrl: z.string(),
  })
  .meta({ id: 'NotificationPayload' });
export type NotificationPayload = z.infer<typeof NotificationPayload>;

/** A human line for an event's evidence: what was measured, not only that something happened. */
export function evidenceSummary(event: Pick<RolloutEvent, 'message' | 'detail'>): string {
  const sample = event.detail.sample as { failed?: unknown; total?: unknown; p95LatencyMs?: unknown } | undefined;
  if (sample && typeof sample.failed === 'number' && typeof sample.total === 'number') {
    const p95 = typeof sample.p95LatencyMs === 'number' ? `, p95 ${Math.round(sample.p95LatencyMs)} ms` : '';
    return `${event.message} (${sample.failed} of ${sample.total} targets failing${p95})`;
  }
  return event.message;
}

function boundedDetail(detail: Record<string, unknown>): Record<string, unknown> | undefined {
  const text = JSON.stringify(detail);
  return Buffer.byteLength(text) <= MAX_EVIDENCE_DETAIL_BYTES ? detail : undefined;
}

export function dashboardLink(baseUrl: string, rolloutId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/rollouts/${encodeURIComponent(rolloutId)}`;
}

/** What a receiver gets for one event of a rollout, built from the summary recorded with it. */
export function notificationPayload(
  summary: RolloutSummary,
  event: RolloutEvent,
  name: NotificationEvent,
  dashboardBaseUrl: string,
): NotificationPayload {
  const stage = event.stage ? summary.stages.find((s) => s.name === event.stage) : undefined;
  const detail = boundedDetail(event.detail);
  const unrestored = name === 'failed' && Array.isArray(event.detail.unrestored) ? (event.detail.unrestored as unknown[]) : undefined;
  return {
    event: name,
    idempotencyKey: idempotencyKeyOf(summary.id, name, event.seq),
    occurredAt: event.at,
    message: event.message,
    rolloutId: summary.id,
    configKey: summary.configKey,
    version: summary.version,
    previousStableVersion: summary.previousStableVersion,
    state: summary.state,
    reason: summary.reason,
    ...(summary.description !== undefined ? { description: summary.description } : {}),
    ...(summary.submittedBy !== undefined ? { submittedBy: summary.submittedBy } : {}),
    targets: { total: summary.totalTargets, updated: summary.updatedTargets },
    stage: stage ? { name: stage.name, percent: stage.percent, targets: stage.targets, state: stage.state } : null,
    evidence: { summary: evidenceSummary(event), ...(detail ? { detail } : {}) },
    ...(name === 'failed' ? { unrestored: unrestored ?? [] } : {}),
    dashboardUrl: dashboardLink(dashboardBaseUrl, summary.id),
  };
}

const HEADLINE: Record<NotificationEvent, string> = {
  regression: ':rotating_light: Regression detected',
  rollback_started: ':rewind: Rollback started',
  rolled_back: ':leftwards_arrow_with_hook: Rolled back',
  review_needed: ':eyes: Review needed',
  approval_needed: ':raised_hand: Approval needed',
  frozen: ':snowflake: Held by a freeze',
  completed: ':white_check_mark: Completed',
  failed: ':x: Failed',
};

/** Slack's `&`, `<` and `>` are control characters in mrkdwn. */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The incoming-webhook shape: `text` for notifications and clients without blocks, `blocks` for the message. */
export function slackMessage(p: NotificationPayload): { text: string; blocks: unknown[] } {
  const where = `${p.configKey}${p.version !== null ? ` v${p.version}` : ''}${p.stage ? `, stage ${p.stage.name}` : ''}`;
  const text = `${HEADLINE[p.event]}: rollout ${p.rolloutId} (${where}): ${p.evidence.summary}`;
  return {
    text: slackEscape(text),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${HEADLINE[p.event]}* — \`${slackEscape(where)}\`` } },
      { type: 'section', text: { type: 'mrkdwn', text: slackEscape(p.evidence.summary) } },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `state *${p.state}* · ${p.targets.updated}/${p.targets.total} targets on the new version · <${p.dashboardUrl}|open rollout ${slackEscape(p.rolloutId)}>`,
          },
        ],
      },
    ],
  };
}

/** The body sent to a subscription: the payload itself, or the Slack message made of it. */
export function renderBody(format: SubscriptionFormat, payload: NotificationPayload): unknown {
  return format === 'slack' ? slackMessage(payload) : payload;
}

/* ---------- deliveries ---------- */

export const DeliveryStatus = z.enum(['retrying', 'delivered', 'failed', 'skipped']);
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;

export const Delivery = z
  .object({
    idempotencyKey: z.string(),
    event: NotificationEvent,
    rolloutId: z.string(),
    seq: z.number().int(),
    status: DeliveryStatus.describe(
      '`retrying`: the last attempt failed and another comes; `failed`: every attempt failed; `skipped`: refused by the outbound fence.',
    ),
    attempts: z.number().int().describe('POSTs made so far.'),
    lastStatusCode: z.number().int().optional(),
    lastError: z.string().optional(),
    occurredAt: z.iso.datetime().describe('When the event was recorded.'),
    lastAttemptAt: z.iso.datetime(),
    deliveredAt: z.iso.datetime().optional(),
    requestMs: z.number().describe('How long the last POST took.'),
    latencyMs: z.number().nullable().describe('From the event being recorded to the receiver’s 2xx; null until delivered.'),
  })
  .meta({ id: 'Delivery' });
export type Delivery = z.infer<typeof Delivery>;

/** What one attempt's outcome makes of the record: retrying until the last attempt, which fails it. */
export function deliveryStatus(ok: boolean, retryable: boolean, attempt: number, maxAttempts: number): DeliveryStatus {
  if (ok) return 'delivered';
  if (!retryable) return 'skipped';
  return attempt >= maxAttempts ? 'failed' : 'retrying';
}
