/**
 * Server-Sent Events over Node's fetch: follows a stream, reconnecting with Last-Event-ID when the
 * connection drops, and sending the bearer token (which EventSource could not). No dependency:
 * the format is small (cli/sse-parser.ts) and EventSource is not in Node 20.
 */
import { errorFromBody } from './client';
import { isAuthError } from './errors';
import { SseParser, type SseMessage } from './sse-parser';

export { SseParser, type SseMessage };

/** The server has no event stream for this URL (older server, or the feature is off). */
export class SseUnavailable extends Error {
  constructor(readonly status: number) {
    super(`event stream unavailable (HTTP ${status})`);
  }
}

export interface FollowOptions {
  url: string;
  headers: Record<string, string>;
  signal: AbortSignal;
  lastEventId?: string | undefined;
  onMessage: (m: SseMessage) => void;
  /** Each (re)connection that the server accepted. */
  onOpen?: (reconnect: boolean) => void;
  /** A dropped connection, before the reader waits and reconnects. */
  onDrop?: (err: unknown) => void;
  connectTimeoutMs?: number;
  /** Silence (no data, no heartbeat) after which the connection counts as dead. */
  idleTimeoutMs?: number;
  reconnectMs?: number;
  /** Give up once reconnecting has failed for this long without a successful connection. */
  giveUpAfterMs?: number;
}

/** HTTP statuses that mean "no stream here": the caller falls back to polling. */
const UNAVAILABLE = new Set([404, 405, 406, 501]);

/**
 * Follows the stream until `signal` aborts. Reconnects with Last-Event-ID after a drop; throws
 * `SseUnavailable` if the server has no such stream, an `ApiError` at once if it refuses the
 * token (401, 403: waiting will not change that), or the last error once reconnecting has failed
 * for `giveUpAfterMs`.
 */
export async function followSse(o: FollowOptions): Promise<void> {
  const parserState = { lastEventId: o.lastEventId };
  let reconnect = false;
  let failingSince: number | null = null;
  let retryMs = o.reconnectMs ?? 1000;
  while (!o.signal.aborted) {
    try {
      const parser = new SseParser(parserState.lastEventId);
      await readOnce(o, parser, reconnect);
      parserState.lastEventId = parser.lastEventId;
      if (parser.retryMs !== undefined) retryMs = parser.retryMs;
      failingSince = null;
    } catch (err) {
      if (err instanceof SseUnavailable || isAuthError(err)) throw err;
      if (o.signal.aborted) return;
      if (err instanceof ConnectedError) {
        parserState.lastEventId = err.lastEventId;
        if (err.retryMs !== undefined) retryMs = err.retryMs;
        failingSince = null;
        o.onDrop?.(err.cause);
      } else {
        failingSince ??= Date.now();
        if (Date.now() - failingSince > (o.giveUpAfterMs ?? 30_000)) throw err;
        o.onDrop?.(err);
      }
    }
    if (o.signal.aborted) return;
    reconnect = true;
    await sleep(retryMs, o.signal);
  }
}

/** A drop after the server had accepted the connection: the next attempt resumes where it left. */
class ConnectedError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly lastEventId: string | undefined,
    readonly retryMs: number | undefined,
  ) {
    super('event stream dropped');
  }
}

async function readOnce(o: FollowOptions, parser: SseParser, reconnect: boolean): Promise<void> {
  const conn = new AbortController();
  const abort = () => conn.abort();
  o.signal.addEventListener('abort', abort, { once: true });
  const connectTimer = setTimeout(() => conn.abort(new Error('connect timeout')), o.connectTimeoutMs ?? 10_000);
  let idleTimer: NodeJS.Timeout | undefined;
  try {
    const res = await fetch(o.url, {
      headers: {
        ...o.headers,
        accept: 'text/event-stream',
        'cache-control': 'no-cache',
        ...(parser.lastEventId !== undefined ? { 'last-event-id': parser.lastEventId } : {}),
      },
      signal: conn.signal,
    });
    clearTimeout(connectTimer);
    if (UNAVAILABLE.has(res.status)) {
      await res.body?.cancel();
      throw new SseUnavailable(res.status);
    }
    if (res.status === 401 || res.status === 403) {
      const sentToken = Object.keys(o.headers).some((h) => h.toLowerCase() === 'authorization');
      throw errorFromBody(res.status, await res.text(), sentToken);
    }
    const type = res.headers.get('content-type') ?? '';
    if (res.status === 200 && !type.startsWith('text/event-stream')) {
      await res.body?.cancel();
      throw new SseUnavailable(res.status);
    }
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel();
      throw new Error(`event stream: HTTP ${res.status}`);
    }
    o.onOpen?.(reconnect);
    const idleMs = o.idleTimeoutMs ?? 60_000;
    const arm = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => conn.abort(new Error(`no data for ${idleMs / 1000} s`)), idleMs);
    };
    arm();
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body) {
        arm();
        for (const m of parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }))) o.onMessage(m);
        if (o.signal.aborted) return;
      }
    } catch (err) {
      if (o.signal.aborted) return;
      throw new ConnectedError(err, parser.lastEventId, parser.retryMs);
    }
    // The server ended the stream: reconnect from where it stopped, as EventSource would.
    throw new ConnectedError(new Error('server closed the stream'), parser.lastEventId, parser.retryMs);
  } finally {
    clearTimeout(connectTimer);
    clearTimeout(idleTimer);
    o.signal.removeEventListener('abort', abort);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
