/**
 * Request ids: every response carries `x-request-id`, error bodies repeat it, and every log line
 * about a request names it, so a user's report can be matched to the server's logs. A sane id
 * from the caller (a proxy or a client that already made one) is kept; anything else is replaced.
 * Later middleware (the audit log, error handling) reads it from `res.locals.requestId`.
 */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

export const REQUEST_ID_HEADER = 'x-request-id';

/** Short, printable, and safe in a log line or a header: nothing that could forge another line. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** The id to use for a request, given its `x-request-id` header (one or several values). */
export function chooseRequestId(incoming: string | string[] | undefined, make: () => string = randomUUID): string {
  return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : make();
}

export function requestId() {
  return (req: Request, res: Response, next: NextFunction): void => {
    const id = chooseRequestId(req.headers[REQUEST_ID_HEADER]);
    res.locals.requestId = id;
    res.setHeader(REQUEST_ID_HEADER, id);
    next();
  };
}

/** The id `requestId()` gave this response (empty outside the middleware, as in unit tests). */
export function requestIdOf(res: Response): string {
  return typeof res.locals.requestId === 'string' ? res.locals.requestId : '';
}
