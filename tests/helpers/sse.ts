/** A small Server-Sent Events client over fetch, for tests and the latency bench. */

export interface SseMessage {
  id: string | undefined;
  event: string;
  data: string;
  /** When the message's last line arrived (ms since the epoch). */
  receivedAt: number;
}

export interface SseStream {
  status: number;
  headers: Headers;
  messages: SseMessage[];
  comments: string[];
  /** Resolves when `pred` holds for the messages so far; rejects after `timeoutMs`. */
  until(what: string, pred: (messages: SseMessage[]) => boolean, timeoutMs?: number): Promise<SseMessage[]>;
  close(): void;
  /** The body when the status is not 200. */
  text(): Promise<string>;
  /** Resolves when the server ends the stream (or close() aborts it). */
  ended: Promise<void>;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());

  let ended: Promise<void> = Promise.resolve();
  if (res.status === 200 && res.body) {
    ended = (async () => {
      const decoder = new TextDecoder();
      let buf = '';
      let cur: { id?: string; event?: string; data: string[] } = { data: [] };
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buf += decoder.decode(chunk, { stream: true });
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line === '') {
              if (cur.data.length > 0) {
                messages.push({ id: cur.id, event: cur.event ?? 'message', data: cur.data.join('\n'), receivedAt: Date.now() });
              }
              cur = { data: [] };
              notify();
            } else if (line.startsWith(':')) {
              comments.push(line.slice(1).trim());
              notify();
            } else {
              const colon = line.indexOf(':');
              const field = colon < 0 ? line : line.slice(0, colon);
              const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
              if (field === 'id') cur.id = value;
              else if (field === 'event') cur.event = value;
              else if (field === 'data') cur.data.push(value);
            }
          }
        }
      } catch {
        // Aborted by close().
      }
    })();
  }

  return {
    status: res.status,
    headers: res.headers,
    messages,
    comments,
    until(what, pred, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pred(messages)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(messages);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${messages.length} messages so far)`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close() {
      abort.abort();
    },
    text: () => res.text(),
    ended,
  };
}
