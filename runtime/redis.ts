/**
 * Redis clients with explicit, documented retry behaviour: one server, a Redis Cluster, or a master
 * found through Redis Sentinel, each optionally over TLS (docs/scaling.md).
 */
import { readFileSync } from 'node:fs';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
// ioredis's index does not re-export its error classes; this is the module that defines them.
import { MaxRetriesPerRequestError } from 'ioredis/built/errors';
import type { RedisConnection } from './config';

/** What the stores take: a single server's client or a cluster's (their commands are the same). */
export type RedisClient = Redis | Cluster;

export interface RedisClientOptions {
  /** Commands retried per request while reconnecting before they fail. */
  maxRetriesPerRequest?: number;
}

/** Reconnect at most 2 s apart, forever: Temporal retries the activities meanwhile, and the API answers 503. */
const retryStrategy = (times: number) => Math.min(2_000, 100 * times);
const CONNECT_TIMEOUT_MS = 5_000;
const SLOTS_REFRESH_TIMEOUT_MS = 5_000;

/**
 * Auto-pipelining: the commands issued in one tick (a request's reads, many requests' token checks)
 * go out in one socket write, not one write each; under load the writes were the API's largest cost.
 */
function baseOptions(opts: RedisClientOptions): RedisOptions {
  return {
    maxRetriesPerRequest: opts.maxRetriesPerRequest ?? 3,
    retryStrategy,
    connectTimeout: CONNECT_TIMEOUT_MS,
    lazyConnect: false,
    enableAutoPipelining: true,
  };
}

/**
 * Reconnects forever, at most 2 s apart. A command issued while Redis is down fails after
 * `maxRetriesPerRequest` reconnect attempts (activities are then retried by Temporal; the API
 * answers 503).
 */
export function createRedis(url: string, opts: RedisClientOptions = {}): Redis {
  return new Redis(url, baseOptions(opts));
}

/**
 * A second connection for blocking reads (XREAD BLOCK would hold up every other command on a shared
 * one), whose commands wait for a reconnect instead of failing: its read loop is the only caller.
 */
export function duplicateForBlocking(client: RedisClient): RedisClient {
  if (client instanceof Cluster) {
    return client.duplicate(undefined, {
      enableAutoPipelining: false,
      redisOptions: { ...client.options.redisOptions, maxRetriesPerRequest: null, enableAutoPipelining: false },
    });
  }
  // One blocking read at a time: nothing to pipeline with.
  return client.duplicate({ maxRetriesPerRequest: null, enableAutoPipelining: false });
}

/**
 * A command that failed because ioredis gave up reconnecting for it (`maxRetriesPerRequest`):
 * Redis is away, not the command wrong.
 */
export function isRedisRetriesExhausted(err: unknown): boolean {
  return err instanceof MaxRetriesPerRequestError;
}

/** TLS options for ioredis: the CA file's certificates when one is named (beside the system's). */
function tlsOptions(caFile: string | undefined): RedisOptions['tls'] {
  return caFile ? { ca: [readFileSync(caFile)] } : {};
}

/** The ioredis options a connection stands for; separate from connecting so that it can be tested. */
export function redisClientOptions(
  conn: RedisConnection,
  opts: RedisClientOptions = {},
):
  | { mode: 'single'; url: string; options: RedisOptions }
  | { mode: 'cluster'; nodes: { host: string; port: number }[]; options: ClusterOptions }
  | { mode: 'sentinel'; options: RedisOptions } {
  const base = baseOptions(opts);
  switch (conn.mode) {
    case 'single':
      // A rediss:// URL turns TLS on by itself; the CA file only adds what to trust.
      return { mode: 'single', url: conn.url, options: { ...base, ...(conn.tlsCaFile ? { tls: tlsOptions(conn.tlsCaFile) } : {}) } };
    case 'cluster':
      return {
        mode: 'cluster',
        nodes: conn.nodes,
        options: {
          clusterRetryStrategy: retryStrategy,
          enableAutoPipelining: true,
          // ioredis allows 1 s for the slot map; a busy node or process needs more before it counts as down.
          slotsRefreshTimeout: SLOTS_REFRESH_TIMEOUT_MS,
          // The scripts run where their slot lives; replicas are never read from, so a read follows its write.
          scaleReads: 'master',
          redisOptions: { ...base, ...conn.auth, ...(conn.tls ? { tls: tlsOptions(conn.tlsCaFile) } : {}) },
        },
      };
    case 'sentinel':
      return {
        mode: 'sentinel',
        options: {
          ...base,
          ...conn.auth,
          sentinels: conn.sentinels,
          name: conn.name,
          ...(conn.sentinelPassword ? { sentinelPassword: conn.sentinelPassword } : {}),
          ...(conn.tls ? { tls: tlsOptions(conn.tlsCaFile), enableTLSForSentinelMode: true } : {}),
        },
      };
  }
}

/** A client for the configured Redis: one server, a cluster, or the master the sentinels name. */
export function connectRedis(conn: RedisConnection, opts: RedisClientOptions = {}): RedisClient {
  const resolved = redisClientOptions(conn, opts);
  switch (resolved.mode) {
    case 'single':
      return new Redis(resolved.url, resolved.options);
    case 'cluster':
      return new Cluster(resolved.nodes, resolved.options);
    case 'sentinel':
      return new Redis(resolved.options);
  }
}
