/** Test data from small factories: fast stages and strict health, overridable per test. */
import type { RolloutDetail } from '../../domain/schemas';

export function fastStages(bakeSeconds = 0.5, approvals: Partial<Record<string, boolean>> = {}) {
  return [
    { name: 'canary', percent: 10, bakeSeconds, approval: approvals.canary ?? false },
    { name: 'partial', percent: 50, bakeSeconds, approval: approvals.partial ?? false },
    { name: 'full', percent: 100, bakeSeconds, approval: approvals.full ?? false },
  ];
}

export function makeRolloutRequest(overrides: Record<string, unknown> = {}) {
  return {
    configKey: 'portal-db',
    content: { pool: 10, healthy: true },
    targets: { selector: { app: 'portal' } },
    stages: fastStages(),
    health: { intervalSeconds: 0.2, timeoutMs: 1000, maxErrorRate: 0, failureThreshold: 1 },
    onRegression: 'rollback',
    ...overrides,
  };
}

export function eventTypes(r: Pick<RolloutDetail, 'events'>): string[] {
  return r.events.map((e) => e.type);
}
