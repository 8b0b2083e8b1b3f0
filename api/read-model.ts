/**
 * Rebuilding the read model from the workflows, the source of truth: each running rollout's
 * summary is queried from its workflow and written back to Redis (unless Redis already holds a
 * newer one). Events already recorded stay as they are; the summary, the index entry and the
 * active set are what a lost or stale read model needs to serve status and lists again.
 */
import type { Client } from '@temporalio/client';
import type { Store } from '../store/store';
import { statusQuery, workflowIdFor } from '../workflows/definitions';
import type { RebuildReport } from './contract';

/** Workflows queried at once: enough to be quick, few enough not to flood the frontend. */
const QUERY_CONCURRENCY = 16;
const QUERY_TIMEOUT_MS = 5_000;

export async function rebuildReadModel(client: Client, store: Store, taskQueue: string): Promise<RebuildReport> {
  const prefix = workflowIdFor('');
  const query = `ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue.replace(/'/g, "\\'")}'`;
  const report: RebuildReport = { scanned: 0, restored: 0, skipped: 0, failed: [] };
  let batch: string[] = [];

  const flush = async () => {
    const ids = batch;
    batch = [];
    await Promise.all(
      ids.map(async (workflowId) => {
        try {
          const s = await client.connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () =>
            client.workflow.getHandle(workflowId).query(statusQuery),
          );
          const written = await store.restoreSummary(s);
          if (written) report.restored += 1;
          else report.skipped += 1;
        } catch (err) {
          report.failed.push({ workflowId, error: err instanceof Error ? err.message : String(err) });
        }
      }),
    );
  };

  for await (const wf of client.workflow.list({ query })) {
    // The visibility query narrows by queue; the id prefix keeps to Tollgate's own workflows.
    if (!wf.workflowId.startsWith(prefix) || wf.taskQueue !== taskQueue) continue;
    report.scanned += 1;
    batch.push(wf.workflowId);
    if (batch.length >= QUERY_CONCURRENCY) await flush();
  }
  await flush();
  return report;
}
