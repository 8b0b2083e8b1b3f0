import {
  CreateSubscriptionRequest,
  deliveryStatus,
  evidenceSummary,
  idempotencyKeyOf,
  MAX_EVIDENCE_DETAIL_BYTES,
  newSubscription,
  NOTIFICATION_EVENTS,
  notificationEventOf,
  notificationPayload,
  planNotifications,
  publicView,
  receives,
  renderBody,
  slackMessage,
  type NotificationEvent,
} from '../../domain/notifications';
import { notificationWorkflowId } from '../../domain/notify-delivery';
import { EVENT_TYPES, type RolloutEvent, type RolloutEventType, type RolloutSummary } from '../../domain/schemas';
import { signatureHeader, signatureOf, verifySignature } from '../../domain/signature';
import { buildSubscriptionRequest } from '../../cli/commands/subscription';
import { deliveriesTable, subscriptionsTable } from '../../cli/render';

const summary = (overrides: Partial<RolloutSummary> = {}): RolloutSummary => ({
  id: 'r1',
  configKey: 'portal-db',
  version: 7,
  previousStableVersion: 6,
  state: 'rolling_back',
  reason: 'regression: 2 of 2 targets failing',
  currentStage: 'canary',
  currentStageIndex: 0,
  stages: [
    { name: 'canary', percent: 10, bakeSeconds: 1, approval: false, targets: 2, state: 'rolled_back', startedAt: null, finishedAt: null },
  ],
  totalTargets: 20,
  updatedTargets: 2,
  onRegression: 'rollback',
  health: { intervalSeconds: 1, timeoutMs: 1000, maxErrorRate: 0, failureThreshold: 1 },
  submittedBy: 'dana',
  allowedActions: [],
  createdAt: '2026-12-02T10:00:00.000Z',
  updatedAt: '2026-12-02T10:00:05.000Z',
  workflowId: 'tollgate-config-portal-db',
  ...overrides,
});
const event = (type: RolloutEventType, seq = 5, overrides: Partial<RolloutEvent> = {}): RolloutEvent => ({
  seq,
  at: '2026-12-02T10:00:04.000Z',
  type,
  message: `${type} happened`,
  detail: {},
  ...overrides,
});

describe('notificationEventOf: which rollout events are notified, by their public name', () => {
  const cases: [RolloutEventType, NotificationEvent | null][] = [
    ['regression_detected', 'regression'],
    ['rollback_started', 'rollback_started'],
    ['rolled_back', 'rolled_back'],
    ['review_requested', 'review_needed'],
    ['approval_requested', 'approval_needed'],
    ['frozen', 'frozen'],
    ['completed', 'completed'],
    ['failed', 'failed'],
    ['health_sample', null],
    ['stage_started', null],
    ['paused', null],
    ['alert', null],
    ['rollback_attempt', null],
  ];
  it.each(cases)('%s → %s', (type, want) => expect(notificationEventOf(type)).toBe(want));

  it('maps onto every public event name exactly once', () => {
    const mapped = EVENT_TYPES.map(notificationEventOf).filter((n) => n !== null);
    expect([...mapped].sort()).toEqual([...NOTIFICATION_EVENTS].sort());
  });
});

describe('receives: events and config keys filter', () => {
  const cases: [string, { events: NotificationEvent[]; configKeys?: string[] }, NotificationEvent, string, boolean][] = [
    ['all events, all keys', { events: [...NOTIFICATION_EVENTS] }, 'completed', 'portal-db', true],
    ['the event is not subscribed', { events: ['regression'] }, 'completed', 'portal-db', false],
    ['the event is subscribed', { events: ['regression'] }, 'regression', 'portal-db', true],
    ['the key is listed', { events: ['failed'], configKeys: ['portal-db'] }, 'failed', 'portal-db', true],
    ['the key is not listed', { events: ['failed'], configKeys: ['billing'] }, 'failed', 'portal-db', false],
  ];
  it.each(cases)('%s', (_name, sub, e, key, want) => expect(receives(sub, e, key)).toBe(want));
});

describe('idempotencyKeyOf', () => {
  const cases: [NotificationEvent, string][] = [
    ['failed', 'r1:failed'],
    ['completed', 'r1:completed'],
    ['rolled_back', 'r1:rolled_back'],
    ['rollback_started', 'r1:rollback_started'],
    ['regression', 'r1:regression:9'],
    ['approval_needed', 'r1:approval_needed:9'],
    ['frozen', 'r1:frozen:9'],
    ['review_needed', 'r1:review_needed:9'],
  ];
  it.each(cases)('%s → %s', (e, want) => expect(idempotencyKeyOf('r1', e, 9)).toBe(want));
});

describe('planNotifications', () => {
  const all = { id: 'all', events: [...NOTIFICATION_EVENTS] };
  const regressions = { id: 'pager', events: ['regression' as const] };
  const billing = { id: 'billing', events: [...NOTIFICATION_EVENTS], configKeys: ['billing'] };

  it('one notification per notified event and receiving subscription, with deterministic workflow ids', () => {
    const planned = planNotifications(
      'r1',
      'portal-db',
      [event('health_sample', 3), event('regression_detected', 4), event('rollback_started', 5)],
      [all, regressions, billing],
    );
    expect(planned).toEqual([
      { workflowId: 'notify:r1:4:all', subscriptionId: 'all', event: 'regression', seq: 4, idempotencyKey: 'r1:regression:4' },
      { workflowId: 'notify:r1:4:pager', subscriptionId: 'pager', event: 'regression', seq: 4, idempotencyKey: 'r1:regression:4' },
      { workflowId: 'notify:r1:5:all', subscriptionId: 'all', event: 'rollback_started', seq: 5, idempotencyKey: 'r1:rollback_started' },
    ]);
    expect(planned[0]!.workflowId).toBe(notificationWorkflowId('r1', 4, 'all'));
  });

  it('nothing without subscriptions or notified events', () => {
    expect(planNotifications('r1', 'portal-db', [event('regression_detected')], [])).toEqual([]);
    expect(planNotifications('r1', 'portal-db', [event('stage_started')], [all])).toEqual([]);
  });
});

describe('notificationPayload', () => {
  it('carries the rollout, the stage, the evidence and the dashboard link', () => {
    const e = event('regression_detected', 4, {
      stage: 'canary',
      message: 'error rate 100% > 0%',
      detail: { sample: { failed: 2, total: 2, p95LatencyMs: 12.4 } },
    });
    const p = notificationPayload(summary(), e, 'regression', 'https://tollgate.example.com/');
    expect(p).toMatchObject({
      event: 'regression',
      idempotencyKey: 'r1:regression:4',
      occurredAt: e.at,
      rolloutId: 'r1',
      configKey: 'portal-db',
      version: 7,
      state: 'rolling_back',
      submittedBy: 'dana',
      targets: { total: 20, updated: 2 },
      stage: { name: 'canary', percent: 10, targets: 2, state: 'rolled_back' },
      evidence: { summary: 'error rate 100% > 0% (2 of 2 targets failing, p95 12 ms)', detail: e.detail },
      dashboardUrl: 'https://tollgate.example.com/rollouts/r1',
    });
    expect(p).not.toHaveProperty('unrestored');
  });

  it('a failed rollout names the targets left unrestored (as the alert webhook did)', () => {
    const unrestored = [{ targetId: 'web-3', reason: 'connection', message: 'ECONNREFUSED' }];
    const p = notificationPayload(summary({ state: 'failed' }), event('failed', 9, { detail: { unrestored } }), 'failed', 'http://x');
    expect(p).toMatchObject({ idempotencyKey: 'r1:failed', state: 'failed', unrestored, stage: null });
  });

  it('leaves out a detail too large to carry, keeping the summary', () => {
    const big = { blob: 'x'.repeat(MAX_EVIDENCE_DETAIL_BYTES) };
    const p = notificationPayload(summary(), event('regression_detected', 4, { detail: big }), 'regression', 'http://x');
    expect(p.evidence).toEqual({ summary: 'regression_detected happened' });
  });

  it('evidence without a health sample is the event message', () => {
    expect(evidenceSummary({ message: 'stage canary waits for approval', detail: { targets: 2 } })).toBe('stage canary waits for approval');
  });
});

describe('slack format', () => {
  it('is the incoming-webhook shape: text and blocks, with the link, escaped', () => {
    const p = notificationPayload(
      summary(),
      event('regression_detected', 4, { stage: 'canary', message: 'p95 > 200 ms <boom> & more' }),
      'regression',
      'http://t',
    );
    const m = slackMessage(p);
    expect(m.text).toBe(
      ':rotating_light: Regression detected: rollout r1 (portal-db v7, stage canary): p95 &gt; 200 ms &lt;boom&gt; &amp; more',
    );
    expect(JSON.stringify(m.blocks)).toContain('<http://t/rollouts/r1|open rollout r1>');
    expect(renderBody('slack', p)).toEqual(m);
    expect(renderBody('json', p)).toBe(p);
  });
});

describe('signature', () => {
  const secret = 'whsec_0123456789abcdef';
  const body = '{"event":"regression"}';
  const now = new Date('2026-12-02T10:00:00Z');
  const header = signatureHeader(secret, body, now);

  it('is t=<unix>,v1=<hmac of "t.body">', () => {
    expect(header).toBe(`t=${now.getTime() / 1000},v1=${signatureOf(secret, now.getTime() / 1000, body)}`);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
  });

  const cases: [string, string | undefined, string, string, Date, boolean][] = [
    ['the right secret and body, now', header, body, secret, now, true],
    ['4 minutes later', header, body, secret, new Date(now.getTime() + 240_000), true],
    ['a replay 6 minutes later', header, body, secret, new Date(now.getTime() + 360_000), false],
    ['another body', header, '{"event":"completed"}', secret, now, false],
    ['another secret', header, body, 'whsec_fedcba9876543210', now, false],
    ['no header', undefined, body, secret, now, false],
    ['a malformed header', 'v1=abc', body, secret, now, false],
  ];
  it.each(cases)('verifies: %s', (_name, h, b, s, at, ok) => expect(verifySignature(h, b, s, at).ok).toBe(ok));
});

describe('deliveryStatus', () => {
  const cases: [string, boolean, boolean, number, number, string][] = [
    ['a 2xx', true, true, 1, 10, 'delivered'],
    ['a 2xx on the third attempt', true, true, 3, 10, 'delivered'],
    ['a failure with attempts left', false, true, 2, 10, 'retrying'],
    ['a failure on the last attempt', false, true, 10, 10, 'failed'],
    ['refused by the fence', false, false, 1, 10, 'skipped'],
  ];
  it.each(cases)('%s', (_n, ok, retryable, attempt, max, want) => expect(deliveryStatus(ok, retryable, attempt, max)).toBe(want));
});

describe('subscriptions', () => {
  it('events omitted means all of them; the public view never has the secret', () => {
    const input = CreateSubscriptionRequest.parse({ url: 'https://hooks.example.com/x', secret: 'a-secret-of-16-chars' });
    const stored = newSubscription('sub_1', input, 'ann', new Date('2026-12-02T10:00:00Z'));
    expect(stored.events).toEqual([...NOTIFICATION_EVENTS]);
    const view = publicView(stored);
    expect(view).toMatchObject({ id: 'sub_1', format: 'json', hasSecret: true, createdBy: 'ann' });
    expect(JSON.stringify(view)).not.toContain('a-secret-of-16-chars');
  });

  const refused: [string, Record<string, unknown>, string][] = [
    ['no url', {}, 'url'],
    ['not http', { url: 'ftp://x.example.com/' }, 'url'],
    ['too long', { url: `https://x.example.com/${'a'.repeat(2100)}` }, 'url'],
    ['unknown event', { url: 'https://x.example.com/', events: ['exploded'] }, 'events'],
    ['empty events', { url: 'https://x.example.com/', events: [] }, 'events'],
    ['unknown format', { url: 'https://x.example.com/', format: 'xml' }, 'format'],
    ['short secret', { url: 'https://x.example.com/', secret: 'short' }, 'secret'],
    ['bad config key', { url: 'https://x.example.com/', configKeys: ['../x'] }, 'configKeys'],
    ['unknown field', { url: 'https://x.example.com/', extra: 1 }, ''],
  ];
  it.each(refused)('refuses %s', (_n, body, field) => {
    const r = CreateSubscriptionRequest.safeParse(body);
    expect(r.success).toBe(false);
    expect(String(r.error?.issues[0]?.path[0] ?? '')).toBe(field);
  });
});

describe('CLI', () => {
  it('builds the request from flags, the secret from the environment', () => {
    const req = buildSubscriptionRequest(
      { url: 'https://x.example.com/', events: 'regression, failed', format: 'slack', 'config-keys': 'portal-db', 'secret-env': 'S' },
      { S: 'a-secret-of-16-chars' },
    );
    expect(req).toEqual({
      url: 'https://x.example.com/',
      events: ['regression', 'failed'],
      format: 'slack',
      configKeys: ['portal-db'],
      secret: 'a-secret-of-16-chars',
    });
  });

  it('names the flag of a mistake', () => {
    expect(() => buildSubscriptionRequest({}, {})).toThrow('--url: is required');
    expect(() => buildSubscriptionRequest({ url: 'https://x.example.com/', events: 'boom' }, {})).toThrow(/^--events: /);
    expect(() => buildSubscriptionRequest({ url: 'https://x.example.com/', 'secret-env': 'NOPE' }, {})).toThrow(
      '--secret-env: $NOPE is not set',
    );
  });

  it('renders subscriptions and deliveries as tables', () => {
    const sub = publicView(newSubscription('sub_1', CreateSubscriptionRequest.parse({ url: 'https://x.example.com/' }), 'ann', new Date()));
    expect(subscriptionsTable([sub]).join('\n')).toMatch(/sub_1\s+json\s+all\s+all\s+no\s+https:\/\/x\.example\.com\//);
    const lines = deliveriesTable([
      {
        idempotencyKey: 'r1:failed',
        event: 'failed',
        rolloutId: 'r1',
        seq: 9,
        status: 'delivered',
        attempts: 3,
        occurredAt: '2026-12-02T10:00:00.000Z',
        lastAttemptAt: '2026-12-02T10:00:02.000Z',
        deliveredAt: '2026-12-02T10:00:02.000Z',
        requestMs: 3.2,
        latencyMs: 2012.4,
      },
    ]);
    expect(lines[1]).toMatch(/failed\s+r1\s+delivered\s+3\s+2012 ms/);
  });
});
