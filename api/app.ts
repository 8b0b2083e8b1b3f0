/** Builds the API app from its dependencies; `server.ts` listens. */
import type { Client } from '@temporalio/client';
import path from 'node:path';
import express, { type Express } from 'express';
import { Reason } from '../domain/reasons';
import { AuditLog } from '../store/audit';
import { PolicyStore } from '../store/policies';
import { FreezeStore } from '../store/freeze';
import type { Store } from '../store/store';
import { TokenStore } from '../store/tokens';
import { auditTrail } from './audit';
import { authenticate, type AuthDeps } from './auth';
import { createOidcVerifier, type OidcOptions } from './oidc';
import { ConfigSchemas } from './config-schemas';
import { contract } from './contract';
import { bind, errorBody, errorHandler } from './http';
import { openApiDocument } from './openapi';
import { RolloutService } from './rollouts';
import { configRoutes } from './routes/configs';
import { eventRoutes } from './routes/events';
import { governanceRoutes } from './routes/governance';
import { rolloutRoutes } from './routes/rollouts';
import { targetRoutes } from './routes/targets';
import { EventHub, type SseOptions } from './sse';
import { webRoutes } from './web';

export interface AppDeps {
  store: Store;
  client: Client;
  taskQueue: string;
  /** Largest accepted body, e.g. '1mb'; larger gets 413. */
  maxBody?: string;
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
  const log = deps.log ?? ((msg, err) => console.error(msg, err));
  const schemas = new ConfigSchemas();
  const { redis, prefix } = deps.store;
  const tokens = new TokenStore(redis, prefix);
  const policies = new PolicyStore(redis, prefix);
  const freezes = new FreezeStore(redis, prefix);
  const audit = new AuditLog(redis, prefix, deps.auditMaxEntries);
  const auth: AuthDeps = {
    tokens,
    oidc: deps.oidc ? createOidcVerifier(deps.oidc) : undefined,
    targetLabels: async (id) => (await deps.store.getTarget(id))?.labels ?? null,
  };
  const rollouts = new RolloutService({ store: deps.store, client: deps.client, taskQueue: deps.taskQueue, schemas, policies, freezes });
  const hub = new EventHub(deps.store.redis, deps.sse);
  const app = express();
  // server.ts ends the live streams on shutdown, so they do not hold the server open.
  app.locals.eventHub = hub;
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // `bind` reads these: the route's access is checked there, against the caller found below.
  app.locals.auth = auth;
  // First, so that refusals by anything after it (401, 403) are on the record too.
  app.use(auditTrail(audit, log));
  app.use('/v1', authenticate(auth));
  app.use(express.json({ limit: deps.maxBody ?? '1mb' }));

  const health = express.Router();
  bind(health, contract.health, async () => {
    const checks: Record<string, string> = {};
    await Promise.all([
      within(HEALTH_CHECK_TIMEOUT_MS, deps.store.redis.ping()).then(
        () => (checks.redis = 'ok'),
        (e: Error) => (checks.redis = e.message),
      ),
      within(HEALTH_CHECK_TIMEOUT_MS, deps.client.workflowService.getSystemInfo({})).then(
        () => (checks.temporal = 'ok'),
        (e: Error) => (checks.temporal = e.message),
      ),
    ]);
    const ok = Object.values(checks).every((v) => v === 'ok');
    return { status: ok ? 200 : 503, body: { status: ok ? 'ok' : 'unavailable', checks } };
  });
  app.use(health);

  let openapi: object | undefined;
  app.get('/openapi.json', (_req, res) => {
    openapi ??= openApiDocument();
    res.json(openapi);
  });

  app.use(targetRoutes(deps.store));
  app.use(configRoutes(deps.store, schemas));
  app.use(eventRoutes({ store: deps.store, hub, client: deps.client, taskQueue: deps.taskQueue }));
  app.use(rolloutRoutes(rollouts));
  app.use(governanceRoutes({ tokens, policies, audit, freezes }));
  app.use(webRoutes(deps.webDir ?? defaultWebDir()));

  app.use((req, res) => {
    res.status(404).json(errorBody(Reason.NotFound, `no route ${req.method} ${req.path}`));
  });
  app.use(errorHandler(log));
  return app;
}
