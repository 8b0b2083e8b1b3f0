/**
 * The stage timeline: each stage's share of the fleet, its progress bar, its bake and gate, and
 * when it ran. A stage's clock runs only while the stage does: it stops at `finishedAt`, which
 * a completed stage and one a rollback cut short both carry.
 */
import { isTerminal } from '../../../domain/lifecycle';
import type { RolloutDetail } from '../api';
import { duration, h, replace, time } from '../dom';
import { stageProgress } from '../progress';
import { progressBar, stagePill } from '../widgets';
import { stageTime, type StageTime } from './stage-time';

/** `10:00:01 → 10:03:05 · 3m 4s`, `10:00:01 · 12s` (running), or `started 10:00:01 · end not recorded`. */
export function stageTimeText(t: StageTime, now = Date.now()): string {
  if (t.to === undefined) return `started ${time(t.from)} · end not recorded`;
  if (t.to === null) return `${time(t.from)} · ${duration(t.from, null, now)}`;
  return `${time(t.from)} → ${time(t.to)} · ${duration(t.from, t.to)}`;
}

export function renderStages(el: HTMLElement, d: RolloutDetail): void {
  const p = stageProgress(d);
  replace(
    el,
    h('div', { class: 'card-head' }, h('h2', {}, 'Stages')),
    h(
      'ol',
      { class: 'timeline' },
      d.stages.map((st, i) => {
        const when = stageTime(st, d.state);
        return h(
          'li',
          {
            class: `step stage-${st.state}${d.currentStageIndex === i && !isTerminal(d.state) ? ' current' : ''}`,
            'data-testid': `stage-${st.name}`,
            'data-finished': st.finishedAt ?? null,
          },
          h(
            'div',
            { class: 'step-head' },
            h('span', { class: 'step-dot' }),
            h('strong', {}, st.name),
            h('span', { class: 'muted small' }, `${st.percent}%`),
            stagePill(st.state),
          ),
          h(
            'div',
            { 'data-testid': `stage-progress-${st.name}` },
            progressBar(p[i]!.done, p[i]!.total, st.state, `${p[i]!.done} / ${p[i]!.total} targets`),
          ),
          h(
            'div',
            { class: 'muted small step-meta' },
            `bake ${st.bakeSeconds}s`,
            st.approval ? ' · needs approval' : '',
            when ? ' · ' : '',
            when ? h('span', { 'data-testid': 'stage-span' }, stageTimeText(when)) : null,
          ),
        );
      }),
    ),
  );
}
