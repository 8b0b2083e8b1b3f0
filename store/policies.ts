/**
 * Rollout policy documents: the default, and each config key's own. Every change gets the next
 * version number and is kept in a bounded history; a rollout copies the policy it starts under.
 */
import type { RedisClient as Redis } from '../runtime/redis';
import { effectivePolicy, type FreezeWindow, type RolloutPolicy, type RolloutPolicyDocument, type StoredPolicy } from '../domain/policy';
import { keys, type Keys } from './keys';

/** The default policy's scope; `*` cannot be a config key, so the two never collide. */
export const DEFAULT_SCOPE = '*';
/** Past versions kept per scope. */
export const POLICY_HISTORY_MAX = 100;

/** Splices the next version number into the document, then stores it and its history entry. */
const PUT_POLICY = `
local version = redis.call('HINCRBY', KEYS[3], ARGV[1], 1)
local doc = '{"version":' .. version .. ',' .. string.sub(ARGV[2], 2)
redis.call('HSET', KEYS[1], ARGV[1], doc)
redis.call('LPUSH', KEYS[2], doc)
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]))
return doc`;

export class PolicyStore {
  private readonly k: Keys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.k = keys(prefix);
  }

  async get(scope: string): Promise<StoredPolicy | null> {
    const raw = await this.redis.hget(this.k.policies, scope);
    return raw ? (JSON.parse(raw) as StoredPolicy) : null;
  }

  /** Stores the next version of a scope's policy, atomically: concurrent writers each get their own version. */
  async put(scope: string, policy: RolloutPolicyDocument, by: string, now = new Date()): Promise<StoredPolicy> {
    const rest = JSON.stringify({ scope, updatedAt: now.toISOString(), updatedBy: by, policy });
    const raw = (await this.redis.eval(
      PUT_POLICY,
      3,
      this.k.policies,
      this.k.policyHistory(scope),
      this.k.policyVersions,
      scope,
      rest,
      POLICY_HISTORY_MAX - 1,
    )) as string;
    return JSON.parse(raw) as StoredPolicy;
  }

  /** What rollouts of a key must respect now: its own policy over the default, over the shipped default. */
  async effective(configKey: string): Promise<RolloutPolicy> {
    return (await this.effectiveWithVersions(configKey)).policy;
  }

  /** The effective policy and the versions it was merged from (0: the shipped default; null: no own policy). */
  async effectiveWithVersions(configKey: string): Promise<{ policy: RolloutPolicy; versions: { default: number; own: number | null } }> {
    const [defaults, own] = (await this.redis.hmget(this.k.policies, DEFAULT_SCOPE, configKey)).map((raw) =>
      raw ? (JSON.parse(raw) as StoredPolicy) : null,
    );
    return {
      policy: effectivePolicy(defaults?.policy ?? null, own?.policy ?? null),
      versions: { default: defaults?.version ?? 0, own: own?.version ?? null },
    };
  }

  /** Every scope whose own document lists freeze windows, for the dashboard's banner. */
  async freezeWindows(): Promise<{ scope: string; freeze: FreezeWindow[] }[]> {
    const all = await this.redis.hgetall(this.k.policies);
    return Object.values(all)
      .map((raw) => JSON.parse(raw) as StoredPolicy)
      .filter((stored) => (stored.policy.freeze ?? []).length > 0)
      .map((stored) => ({ scope: stored.scope, freeze: stored.policy.freeze ?? [] }));
  }
}
