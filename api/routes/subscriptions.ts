/** Notification subscriptions: who is told of which rollout events, and what became of each notification. */
import { Router } from 'express';
import { MAX_SUBSCRIPTIONS, newSubscription, publicView } from '../../domain/notifications';
import type { OutboundPolicy } from '../../domain/outbound';
import { Reason } from '../../domain/reasons';
import { SubscriptionStore } from '../../store/subscriptions';
import { principalOf } from '../auth';
import { contract } from '../contract';
import { bind, HttpError } from '../http';
import { checkOutboundUrl, type Resolve, systemResolve } from '../target-urls';

export interface SubscriptionDeps {
  subscriptions: SubscriptionStore;
  /** TOLLGATE_NOTIFY_ALLOW; the ranges always refused apply whatever it says. */
  policy: OutboundPolicy;
  resolve?: Resolve;
}

export function subscriptionRoutes({ subscriptions, policy, resolve = systemResolve }: SubscriptionDeps): Router {
  const r = Router();

  bind(r, contract.createSubscription, async ({ body }, _req, res) => {
    await checkOutboundUrl('url', body.url, policy, Reason.SubscriptionUrlRefused, resolve);
    const sub = newSubscription(SubscriptionStore.newId(), body, principalOf(res)?.name ?? 'unknown', new Date());
    if (!(await subscriptions.put(sub))) {
      throw new HttpError(Reason.TooManySubscriptions, `url: ${MAX_SUBSCRIPTIONS} subscriptions exist already; delete one first`, 'url', {
        max: MAX_SUBSCRIPTIONS,
      });
    }
    return { status: 201, body: publicView(sub) };
  });

  bind(r, contract.listSubscriptions, async () => ({ status: 200, body: { items: (await subscriptions.list()).map(publicView) } }));

  bind(r, contract.deleteSubscription, async ({ params }) => {
    if (!(await subscriptions.delete(params.subscriptionId)))
      throw new HttpError(Reason.NotFound, `subscriptionId: no subscription ${params.subscriptionId}`, 'subscriptionId');
    return { status: 204 };
  });

  bind(r, contract.listDeliveries, async ({ params, query }) => {
    if (!(await subscriptions.get(params.subscriptionId)))
      throw new HttpError(Reason.NotFound, `subscriptionId: no subscription ${params.subscriptionId}`, 'subscriptionId');
    return { status: 200, body: { items: await subscriptions.deliveries(params.subscriptionId, query.limit) } };
  });

  return r;
}
