/**
 * The CLI's client: the typed client of the contract (api/client.ts) with what a command line
 * needs on top. Every request has a deadline, so a hung server fails the command instead of
 * hanging a pipeline; every request carries the bearer token ($TOLLGATE_TOKEN); and every failure
 * becomes an `ApiError` with the server's message, code and field, and for a 401 or 403 what to
 * do about it.
 */
import { ApiClientError, createClient, errorFromResponse, type ApiClient } from '../api/client';
import type { AuditQuery } from '../domain/access';
import { ApiError, authHint } from './errors';

export const REQUEST_TIMEOUT_MS = 10_000;

export interface ClientOptions {
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>` on every request, the event stream included. */
  token?: string | undefined;
  timeoutMs?: number;
}

/** The audit query as the CLI sends it: every filter optional, the limit the server's default when absent. */
export type AuditFilter = { [K in keyof AuditQuery]?: AuditQuery[K] | undefined };

export function cliClient(o: ClientOptions): ApiClient {
  const baseUrl = o.baseUrl.replace(/\/+$/, '');
  const timeoutMs = o.timeoutMs ?? REQUEST_TIMEOUT_MS;
  const tokenSent = Boolean(o.token);
  return createClient({
    baseUrl,
    token: o.token,
    fetch: (url, init) => fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(timeoutMs) }),
    mapError: (err) => {
      if (err instanceof ApiClientError) return cliError(err, tokenSent);
      if (err instanceof ApiError) return err;
      return networkError(err, baseUrl, timeoutMs);
    },
  });
}

/** An API refusal as the CLI reports it. */
export function cliError(err: ApiClientError, tokenSent: boolean): ApiError {
  if (err.text !== undefined) {
    // Not the contract's error body (a proxy's HTML page, say): report the status instead.
    const text = err.text.slice(0, 200).trim();
    return new ApiError(`HTTP ${err.status}${text ? `: ${text}` : ''}`, err.status, 'Http', undefined, authHint(err.status, '', tokenSent));
  }
  // A refusal of who is asking is named by its code: it is what a user searches the docs for.
  const auth = err.status === 401 || err.status === 403;
  return new ApiError(
    auth ? `${err.code}: ${err.message}` : err.message,
    err.status,
    err.code,
    err.field,
    authHint(err.status, err.code, tokenSent),
  );
}

/** The error a non-2xx answer with this body stands for (the event stream reads its own answers). */
export function errorFromBody(status: number, text: string, tokenSent = false): ApiError {
  return cliError(errorFromResponse(status, text), tokenSent);
}

export function networkError(err: unknown, baseUrl: string, timeoutMs: number): ApiError {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError')
    return new ApiError(`no answer from Tollgate at ${baseUrl} within ${timeoutMs / 1000} s`, null, 'Timeout');
  const why = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  return new ApiError(`cannot reach Tollgate at ${baseUrl} (${why}); set TOLLGATE_URL or --url`, null, 'Unreachable');
}
