/** Rollouts: start one, read its state and timeline, steer it, and review it. */
import { Router, type Response } from 'express';
import type { RolloutAction } from '../../domain/lifecycle';
import { auditRefs } from '../audit';
import { principalOf } from '../auth';
import { contract } from '../contract';
import { bind } from '../http';
import { incidentReport } from '../reports';
import type { RolloutService } from '../rollouts';
import { reportMarkdown } from '../../domain/report';
import type { Store } from '../../store/store';

/** The authenticated caller's name: `bind` has already refused anyone without a role here. */
function actorOf(res: Response): string {
  return principalOf(res)?.name ?? 'unknown';
}

export function rolloutRoutes(rollouts: RolloutService, store: Store): Router {
  const r = Router();

  bind(r, contract.createRollout, async ({ body, query }, _req, res) => {
    if (query.dryRun) return { status: 200, body: await rollouts.dryRun(body) };
    const created = await rollouts.create(body, actorOf(res));
    auditRefs(res, {
      rolloutId: created.id,
      configKey: created.configKey,
      ...(created.emergency ? { emergency: true } : {}),
      ...(created.override ? { override: true } : {}),
    });
    return { status: 201, body: created };
  });

  bind(r, contract.listRollouts, async ({ query }) => ({ status: 200, body: await rollouts.page(query) }));

  bind(r, contract.getRollout, async ({ params, query }) => ({
    status: 200,
    body: await rollouts.get(params.rolloutId, { targets: query.targets === 'all' }),
  }));

  bind(r, contract.getRolloutReport, async ({ params, query }, _req, res) => {
    const report = await incidentReport(rollouts, store, params.rolloutId);
    if (query.format === 'json') return { status: 200, body: report };
    res.status(200).type('text/markdown; charset=utf-8').send(reportMarkdown(report));
  });

  const actions: [
    RolloutAction,
    typeof contract.pauseRollout | typeof contract.resumeRollout | typeof contract.approveRollout | typeof contract.rollbackRollout,
  ][] = [
    ['pause', contract.pauseRollout],
    ['resume', contract.resumeRollout],
    ['approve', contract.approveRollout],
    ['rollback', contract.rollbackRollout],
  ];
  for (const [action, route] of actions) {
    bind(r, route, async ({ params, body }, _req, res) => {
      // Only resume's body may carry an override (the contract says so, and that only admins may).
      const override = body && 'override' in body ? body.override : undefined;
      return {
        status: 202,
        body: await rollouts.act(params.rolloutId, action, {
          actor: actorOf(res),
          reason: body?.reason,
          ...(override ? { override } : {}),
        }),
      };
    });
  }

  bind(r, contract.reviewRollout, async ({ params, body }, _req, res) => ({
    status: 202,
    body: await rollouts.review(params.rolloutId, actorOf(res), body),
  }));

  return r;
}
