/**
 * The typed client of the REST contract (api/contract.ts): one method per JSON route, named by
 * the route's key, taking that route's path parameters, query and body and answering the body of
 * its success response. The CLI, the dashboard and the tests call the API through it, so a change
 * to the contract breaks their build rather than their users.
 *
 * The dashboard bundles this module: it takes the contract's types, and at run time only the route
 * table (api/route-table.ts); nothing of the server (express, Redis, Temporal), no Node built-in.
 *
 * Left to callers of their own, because their answers are not one JSON body:
 * - the event streams (streamEvents, streamRolloutEvents): `url()` and `headers()` give what an
 *   SSE reader needs (cli/sse.ts, web/src/live.ts, tests/helpers/sse.ts);
 * - the Markdown report and /metrics: `text()` answers them as text (getRolloutReport as a method
 *   asks for its JSON form);
 * - /openapi.json, which is served beside the contract rather than declared in it.
 */
import type { z } from 'zod';
import type { RolloutAction } from '../domain/lifecycle';
import type { ErrorBody } from '../domain/schemas';
import type { Contract, Route, RouteName } from './contract';
import type { SuccessBody } from './replies';
import { routeTable, type RouteEntry } from './route-table';

/* ---------- what each method takes ---------- */

/** `z.coerce` fields take anything as input; on the wire they are one query or path word. */
type Word<T> = unknown extends T ? string | number | boolean : string extends T ? T | number : T;
type Fields<S> = S extends z.ZodType ? { [K in keyof z.input<S>]: Word<z.input<S>[K]> } : never;
type SchemaAt<R, K extends string> = R extends { [P in K]: infer S } ? (S extends z.ZodType ? S : never) : never;

/** A markdown route's method asks for its JSON form itself, so `format` is not the caller's. */
type QueryFields<R> = R extends { markdown: true } ? Omit<Fields<SchemaAt<R, 'query'>>, 'format'> : Fields<SchemaAt<R, 'query'>>;

/** An object type with no required key: what `{}` means here, spelled so that lint accepts it. */
type Empty = Record<never, never>;

type Part<K extends string, T> = [T] extends [never] ? { [P in K]?: never } : Empty extends T ? { [P in K]?: T } : { [P in K]: T };
type BodyPart<R> = [SchemaAt<R, 'body'>] extends [never]
  ? { body?: never }
  : undefined extends z.input<SchemaAt<R, 'body'>>
    ? { body?: z.input<SchemaAt<R, 'body'>> }
    : { body: z.input<SchemaAt<R, 'body'>> };

/** What a call of route R takes: `params` for its path, `query`, and `body` (sent as JSON). */
export type RouteArgs<R> = Part<'params', Fields<SchemaAt<R, 'params'>>> & Part<'query', QueryFields<R>> & BodyPart<R>;

/** Per call: abort it, or add headers (the rest come from the client). */
export interface CallOptions {
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

type Method<R extends Route> =
  Empty extends RouteArgs<R>
    ? (args?: RouteArgs<R>, options?: CallOptions) => Promise<SuccessBody<R>>
    : (args: RouteArgs<R>, options?: CallOptions) => Promise<SuccessBody<R>>;

type NotJson = { eventStream: true } | { contentType: string };
/** Routes whose answer is one JSON body: each is a method of the client. */
export type JsonRouteName = { [K in RouteName]: Contract[K] extends NotJson ? never : K }[RouteName];
/** Routes that answer text: the Markdown report (by default) and /metrics. */
export type TextRouteName = { [K in RouteName]: Contract[K] extends { markdown: true } | { contentType: string } ? K : never }[RouteName];

export type ApiClient = { [K in JsonRouteName]: Method<Contract[K]> } & {
  /** A text route's answer as the server writes it (Markdown, the Prometheus exposition). */
  text<K extends TextRouteName>(name: K, args: RouteArgs<Contract[K]>, options?: CallOptions): Promise<string>;
  /** The full URL of a call of the route: for readers of the event streams. */
  url<K extends RouteName>(name: K, args?: RouteArgs<Contract[K]>): string;
  /** The headers every request carries (the bearer token), for callers that make their own requests. */
  headers(): Record<string, string>;
};

/** The route each rollout action is (`tollgate rollout pause`, the dashboard's buttons). */
export const ROLLOUT_ACTION_ROUTES = {
  pause: 'pauseRollout',
  resume: 'resumeRollout',
  approve: 'approveRollout',
  rollback: 'rollbackRollout',
} as const satisfies Record<RolloutAction, JsonRouteName>;

/** The body of a 2xx answer of a route (what its client method resolves to). */
export type ReplyBody<K extends RouteName> = SuccessBody<Contract[K]>;

type Started = Exclude<ReplyBody<'createRollout'>, { dryRun: true }>;
/** createRollout answers the plan (200) to a dry run and the rollout (201) to a start: the rollout. */
export function startedRollout(reply: ReplyBody<'createRollout'>): Started {
  if ('dryRun' in reply) throw new TypeError('createRollout: the answer is a dry run’s plan, not a started rollout');
  return reply;
}

/* ---------- errors ---------- */

/**
 * A non-2xx answer: the API's error body (`{error: {code, message, field?, details?, requestId?}}`)
 * with its status. An answer that is not that shape (a proxy's page) keeps its text in `text` and
 * the code `Http`.
 */
export class ApiClientError extends Error {
  override readonly name = 'ApiClientError';
  readonly field: string | undefined;
  readonly details: unknown;
  readonly requestId: string | undefined;
  readonly text: string | undefined;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    more: { field?: string | undefined; details?: unknown; requestId?: string | undefined; text?: string | undefined } = {},
  ) {
    super(message);
    this.field = more.field;
    this.details = more.details;
    this.requestId = more.requestId;
    this.text = more.text;
  }
}

/**
 * The contract's error body, checked by hand rather than by its schema: the schema would bring zod
 * into the dashboard's bundle, and only these fields are read.
 */
function isErrorBody(json: unknown): json is ErrorBody {
  const error = (json as { error?: Record<string, unknown> } | null)?.error;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof error.code === 'string' &&
    typeof error.message === 'string' &&
    (error.field === undefined || typeof error.field === 'string') &&
    (error.requestId === undefined || typeof error.requestId === 'string')
  );
}

/** The error a non-2xx answer with this body stands for. */
export function errorFromResponse(status: number, text: string): ApiClientError {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!isErrorBody(json)) return new ApiClientError(status, 'Http', `HTTP ${status}`, { text });
  const { code, message, field, details, requestId } = json.error;
  return new ApiClientError(status, code, message, { field, details, requestId });
}

/* ---------- building requests ---------- */

type Values = Record<string, unknown>;

/** A path or query value as one word: a string as it is, a number or boolean as it prints. */
function word(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** `/v1/targets/:targetId` with `{targetId: 'a/b'}` → `/v1/targets/a%2Fb`. */
export function pathOf(route: Pick<RouteEntry, 'path'>, params: Values = {}): string {
  return route.path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === null || value === '') throw new TypeError(`${route.path}: the path parameter ${name} is missing`);
    return encodeURIComponent(word(value));
  });
}

/** `?a=1&b=x%20y`, or '' for none. Absent and empty values are no filter, so they are left out. */
export function queryOf(query: Values = {}): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    for (const one of Array.isArray(value) ? value : [value]) {
      if (one === undefined || one === null || one === '') continue;
      search.append(name, word(one));
    }
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export interface ClientOptions {
  /** Where the API is: `https://tollgate.example.com`, or '' for the page's own origin. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`; a function is asked on each request (a session's token changes). */
  token?: string | undefined | (() => string | undefined);
  /** The fetch to use (a deadline, a test's double); the global one otherwise. */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** What a failed call throws instead of its error (the CLI's exit-coded errors). */
  mapError?: (err: unknown) => unknown;
}

interface Args {
  params?: Values;
  query?: Values;
  body?: unknown;
}

export function createClient(options: ClientOptions): ApiClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  // Called through a closure: a browser's fetch detached from `window` throws "Illegal invocation".
  const send = options.fetch ?? ((url: string, init: RequestInit) => globalThis.fetch(url, init));
  const mapError = options.mapError ?? ((err: unknown) => err);

  function headers(): Record<string, string> {
    const token = typeof options.token === 'function' ? options.token() : options.token;
    return token ? { authorization: `Bearer ${token}` } : {};
  }

  function url(route: RouteEntry, args: Args = {}): string {
    return `${baseUrl}${pathOf(route, args.params)}${queryOf(args.query)}`;
  }

  /** The body of a 2xx answer as text; anything else throws (through `mapError`). */
  async function call(
    route: RouteEntry,
    args: Args,
    accept: string,
    callOptions: CallOptions = {},
    read: (status: number, text: string) => unknown = (_status, text) => text,
  ): Promise<unknown> {
    const target = url(route, args);
    try {
      const res = await send(target, {
        method: route.method.toUpperCase(),
        headers: {
          accept,
          ...headers(),
          ...(args.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...callOptions.headers,
        },
        ...(args.body === undefined ? {} : { body: JSON.stringify(args.body) }),
        ...(callOptions.signal ? { signal: callOptions.signal } : {}),
      });
      const text = await res.text();
      if (!res.ok) throw errorFromResponse(res.status, text);
      return read(res.status, text);
    } catch (err) {
      throw mapError(err);
    }
  }

  function json(route: RouteEntry, args: Args = {}, callOptions?: CallOptions): Promise<unknown> {
    const query = route.markdown ? { ...args.query, format: 'json' } : args.query;
    return call(route, { ...args, query }, 'application/json', callOptions, (status, text) => {
      if (!text) return undefined;
      try {
        return JSON.parse(text);
      } catch {
        throw new ApiClientError(status, 'Http', `HTTP ${status}: the answer is not JSON`, { text });
      }
    });
  }

  const client: Record<string, unknown> = {
    text: (name: RouteName, args: Args = {}, callOptions?: CallOptions) => {
      const route: RouteEntry = routeTable[name];
      return call(route, args, route.markdown ? 'text/markdown' : 'text/plain', callOptions);
    },
    url: (name: RouteName, args?: Args) => url(routeTable[name], args),
    headers,
  };
  for (const [name, route] of Object.entries(routeTable) as [RouteName, RouteEntry][]) {
    if (route.eventStream || route.contentType) continue;
    client[name] = (args?: Args, callOptions?: CallOptions) => json(route, args, callOptions);
  }
  return client as ApiClient;
}
