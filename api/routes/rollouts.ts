/** Rollouts: start one, read its state and timeline, and steer it. */
import { Router } from 'express';
import { contract } from '../contract';
import { bind } from '../http';
import type { RolloutService } from '../rollouts';

const ACTOR_HEADER = 'x-tollgate-actor';

export function rolloutRoutes(rollouts: RolloutService): Router {
  const r = Router();

  bind(r, contract.createRollout, async ({ body }, req) => ({ status: 201, body: await rollouts.create(body, req.get(ACTOR_HEADER)) }));

  bind(r, contract.listRollouts, async ({ query }) => ({ status: 200, body: await rollouts.page(query) }));

  bind(r, contract.getRollout, async ({ params }) => ({ status: 200, body: await rollouts.get(params.rolloutId) }));

  bind(r, contract.controlRollout, async ({ params, body }, req) => {
    const actor = body?.actor ?? req.get(ACTOR_HEADER);
    const summary = await rollouts.act(params.rolloutId, params.action, { actor, reason: body?.reason });
    return { status: 202, body: summary };
  });

  return r;
}
