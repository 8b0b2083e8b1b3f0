/** The event log, newest first: each event with its time, stage, who caused it and its evidence. */
import type { HealthPolicy, RolloutEvent } from '../../../domain/schemas';
import { h, replace, time } from '../dom';
import { evidenceView } from './evidence';

export function actorOf(e: RolloutEvent): string | undefined {
  const a = e.detail.actor;
  return typeof a === 'string' ? a : undefined;
}

function eventClass(type: string): string {
  if (/regression|failed|rolled_back|rollback/.test(type)) return 'ev-bad';
  if (/paused|approval/.test(type)) return 'ev-hold';
  if (/completed|approved|resumed/.test(type)) return 'ev-good';
  return 'ev-info';
}

/** `events` in sequence order (oldest first); the log lists them the other way round. */
export function renderEvents(el: HTMLElement, events: readonly RolloutEvent[], health: HealthPolicy): void {
  const list = [...events].reverse();
  replace(
    el,
    h('div', { class: 'card-head' }, h('h2', {}, 'Event log'), h('span', { class: 'muted small' }, `${list.length} events, newest first`)),
    h(
      'ol',
      { class: 'events', 'data-testid': 'events' },
      list.map((e) => {
        const actor = actorOf(e);
        return h(
          'li',
          { class: `event ${eventClass(e.type)}`, 'data-event-type': e.type, 'data-seq': e.seq },
          h(
            'div',
            { class: 'event-row' },
            h('span', { class: 'event-time mono' }, time(e.at)),
            h('span', { class: 'event-type' }, e.type.replace(/_/g, ' ')),
            e.stage ? h('span', { class: 'event-stage' }, e.stage) : null,
            actor ? h('span', { class: 'event-actor', 'data-testid': 'event-actor' }, `by ${actor}`) : null,
          ),
          h('div', { class: 'event-msg' }, e.message),
          evidenceView(e, health),
        );
      }),
    ),
  );
}
