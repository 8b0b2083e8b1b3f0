/**
 * The top of a rollout's page: what it changes, its state and why, the emergency banner, the
 * link to its incident report, the controls, and the facts a person checks first.
 */
import type { RolloutAction } from '../../../domain/lifecycle';
import type { RolloutDetail, RolloutSummary } from '../api';
import { dateTime, h, replace } from '../dom';
import { emergencyFlag, stateBadge } from '../widgets';
import { actionButtons } from './actions';

/** `1 of 2 approvals`, or why there is no review. */
export function reviewText(d: RolloutSummary): string {
  const required = d.requiredApprovals ?? 0;
  if (d.emergency) return 'Skipped: emergency';
  if (required === 0) return 'None required';
  const approvers = new Set((d.reviews ?? []).filter((r) => r.decision === 'approve').map((r) => r.by)).size;
  return `${Math.min(approvers, required)} of ${required} approval${required === 1 ? '' : 's'}`;
}

function fact(k: string, v: string, testid?: string): HTMLElement[] {
  return [h('dt', {}, k), h('dd', testid ? { 'data-testid': testid } : {}, v)];
}

export interface HeaderInput {
  busy: boolean;
  notice: string;
  /** It has an incident report (a regression, a rollback or a failure). */
  incident: boolean;
  onAction: (a: RolloutAction) => void;
  navigate: (path: string) => void;
}

export function renderHeader(el: HTMLElement, d: RolloutDetail, input: HeaderInput): void {
  const reportPath = `/rollouts/${encodeURIComponent(d.id)}/report`;
  replace(
    el,
    d.emergency
      ? h(
          'div',
          { class: 'emergency-banner', 'data-testid': 'emergency-banner', role: 'note' },
          h('strong', {}, 'EMERGENCY'),
          h('span', {}, d.emergencyReason ?? 'no reason recorded'),
          h('span', { class: 'small' }, 'Started without review or staging minimums; health checks still ran.'),
        )
      : null,
    h(
      'div',
      { class: 'head-row' },
      h(
        'div',
        {},
        h(
          'h1',
          {},
          h('span', { class: 'config-key' }, d.configKey),
          d.version !== null ? h('span', { class: 'version big' }, `v${d.version}`) : null,
          stateBadge(d.state),
          d.emergency ? emergencyFlag(d) : null,
        ),
        h('div', { class: 'muted mono small' }, d.id),
      ),
      h('div', { class: 'actions' }, actionButtons(d, input.busy, input.onAction)),
    ),
    d.reason ? h('div', { class: `reason-line state-${d.state}` }, d.reason) : null,
    input.incident
      ? h(
          'a',
          {
            class: 'report-link',
            'data-testid': 'report-link',
            href: reportPath,
            onclick: (e: Event) => (e.preventDefault(), input.navigate(reportPath)),
          },
          'Incident report →',
        )
      : null,
    input.notice ? h('div', { class: 'notice', role: 'alert' }, input.notice) : null,
    h(
      'dl',
      { class: 'facts' },
      fact('Targets', `${d.updatedTargets} of ${d.totalTargets} on v${d.version ?? '?'}`),
      fact('Stage', d.currentStage ?? '—'),
      fact('On regression', d.onRegression),
      fact(
        'Health',
        `every ${d.health.intervalSeconds}s · ${d.health.failureThreshold} bad interval${d.health.failureThreshold === 1 ? '' : 's'} to fail`,
      ),
      fact('Submitted by', d.submittedBy ?? '—', 'submitted-by'),
      fact('Review', reviewText(d), 'review-status'),
      fact('Created', dateTime(d.createdAt)),
      fact('Updated', dateTime(d.updatedAt)),
      d.description ? fact('Description', d.description) : null,
    ),
  );
}
