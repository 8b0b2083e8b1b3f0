/**
 * A parser of the text/event-stream format (WHATWG HTML, "Server-sent events"), with no I/O and
 * no platform API: the CLI's stream reader (cli/sse.ts) and the dashboard's (web/src/live.ts,
 * which cannot use EventSource because EventSource cannot send the bearer token) share it.
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
