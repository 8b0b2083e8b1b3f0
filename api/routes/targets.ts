/** Targets: whatever receives configuration (a host, an instance, a pod, a cell). */
import { Router } from 'express';
import type { OutboundPolicy } from '../../domain/outbound';
import { Reason } from '../../domain/reasons';
import type { Store } from '../../store/store';
import { contract } from '../contract';
import { bind, HttpError } from '../http';
import { checkTargetUrls } from '../target-urls';

export function targetRoutes(store: Store, policy: OutboundPolicy): Router {
  const r = Router();

  bind(r, contract.putTarget, async ({ params, body }) => {
    await checkTargetUrls(body, policy);
    return { status: 200, body: await store.putTarget(params.targetId, body) };
  });

  bind(r, contract.listTargets, async ({ query }) => ({ status: 200, body: { items: await store.listTargets(query.selector) } }));

  bind(r, contract.getTarget, async ({ params }) => {
    const t = await store.getTarget(params.targetId);
    if (!t) throw new HttpError(Reason.NotFound, `targetId: no target ${params.targetId}`, 'targetId');
    return { status: 200, body: t };
  });

  bind(r, contract.deleteTarget, async ({ params }) => {
    const active = await store.activeRolloutWithTarget(params.targetId);
    if (active) {
      throw new HttpError(Reason.TargetInUse, `targetId: ${params.targetId} is part of active rollout ${active}`, 'targetId', {
        rolloutId: active,
      });
    }
    if (!(await store.deleteTarget(params.targetId)))
      throw new HttpError(Reason.NotFound, `targetId: no target ${params.targetId}`, 'targetId');
    return { status: 204 };
  });

  bind(r, contract.getAssignment, async ({ params }) => {
    if (!(await store.getTarget(params.targetId)))
      throw new HttpError(Reason.NotFound, `targetId: no target ${params.targetId}`, 'targetId');
    const a = await store.assignment(params.targetId, params.configKey);
    if (!a) throw new HttpError(Reason.NotFound, `configKey: ${params.targetId} has no version of ${params.configKey}`, 'configKey');
    return { status: 200, body: a };
  });

  bind(r, contract.reportStatus, async ({ params, body }) => {
    if (!(await store.getTarget(params.targetId)))
      throw new HttpError(Reason.NotFound, `targetId: no target ${params.targetId}`, 'targetId');
    await store.confirm(params.targetId, params.configKey, body.version);
    return { status: 204 };
  });

  return r;
}
