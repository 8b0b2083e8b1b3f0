/**
 * Process configuration, parsed once at start-up from the environment. A bad value stops the
 * process with a message that names the variable.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseAllowList } from '../domain/outbound';
import { LogFormat, LogLevel } from './log';
import { prefixHasHashTag } from '../store/slots';

const Port = z.coerce.number().int().min(0).max(65535);
/** A positive whole number with a default: the form of every limit below. */
const Count = (fallback: number, max = 1_000_000_000) => z.coerce.number().int().min(1).max(max).default(fallback);
const CommaList = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== ''),
  );
/** Outbound allow-lists (domain/outbound.ts syntax); a bad entry is named in the error. */
const AllowList = z
  .string()
  .default('')
  .transform((raw, ctx) => {
    try {
      return parseAllowList(raw);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });
const Bool = z.enum(['true', 'false', '1', '0', '']).transform((v) => v === 'true' || v === '1');
const HostPort = z
  .string()
  .regex(/^[^\s:,]+:\d{1,5}$/, 'each entry must be host:port')
  .refine((entry) => Number(entry.slice(entry.lastIndexOf(':') + 1)) <= 65535, 'a port is at most 65535');
const HostPortList = CommaList.pipe(z.array(HostPort)).transform((entries) =>
  entries.map((entry) => {
    const at = entry.lastIndexOf(':');
    return { host: entry.slice(0, at), port: Number(entry.slice(at + 1)) };
  }),
);

export const Env = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** TLS for a Temporal cluster or Temporal Cloud: client certificate and key (PEM files). */
  TEMPORAL_TLS_CERT: z.string().optional(),
  TEMPORAL_TLS_KEY: z.string().optional(),
  TEMPORAL_TLS: Bool.default(false),
  /** Temporal Cloud API key; implies TLS. */
  TEMPORAL_API_KEY: z.string().optional(),
  TOLLGATE_TASK_QUEUE: z.string().min(1).default('tollgate-rollouts'),
  /** One Redis server; `rediss://` connects with TLS. Ignored when REDIS_CLUSTER_NODES or REDIS_SENTINELS is set. */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .default('redis://127.0.0.1:6379'),
  /** Redis Cluster: some of its nodes (host:port, comma-separated); the rest are discovered. */
  REDIS_CLUSTER_NODES: HostPortList,
  /** Redis Sentinel: the sentinels (host:port, comma-separated) and the name of the master they watch. */
  REDIS_SENTINELS: HostPortList,
  REDIS_SENTINEL_NAME: z.string().min(1).optional(),
  REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
  /** Credentials for cluster and sentinel-managed servers (a single server takes them from REDIS_URL). */
  REDIS_USERNAME: z.string().min(1).optional(),
  REDIS_PASSWORD: z.string().min(1).optional(),
  /** TLS to cluster nodes and sentinel-managed servers (a single server: use rediss://). */
  REDIS_TLS: Bool.default(false),
  /** A CA bundle (PEM) to trust for Redis TLS, beside the system's; implies TLS. */
  REDIS_TLS_CA_FILE: z.string().min(1).optional(),
  /**
   * Every Redis key starts with it. Unset: `tollgate:`, or `{tollgate}:` on a cluster, where it must
   * carry a hash tag so that each script's keys share one slot (docs/scaling.md).
   */
  TOLLGATE_REDIS_PREFIX: z.string().optional(),
  PORT: Port.default(3000),
  HOST: z.string().default('0.0.0.0'),
  /** Largest accepted request body (express/body-parser syntax). */
  TOLLGATE_MAX_BODY: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'like 1mb or 512kb')
    .default('1mb'),
  /** Deepest nesting of a JSON body (api/limits.ts). */
  TOLLGATE_MAX_JSON_DEPTH: Count(64, 10_000),
  /** Keys plus elements of a JSON body. */
  TOLLGATE_MAX_JSON_ITEMS: Count(50_000),
  /** Keys plus elements of a config schema (compiling costs per node). */
  TOLLGATE_MAX_SCHEMA_ITEMS: Count(5_000),
  /** Per client and minute: POST/PUT/DELETE requests, GET requests, new event streams. */
  TOLLGATE_RATE_MUTATIONS: Count(300),
  TOLLGATE_RATE_READS: Count(1_200),
  TOLLGATE_RATE_STREAMS: Count(60),
  /** Event streams one client may hold open at once. */
  TOLLGATE_MAX_STREAMS_PER_CLIENT: Count(10),
  /** Slow clients: headers, whole request, idle keep-alive connection (ms). */
  TOLLGATE_HEADERS_TIMEOUT_MS: Count(10_000, 600_000),
  TOLLGATE_REQUEST_TIMEOUT_MS: Count(30_000, 3_600_000),
  TOLLGATE_KEEPALIVE_TIMEOUT_MS: Count(5_000, 600_000),
  /** Origins allowed to call the API from a browser; none by default. */
  TOLLGATE_CORS_ORIGINS: CommaList.pipe(
    z.array(z.url({ protocol: /^https?$/, error: 'each origin must be an http(s) URL like https://ops.example.com' })),
  ),
  /** Target URLs: CIDRs and host patterns they must match (besides the ranges that are always refused). */
  TOLLGATE_TARGET_ALLOW: AllowList,
  /** Bytes of a target's health or apply answer read at most. */
  TOLLGATE_MAX_TARGET_RESPONSE: Count(64 * 1024, 64 * 1024 * 1024),
  /** Prebuilt workflow bundle; without it the worker bundles workflows/ at start. */
  TOLLGATE_WORKFLOW_BUNDLE: z.string().optional(),
  /** API and worker: subscription URLs must match these too (same syntax as TOLLGATE_TARGET_ALLOW); empty: any address not always refused. */
  TOLLGATE_NOTIFY_ALLOW: AllowList,
  /** Worker: the dashboard's address as people reach it, for the links in notifications. */
  TOLLGATE_PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }).default('http://localhost:3000'),
  /** Worker: becomes the subscription `alert-webhook` (events: failed) at start; see docs/notifications.md. */
  TOLLGATE_ALERT_WEBHOOK: z
    .url({ protocol: /^https?$/, error: 'must be an http or https URL' })
    .or(z.literal('').transform(() => undefined))
    .optional(),
  /** Worker: the Prometheus server of canary analysis's `prometheus` checks that name no URL of their own. */
  PROMETHEUS_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http or https URL' })
    .or(z.literal('').transform(() => undefined))
    .optional(),
  /** API: the bootstrap admin token's secret. Unset: the first start generates one and prints it once. */
  TOLLGATE_ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters').max(512).optional(),
  /** API: single sign-on. With an issuer, JWTs it signs are accepted beside Tollgate's tokens. */
  TOLLGATE_OIDC_ISSUER: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }).optional(),
  TOLLGATE_OIDC_AUDIENCE: z.string().min(1).optional(),
  /** The JWT claim that carries the Tollgate role (viewer, deployer, approver, admin). */
  TOLLGATE_OIDC_ROLE_CLAIM: z.string().min(1).default('tollgate_role'),
  /** Where the issuer's keys are; discovered from the issuer when unset. */
  TOLLGATE_OIDC_JWKS_URL: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }).optional(),
  /** API: audit entries kept in Redis (the oldest are trimmed past it). */
  TOLLGATE_AUDIT_MAX_ENTRIES: z.coerce.number().int().min(1_000).max(100_000_000).default(200_000),
  /** How long a stopping worker lets in-flight activities finish (ms). */
  TOLLGATE_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(300_000).default(10_000),
  /** Log lines at this level and above (runtime/log.ts). */
  LOG_LEVEL: LogLevel.default('info'),
  /** json, pretty, or auto: pretty when stdout is a terminal. */
  LOG_FORMAT: LogFormat.default('auto'),
  /** Worker: where its /metrics listens (0: any free port, named in the log). The API serves /metrics on PORT. */
  TOLLGATE_METRICS_HOST: z.string().min(1).default('0.0.0.0'),
  TOLLGATE_METRICS_PORT: Port.default(9464),
  /**
   * A bearer secret for scrapes: the worker's /metrics asks for it when set (and is open when not);
   * the API's /metrics accepts it beside any viewer token.
   */
  TOLLGATE_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').max(512).optional(),
  /** Worker: the loopback port of the Temporal SDK's metrics exporter, served through /metrics (0: a free port). */
  TOLLGATE_TEMPORAL_METRICS_PORT: Port.default(0),
});
export type Env = z.infer<typeof Env>;

/** Single-sign-on options, when an issuer is configured (it then needs an audience too). */
export function oidcOptions(env: Env) {
  if (!env.TOLLGATE_OIDC_ISSUER) return undefined;
  if (!env.TOLLGATE_OIDC_AUDIENCE) throw new Error('invalid configuration:\n  TOLLGATE_OIDC_AUDIENCE: required with TOLLGATE_OIDC_ISSUER');
  return {
    issuer: env.TOLLGATE_OIDC_ISSUER,
    audience: env.TOLLGATE_OIDC_AUDIENCE,
    roleClaim: env.TOLLGATE_OIDC_ROLE_CLAIM,
    jwksUrl: env.TOLLGATE_OIDC_JWKS_URL,
  };
}

/** Where Redis is: one server, a cluster, or a master found through sentinels. */
export type RedisConnection =
  | { mode: 'single'; url: string; tlsCaFile?: string }
  | { mode: 'cluster'; nodes: Env['REDIS_CLUSTER_NODES']; auth: RedisAuth; tls: boolean; tlsCaFile?: string }
  | {
      mode: 'sentinel';
      sentinels: Env['REDIS_SENTINELS'];
      name: string;
      sentinelPassword?: string;
      auth: RedisAuth;
      tls: boolean;
      tlsCaFile?: string;
    };
export interface RedisAuth {
  username?: string;
  password?: string;
}

function invalid(variable: string, message: string): Error {
  return new Error(`invalid configuration:\n  ${variable}: ${message}`);
}

/** The Redis connection the environment asks for; a contradiction stops the process naming the variable. */
export function redisConnection(env: Env): RedisConnection {
  const tlsCaFile = env.REDIS_TLS_CA_FILE;
  const tls = env.REDIS_TLS || tlsCaFile !== undefined;
  const auth: RedisAuth = {
    ...(env.REDIS_USERNAME ? { username: env.REDIS_USERNAME } : {}),
    ...(env.REDIS_PASSWORD ? { password: env.REDIS_PASSWORD } : {}),
  };
  const extra = tlsCaFile ? { tlsCaFile } : {};
  if (env.REDIS_CLUSTER_NODES.length > 0 && env.REDIS_SENTINELS.length > 0) {
    throw invalid('REDIS_CLUSTER_NODES', 'set either REDIS_CLUSTER_NODES or REDIS_SENTINELS, not both');
  }
  if (env.REDIS_CLUSTER_NODES.length > 0) return { mode: 'cluster', nodes: env.REDIS_CLUSTER_NODES, auth, tls, ...extra };
  if (env.REDIS_SENTINELS.length > 0) {
    if (!env.REDIS_SENTINEL_NAME)
      throw invalid('REDIS_SENTINEL_NAME', 'required with REDIS_SENTINELS (the master name the sentinels watch)');
    return {
      mode: 'sentinel',
      sentinels: env.REDIS_SENTINELS,
      name: env.REDIS_SENTINEL_NAME,
      ...(env.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: env.REDIS_SENTINEL_PASSWORD } : {}),
      auth,
      tls,
      ...extra,
    };
  }
  if (env.REDIS_TLS && !env.REDIS_URL.startsWith('rediss://')) {
    throw invalid('REDIS_TLS', 'for a single server, use a rediss:// REDIS_URL instead');
  }
  return { mode: 'single', url: env.REDIS_URL, ...extra };
}

/**
 * The prefix of every key. On a cluster it must carry a hash tag (`{tollgate}:`): Tollgate's
 * scripts touch keys of a rollout, its config key, its targets and the global indexes at once,
 * and a cluster runs a script only when all its keys share one slot.
 */
export function redisKeyPrefix(env: Env): string {
  const cluster = env.REDIS_CLUSTER_NODES.length > 0;
  const prefix = env.TOLLGATE_REDIS_PREFIX ?? (cluster ? '{tollgate}:' : 'tollgate:');
  if (cluster && !prefixHasHashTag(prefix)) {
    throw invalid('TOLLGATE_REDIS_PREFIX', `on a Redis Cluster it must carry a hash tag, like {${prefix.replace(/:$/, '')}}:`);
  }
  return prefix;
}

export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = Env.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** Connection options shared by the client (API) and the worker's native connection. */
export function temporalConnectionOptions(env: Env) {
  const tlsFiles =
    env.TEMPORAL_TLS_CERT && env.TEMPORAL_TLS_KEY
      ? { clientCertPair: { crt: readFileSync(env.TEMPORAL_TLS_CERT), key: readFileSync(env.TEMPORAL_TLS_KEY) } }
      : null;
  const tls = tlsFiles ?? (env.TEMPORAL_TLS || env.TEMPORAL_API_KEY ? true : undefined);
  return {
    address: env.TEMPORAL_ADDRESS,
    ...(tls !== undefined ? { tls } : {}),
    ...(env.TEMPORAL_API_KEY ? { apiKey: env.TEMPORAL_API_KEY } : {}),
  };
}
