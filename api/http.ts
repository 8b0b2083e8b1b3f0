/**
 * Binds contract routes to express: validates path, query and body with the route's schemas and
 * maps every failure to a 4xx/503 body that names the field or reason. Never a 500 for bad input.
 */
import type { NextFunction, Request, Response, Router } from 'express';
import type { z } from 'zod';
import { statusOf, type ApiErrorCode } from '../domain/api-errors';
import { Reason } from '../domain/reasons';
import type { ErrorBody } from '../domain/schemas';
import { isRedisRetriesExhausted } from '../runtime/redis';
import { authorizeFields, authorizeRole, authorizeTarget, type AuthDeps } from './auth';
import { routeName, type Route } from './contract';
import { HttpError } from './errors';
import type { ReplyOf } from './replies';
import { requestIdOf } from './request-id';

export { HttpError } from './errors';

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;
export interface RouteInput<R extends Route> {
  params: Out<R['params']>;
  query: Out<R['query']>;
  body: Out<R['body']>;
  headers: Out<R['headers']>;
}
/**
 * What a handler answers: a status its route declares, with that status's body (api/replies.ts).
 * A handler that answers another shape does not compile. Handlers that write the response
 * themselves (Markdown, event streams) answer nothing.
 */
export type Reply<R extends Route> = ReplyOf<R>;

/** `stages[0].percent` for a zod path. */
export function fieldName(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
}

function parse(schema: z.ZodType, value: unknown, where: 'path' | 'query' | 'body' | 'header'): unknown {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ field: fieldName(i.path) || where, message: i.message }));
  const first = issues[0]!;
  throw new HttpError(Reason.InvalidRequest, `${first.field}: ${first.message}`, first.field, { in: where, issues });
}

/** A request body is coming: a length above zero or a chunked body. */
function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * What the contract says a route does not take is refused, not ignored: a body on a route without
 * one, query parameters on a route without any, and any body that is not JSON.
 */
function checkEnvelope(route: Route, req: Request): void {
  if (hasBody(req)) {
    if (!req.is('application/json')) {
      const type = req.headers['content-type'] ?? 'none';
      throw new HttpError(Reason.UnsupportedMediaType, `body: must be application/json, not ${type.slice(0, 100)}`, 'content-type');
    }
    if (!route.body) throw new HttpError(Reason.InvalidRequest, 'body: this route takes no body', 'body');
  }
  if (!route.query && req.query && Object.keys(req.query).length > 0) {
    throw new HttpError(Reason.InvalidRequest, 'query: this route takes no query parameters', 'query');
  }
}

export function bind<R extends Route>(
  router: Router,
  route: R,
  // NoInfer: R comes from the route alone, so the handler's answer is checked against it, not widened.
  handler: (input: RouteInput<NoInfer<R>>, req: Request, res: Response) => Promise<Reply<NoInfer<R>> | void>,
): void {
  router[route.method](route.path, async (req: Request, res: Response, next: NextFunction) => {
    try {
      res.locals.action = routeName(route);
      // Valid path ids are kept for the audit entry even when the caller is refused below.
      const params = route.params?.safeParse(req.params);
      res.locals.input = { params: params?.success ? params.data : undefined };
      const auth = req.app.locals.auth as AuthDeps;
      // Who may call comes before what they sent: a caller without the role learns nothing more.
      authorizeRole(route, res);
      checkEnvelope(route, req);
      const input = {
        params: route.params ? parse(route.params, req.params, 'path') : undefined,
      } as RouteInput<R>;
      await authorizeTarget(auth, route, res, input.params);
      input.query = (route.query ? parse(route.query, req.query ?? {}, 'query') : undefined) as RouteInput<R>['query'];
      input.body = (route.body ? parse(route.body, req.body, 'body') : undefined) as RouteInput<R>['body'];
      input.headers = (route.headers ? parse(route.headers, req.headers, 'header') : undefined) as RouteInput<R>['headers'];
      res.locals.input = input;
      authorizeFields(route, res, input.body);
      const reply = (await handler(input, req, res)) as { status: number; body?: unknown } | void;
      if (!reply || res.headersSent) return;
      if (reply.body === undefined) res.status(reply.status).end();
      else res.status(reply.status).json(reply.body);
    } catch (err) {
      next(err);
    }
  });
}

export function errorBody(code: ApiErrorCode, message: string, field?: string, details?: unknown, requestId?: string): ErrorBody {
  return {
    error: {
      code,
      message,
      ...(field ? { field } : {}),
      ...(details !== undefined ? { details } : {}),
      ...(requestId ? { requestId } : {}),
    },
  };
}

/**
 * What of an error may be logged: its name, message, code and stack. Never the error object itself:
 * body-parser's errors carry the raw body, which is config content.
 */
export function loggableError(err: unknown): { name?: string; message?: string; code?: unknown; stack?: string } {
  if (!(err instanceof Error)) return { message: String(err).slice(0, 500) };
  return { name: err.name, message: err.message, code: (err as { code?: unknown }).code, stack: err.stack };
}

/** gRPC status codes that mean the Temporal frontend cannot be reached right now. */
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;

/** True for errors that mean Redis or Temporal cannot be reached right now (answered with 503). */
export function isUnavailable(err: unknown): boolean {
  for (
    let e = err as { name?: string; message?: string; code?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    depth++
  ) {
    if (isRedisRetriesExhausted(e)) return true;
    if (/Connection is closed|ECONNREFUSED|ETIMEDOUT|Stream isn't writeable|enableOfflineQueue/.test(e.message ?? '')) return true;
    if (e.code === GRPC_UNAVAILABLE || e.code === GRPC_DEADLINE_EXCEEDED) return true;
    e = e.cause as typeof e;
  }
  return false;
}

export function errorHandler(log: (msg: string, err: unknown) => void) {
  return (err: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(err);
    const requestId = requestIdOf(res);
    const reply = (status: number, code: ApiErrorCode, message: string, field?: string, details?: unknown) =>
      void res.status(status).json(errorBody(code, message, field, details, requestId));
    const send = (code: ApiErrorCode, message: string, field?: string, details?: unknown) =>
      reply(statusOf(code), code, message, field, details);
    if (err instanceof HttpError) return reply(err.status, err.code, err.message, err.field, err.details);
    const e = err as { type?: string; status?: number; limit?: number; message?: string };
    if (e?.type === 'entity.too.large') {
      return send(Reason.PayloadTooLarge, `body: larger than the limit of ${e.limit} bytes (TOLLGATE_MAX_BODY)`, 'body', {
        limit: e.limit,
      });
    }
    if (e?.type === 'entity.parse.failed') return send(Reason.InvalidRequest, `body: not valid JSON (${e.message})`, 'body');
    if (e?.type === 'charset.unsupported' || e?.type === 'encoding.unsupported') {
      return send(Reason.UnsupportedMediaType, `body: ${e.message ?? 'unsupported encoding'}`, 'content-type');
    }
    // A client error that express or a body parser raised keeps the status they chose for it.
    if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
      return reply(e.status, Reason.InvalidRequest, e.message ?? 'bad request');
    }
    if (isUnavailable(err)) return send(Reason.Unavailable, `a dependency is unavailable: ${e?.message ?? 'unknown'}`);
    log(`request ${requestId} ${req.method} ${req.path.slice(0, 200)}: unhandled error`, loggableError(err));
    send(Reason.Internal, 'internal error');
  };
}
