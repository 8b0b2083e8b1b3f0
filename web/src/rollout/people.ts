/**
 * Who did what to a rollout: the submitter, each review with its comment, and the people who
 * steered it (paused, resumed, approved a gate, asked for the rollback), in time order.
 */
import type { RolloutEvent, RolloutEventType } from '../../../domain/schemas';
import type { RolloutDetail } from '../api';
import { h, replace, time } from '../dom';
import { actorOf } from './events';
import { reviewText } from './header';

/**
 * Steering events a person caused (the timeline records who in `detail.actor`), as the panel
 * words them. Reviews come from the summary's `reviews`, which also carry the comment.
 */
const STEERING: Partial<Record<RolloutEventType, (e: RolloutEvent) => string>> = {
  paused: () => 'paused',
  resumed: () => 'resumed',
  approved: (e) => `approved${e.stage ? ` stage ${e.stage}` : ''}`,
  rollback_requested: () => 'rolled back',
};

interface Entry {
  at: string;
  who: string;
  what: string;
  note?: string | undefined;
  kind: string;
}

export function renderPeople(el: HTMLElement, d: RolloutDetail, events: readonly RolloutEvent[]): void {
  const entries: Entry[] = [
    { at: d.createdAt, who: d.submittedBy ?? 'unknown', what: d.emergency ? 'submitted (emergency)' : 'submitted', kind: 'submitted' },
  ];
  for (const r of d.reviews ?? [])
    entries.push({
      at: r.at,
      who: r.by,
      what: r.decision === 'approve' ? 'approved in review' : 'rejected in review',
      note: r.comment,
      kind: r.decision,
    });
  // Gate approvals and human actions come from the timeline, which says who and why.
  for (const e of events) {
    const words = STEERING[e.type];
    const who = actorOf(e);
    if (!words || !who) continue;
    const reason = typeof e.detail.reason === 'string' ? e.detail.reason : undefined;
    entries.push({ at: e.at, who, what: words(e), note: reason, kind: e.type });
  }
  entries.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  replace(
    el,
    h('div', { class: 'card-head' }, h('h2', {}, 'Reviews and actions'), h('span', { class: 'muted small' }, reviewText(d))),
    h(
      'ol',
      { class: 'people' },
      entries.map((p) =>
        h(
          'li',
          { class: `person person-${p.kind}`, 'data-person': p.who, 'data-kind': p.kind },
          h('span', { class: 'event-time mono' }, time(p.at)),
          h('strong', {}, p.who),
          h('span', {}, p.what),
          p.note ? h('div', { class: 'person-note' }, `“${p.note}”`) : null,
        ),
      ),
    ),
  );
}
