/**
 * Reading the live event streams (Redis Streams written by `recordProgress` and
 * `appendHealthSample`) and turning their entries into Server-Sent Event messages, plus the
 * read-model repair write used by the rebuild. Stream ids are Redis's own: `<ms>-<seq>`, monotonic.
 */
import { createHash } from 'node:crypto';
import { duplicateForBlocking, type RedisClient as Redis } from '../runtime/redis';
import type { RolloutSummary } from '../domain/schemas';
import type { Keys } from './keys';
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

/** One stream entry as Redis returns it. */
export type StreamEntry = [id: string, fields: string[]];

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
export function toStreamMessage([id, fields]: StreamEntry): StreamMessage | null {
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
async function streamTail(redis: Redis, key: string): Promise<string> {
  const last = (await redis.xrevrange(key, '+', '-', 'COUNT', 1)) as StreamEntry[];
  return last[0]?.[0] ?? STREAM_START;
}

/** Entries strictly after `afterId`, oldest first, at most `count`. */
async function readAfter(redis: Redis, key: string, afterId: string, count: number): Promise<StreamEntry[]> {
  return await redis.xrange(key, `(${afterId}`, '+', 'COUNT', count);
}

/** Blocks up to `blockMs` for entries after `afterId`; [] on timeout. */
async function readBlocking(redis: Redis, key: string, afterId: string, count: number, blockMs: number): Promise<StreamEntry[]> {
  const res = await redis.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', key, afterId);
  return res?.[0]?.[1] ?? [];
}

/** A reader that blocks on its own connection, so its XREAD BLOCK holds up nobody else's commands. */
export interface BlockingStreamReader {
  /** Blocks up to `blockMs` for entries after `afterId`; [] on timeout. */
  read(afterId: string, count: number, blockMs: number): Promise<StreamEntry[]>;
  /** Closes the reader's connection. */
  close(): void;
}

/** One live stream: reads on the shared connection, and blocking readers on their own. */
export interface EventStream {
  /** Tells streams apart: readers of one stream can be shared by its name. */
  readonly name: string;
  /** The id of the newest entry, or STREAM_START for an empty or missing stream. */
  tail(): Promise<string>;
  /** Entries strictly after `afterId`, oldest first, at most `count`. */
  readAfter(afterId: string, count: number): Promise<StreamEntry[]>;
  blockingReader(): BlockingStreamReader;
}

/** The event streams `recordProgress` and `appendHealthSample` write: every rollout's, and each one's own. */
export class EventStreams {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Every rollout's events and health samples. */
  all(): EventStream {
    return this.stream(this.keys.events);
  }

  /** One rollout's events and health samples. */
  rollout(rolloutId: string): EventStream {
    return this.stream(this.keys.rolloutStream(rolloutId));
  }

  private stream(key: string): EventStream {
    const redis = this.redis;
    return {
      name: key,
      tail: () => streamTail(redis, key),
      readAfter: (afterId, count) => readAfter(redis, key, afterId, count),
      blockingReader: () => {
        const conn = duplicateForBlocking(redis);
        return { read: (afterId, count, blockMs) => readBlocking(conn, key, afterId, count, blockMs), close: () => conn.disconnect() };
      },
    };
  }
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
