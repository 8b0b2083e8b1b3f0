/**
 * Server-Sent Events: a parser of the text/event-stream format (WHATWG HTML, "Server-sent
 * events") and a reader that follows a stream over Node's fetch, reconnecting with Last-Event-ID
 * when the connection drops. No dependency: the format is small and EventSource is not in Node 20.
 */

export interface SseMessage {
  /** The `event:` field; "message" when the server sent none. */
  event: string;
  data: string;
  /** The last `id:` seen so far in the stream (ids carry over to later messages, as in the spec). */
  id: string | undefined;
}

/** Incremental: feed it chunks as they arrive, split anywhere, and it returns the complete messages. */
export class SseParser {
  private buffer = '';
  private pendingCr = false;
  private started = false;
  private event = '';
  private data: string[] = [];
  private hasData = false;
  lastEventId: string | undefined;
  /** Reconnection delay the server asked for with `retry:`. */
  retryMs: number | undefined;

  constructor(lastEventId?: string) {
    this.lastEventId = lastEventId;
  }

  feed(chunk: string): SseMessage[] {
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    // A CR that ended the last chunk already ended its line; an LF right after it is the same break.
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    const out: SseMessage[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      if (!m) break;
      // A lone CR at the very end may be the first half of CRLF: wait for the next chunk unless it is one.
      const line = this.buffer.slice(0, m.index);
      if (m[0] === '\r' && m.index === this.buffer.length - 1) this.pendingCr = true;
      this.buffer = this.buffer.slice(m.index + m[0].length);
      const msg = this.line(line);
      if (msg) out.push(msg);
    }
    return out;
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.event = value;
        break;
      case 'data':
        this.data.push(value);
        this.hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        // Unknown fields are ignored, as the format requires.
        break;
    }
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const msg = this.hasData ? { event: this.event || 'message', data: this.data.join('\n'), id: this.lastEventId } : undefined;
    this.event = '';
    this.data = [];
    this.hasData = false;
    return msg;
  }
}

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
 * `SseUnavailable` if the server has no such stream, or the last error once reconnecting has
 * failed for `giveUpAfterMs`.
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
      if (err instanceof SseUnavailable) throw err;
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
