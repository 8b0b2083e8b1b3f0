/** Pieces several pages draw: state badges, the emergency flag and stage progress bars. */
import type { RolloutState } from '../../domain/lifecycle';
import type { RolloutSummary, StageStatus } from '../../domain/schemas';
import { h } from './dom';
import { STATE_LABEL, stageProgress } from './progress';

export function stateBadge(state: RolloutState): HTMLElement {
  return h('span', { class: `badge state-${state}`, 'data-testid': 'state', 'data-state': state }, STATE_LABEL[state]);
}

/** Loud on purpose: an emergency skipped review and the staging minimums. */
export function emergencyFlag(s: Pick<RolloutSummary, 'emergencyReason'>): HTMLElement {
  return h(
    'span',
    { class: 'emergency-flag', 'data-testid': 'emergency', title: `Emergency: ${s.emergencyReason ?? 'no reason recorded'}` },
    'EMERGENCY',
  );
}

export function stagePill(state: StageStatus['state']): HTMLElement {
  return h('span', { class: `pill stage-${state}` }, state.replace('_', ' '));
}

/** A label row (name on the left, count on the right) over a thin bar. */
export function progressBar(done: number, total: number, stageState: string, label?: string, name?: string): HTMLElement {
  const pct = total > 0 ? Math.round((done / total) * 1000) / 10 : 0;
  return h(
    'div',
    { class: 'progress-wrap' },
    h(
      'div',
      { class: 'progress-label' },
      h('span', { class: 'progress-name' }, name ?? ''),
      h('span', { class: 'progress-text' }, label ?? `${done} / ${total}`),
    ),
    h(
      'div',
      { class: `progress stage-${stageState}`, role: 'progressbar', 'aria-valuenow': done, 'aria-valuemax': total },
      h('div', { class: 'progress-fill', style: `width:${pct}%` }),
    ),
  );
}

/** One compact bar per stage, as in the list. */
export function stageBars(s: RolloutSummary): HTMLElement {
  const p = stageProgress(s);
  return h(
    'div',
    { class: 'stage-bars' },
    s.stages.map((st, i) =>
      h(
        'div',
        {
          class: 'stage-bar',
          'data-testid': `stage-progress-${st.name}`,
          title: `${st.name}: ${p[i]!.done} of ${p[i]!.total} targets on the new version (${st.state})`,
        },
        progressBar(p[i]!.done, p[i]!.total, st.state, undefined, st.name),
      ),
    ),
  );
}
