/**
 * The event stream and the connection indicator. EventSource cannot send the bearer token, so
 * the stream is read with fetch(): the text/event-stream body goes through the same parser as
 * the CLI's (cli/sse-parser.ts), and after a drop the reader reconnects with Last-Event-ID, so
 * the server replays what was missed. The page is told when the stream comes back, so it can
 * refresh what the stream does not carry (the per-target map).
 */
import type { HealthStreamMessage, RolloutStreamMessage } from '../../domain/schemas';
import { SseParser } from '../../cli/sse-parser';
import { authHeaders } from './api';
import { end } from './session';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'off';

export interface LiveHandlers {
  rollout?(m: RolloutStreamMessage): void;
  health?(m: HealthStreamMessage): void;
  /** The stream is open again after a drop. */
  reopened?(): void;
}

/** Silence after which a connection counts as dead: the server sends a heartbeat every 15 s. */
const IDLE_MS = 40_000;
/** Wait before reconnecting, unless the server asked for another with `retry:`. */
const RETRY_MS = 2_000;

const indicatorText: Record<LiveState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Disconnected — reconnecting…',
  off: '',
};

export function setIndicator(state: LiveState): void {
  const el = document.getElementById('live');
  if (!el) return;
  el.hidden = state === 'off';
  el.dataset.state = state;
  el.title = state === 'live' ? 'Updates arrive as they happen' : 'The event stream dropped; the page is not current until it reconnects';
  const label = el.querySelector('.live-label');
  if (label) label.textContent = indicatorText[state];
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/** Opens the stream; returns a function that closes it. */
export function connect(url: string, on: LiveHandlers): () => void {
  const closed = new AbortController();
  let lastEventId: string | undefined;
  let retryMs = RETRY_MS;
  let dropped = false;

  const dispatch = (event: string, data: string) => {
    try {
      if (event === 'rollout') on.rollout?.(JSON.parse(data) as RolloutStreamMessage);
      else if (event === 'health') on.health?.(JSON.parse(data) as HealthStreamMessage);
    } catch (err) {
      // One bad message must not end the stream; the page re-reads on the next event anyway.
      console.error('event stream: could not handle a message', err);
    }
  };

  /** One connection: resolves when it ends for any reason; false when it must not be retried. */
  async function once(): Promise<boolean> {
    const conn = new AbortController();
    const stop = () => conn.abort();
    closed.signal.addEventListener('abort', stop, { once: true });
    let idle: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => conn.abort(), IDLE_MS);
    };
    try {
      arm();
      const res = await fetch(url, {
        headers: {
          accept: 'text/event-stream',
          ...authHeaders(),
          ...(lastEventId !== undefined ? { 'last-event-id': lastEventId } : {}),
        },
        cache: 'no-store',
        signal: conn.signal,
      });
      if (res.status === 401) {
        end('Your session ended: the token is unknown, revoked or expired. Sign in again.');
        return false;
      }
      if (!res.ok || !res.body) throw new Error(`event stream: HTTP ${res.status}`);
      setIndicator('live');
      if (dropped) on.reopened?.();
      dropped = false;
      const parser = new SseParser(lastEventId);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        arm();
        for (const m of parser.feed(value)) dispatch(m.event, m.data);
        lastEventId = parser.lastEventId;
        if (parser.retryMs !== undefined) retryMs = parser.retryMs;
      }
    } catch {
      // A network error, a dropped connection or the idle timeout: reconnect below.
    } finally {
      clearTimeout(idle);
      closed.signal.removeEventListener('abort', stop);
    }
    return true;
  }

  void (async () => {
    setIndicator('connecting');
    while (!closed.signal.aborted) {
      if (!(await once()) || closed.signal.aborted) return;
      dropped = true;
      setIndicator('reconnecting');
      await sleep(retryMs, closed.signal);
    }
  })();

  return () => closed.abort();
}
