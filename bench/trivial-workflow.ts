/**
 * The trivial workflow Tollgate's rollouts are compared with: `count` no-op activities in a row,
 * with the rollout's configured waits (its stages' bake time) as timers between them, so that the
 * comparison is of cost, not of how long a policy asks to wait.
 */
import { proxyActivities, sleep } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '30s' });

export async function trivialWorkflow(count: number, waitsMs: number[] = []): Promise<void> {
  const every = Math.max(1, Math.floor(count / (waitsMs.length + 1)));
  let waits = 0;
  for (let i = 0; i < count; i++) {
    await noop();
    if ((i + 1) % every === 0 && waits < waitsMs.length) await sleep(waitsMs[waits++]!);
  }
  while (waits < waitsMs.length) await sleep(waitsMs[waits++]!);
}
