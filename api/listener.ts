/**
 * The API's HTTP listener with bounds on slow clients: a client must send its headers within
 * `headersTimeoutMs` and its whole request within `requestTimeoutMs`, and an idle keep-alive
 * connection is closed after `keepAliveTimeoutMs`, so a slow-loris client cannot hold connections
 * open. Responses are not bounded by these: an event stream stays open as long as its client reads.
 */
import http from 'node:http';
import type { Express } from 'express';

export interface ListenerLimits {
  /** TOLLGATE_HEADERS_TIMEOUT_MS */
  headersTimeoutMs: number;
  /** TOLLGATE_REQUEST_TIMEOUT_MS: headers and body. */
  requestTimeoutMs: number;
  /** TOLLGATE_KEEPALIVE_TIMEOUT_MS: an idle connection between requests. */
  keepAliveTimeoutMs: number;
  /** How often Node checks the two timeouts above (its default, 30 s, would let them run long). */
  checkIntervalMs: number;
}

export const LISTENER_DEFAULTS: ListenerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
};

export function createListener(app: Express, limits: Partial<ListenerLimits> = {}): http.Server {
  const l = { ...LISTENER_DEFAULTS, ...limits };
  return http.createServer(
    {
      headersTimeout: l.headersTimeoutMs,
      // Node requires requestTimeout >= headersTimeout (0 would mean none at all).
      requestTimeout: Math.max(l.requestTimeoutMs, l.headersTimeoutMs),
      keepAliveTimeout: l.keepAliveTimeoutMs,
      connectionsCheckingInterval: l.checkIntervalMs,
    },
    app,
  );
}
