/**
 * The event stream and the connection indicator. EventSource reconnects by itself and sends
 * Last-Event-ID, so the server replays what was missed; the page is told when the stream comes
 * back so it can refresh what the stream does not carry (the per-target map).
 */
import type { HealthStreamMessage, RolloutStreamMessage } from '../../domain/schemas';

export type LiveState = 'connecting' | 'live' | 'reconnecting';

export interface LiveHandlers {
  rollout?(m: RolloutStreamMessage): void;
  health?(m: HealthStreamMessage): void;
  /** The stream is open again after a drop. */
  reopened?(): void;
}

const indicatorText: Record<LiveState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Disconnected — reconnecting…',
};

export function setIndicator(state: LiveState): void {
  const el = document.getElementById('live');
  if (!el) return;
  el.dataset.state = state;
  el.title = state === 'live' ? 'Updates arrive as they happen' : 'The event stream dropped; the page is not current until it reconnects';
  const label = el.querySelector('.live-label');
  if (label) label.textContent = indicatorText[state];
}

/** Opens the stream; returns a function that closes it. */
export function connect(url: string, on: LiveHandlers): () => void {
  let es: EventSource | null = null;
  let dropped = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const open = () => {
    setIndicator(dropped ? 'reconnecting' : 'connecting');
    es = new EventSource(url);
    es.onopen = () => {
      setIndicator('live');
      if (dropped) on.reopened?.();
      dropped = false;
    };
    es.onerror = () => {
      dropped = true;
      setIndicator('reconnecting');
      // A closed EventSource (the server answered with an error) does not retry by itself.
      if (es?.readyState === EventSource.CLOSED && !closed) {
        es = null;
        retry = setTimeout(open, 3000);
      }
    };
    es.addEventListener('rollout', (e) => on.rollout?.(JSON.parse((e as MessageEvent<string>).data) as RolloutStreamMessage));
    es.addEventListener('health', (e) => on.health?.(JSON.parse((e as MessageEvent<string>).data) as HealthStreamMessage));
  };
  open();
  return () => {
    closed = true;
    clearTimeout(retry);
    es?.close();
  };
}
