/** Builds the API app from its dependencies; `server.ts` listens. */
import type { Client } from '@temporalio/client';
import path from 'node:path';
import cors from 'cors';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { OPEN_POLICY, type OutboundPolicy } from '../domain/outbound';
import { statusOf } from '../domain/api-errors';
import { Reason } from '../domain/reasons';
import type { Store } from '../store/store';
import { auditTrail } from './audit';
import { identify, requireIdentity, type AuthDeps } from './auth';
import { createOidcVerifier, type OidcOptions } from './oidc';
import { ConfigSchemas } from './config-schemas';
import { HealthCache } from './health-cache';
import { contract } from './contract';
import { bind, errorBody, errorHandler } from './http';
import { JSON_LIMIT_DEFAULTS, rateLimits, streamConcurrency, verifyJsonShape, type JsonLimits, type RateLimitOptions } from './limits';
import { openApiDocument } from './openapi';
import { RolloutService } from './rollouts';
import { configRoutes } from './routes/configs';
import { eventRoutes } from './routes/events';
import { governanceRoutes } from './routes/governance';
import { rolloutRoutes } from './routes/rollouts';
import { targetRoutes } from './routes/targets';
import { subscriptionRoutes } from './routes/subscriptions';
import { requestId, requestIdOf } from './request-id';
import { EventHub, type SseOptions } from './sse';
import { webRoutes } from './web';
import { metricsRoutes } from './routes/metrics';
import { metricsToken, observeRequests } from './observe';
import { silentLogger, type Logger } from '../runtime/log';

export interface AppDeps {
  store: Store;
  client: Client;
  taskQueue: string;
  /** Largest accepted body, e.g. '1mb'; larger gets 413. */
  maxBody?: string;
  /** Depth, keys and elements of JSON bodies and schemas (api/limits.ts for the defaults). */
  json?: Partial<Omit<JsonLimits, 'maxBody'>>;
  /** Per-client rate limits and concurrent streams (api/limits.ts for the defaults). */
  rate?: Partial<RateLimitOptions>;
  /** Which target URLs may be registered (TOLLGATE_TARGET_ALLOW); the refused ranges apply always. */
  targetPolicy?: OutboundPolicy;
  /** Which subscription URLs may be registered (TOLLGATE_NOTIFY_ALLOW); the refused ranges apply always. */
  notifyPolicy?: OutboundPolicy;
  /** Origins allowed to call the API from a browser (TOLLGATE_CORS_ORIGINS); none by default. */
  corsOrigins?: string[];
  /** The process's log (runtime/log.ts): one line per answered request, and errors. Silent by default. */
  logger?: Logger;
  /** TOLLGATE_METRICS_TOKEN: a bearer secret that may read /metrics (and nothing else). */
  metricsToken?: string | undefined;
  /** Where errors (an unhandled one, an audit write that failed) are reported; the logger by default. */
  log?: (msg: string, err?: unknown) => void;
  /** Live event streams: heartbeat, client limit (see api/sse.ts for the defaults). */
  sse?: Partial<SseOptions>;
  /** The built dashboard (`node web/build.mjs`); defaults to dist/web. */
  webDir?: string;
  /** Single sign-on: JWTs from this issuer are accepted beside Tollgate's own tokens. */
  oidc?: OidcOptions | undefined;
  /** Audit entries kept (see store/audit.ts for the default). */
  auditMaxEntries?: number | undefined;
}

/** dist/web beside the compiled API, or under the repository when running from source. */
export function defaultWebDir(): string {
  const up = path.resolve(__dirname, '..');
  return path.basename(up) === 'dist' ? path.join(up, 'web') : path.join(up, 'dist', 'web');
}

/** Per dependency, how long /healthz waits for an answer. */
export const HEALTH_CHECK_TIMEOUT_MS = 2_000;

function within<T>(ms: number, p: Promise<T>): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);
}

export function createApp(deps: AppDeps): Express {
  const logger = deps.logger ?? silentLogger;
  const log = deps.log ?? ((msg, err) => logger.error({ err }, msg));
  const json = { ...JSON_LIMIT_DEFAULTS, ...deps.json, maxBody: deps.maxBody ?? JSON_LIMIT_DEFAULTS.maxBody };
  const schemas = new ConfigSchemas(json.maxSchemaItems);
  const { tokens, policies, freezes, subscriptions } = deps.store;
  const audit = deps.store.auditLog(deps.auditMaxEntries);
  const auth: AuthDeps = {
    tokens,
    oidc: deps.oidc ? createOidcVerifier(deps.oidc) : undefined,
    targetLabels: async (id) => (await deps.store.getTarget(id))?.labels ?? null,
  };
  const rollouts = new RolloutService({ store: deps.store, client: deps.client, taskQueue: deps.taskQueue, schemas, policies, freezes });
  const hub = new EventHub(deps.sse);
  const app = express();
  // server.ts ends the live streams on shutdown, so they do not hold the server open.
  app.locals.eventHub = hub;
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // `bind` reads this: the route's access is checked there, against the caller identified below.
  app.locals.auth = auth;
  app.use(requestId());
  app.use(observeRequests(logger));
  app.use(
    helmet({
      contentSecurityPolicy: {
        // Tollgate is served over plain HTTP by default (npm start, a private network): upgrading
        // the dashboard's own requests to https would break it there.
        directives: { upgradeInsecureRequests: null },
      },
      // Same reason: HSTS over plain HTTP is ignored, and behind TLS the proxy sets it.
      strictTransportSecurity: false,
    }),
  );
  // Closed unless origins are listed: without CORS headers a browser page elsewhere cannot read answers.
  app.use(cors({ origin: deps.corsOrigins && deps.corsOrigins.length > 0 ? deps.corsOrigins : false }));
  // Before anything can refuse a request, so that refusals (401, 403, 429) are on the record too.
  app.use(auditTrail(audit, log));
  // Who is calling, before the limits: they count per token, and per address for callers without one.
  app.use('/metrics', metricsToken(deps.metricsToken));
  app.use(['/v1', '/metrics'], identify(auth));
  app.use(rateLimits(deps.rate));
  app.use(streamConcurrency(deps.rate));
  app.use(['/v1', '/metrics'], requireIdentity);
  app.use(express.json({ limit: json.maxBody, verify: verifyJsonShape(json) }));

  // Served from a recent check (api/health-cache.ts): a flood must not make a busy API look dead.
  const healthCache = new HealthCache(async () => {
    const checks: Record<string, string> = {};
    await Promise.all([
      within(HEALTH_CHECK_TIMEOUT_MS, deps.store.ping()).then(
        () => (checks.redis = 'ok'),
        (e: Error) => (checks.redis = e.message),
      ),
      within(HEALTH_CHECK_TIMEOUT_MS, deps.client.workflowService.getSystemInfo({})).then(
        () => (checks.temporal = 'ok'),
        (e: Error) => (checks.temporal = e.message),
      ),
    ]);
    return { ok: Object.values(checks).every((v) => v === 'ok'), checks };
  });
  const health = express.Router();
  bind(health, contract.health, async () => {
    const { ok, checks } = await healthCache.get();
    return ok
      ? { status: 200, body: { status: 'ok' as const, checks } }
      : { status: 503, body: { status: 'unavailable' as const, checks } };
  });
  app.use(health);

  let openapi: object | undefined;
  app.get('/openapi.json', (_req, res) => {
    openapi ??= openApiDocument();
    res.json(openapi);
  });

  app.use(metricsRoutes(deps.store));
  app.use(targetRoutes(deps.store, deps.targetPolicy ?? OPEN_POLICY));
  app.use(configRoutes(deps.store, schemas));
  app.use(eventRoutes({ store: deps.store, hub, client: deps.client, taskQueue: deps.taskQueue, auth }));
  app.use(rolloutRoutes(rollouts, deps.store));
  app.use(governanceRoutes({ tokens, policies, audit, freezes }));
  app.use(subscriptionRoutes({ subscriptions, policy: deps.notifyPolicy ?? OPEN_POLICY }));
  app.use(webRoutes(deps.webDir ?? defaultWebDir()));

  app.use((req, res) => {
    res
      .status(statusOf(Reason.NotFound))
      .json(errorBody(Reason.NotFound, `no route ${req.method} ${req.path.slice(0, 200)}`, undefined, undefined, requestIdOf(res)));
  });
  app.use(errorHandler(log));
  return app;
}
