/**
 * Process configuration, parsed once at start-up from the environment. A bad value stops the
 * process with a message that names the variable.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseAllowList } from '../domain/outbound';
import { LogFormat, LogLevel } from './log';

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
const Bool = z.enum(['true', 'false', '1', '0', '']).transform((v) => v === 'true' || v === '1');

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
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .default('redis://127.0.0.1:6379'),
  TOLLGATE_REDIS_PREFIX: z.string().default('tollgate:'),
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
  TOLLGATE_TARGET_ALLOW: z
    .string()
    .default('')
    .transform((raw, ctx) => {
      try {
        return parseAllowList(raw);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /** Bytes of a target's health or apply answer read at most. */
  TOLLGATE_MAX_TARGET_RESPONSE: Count(64 * 1024, 64 * 1024 * 1024),
  /** Prebuilt workflow bundle; without it the worker bundles workflows/ at start. */
  TOLLGATE_WORKFLOW_BUNDLE: z.string().optional(),
  /** API and worker: subscription URLs must match these too (same syntax as TOLLGATE_TARGET_ALLOW); empty: any address not always refused. */
  TOLLGATE_NOTIFY_ALLOW: z
    .string()
    .default('')
    .transform((raw, ctx) => {
      try {
        return parseAllowList(raw);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
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
