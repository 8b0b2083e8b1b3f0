/**
 * Notifications over the real stack: subscriptions by HTTP, a bad rollout's events delivered to a
 * local receiver (signed, filtered by event and config key, retried with one idempotency key,
 * recorded as deliveries), and the time from detection to receipt of the regression.
 */
import type { Delivery, NotificationPayload, Subscription } from '../../domain/notifications';
import { verifySignature } from '../../domain/signature';
import { notificationLatency } from '../../runtime/metrics';
import { waitFor } from '../helpers/env';
import { makeRolloutRequest } from '../helpers/factories';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { startStack, type Stack } from '../helpers/stack';

type Err = { error: { code: string; message: string; field?: string } };

let stack: Stack;
let receiver: Receiver;
const app = 'notifyapi';
const SECRET = 'whsec_test_0123456789abcdef';

beforeAll(async () => {
  stack = await startStack('subs');
  receiver = await startReceiver();
  await stack.fleet({ push: 4, pull: 0, idPrefix: `${stack.taskQueue}-t`, labels: { app } });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

async function subscribe(body: Record<string, unknown>): Promise<Subscription> {
  const res = await stack.api<Subscription>('POST', '/v1/subscriptions', body);
  if (res.status !== 201) throw new Error(`POST /v1/subscriptions: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

describe('subscriptions', () => {
  it('are created, listed and deleted by an admin; the secret is never shown again, nor audited', async () => {
    const created = await stack.api<Subscription>('POST', '/v1/subscriptions', {
      url: receiver.url('/crud'),
      events: ['failed', 'rolled_back'],
      format: 'slack',
      configKeys: ['portal-db'],
      secret: SECRET,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^sub_[0-9a-f]{16}$/),
      url: receiver.url('/crud'),
      events: ['failed', 'rolled_back'],
      format: 'slack',
      configKeys: ['portal-db'],
      hasSecret: true,
    });
    const id = created.body.id;

    const all = await subscribe({ url: receiver.url('/crud-all') });
    expect(all).toMatchObject({ format: 'json', hasSecret: false, events: expect.arrayContaining(['regression', 'frozen']) });
    expect(all.events).toHaveLength(8);

    const listed = await stack.api<{ items: Subscription[] }>('GET', '/v1/subscriptions');
    expect(listed.body.items.map((s) => s.id)).toEqual(expect.arrayContaining([id, all.id]));
    expect(JSON.stringify(listed.body)).not.toContain(SECRET);
    const audit = await stack.api('GET', '/v1/audit?limit=50');
    expect(JSON.stringify(audit.body)).toContain('/v1/subscriptions');
    expect(JSON.stringify(audit.body)).not.toContain(SECRET);

    expect((await stack.api<{ items: Delivery[] }>('GET', `/v1/subscriptions/${id}/deliveries`)).body).toEqual({ items: [] });
    expect((await stack.api('DELETE', `/v1/subscriptions/${id}`)).status).toBe(204);
    expect((await stack.api('DELETE', `/v1/subscriptions/${all.id}`)).status).toBe(204);
    const again = await stack.api<Err>('DELETE', `/v1/subscriptions/${id}`);
    expect(again).toMatchObject({ status: 404, body: { error: { code: 'NotFound', field: 'subscriptionId' } } });
    expect((await stack.api<Err>('GET', `/v1/subscriptions/${id}/deliveries`)).status).toBe(404);
    expect((await stack.api<{ items: Subscription[] }>('GET', '/v1/subscriptions')).body.items.map((s) => s.id)).not.toContain(id);
  });

  it.each([
    ['no url', {}, 400, 'url'],
    ['a URL that is not http', { url: 'ftp://127.0.0.1/x' }, 400, 'url'],
    ['an unknown event', { url: 'http://127.0.0.1/x', events: ['exploded'] }, 400, 'events[0]'],
    ['an unknown format', { url: 'http://127.0.0.1/x', format: 'xml' }, 400, 'format'],
    ['a short secret', { url: 'http://127.0.0.1/x', secret: 'short' }, 400, 'secret'],
    ['an unknown field', { url: 'http://127.0.0.1/x', headers: {} }, 400, 'body'],
    ['a metadata address', { url: 'http://169.254.169.254/latest/meta-data' }, 422, 'url'],
    ['a metadata host name', { url: 'http://metadata.google.internal/' }, 422, 'url'],
  ])('refuses %s, naming the field', async (_name, body, status, field) => {
    const res = await stack.api<Err>('POST', '/v1/subscriptions', body);
    expect(res.status).toBe(status);
    expect(res.body.error.field).toBe(field);
    if (status === 422) expect(res.body.error.code).toBe('SubscriptionUrlRefused');
  });

  it('publishes the notification schema as an OpenAPI webhook', async () => {
    const doc = await stack.api<{ webhooks: Record<string, { post: { requestBody: unknown } }> }>('GET', '/openapi.json');
    expect(JSON.stringify(doc.body.webhooks.notification?.post.requestBody)).toContain('NotificationPayload');
  });

  it('TOLLGATE_ALERT_WEBHOOK becomes the subscription alert-webhook, written once however often workers start', async () => {
    const store = stack.store.subscriptions;
    await store.ensureAlertSubscription(receiver.url('/alerts'));
    await store.ensureAlertSubscription(receiver.url('/alerts'));
    const listed = await stack.api<{ items: Subscription[] }>('GET', '/v1/subscriptions');
    expect(listed.body.items.filter((s) => s.id === 'alert-webhook')).toEqual([
      expect.objectContaining({ url: receiver.url('/alerts'), events: ['failed'], format: 'json', createdBy: 'TOLLGATE_ALERT_WEBHOOK' }),
    ]);
    expect((await stack.api('DELETE', '/v1/subscriptions/alert-webhook')).status).toBe(204);
  });
});

describe('a bad rollout, notified', () => {
  it('reaches each subscriber with the events it asked for, signed, retried with one key, and recorded', async () => {
    const configKey = `${stack.taskQueue}-bad`;
    // Given: a signed subscriber of everything for this key, one of `completed` only, one of another
    // key, a Slack channel for regressions, and a pager that fails twice before it answers
    const signed = await subscribe({ url: receiver.url('/signed'), configKeys: [configKey], secret: SECRET });
    await subscribe({ url: receiver.url('/completed-only'), events: ['completed'], configKeys: [configKey] });
    await subscribe({ url: receiver.url('/other-key'), configKeys: [`${configKey}-other`] });
    await subscribe({ url: receiver.url('/slack'), events: ['regression'], format: 'slack', configKeys: [configKey] });
    const pager = await subscribe({ url: receiver.url('/pager'), events: ['regression'], configKeys: [configKey] });
    receiver.failNext('/pager', 2);

    // When a change that breaks every target rolls out
    const r = await stack.createRollout(
      makeRolloutRequest({ configKey, targets: { selector: { app } }, content: { healthy: false }, onRegression: 'rollback' }),
    );
    const done = await stack.untilRollout(r.id, 'rolled back', (d) => d.state === 'rolled_back', 60_000);
    const detected = done.events.find((e) => e.type === 'regression_detected')!;
    await waitFor('the notifications', async () => receiver.at('/signed').length >= 3 && receiver.at('/pager').length >= 3, 30_000);

    // Then the signed subscriber got regression, rollback_started and rolled_back, once each, each verifiable
    const signedGot = receiver.at('/signed');
    // (each is its own workflow: they may arrive in any order)
    expect(signedGot.map((x) => x.body.event).sort()).toEqual(['regression', 'rollback_started', 'rolled_back']);
    for (const got of signedGot) {
      expect(verifySignature(got.headers['tollgate-signature'] as string, got.raw, SECRET)).toMatchObject({ ok: true });
      expect(verifySignature(got.headers['tollgate-signature'] as string, got.raw, 'whsec_not_the_secret_at_all')).toMatchObject({
        ok: false,
      });
      expect(got.headers['idempotency-key']).toBe(got.body.idempotencyKey);
    }
    const regressionGot = signedGot.find((x) => x.body.event === 'regression')!;
    const regression = regressionGot.body as unknown as NotificationPayload;
    expect(regression).toMatchObject({
      event: 'regression',
      rolloutId: r.id,
      configKey,
      occurredAt: detected.at,
      idempotencyKey: `${r.id}:regression:${detected.seq}`,
      stage: { name: 'canary' },
      dashboardUrl: `http://localhost:3000/rollouts/${r.id}`,
    });
    expect(regression.evidence.summary).toContain(detected.message);

    // And the filters held: nothing for `completed` only, nothing for another key
    expect(receiver.at('/completed-only')).toEqual([]);
    expect(receiver.at('/other-key')).toEqual([]);

    // And Slack got its message shape
    await waitFor('the Slack message', async () => receiver.at('/slack').length === 1);
    const slack = receiver.at('/slack')[0]!.body;
    expect(slack.text).toEqual(expect.stringContaining(`Regression detected: rollout ${r.id}`));
    expect(slack.blocks).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'section' })]));

    // And the pager got it on the third attempt, with one idempotency key, as its deliveries say
    const pagerGot = receiver.at('/pager');
    expect(pagerGot).toHaveLength(3);
    expect(new Set(pagerGot.map((x) => x.headers['idempotency-key']))).toEqual(new Set([`${r.id}:regression:${detected.seq}`]));
    expect(pagerGot.map((x) => x.headers['tollgate-delivery-attempt'])).toEqual(['1', '2', '3']);
    const deliveries = await waitFor('the delivery record', async () => {
      const res = await stack.api<{ items: Delivery[] }>('GET', `/v1/subscriptions/${pager.id}/deliveries`);
      return res.body.items[0]?.status === 'delivered' ? res.body.items : undefined;
    });
    expect(deliveries).toEqual([
      expect.objectContaining({
        idempotencyKey: `${r.id}:regression:${detected.seq}`,
        event: 'regression',
        rolloutId: r.id,
        status: 'delivered',
        attempts: 3,
        lastStatusCode: 204,
        latencyMs: expect.any(Number),
        requestMs: expect.any(Number),
      }),
    ]);
    const signedDeliveries = (await stack.api<{ items: Delivery[] }>('GET', `/v1/subscriptions/${signed.id}/deliveries`)).body.items;
    expect(signedDeliveries.map((d) => [d.event, d.status, d.attempts]).sort()).toEqual([
      ['regression', 'delivered', 1],
      ['rollback_started', 'delivered', 1],
      ['rolled_back', 'delivered', 1],
    ]);

    // The measurement: detection (the event's time) to receipt, for the first attempt that got through.
    const latency = regressionGot.at - Date.parse(detected.at);
    expect(latency).toBeGreaterThanOrEqual(0);
    console.log(
      `regression notification: detected → received ${latency} ms (delivery record: ${signedDeliveries.find((d) => d.event === 'regression')?.latencyMs} ms)`,
    );

    // The worker (in this process) counted each delivered notification in its latency histogram.
    const counts = (await notificationLatency.get()).values.filter(
      (v) => v.metricName === 'tollgate_notification_latency_seconds_count' && v.labels.outcome === 'delivered',
    );
    expect(counts.find((v) => v.labels.event === 'regression')?.value).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
