/**
 * The worker process: runs rollout workflows and their activities. Any number may run against
 * the same Temporal namespace and task queue. On SIGTERM/SIGINT it stops polling and lets
 * in-flight activities finish for up to TOLLGATE_SHUTDOWN_GRACE_MS. Its /metrics listens on
 * TOLLGATE_METRICS_PORT (docs/observability.md).
 */
import { join } from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { collectDefaultMetrics } from 'prom-client';
import { loadEnv, redisConnection, redisKeyPrefix, temporalConnectionOptions } from '../runtime/config';
import { createLogger, errorFields, type Logger } from '../runtime/log';
import { workerRegistry } from '../runtime/metrics';
import { connectRedis } from '../runtime/redis';
import { Store } from '../store/store';
import { createWorker } from './create-worker';
import { startMetricsServer } from './metrics-server';
import { installTemporalRuntime } from './telemetry';

let log: Logger | undefined;

async function main(): Promise<void> {
  const env = loadEnv();
  log = createLogger({ name: 'worker', level: env.LOG_LEVEL, format: env.LOG_FORMAT });
  const { metricsUrl } = await installTemporalRuntime(log, env.TOLLGATE_TEMPORAL_METRICS_PORT);
  collectDefaultMetrics({ register: workerRegistry });
  const metrics = await startMetricsServer({
    host: env.TOLLGATE_METRICS_HOST,
    port: env.TOLLGATE_METRICS_PORT,
    registry: workerRegistry,
    temporalMetricsUrl: metricsUrl,
    token: env.TOLLGATE_METRICS_TOKEN,
    log,
  }).catch((err: NodeJS.ErrnoException) => {
    throw new Error(
      err.code === 'EADDRINUSE'
        ? `TOLLGATE_METRICS_PORT=${env.TOLLGATE_METRICS_PORT} is already in use (another worker here?): set another port, or 0 for any free one`
        : `metrics listener: ${err.message}`,
    );
  });
  log.info({ url: metrics.url }, `worker metrics on ${metrics.url}`);
  const prefix = redisKeyPrefix(env);
  const redis = connectRedis(redisConnection(env));
  const store = new Store(redis, prefix);
  if (env.TOLLGATE_ALERT_WEBHOOK) {
    await store.subscriptions.ensureAlertSubscription(env.TOLLGATE_ALERT_WEBHOOK);
  }
  const connection = await NativeConnection.connect(temporalConnectionOptions(env));
  const worker = await createWorker({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TOLLGATE_TASK_QUEUE,
    activityDeps: {
      store,
      notifyPolicy: env.TOLLGATE_NOTIFY_ALLOW,
      publicUrl: env.TOLLGATE_PUBLIC_URL,
      prometheusUrl: env.PROMETHEUS_URL,
      outbound: { policy: env.TOLLGATE_TARGET_ALLOW, maxResponseBytes: env.TOLLGATE_MAX_TARGET_RESPONSE },
      log,
    },
    workflowBundlePath: env.TOLLGATE_WORKFLOW_BUNDLE ?? join(__dirname, '..', 'workflow-bundle.js'),
    shutdownGraceMs: env.TOLLGATE_SHUTDOWN_GRACE_MS,
  });
  log.info(
    { temporal: env.TEMPORAL_ADDRESS, namespace: env.TEMPORAL_NAMESPACE, taskQueue: env.TOLLGATE_TASK_QUEUE },
    `worker polling ${env.TEMPORAL_ADDRESS} namespace=${env.TEMPORAL_NAMESPACE} queue=${env.TOLLGATE_TASK_QUEUE}`,
  );
  // Worker.run installs SIGINT/SIGTERM handlers that begin a graceful shutdown.
  try {
    await worker.run();
  } finally {
    metrics.server.close();
    await connection.close();
    redis.disconnect();
  }
  log.info('worker stopped');
}

main().catch((err: unknown) => {
  // Before the logger exists (a bad configuration) the message goes to stderr as it is: it names the variable.
  if (log) log.fatal({ err: errorFields(err) }, `worker failed: ${errorFields(err).message}`);
  else process.stderr.write(`worker: ${errorFields(err).message}\n`);
  process.exit(1);
});
