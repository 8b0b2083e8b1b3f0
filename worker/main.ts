/**
 * The worker process: runs rollout workflows and their activities. Any number may run against
 * the same Temporal namespace and task queue. On SIGTERM/SIGINT it stops polling and lets
 * in-flight activities finish for up to TOLLGATE_SHUTDOWN_GRACE_MS.
 */
import { join } from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { loadEnv, redisConnection, redisKeyPrefix, temporalConnectionOptions } from '../runtime/config';
import { connectRedis } from '../runtime/redis';
import { Store } from '../store/store';
import { createWorker } from './create-worker';

async function main(): Promise<void> {
  const env = loadEnv();
  const prefix = redisKeyPrefix(env);
  const redis = connectRedis(redisConnection(env));
  const connection = await NativeConnection.connect(temporalConnectionOptions(env));
  const worker = await createWorker({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TOLLGATE_TASK_QUEUE,
    activityDeps: {
      store: new Store(redis, prefix),
      alertWebhook: env.TOLLGATE_ALERT_WEBHOOK,
      prometheusUrl: env.PROMETHEUS_URL,
      outbound: { policy: env.TOLLGATE_TARGET_ALLOW, maxResponseBytes: env.TOLLGATE_MAX_TARGET_RESPONSE },
    },
    workflowBundlePath: env.TOLLGATE_WORKFLOW_BUNDLE ?? join(__dirname, '..', 'workflow-bundle.js'),
    shutdownGraceMs: env.TOLLGATE_SHUTDOWN_GRACE_MS,
  });
  console.log(`worker polling ${env.TEMPORAL_ADDRESS} namespace=${env.TEMPORAL_NAMESPACE} queue=${env.TOLLGATE_TASK_QUEUE}`);
  // Worker.run installs SIGINT/SIGTERM handlers that begin a graceful shutdown.
  try {
    await worker.run();
  } finally {
    await connection.close();
    redis.disconnect();
  }
  console.log('worker stopped');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
