/**
 * Temporal's own floor, in a process of its own: a worker with the trivial workflow (a chain of
 * no-op activities) runs `workflows` of them at once, each with as many activities as a rollout
 * schedules, and reports the wall time. Same server, same machine, same run as the rollouts.
 */
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { serveIpc } from './ipc';

interface RunArgs {
  temporalAddress: string;
  taskQueue: string;
  workflows: number;
  activities: number;
  /** The rollout's configured waits (bakes), as timers in each trivial workflow. */
  waitsMs?: number[];
}

Runtime.install({ logger: new DefaultLogger('WARN') });

serveIpc({
  async run({ temporalAddress, taskQueue, workflows, activities, waitsMs = [] }: RunArgs): Promise<{ ms: number }> {
    const native = await NativeConnection.connect({ address: temporalAddress });
    const worker = await Worker.create({
      connection: native,
      taskQueue,
      workflowsPath: require.resolve('./trivial-workflow'),
      activities: { noop: async () => undefined },
    });
    const connection = await Connection.connect({ address: temporalAddress });
    const client = new Client({ connection });
    const ms = await worker.runUntil(async () => {
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: workflows }, (_, i) =>
          client.workflow.execute('trivialWorkflow', { taskQueue, workflowId: `${taskQueue}-${i}`, args: [activities, waitsMs] }),
        ),
      );
      return performance.now() - t0;
    });
    await connection.close();
    await native.close();
    return { ms };
  },
});
