/** The trivial workflow Tollgate's rollouts are compared with: `count` no-op activities in a row. */
import { proxyActivities } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '30s' });

export async function trivialWorkflow(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await noop();
}
