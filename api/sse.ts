/**
 * Server-Sent Events over the Redis event streams.
 *
 * One blocking reader per stream, shared by every client watching that stream, rather than a
 * blocking connection per client: a hundred dashboards on the global stream cost one Redis
 * connection and one XREAD, not a hundred. Each reader has its own connection (a blocking XREAD
 * holds it) and stops, closing that connection, when its last client leaves.
 *
 * A client first catches up from its cursor with XRANGE on the shared connection, then takes the
 * reader's entries. It joins the reader before it reads its backlog and drops whatever it has
 * already sent, so no entry falls between the two and none is sent twice.
 */
import type { Request, Response } from 'express';
import { Reason } from '../domain/reasons';
import { compareStreamIds, toStreamMessage, type BlockingStreamReader, type EventStream, type StreamMessage } from '../store/events';
import { HttpError } from './http';

export interface SseOptions {
  /** A comment line this often keeps proxies and load balancers from closing an idle stream. */
  heartbeatMs: number;
  /** Concurrent SSE clients per API process; more get 503 with Retry-After. */
  maxClients: number;
  /** How long one XREAD blocks before the reader loops (and notices it should stop). */
  blockMs: number;
  /** A client this far behind (unsent bytes) is cut off; it reconnects and catches up from its last id. */
  maxBufferedBytes: number;
  /** What EventSource waits before it reconnects (the SSE `retry:` field). */
  retryMs: number;
}

export const SSE_DEFAULTS: SseOptions = {
  heartbeatMs: 15_000,
  maxClients: 500,
  blockMs: 5_000,
  maxBufferedBytes: 4 * 1024 * 1024,
  retryMs: 2_000,
};

/** Entries per XRANGE page while catching up, and per XREAD. */
const READ_COUNT = 500;

interface Subscriber {
  /** The last id this client was sent (or chose to start after). */
  cursor: string;
  /** Entries that arrived while the client was still catching up. */
  pending: StreamMessage[] | null;
  send(m: StreamMessage): void;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

class StreamReader {
  readonly subscribers = new Set<Subscriber>();
  readonly ready: Promise<void>;
  private stopped = false;
  private lastId = '0-0';
  private readonly blocking: BlockingStreamReader;

  constructor(
    stream: EventStream,
    private readonly blockMs: number,
  ) {
    this.blocking = stream.blockingReader();
    this.ready = stream.tail().then((tail) => {
      this.lastId = tail;
      void this.loop();
    });
    // A failed start is reported to the client that caused it; the reader is dropped then.
    this.ready.catch(() => this.stop());
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.blocking.close();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        const entries = await this.blocking.read(this.lastId, READ_COUNT, this.blockMs);
        for (const entry of entries) {
          this.lastId = entry[0];
          const m = toStreamMessage(entry);
          if (!m) continue;
          for (const s of this.subscribers) {
            if (s.pending) s.pending.push(m);
            else if (compareStreamIds(m.id, s.cursor) > 0) s.send(m);
          }
        }
      } catch {
        // Redis away: clients stay connected and get what they missed once it is back.
        if (!this.stopped) await sleep(500);
      }
    }
  }
}

/** Where a client starts: after a given id, after everything so far, or from the stream's start. */
export type StreamStart = { after: string } | 'now';

export class EventHub {
  private readonly readers = new Map<string, StreamReader>();
  private readonly open = new Set<Response>();
  private clients = 0;
  readonly options: SseOptions;

  constructor(options: Partial<SseOptions> = {}) {
    this.options = { ...SSE_DEFAULTS, ...options };
  }

  get clientCount(): number {
    return this.clients;
  }

  /** Ends every open stream (clients reconnect, to another instance if need be) and stops the readers. */
  close(): void {
    for (const res of this.open) res.end();
    this.open.clear();
    for (const r of this.readers.values()) r.stop();
    this.readers.clear();
  }

  private reader(stream: EventStream): StreamReader {
    const existing = this.readers.get(stream.name);
    if (existing && !existing.isStopped) return existing;
    const r = new StreamReader(stream, this.options.blockMs);
    this.readers.set(stream.name, r);
    return r;
  }

  private leave(name: string, reader: StreamReader, sub: Subscriber): void {
    reader.subscribers.delete(sub);
    if (reader.subscribers.size === 0) {
      reader.stop();
      if (this.readers.get(name) === reader) this.readers.delete(name);
    }
  }

  /**
   * Streams `stream` to the response until the client goes away, or until `admitted` (asked at each
   * heartbeat) says the caller no longer is. Resolves once the stream is set up (headers sent,
   * backlog written); errors before that reach the caller as HTTP errors.
   */
  async serve(req: Request, res: Response, stream: EventStream, start: StreamStart, admitted?: () => Promise<boolean>): Promise<void> {
    const o = this.options;
    // Gone while its token was checked: its 'close' has fired already and would never clean up.
    if (res.closed) return;
    if (this.clients >= o.maxClients) {
      res.setHeader('Retry-After', String(Math.ceil(o.retryMs / 1000)));
      throw new HttpError(Reason.Unavailable, `too many live event clients (limit ${o.maxClients}); retry shortly`);
    }
    this.clients += 1;
    const reader = this.reader(stream);
    let heartbeat: NodeJS.Timeout | undefined;
    let closed = false;
    const sub: Subscriber = {
      cursor: '0-0',
      pending: [],
      send: (m) => {
        if (closed) return;
        sub.cursor = m.id;
        res.write(`id: ${m.id}\nevent: ${m.event}\ndata: ${m.data}\n\n`);
        if (res.writableLength > o.maxBufferedBytes) res.destroy();
      },
    };
    const cleanup = () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      this.open.delete(res);
      this.clients -= 1;
      this.leave(stream.name, reader, sub);
    };
    res.on('close', cleanup);
    this.open.add(res);
    try {
      reader.subscribers.add(sub);
      await reader.ready;
      sub.cursor = start === 'now' ? await stream.tail() : start.after;
      // The client may have gone while Redis answered.
      if (closed) return;

      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      res.write(`retry: ${o.retryMs}\n: connected\n\n`);

      for (;;) {
        const entries = await stream.readAfter(sub.cursor, READ_COUNT);
        for (const entry of entries) {
          const m = toStreamMessage(entry);
          if (m) sub.send(m);
          else sub.cursor = entry[0];
        }
        if (entries.length < READ_COUNT || closed) break;
      }
      const pending = sub.pending ?? [];
      sub.pending = null;
      for (const m of pending) if (compareStreamIds(m.id, sub.cursor) > 0) sub.send(m);

      if (closed) return;
      heartbeat = setInterval(() => {
        if (closed) return;
        res.write(': heartbeat\n\n');
        // A caller whose token was revoked since the stream opened loses it here.
        admitted?.().then(
          (ok) => ok || res.end(),
          () => undefined,
        );
      }, o.heartbeatMs);
      heartbeat.unref();
      req.socket.setKeepAlive(true);
    } catch (err) {
      cleanup();
      if (res.headersSent) {
        res.destroy();
        return;
      }
      throw err;
    }
  }
}
