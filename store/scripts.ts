/**
 * Lua scripts for the writes that must be atomic: a retried activity, or a worker that dies between
 * two writes, must never leave a target's assignment and its rollback record disagreeing.
 * Keys computed inside a script (from a key prefix in ARGV) are not declared in KEYS: on a Redis
 * Cluster that is safe only because every key shares the prefix's hash tag, so one slot holds them all
 * (runtime/config.ts requires the tag on a cluster; tests/unit/redis-slots.test.ts checks each script).
 */
import { createHash } from 'node:crypto';
import type { RedisClient as Redis } from '../runtime/redis';

export interface LuaScript {
  lua: string;
  sha: string;
}

function script(lua: string): LuaScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/** EVALSHA, falling back to EVAL when the server has not seen the script (after a restart, say). */
export async function runScript(redis: Redis, s: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
  try {
    return await redis.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('NOSCRIPT')) {
      return redis.eval(s.lua, keys.length, ...keys, ...args);
    }
    throw err;
  }
}

/**
 * Allocates a rollout's version once: a retry returns the number already given, so no version is
 * skipped or reused. Stores the content and its metadata with the number.
 * KEYS: rolloutVersion, config hash, configVersions hash, configKeys set
 * ARGV: content key prefix, content JSON, metadata JSON without version (version is spliced in), configKey
 */
export const allocateVersion = script(`
local existing = redis.call('GET', KEYS[1])
if existing then return tonumber(existing) end
local v = redis.call('HINCRBY', KEYS[2], 'latest', 1)
redis.call('SET', KEYS[1], v)
redis.call('SET', ARGV[1] .. v, ARGV[2])
redis.call('HSET', KEYS[3], v, '{"version":' .. v .. ',' .. string.sub(ARGV[3], 2))
redis.call('SADD', KEYS[4], ARGV[4])
return v
`);

/**
 * Assigns a version to a batch of targets, first keeping what each had before (HSETNX: a retry
 * never overwrites the true previous version with the new one).
 * KEYS: rolloutPrevious, rolloutApplied
 * ARGV: configKey, version, nowMs, assign key prefix, targetIds...
 */
export const assignBatch = script(`
for i = 5, #ARGV do
  local id = ARGV[i]
  local akey = ARGV[4] .. id
  local cur = redis.call('HGET', akey, ARGV[1]) or '0'
  redis.call('HSETNX', KEYS[1], id, cur)
  redis.call('HSET', akey, ARGV[1], ARGV[2])
  redis.call('HSETNX', KEYS[2], id, ARGV[2] .. '|' .. ARGV[3])
end
return #ARGV - 4
`);

/**
 * Puts each touched target back on the version it had before the rollout (0: none, so the
 * assignment is removed). Returns the previous versions, in order.
 * KEYS: rolloutPrevious
 * ARGV: configKey, assign key prefix, targetIds...
 */
export const restoreBatch = script(`
local out = {}
for i = 3, #ARGV do
  local id = ARGV[i]
  local p = redis.call('HGET', KEYS[1], id)
  if p then
    if p == '0' then
      redis.call('HDEL', ARGV[2] .. id, ARGV[1])
    else
      redis.call('HSET', ARGV[2] .. id, ARGV[1], p)
    end
    out[#out + 1] = p
  else
    out[#out + 1] = false
  end
end
return out
`);

/**
 * Lua: appends one entry to the global stream (a new id) and the same entry, under the same id, to
 * the rollout's stream, so that an event has one identity whichever stream a client reads.
 * Every entry of a rollout's stream is also in the global stream, so the global id is always
 * past the rollout stream's last one; only an entry written before ids were shared (by an
 * older release, within the same millisecond) can be past it, and then the rollout's stream
 * takes an id of its own rather than lose the entry.
 */
const PUBLISH_BOTH = `
local function publishBoth(global, globalMax, own, ownMax, fields)
  local id = redis.call('XADD', global, 'MAXLEN', '~', globalMax, '*', unpack(fields))
  local res = redis.pcall('XADD', own, 'MAXLEN', '~', ownMax, id, unpack(fields))
  if type(res) == 'table' and res.err then redis.call('XADD', own, 'MAXLEN', '~', ownMax, '*', unpack(fields)) end
  return id
end
`;

/**
 * Keeps a health sample (a bounded list, for charts) and publishes it to the global stream and the
 * rollout's stream under one id.
 * KEYS: health list, global stream, rollout stream
 * ARGV: sample JSON, health list max, global stream max length, rollout stream max length, stream fields...
 */
export const appendHealthSample = script(`
${PUBLISH_BOTH}
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
local fields = {}
for i = 5, #ARGV do fields[#fields + 1] = ARGV[i] end
return publishBoth(KEYS[2], ARGV[3], KEYS[3], ARGV[4], fields)
`);

/**
 * Writes a rollout's summary and appends its new events. Events carry a per-rollout sequence
 * number chosen by the workflow; one already stored is skipped, so a retried write adds nothing.
 * The summary is written only if its revision is newer than the stored one, so a late retry of
 * an older write cannot overwrite a newer state. Each new event also goes to the global event
 * stream and the rollout's own stream (for live clients), with the summary as it stands, under one
 * id in both (PUBLISH_BOTH): a client may resume either stream after an id it had from the other.
 * KEYS: summary, rev, seq, events list, global stream, rollout index, active set, rollout stream
 * ARGV: summary JSON, rev, rolloutId, createdAtMs, terminal ('1'/'0'), global stream max length,
 *       rollout stream max length, then (seq, event JSON) pairs
 * Returns the highest sequence number stored before this call: the caller knows which events were new.
 */
export const recordProgress = script(`
${PUBLISH_BOTH}
local rev = tonumber(ARGV[2])
local stored = tonumber(redis.call('GET', KEYS[2]) or '-1')
if rev > stored then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('SET', KEYS[2], rev)
  -- Only the write that wins decides membership of the active set: a late write of an older
  -- summary must not mark a finished rollout active again.
  if ARGV[5] == '1' then
    redis.call('SREM', KEYS[7], ARGV[3])
  else
    redis.call('SADD', KEYS[7], ARGV[3])
  end
end
local last = tonumber(redis.call('GET', KEYS[3]) or '0')
local before = last
for i = 8, #ARGV, 2 do
  local seq = tonumber(ARGV[i])
  if seq > last then
    redis.call('RPUSH', KEYS[4], ARGV[i + 1])
    publishBoth(KEYS[5], ARGV[6], KEYS[8], ARGV[7], {'kind', 'rollout', 'rolloutId', ARGV[3], 'event', ARGV[i + 1], 'summary', ARGV[1]})
    last = seq
  end
end
redis.call('SET', KEYS[3], last)
redis.call('ZADD', KEYS[6], 'NX', ARGV[4], ARGV[3])
return before
`);
