/**
 * Builds a worker from its dependencies: used by `worker/main.ts` and by tests against a real
 * Temporal server and Redis.
 */
import { existsSync } from 'node:fs';
import { type NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activityDeps: ActivityDeps;
  /** A bundle made by scripts/build.mjs; bundling at start takes seconds, loading one does not. */
  workflowBundlePath?: string | undefined;
  shutdownGraceMs?: number;
  identity?: string;
}

export async function createWorker(opts: CreateWorkerOptions): Promise<Worker> {
  const bundle = opts.workflowBundlePath && existsSync(opts.workflowBundlePath) ? opts.workflowBundlePath : undefined;
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities(opts.activityDeps),
    shutdownGraceTime: opts.shutdownGraceMs ?? 10_000,
    ...(opts.identity ? { identity: opts.identity } : {}),
  });
}
