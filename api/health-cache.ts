/**
 * /healthz answers from a recent check rather than waiting for a new one: under a flood of
 * requests a fresh check would queue behind them, and a load balancer would take a busy API for a
 * dead one. A check younger than `freshMs` is served as it is; an older one (up to `maxStaleMs`)
 * is served while a new check runs in the background; past that, or before the first check, the
 * caller waits for a check. Concurrent callers share one check.
 */

/** Served as it is. */
export const HEALTH_FRESH_MS = 1_000;
/** Never served older than this: the caller waits for a new check instead. */
export const HEALTH_MAX_STALE_MS = 5_000;

export interface HealthResult {
  ok: boolean;
  checks: Record<string, string>;
}

export type HealthAction = 'serve' | 'serve-and-refresh' | 'wait';

/** What to do with a check taken at `checkedAt` (null: none yet), at `now`. Pure. */
export function healthAction(
  checkedAt: number | null,
  now: number,
  freshMs = HEALTH_FRESH_MS,
  maxStaleMs = HEALTH_MAX_STALE_MS,
): HealthAction {
  if (checkedAt === null) return 'wait';
  const age = now - checkedAt;
  if (age < 0 || age > maxStaleMs) return 'wait';
  return age <= freshMs ? 'serve' : 'serve-and-refresh';
}

export class HealthCache {
  private last: { at: number; result: HealthResult } | null = null;
  private running: Promise<HealthResult> | null = null;

  constructor(
    private readonly check: () => Promise<HealthResult>,
    private readonly clock: () => number = Date.now,
  ) {}

  private refresh(): Promise<HealthResult> {
    this.running ??= this.check()
      .then((result) => {
        this.last = { at: this.clock(), result };
        return result;
      })
      .finally(() => (this.running = null));
    return this.running;
  }

  async get(): Promise<HealthResult> {
    const action = healthAction(this.last?.at ?? null, this.clock());
    if (action === 'wait' || !this.last) return this.refresh();
    if (action === 'serve-and-refresh') void this.refresh().catch(() => undefined);
    return this.last.result;
  }
}
