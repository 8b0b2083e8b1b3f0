/**
 * The API's bounds on what one client may cost it: rate limits per route class, concurrent event
 * streams per client, and the shape of JSON bodies (depth, keys and elements) measured on the raw
 * bytes before `JSON.parse` builds anything. Each bound has a default here, an environment
 * variable (runtime/config.ts), an error code (domain/reasons.ts) and a row in the README.
 *
 * Rate limits key on the authenticated principal when there is one (`res.locals.principal.id`,
 * set by an authentication middleware mounted before these) and on the client address otherwise,
 * so they can be mounted before or after authentication.
 */
import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { measureJsonText, type JsonBounds } from '../domain/json-shape';
import { statusOf } from '../domain/api-errors';
import { Reason } from '../domain/reasons';
import { contract, type Route } from './contract';
import { errorBody, HttpError } from './http';
import { requestIdOf } from './request-id';

/* ---------- route classes ---------- */

/**
 * exempt: never limited (`/healthz`: load balancers must always get an answer); stream: opens a
 * Server-Sent Events stream; read: any other GET; mutation: everything else.
 */
export type RouteClass = 'exempt' | 'read' | 'mutation' | 'stream';

export function routeClassOf(route: Pick<Route, 'method' | 'eventStream' | 'unlimited'>): RouteClass {
  if (route.unlimited) return 'exempt';
  if (route.eventStream) return 'stream';
  return route.method === 'get' ? 'read' : 'mutation';
}

interface PathPattern {
  name: string;
  method: string;
  segments: (string | null)[];
  routeClass: RouteClass;
}

/** Contract paths as segment lists; `null` stands for a `:param`, which matches any one segment. */
const PATTERNS: PathPattern[] = Object.entries(contract as Record<string, Route>).map(([name, route]) => ({
  name,
  method: route.method.toUpperCase(),
  segments: route.path
    .split('/')
    .slice(1)
    .map((s) => (s.startsWith(':') ? null : s)),
  routeClass: routeClassOf(route),
}));

/**
 * The class of a request by the contract route it would reach. Requests that match no route (404s,
 * the dashboard's files, /openapi.json) are reads when they are GET or HEAD and mutations otherwise,
 * so a flood of nonsense is limited like any other.
 */
export function classifyRequest(method: string, path: string): RouteClass {
  const m = method === 'HEAD' ? 'GET' : method;
  return matchRoute(method, path)?.routeClass ?? (m === 'GET' ? 'read' : 'mutation');
}

function matchRoute(method: string, path: string): PathPattern | undefined {
  const m = method === 'HEAD' ? 'GET' : method;
  const segments = path.split('/').slice(1);
  return PATTERNS.find(
    (p) =>
      p.method === m &&
      p.segments.length === segments.length &&
      p.segments.every((s, i) => (s === null ? segments[i] !== '' : s === segments[i])),
  );
}

/** The contract route name a request would reach, also when it was refused before reaching it (401, 429). */
export function routeNameOf(method: string, path: string): string | undefined {
  return matchRoute(method, path)?.name;
}

/* ---------- rate limits ---------- */

export interface RateLimitOptions {
  /** The window the counts below apply to. */
  windowMs: number;
  /** Requests per window per client: TOLLGATE_RATE_MUTATIONS, TOLLGATE_RATE_READS, TOLLGATE_RATE_STREAMS (new streams). */
  mutations: number;
  reads: number;
  streams: number;
  /** Event streams one client may hold open at once (TOLLGATE_MAX_STREAMS_PER_CLIENT). */
  concurrentStreams: number;
  /** What a refused stream is told to wait before it tries again. */
  streamRetryAfterSeconds: number;
}

export const RATE_LIMIT_DEFAULTS: RateLimitOptions = {
  windowMs: 60_000,
  mutations: 300,
  reads: 1_200,
  streams: 60,
  concurrentStreams: 10,
  streamRetryAfterSeconds: 5,
};

const ENV_NAME: Record<Exclude<RouteClass, 'exempt'>, string> = {
  mutation: 'TOLLGATE_RATE_MUTATIONS',
  read: 'TOLLGATE_RATE_READS',
  stream: 'TOLLGATE_RATE_STREAMS',
};

/** Whom a request is counted against: the authenticated principal, else the client's address (IPv6 by /56). */
export function clientKey(req: Request, res: Response): string {
  const principal = (res.locals as { principal?: { id?: unknown } }).principal;
  if (principal && typeof principal.id === 'string') return `principal:${principal.id}`;
  return `ip:${ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown')}`;
}

/** Per-client request limits by route class; 429 with Retry-After past a limit. Health is never limited. */
export function rateLimits(options: Partial<RateLimitOptions> = {}): RequestHandler {
  const o = { ...RATE_LIMIT_DEFAULTS, ...options };
  const make = (cls: Exclude<RouteClass, 'exempt'>, limit: number) =>
    rateLimit({
      windowMs: o.windowMs,
      limit,
      identifier: cls,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      keyGenerator: (req, res) => clientKey(req, res),
      // Tollgate does not trust proxy headers (the address is the socket's); saying so is not an error.
      validate: { xForwardedForHeader: false },
      handler: (_req, res) => {
        const retry = res.getHeader('retry-after');
        res
          .status(statusOf(Reason.RateLimited))
          .json(
            errorBody(
              Reason.RateLimited,
              `too many ${cls} requests from this client: the limit is ${limit} per ${Math.round(o.windowMs / 1000)} s (${ENV_NAME[cls]}); retry after ${String(retry ?? 1)} s`,
              undefined,
              { limit, windowSeconds: Math.round(o.windowMs / 1000), class: cls },
              requestIdOf(res),
            ),
          );
      },
    });
  const limiters = { mutation: make('mutation', o.mutations), read: make('read', o.reads), stream: make('stream', o.streams) };
  return (req, res, next) => {
    const cls = classifyRequest(req.method, req.path);
    if (cls === 'exempt') return next();
    void limiters[cls](req, res, next);
  };
}

/**
 * At most `concurrentStreams` open event streams per client: a dashboard left open in many tabs,
 * or a client that reconnects without closing, cannot take every stream slot of the process.
 */
export function streamConcurrency(options: Partial<RateLimitOptions> = {}): RequestHandler {
  const o = { ...RATE_LIMIT_DEFAULTS, ...options };
  const open = new Map<string, number>();
  return (req, res, next) => {
    if (classifyRequest(req.method, req.path) !== 'stream') return next();
    const key = clientKey(req, res);
    const count = open.get(key) ?? 0;
    if (count >= o.concurrentStreams) {
      res.setHeader('Retry-After', String(o.streamRetryAfterSeconds));
      res
        .status(statusOf(Reason.TooManyStreams))
        .json(
          errorBody(
            Reason.TooManyStreams,
            `this client already has ${count} event streams open (TOLLGATE_MAX_STREAMS_PER_CLIENT is ${o.concurrentStreams}); close one or retry later`,
            undefined,
            { limit: o.concurrentStreams },
            requestIdOf(res),
          ),
        );
      return;
    }
    open.set(key, count + 1);
    res.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left <= 0) open.delete(key);
      else open.set(key, left);
    });
    next();
  };
}

/* ---------- JSON bodies ---------- */

export interface JsonLimits extends JsonBounds {
  /** Largest body, in body-parser's syntax (TOLLGATE_MAX_BODY). */
  maxBody: string;
  /** Keys and elements of a config schema (TOLLGATE_MAX_SCHEMA_ITEMS): compiling costs per node. */
  maxSchemaItems: number;
}

export const JSON_LIMIT_DEFAULTS: JsonLimits = {
  maxBody: '1mb',
  maxDepth: 64,
  maxItems: 50_000,
  maxSchemaItems: 5_000,
};

/**
 * body-parser's `verify` hook: runs on the raw bytes before they are parsed. Refuses bodies that are
 * not UTF-8 (RFC 8259; the byte scan below assumes it) and bodies past the depth or item bound.
 */
export function verifyJsonShape(bounds: JsonBounds) {
  return (_req: Request, _res: Response, body: Buffer, encoding: string): void => {
    if (encoding.toLowerCase() !== 'utf-8' && encoding.toLowerCase() !== 'utf8') {
      throw new HttpError(Reason.UnsupportedMediaType, `body: JSON must be UTF-8, not ${encoding}`, 'body');
    }
    const shape = measureJsonText(body, bounds);
    if (shape.ok) return;
    if (shape.limit === 'depth') {
      throw new HttpError(Reason.JsonTooDeep, `body: nested deeper than ${bounds.maxDepth} levels (TOLLGATE_MAX_JSON_DEPTH)`, 'body', {
        limit: bounds.maxDepth,
        offset: shape.at,
      });
    }
    throw new HttpError(Reason.JsonTooManyItems, `body: more than ${bounds.maxItems} keys and elements (TOLLGATE_MAX_JSON_ITEMS)`, 'body', {
      limit: bounds.maxItems,
      offset: shape.at,
    });
  };
}
