import { HealthCache, healthAction, type HealthAction } from '../../api/health-cache';

describe('healthAction', () => {
  const cases: [string, number | null, number, HealthAction][] = [
    ['no check yet', null, 1_000, 'wait'],
    ['just checked', 1_000, 1_000, 'serve'],
    ['1 s old', 1_000, 2_000, 'serve'],
    ['1.5 s old', 1_000, 2_500, 'serve-and-refresh'],
    ['5 s old', 1_000, 6_000, 'serve-and-refresh'],
    ['older than 5 s', 1_000, 6_001, 'wait'],
    ['from the future (clock moved back)', 5_000, 1_000, 'wait'],
  ];
  it.each(cases)('%s', (_name, checkedAt, now, expected) => expect(healthAction(checkedAt, now)).toBe(expected));
});

describe('HealthCache', () => {
  it('shares one check, serves a recent one, refreshes in the background, and waits past the bound', async () => {
    let now = 0;
    let calls = 0;
    let release: (() => void) | null = null;
    const cache = new HealthCache(
      () =>
        new Promise((resolve) => {
          calls += 1;
          const ok = calls === 1;
          release = () => resolve({ ok, checks: { redis: ok ? 'ok' : 'down' } });
        }),
      () => now,
    );
    const first = [cache.get(), cache.get()];
    release!();
    expect((await Promise.all(first)).map((r) => r.ok)).toEqual([true, true]);
    expect(calls).toBe(1);

    now = 500;
    expect((await cache.get()).ok).toBe(true);
    expect(calls).toBe(1);

    // Stale but within the bound: the old answer now, a new check behind it
    now = 2_000;
    expect((await cache.get()).ok).toBe(true);
    expect(calls).toBe(2);
    release!();
    await new Promise((r) => setImmediate(r));
    expect((await cache.get()).ok).toBe(false);

    // Past the bound: the caller waits for the next check
    now = 20_000;
    const waited = cache.get();
    expect(calls).toBe(3);
    release!();
    expect((await waited).ok).toBe(false);
  });
});
