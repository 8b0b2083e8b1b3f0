/**
 * Stop-the-line: live state, set by an approver (`POST /v1/freeze`) for every key or some, lifted
 * by an admin (`DELETE /v1/freeze`). Unlike a policy's freeze windows, which a rollout copies when
 * it starts, it holds running rollouts at once: the freeze-check activity reads it at every stage.
 */
import type { RedisClient as Redis } from '../runtime/redis';
import type { StopTheLine } from '../domain/policy';
import { ALL_KEYS } from '../domain/freeze-holds';
import { keys, type Keys } from './keys';

export class FreezeStore {
  private readonly k: Keys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.k = keys(prefix);
  }

  /** Stops the line for every key, or for the keys named. A second stop of a scope replaces the first. */
  async stop(reason: string, by: string, configKeys: readonly string[] | undefined, now = new Date()): Promise<StopTheLine[]> {
    const at = now.toISOString();
    const scopes = configKeys && configKeys.length > 0 ? configKeys : [ALL_KEYS];
    const records = scopes.map((scope): StopTheLine => ({ scope, reason, by, at }));
    await this.redis.hset(this.k.freeze, Object.fromEntries(records.map((r) => [r.scope, JSON.stringify(r)])));
    return records;
  }

  /** Lifts every stop-the-line; returns what was lifted. */
  async lift(): Promise<StopTheLine[]> {
    const [[, raw]] = (await this.redis.multi().hgetall(this.k.freeze).del(this.k.freeze).exec()) as [
      [Error | null, Record<string, string>],
    ];
    return Object.values(raw ?? {}).map((v) => JSON.parse(v) as StopTheLine);
  }

  async all(): Promise<StopTheLine[]> {
    const raw = await this.redis.hgetall(this.k.freeze);
    return Object.values(raw)
      .map((v) => JSON.parse(v) as StopTheLine)
      .sort((a, b) => (a.scope < b.scope ? -1 : 1));
  }

  /** The stops that hold one key: for every key, and its own. */
  async forKey(configKey: string): Promise<StopTheLine[]> {
    const raw = await this.redis.hmget(this.k.freeze, ALL_KEYS, configKey);
    return raw.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as StopTheLine);
  }
}
