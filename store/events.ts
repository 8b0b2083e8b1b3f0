/**
 * Reading the live event streams (Redis Streams written by `recordProgress` and
 * `appendHealthSample`) and turning their entries into Server-Sent Event messages, plus the
 * read-model repair write used by the rebuild. Stream ids are Redis's own: `<ms>-<seq>`, monotonic.
 */
import { createHash } from 'node:crypto';
import type { RedisClient as Redis } from '../runtime/redis';
import type { RolloutSummary } from '../domain/schemas';
import { runScript, type LuaScript } from './scripts';

export const STREAM_ID = /^\d{1,20}-\d{1,20}$/;
/** Before the first entry of any stream. */
export const STREAM_START = '0-0';

export interface StreamMessage {
  id: string;
  /** `rollout` or `health`: the SSE event name. */
  event: string;
  /** The SSE `data` line: one line of JSON. */
  data: string;
}

type RawEntry = [id: string, fields: string[]];

/** Orders two stream ids; they compare as (ms, seq) pairs, not as text. */
export function compareStreamIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const ms = BigInt(am) - BigInt(bm);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(as) - BigInt(bs);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}

function fieldMap(fields: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) m.set(fields[i]!, fields[i + 1]!);
  return m;
}

/**
 * The stored fields are already JSON, so the message is spliced together rather than parsed and
 * serialised again: a busy stream costs string concatenation per client, not JSON work.
 */
export function toStreamMessage([id, fields]: RawEntry): StreamMessage | null {
  const f = fieldMap(fields);
  const rolloutId = JSON.stringify(f.get('rolloutId') ?? '');
  switch (f.get('kind')) {
    case 'rollout':
      return { id, event: 'rollout', data: `{"rolloutId":${rolloutId},"event":${f.get('event')},"summary":${f.get('summary')}}` };
    case 'health': {
      const stage = JSON.stringify(f.get('stage') ?? '');
      return { id, event: 'health', data: `{"rolloutId":${rolloutId},"stage":${stage},"sample":${f.get('sample')}}` };
    }
    default:
      return null;
  }
}

/** The id of the newest entry, or STREAM_START for an empty or missing stream. */
export async function streamTail(redis: Redis, key: string): Promise<string> {
  const last = (await redis.xrevrange(key, '+', '-', 'COUNT', 1)) as RawEntry[];
  return last[0]?.[0] ?? STREAM_START;
}

/** Entries strictly after `afterId`, oldest first, at most `count`. */
export async function readAfter(redis: Redis, key: string, afterId: string, count: number): Promise<RawEntry[]> {
  return await redis.xrange(key, `(${afterId}`, '+', 'COUNT', count);
}

/** Blocks up to `blockMs` for entries after `afterId`; [] on timeout. */
export async function readBlocking(redis: Redis, key: string, afterId: string, count: number, blockMs: number): Promise<RawEntry[]> {
  const res = await redis.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', key, afterId);
  return res?.[0]?.[1] ?? [];
}

function script(lua: string): LuaScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/**
 * Puts a summary taken from the workflow back into the read model, unless the stored one is
 * newer (the workflow may have committed again since it was queried). The revision counter is
 * left alone: it belongs to the workflow's own writes.
 * KEYS: summary, rollout index, active set
 * ARGV: summary JSON, updatedAt (ISO 8601; one format throughout, so text order is time order),
 *       rolloutId, createdAt ms, terminal ('1'/'0')
 * Returns 1 when written, 0 when the stored summary was newer.
 */
const restoreSummaryLua = script(`
local stored = redis.call('GET', KEYS[1])
if stored then
  local ok, doc = pcall(cjson.decode, stored)
  if ok and type(doc) == 'table' and type(doc.updatedAt) == 'string' and doc.updatedAt > ARGV[2] then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], 'NX', ARGV[4], ARGV[3])
if ARGV[5] == '1' then
  redis.call('SREM', KEYS[3], ARGV[3])
else
  redis.call('SADD', KEYS[3], ARGV[3])
end
return 1
`);

export interface SummaryKeys {
  summary: string;
  index: string;
  active: string;
}

/** See `restoreSummaryLua`. */
export async function restoreSummary(redis: Redis, keys: SummaryKeys, summary: RolloutSummary, terminal: boolean): Promise<boolean> {
  const written = await runScript(
    redis,
    restoreSummaryLua,
    [keys.summary, keys.index, keys.active],
    [JSON.stringify(summary), summary.updatedAt, summary.id, Date.parse(summary.createdAt), terminal ? '1' : '0'],
  );
  return written === 1;
}
