/** What the test tiers need from `npm test`: a Temporal server, a Redis, and the built workflow bundle. */
import { randomBytes } from 'node:crypto';

export interface TestEnv {
  temporalAddress: string;
  redisUrl: string;
  workflowBundle: string | undefined;
  dist: string;
}

export function testEnv(): TestEnv {
  const temporalAddress = process.env.TEMPORAL_ADDRESS;
  const redisUrl = process.env.REDIS_URL;
  if (!temporalAddress || !redisUrl) {
    throw new Error('TEMPORAL_ADDRESS and REDIS_URL are not set: run the suite with `npm test`, which provides both');
  }
  return {
    temporalAddress,
    redisUrl,
    workflowBundle: process.env.TOLLGATE_WORKFLOW_BUNDLE || undefined,
    dist: process.env.TOLLGATE_DIST ?? `${__dirname}/../../dist`,
  };
}

/** A fresh namespace of Redis keys and a task queue per test file, so files run side by side. */
export function uniqueName(kind: string): string {
  return `t-${kind}-${randomBytes(4).toString('hex')}`;
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A fresh secret for a test's bootstrap admin token (TOLLGATE_ADMIN_TOKEN). */
export function testToken(): string {
  return `tg_test_${randomBytes(24).toString('base64url')}`;
}
