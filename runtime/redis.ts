/** Redis clients with explicit, documented retry behaviour. */
import { Redis } from 'ioredis';

export interface RedisClientOptions {
  /** Commands retried per request while reconnecting before they fail. */
  maxRetriesPerRequest?: number;
}

/**
 * Reconnects forever, at most 2 s apart. A command issued while Redis is down fails after
 * `maxRetriesPerRequest` reconnect attempts (activities are then retried by Temporal; the API
 * answers 503).
 */
export function createRedis(url: string, opts: RedisClientOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: opts.maxRetriesPerRequest ?? 3,
    retryStrategy: (times) => Math.min(2_000, 100 * times),
    connectTimeout: 5_000,
    lazyConnect: false,
  });
}
