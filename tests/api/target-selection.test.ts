/**
 * Selecting targets by label reads the label index, not every registered target: relabelled and
 * deleted targets leave it, and targets registered before the index existed are indexed once.
 * Real Redis; the Store as the API uses it.
 */
import { Redis } from 'ioredis';
import { keys } from '../../store/keys';
import { Store } from '../../store/store';
import { testEnv, uniqueName } from '../helpers/env';

let redis: Redis;
let prefix: string;
let store: Store;

beforeAll(() => {
  redis = new Redis(testEnv().redisUrl);
});
beforeEach(() => {
  prefix = `${uniqueName('select')}:`;
  store = new Store(redis, prefix);
});
afterAll(async () => {
  const left = await redis.keys('t-select-*');
  if (left.length > 0) await redis.del(...left);
  redis.disconnect();
});

const ids = (targets: { id: string }[]) => targets.map((t) => t.id);

describe('selecting targets by label', () => {
  it('finds the targets carrying every label of the selector, and follows relabels and deletions', async () => {
    // Given four targets over two apps and two environments
    await store.putTarget('a', { labels: { app: 'web', env: 'prod' } });
    await store.putTarget('b', { labels: { app: 'web', env: 'staging' } });
    await store.putTarget('c', { labels: { app: 'api', env: 'prod' } });
    await store.putTarget('d', { labels: { app: 'web', env: 'prod', zone: 'z1' } });
    // Then each selector selects the targets with all its labels, in id order
    expect(ids(await store.listTargets({ app: 'web' }))).toEqual(['a', 'b', 'd']);
    expect(ids(await store.listTargets({ app: 'web', env: 'prod' }))).toEqual(['a', 'd']);
    expect(ids(await store.listTargets({ app: 'nope' }))).toEqual([]);
    expect(ids(await store.listTargets({}))).toEqual(['a', 'b', 'c', 'd']);
    // When one is relabelled and one deleted
    await store.putTarget('a', { labels: { app: 'api', env: 'prod' } });
    await store.deleteTarget('d');
    // Then the selectors follow, and the index keeps no stale member
    expect(ids(await store.listTargets({ app: 'web' }))).toEqual(['b']);
    expect(ids(await store.listTargets({ app: 'api', env: 'prod' }))).toEqual(['a', 'c']);
    const k = keys(prefix);
    expect((await redis.smembers(k.targetsLabelled('app', 'web'))).sort()).toEqual(['b']);
    expect(await redis.exists(k.targetsLabelled('zone', 'z1'))).toBe(0);
  });

  it('indexes once the targets registered before the label index existed', async () => {
    // Given targets whose label index entries are missing (written by a version without the index)
    await store.putTarget('old-1', { labels: { app: 'legacy' } });
    await store.putTarget('old-2', { labels: { app: 'legacy', tier: 'x' } });
    const k = keys(prefix);
    await redis.del(k.targetsLabelled('app', 'legacy'), k.targetsLabelled('tier', 'x'), k.labelIndexReady);
    // When a fresh API process selects them
    const fresh = new Store(redis, prefix);
    // Then it finds them, and the index is whole from then on
    expect(ids(await fresh.listTargets({ app: 'legacy' }))).toEqual(['old-1', 'old-2']);
    expect(ids(await fresh.listTargets({ tier: 'x' }))).toEqual(['old-2']);
    expect(await redis.get(k.labelIndexReady)).toBe('1');
  });

  it('checks the labels again: an index entry a concurrent relabel left behind selects nothing', async () => {
    await store.putTarget('e', { labels: { app: 'web' } });
    await store.listTargets({ app: 'web' });
    // A stray member (as a race between two relabels could leave) is read but not selected
    await redis.sadd(keys(prefix).targetsLabelled('app', 'api'), 'e');
    expect(ids(await store.listTargets({ app: 'api' }))).toEqual([]);
  });
});
