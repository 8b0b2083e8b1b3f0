/**
 * One place that watches every answered request: counts and times it for /metrics (by the
 * contract's route name, never the raw path, so ids never become labels) and writes its access-log
 * line with the request id, the actor and the rollout it concerns.
 */
import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Principal } from '../domain/access';
import type { Logger } from '../runtime/log';
import { httpDuration, httpRequests } from '../runtime/metrics';
import { entryFor } from './audit';
import { contract, type Route } from './contract';
import { routeNameOf } from './limits';

/** Routes polled by machines: their lines are at debug level, not to drown the rest. */
const QUIET_ROUTES: ReadonlySet<string> = new Set(['health', 'metrics']);

function routeOf(req: Request, res: Response): { name: string; route: Route | undefined } {
  // Set by `bind`; a request refused before it (401, 429) is matched against the contract's paths.
  const action = (res.locals.action as string | undefined) ?? routeNameOf(req.method, req.originalUrl.split('?')[0] ?? '');
  const route = action !== undefined ? (contract as Record<string, Route>)[action] : undefined;
  // Not a contract route (dashboard assets, /openapi.json, unknown paths): one label for all of them.
  return route ? { name: action!, route } : { name: 'other', route: undefined };
}

export function observeRequests(log: Logger): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const { name, route } = routeOf(req, res);
      httpRequests.inc({ route: name, status: String(res.statusCode) });
      // An event stream lasts as long as its client: its duration says nothing about the API.
      if (!route?.eventStream) httpDuration.observe({ route: name }, seconds);
      const entry = entryFor(req, res);
      const level = res.statusCode >= 500 ? 'error' : QUIET_ROUTES.has(name) ? 'debug' : 'info';
      log[level](
        {
          requestId: entry.requestId,
          method: entry.method,
          path: entry.path,
          route: name,
          status: res.statusCode,
          ms: Math.round(seconds * 1000),
          actor: entry.actor,
          ...(entry.rolloutId ? { rolloutId: entry.rolloutId } : {}),
          ...(entry.configKey ? { configKey: entry.configKey } : {}),
        },
        `${entry.method} ${entry.path} ${res.statusCode}`,
      );
    });
    next();
  };
}

/** Who a scrape with TOLLGATE_METRICS_TOKEN is: a viewer, on /metrics only (mounted there). */
export const METRICS_SCRAPER: Principal = { id: 'metrics-token', name: 'metrics-scraper', role: 'viewer', via: 'token' };

/**
 * Mounted on /metrics: a request bearing TOLLGATE_METRICS_TOKEN is the metrics scraper, so
 * Prometheus needs no Tollgate token of its own (any viewer token works as well).
 */
export function metricsToken(token: string | undefined): RequestHandler {
  const expected = token ? Buffer.from(token) : null;
  return (req: Request, res: Response, next: NextFunction) => {
    const match = expected ? /^Bearer +(\S+)\s*$/i.exec(req.get('authorization') ?? '') : null;
    const given = match ? Buffer.from(match[1]!) : null;
    if (expected && given && given.length === expected.length && timingSafeEqual(given, expected)) res.locals.principal = METRICS_SCRAPER;
    next();
  };
}
