/**
 * Redis Cluster runs a Lua script, a MULTI or a pipeline only when all its keys share one slot.
 * Tollgate's keys all carry the prefix's hash tag; these tests check that every key shape, and the
 * keys each script and transaction touches (declared or built inside the script from a prefix), map
 * to one slot, and that every script is covered here: a new script with a stray key fails.
 */
import { createHash } from 'node:crypto';
import { keys } from '../../store/keys';
import * as scripts from '../../store/scripts';
import { keySlot, hashTag, prefixHasHashTag } from '../../store/slots';
import { Store } from '../../store/store';
import type { RedisClient } from '../../runtime/redis';
import type { RolloutEvent, RolloutSummary } from '../../domain/schemas';

describe('keySlot', () => {
  // Expected values from the Redis Cluster specification and from CLUSTER KEYSLOT.
  it.each([
    ['foo', 12182],
    ['{user1000}.following', 3443],
    ['{user1000}.followers', 3443],
    ['a{}b', 13694], // an empty tag hashes the whole key
    ['{}{x}', 3257], // so does a first tag that is empty
    ['{tollgate}:rollouts', keySlot('tollgate')],
  ])('%s → slot %i', (key, slot) => {
    expect(keySlot(key)).toBe(slot);
  });

  it.each([
    ['{tollgate}:', 'tollgate', true],
    ['tollgate:', 'tollgate:', false],
    ['x{', 'x{', false],
    ['{}tollgate:', '{}tollgate:', false],
    ['app:{t1}:', 't1', true],
  ])('hash tag of %s is %s', (prefix, tag, tagged) => {
    expect(hashTag(prefix)).toBe(tag);
    expect(prefixHasHashTag(prefix)).toBe(tagged);
  });
});

describe('every key shape', () => {
  it('maps to the slot of the prefix hash tag, whatever the ids (braces in a config key included)', () => {
    const prefix = '{tollgate}:';
    const all = Object.entries(keys(prefix)).flatMap(([name, shape]) =>
      typeof shape === 'string'
        ? [[name, shape] as const]
        : ['id-1', 'odd{brace}key', '{x}'].map((id) => [name, (shape as (...args: unknown[]) => string)(id, 7)] as const),
    );
    expect(all.length).toBeGreaterThan(30);
    const stray = all.filter(([, key]) => keySlot(key) !== keySlot('tollgate'));
    expect(stray).toEqual([]);
  });
});

/** What one script, MULTI, pipeline or multi-key command touched. */
interface Group {
  what: string;
  keys: string[];
}

/**
 * Records, instead of running, what the stores send: every argument that starts with the prefix is
 * a key (or a key prefix a script builds keys on; those are completed with an id).
 */
function recordingRedis(prefix: string) {
  const groups: Group[] = [];
  const scriptShas = new Set<string>();
  const isKey = (a: unknown): a is string => typeof a === 'string' && a.startsWith(prefix);
  const chain = (what: string) => {
    const touched: string[] = [];
    const proxy: object = new Proxy(
      {},
      {
        get(_, command) {
          if (command === 'exec')
            return async () => {
              groups.push({ what, keys: touched });
              return touched.map(() => [null, 1]);
            };
          return (...args: unknown[]) => {
            touched.push(...args.filter(isKey));
            return proxy;
          };
        },
      },
    );
    return proxy;
  };
  const replies: Record<string, unknown> = { smembers: ['r1', 'r2'], lrange: ['a', 'b'], hgetall: {}, hkeys: [], llen: 0 };
  const redis = new Proxy(
    {},
    {
      get(_, command) {
        if (command === 'then') return undefined; // not a promise
        if (command === 'multi' || command === 'pipeline') return () => chain(command);
        if (command === 'evalsha' || command === 'eval')
          return async (script: string, numKeys: number, ...rest: unknown[]) => {
            scriptShas.add(command === 'evalsha' ? script : createHash('sha1').update(script).digest('hex'));
            const declared = rest.slice(0, numKeys) as string[];
            const built = rest
              .slice(numKeys)
              .filter(isKey)
              .map((p) => `${p}some-id`);
            groups.push({ what: `${command} ${script.slice(0, 12).trim()}`, keys: [...declared, ...built] });
            return command === 'eval' ? '{}' : [];
          };
        if (command === 'mget')
          return async (...ks: string[]) => {
            groups.push({ what: 'mget', keys: ks });
            return ks.map(() => null);
          };
        return async () => replies[command as string] ?? null;
      },
    },
  ) as RedisClient;
  return { redis, groups, scriptShas };
}

const summary = {
  id: 'r1',
  configKey: 'ck',
  state: 'running',
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:01.000Z',
} as RolloutSummary;
const event = { seq: 1, at: summary.createdAt, type: 'rollout_started', message: 'started', detail: {} } as RolloutEvent;

/** Every store operation that runs a script, a MULTI, a pipeline or a multi-key command. */
async function exercise(redis: RedisClient, prefix: string): Promise<void> {
  const store = new Store(redis, prefix);
  await store.putTarget('t1', { labels: { app: 'a' } });
  await store.deleteTarget('t1');
  await store.getTargets(['t1', 't2']);
  await store.activeRolloutWithTarget('t1');
  await store.putConfigSchema('ck', {});
  await store.confirmations(['t1', 't2'], 'ck');
  await store.allocateVersion('r1', 'ck', { a: 1 }, summary.createdAt);
  await store.storePlan('r1', ['t1', 't2']);
  await store.assignBatch('r1', 'ck', 1, ['t1', 't2'], 0);
  await store.restoreBatch('r1', 'ck', ['t1', 't2']);
  await store.recordProgress(summary, 1, [event]);
  await store.appendHealthSample('r1', 'canary', { failures: [] } as unknown as Parameters<Store['appendHealthSample']>[2]);
  await store.rolloutTargets('r1', 'ck');
  await store.restoreSummary(summary);
  await store.activeRolloutSummaries();
  await store.policies.put('*', {}, 'admin');
  await store.tokens.ensureAdmin('tg_test_0123456789abcdefghijklmnopqrstuvwxyz');
  await store.tokens.create({ name: 'alice', role: 'deployer' } as never, 'admin');
  await store.freezes.lift();
}

function crossSlot(groups: Group[]): string[] {
  return groups
    .filter((g) => new Set(g.keys.map(keySlot)).size > 1)
    .map((g) => `${g.what}: ${g.keys.map((key) => `${key}@${keySlot(key)}`).join(' ')}`);
}

describe('every script and transaction', () => {
  it('touches keys of one slot under a hash-tagged prefix', async () => {
    const { redis, groups, scriptShas } = recordingRedis('{tollgate}:');
    await exercise(redis, '{tollgate}:');
    expect(groups.filter((g) => g.keys.length === 0)).toEqual([]);
    expect(crossSlot(groups)).toEqual([]);
    // Every script the store defines ran above: a new one must be added to `exercise`.
    const defined = Object.values(scripts).filter((s): s is scripts.LuaScript => typeof s === 'object' && 'sha' in s);
    expect(defined.length).toBeGreaterThanOrEqual(4);
    expect(defined.filter((s) => !scriptShas.has(s.sha)).map((s) => s.lua.slice(0, 60))).toEqual([]);
    expect(groups.filter((g) => g.what.startsWith('eval')).length).toBeGreaterThanOrEqual(defined.length + 2);
  });

  it('spans slots without the tag, which is why a cluster refuses such a prefix', async () => {
    const { redis, groups } = recordingRedis('tollgate:');
    await exercise(redis, 'tollgate:');
    expect(crossSlot(groups).length).toBeGreaterThan(5);
  });
});
