/** Live events (Server-Sent Events), health history, and the read-model rebuild. */
import type { Client } from '@temporalio/client';
import { Router, type Response } from 'express';
import { principalOf, stillAdmitted, type AuthDeps } from '../auth';
import { Reason } from '../../domain/reasons';
import type { Store } from '../../store/store';
import { STREAM_START } from '../../store/events';
import { contract } from '../contract';
import { bind, HttpError } from '../http';
import { rebuildReadModel } from '../read-model';
import type { EventHub, StreamStart } from '../sse';

/** The header wins over the query: EventSource sends the header on its own reconnects. */
function startOf(header: string | undefined, query: string | undefined, replay = false): StreamStart {
  const after = header ?? query;
  if (after) return { after };
  return replay ? { after: STREAM_START } : 'now';
}

export function eventRoutes(deps: { store: Store; hub: EventHub; client: Client; taskQueue: string; auth: AuthDeps }): Router {
  const { store, hub } = deps;
  const r = Router();

  async function mustExist(rolloutId: string): Promise<void> {
    if (!(await store.hasRollout(rolloutId))) {
      throw new HttpError(Reason.NotFound, `rolloutId: no rollout ${rolloutId}`, 'rolloutId');
    }
  }

  /** Asked at each heartbeat: a stream ends once its caller's token is revoked or expires. */
  const admission = (res: Response) => {
    const principal = principalOf(res);
    return () => (principal ? stillAdmitted(deps.auth, principal) : Promise.resolve(false));
  };

  bind(r, contract.streamEvents, async ({ headers, query }, req, res) => {
    await hub.serve(req, res, store.streams.all(), startOf(headers['last-event-id'], query.lastEventId), admission(res));
  });

  bind(r, contract.streamRolloutEvents, async ({ params, headers, query }, req, res) => {
    await mustExist(params.rolloutId);
    const start = startOf(headers['last-event-id'], query.lastEventId, query.replay);
    await hub.serve(req, res, store.streams.rollout(params.rolloutId), start, admission(res));
  });

  bind(r, contract.rolloutHealth, async ({ params }) => {
    await mustExist(params.rolloutId);
    return { status: 200, body: { items: await store.healthSamples(params.rolloutId) } };
  });

  bind(r, contract.rebuildReadModel, async () => ({
    status: 202,
    body: await rebuildReadModel(deps.client, store, deps.taskQueue),
  }));

  return r;
}
