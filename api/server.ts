/**
 * The API process: listens on PORT, logs its URL, and on SIGTERM/SIGINT stops accepting
 * connections, lets in-flight requests finish (up to 10 s), then closes its clients.
 * Logs are JSON lines (runtime/log.ts); /metrics is served on PORT like the rest of the API.
 */
import { Client, Connection } from '@temporalio/client';
import { collectDefaultMetrics } from 'prom-client';
import { loadEnv, oidcOptions, redisConnection, redisKeyPrefix, temporalConnectionOptions } from '../runtime/config';
import { createLogger, errorFields, type Logger } from '../runtime/log';
import { apiRegistry } from '../runtime/metrics';
import { connectRedis } from '../runtime/redis';
import { Store } from '../store/store';
import { createApp } from './app';
import { createListener } from './listener';
import type { EventHub } from './sse';

/** Upper bound on a graceful stop before open connections are cut. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;

let log: Logger | undefined;

async function main(): Promise<void> {
  const env = loadEnv();
  const logger = (log = createLogger({ name: 'api', level: env.LOG_LEVEL, format: env.LOG_FORMAT }));
  collectDefaultMetrics({ register: apiRegistry });
  const prefix = redisKeyPrefix(env);
  const redis = connectRedis(redisConnection(env), { maxRetriesPerRequest: 1 });
  const connection = await Connection.connect({ ...temporalConnectionOptions(env), connectTimeout: 10_000 });
  const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
  const oidc = oidcOptions(env);
  const store = new Store(redis, prefix);
  const bootstrap = await store.tokens.ensureAdmin(env.TOLLGATE_ADMIN_TOKEN);
  if (bootstrap.generated) {
    // Printed this once only, for the person starting it, as plain lines and not a log record: a
    // secret has no place in a log pipeline, and `npm start` reads the first line as it is.
    process.stdout.write(
      `admin token (shown once, keep it): ${bootstrap.generated}\n` +
        `  more tokens: curl -X POST -H 'authorization: Bearer <admin token>' -H 'content-type: application/json' \\\n` +
        `    -d '{"name":"alice","role":"deployer"}' http://localhost:${env.PORT}/v1/tokens   (or: tollgate token create)\n`,
    );
  }
  const app = createApp({
    store,
    client,
    taskQueue: env.TOLLGATE_TASK_QUEUE,
    maxBody: env.TOLLGATE_MAX_BODY,
    oidc,
    auditMaxEntries: env.TOLLGATE_AUDIT_MAX_ENTRIES,
    json: {
      maxDepth: env.TOLLGATE_MAX_JSON_DEPTH,
      maxItems: env.TOLLGATE_MAX_JSON_ITEMS,
      maxSchemaItems: env.TOLLGATE_MAX_SCHEMA_ITEMS,
    },
    rate: {
      mutations: env.TOLLGATE_RATE_MUTATIONS,
      reads: env.TOLLGATE_RATE_READS,
      streams: env.TOLLGATE_RATE_STREAMS,
      concurrentStreams: env.TOLLGATE_MAX_STREAMS_PER_CLIENT,
    },
    targetPolicy: env.TOLLGATE_TARGET_ALLOW,
    notifyPolicy: env.TOLLGATE_NOTIFY_ALLOW,
    corsOrigins: env.TOLLGATE_CORS_ORIGINS,
    logger,
    metricsToken: env.TOLLGATE_METRICS_TOKEN,
  });
  const server = createListener(app, {
    headersTimeoutMs: env.TOLLGATE_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: env.TOLLGATE_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: env.TOLLGATE_KEEPALIVE_TIMEOUT_MS,
  });
  server.listen(env.PORT, env.HOST, () => {
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : env.PORT;
    logger.info(
      { port, temporal: env.TEMPORAL_ADDRESS, namespace: env.TEMPORAL_NAMESPACE },
      `api listening on http://localhost:${port} (temporal ${env.TEMPORAL_ADDRESS}, namespace ${env.TEMPORAL_NAMESPACE})`,
    );
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `api stopping (${signal})`);
    (app.locals.eventHub as EventHub).close();
    const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_TIMEOUT_MS).unref();
    // Keep-alive clients would hold their sockets open until the force timeout: tell them not to
    // reuse them, and close each one as soon as its request has been answered.
    server.on('request', (_req, res: { setHeader(name: string, value: string): unknown }) => res.setHeader('connection', 'close'));
    const idle = setInterval(() => server.closeIdleConnections(), 100).unref();
    server.close(() => {
      clearInterval(idle);
      clearTimeout(force);
      void connection.close().finally(() => {
        redis.disconnect();
        logger.info('api stopped');
        process.exit(0);
      });
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  // Before the logger exists (a bad configuration) the message goes to stderr as it is: it names the variable.
  if (log) log.fatal({ err: errorFields(err) }, `api failed: ${errorFields(err).message}`);
  else process.stderr.write(`api: ${errorFields(err).message}\n`);
  process.exit(1);
});
