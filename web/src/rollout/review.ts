/**
 * The review panel of a rollout pending review: who submitted it, how many approvals it has and
 * needs, the change against the stable version, a comment box and approve / reject. The comment
 * box is built once, so what a person types survives the page's re-renders.
 */
import { refusal, review, type ConfigDiff, type RolloutDetail, type RolloutSummary } from '../api';
import { diffHeader, diffView } from '../diffview';
import { h, replace } from '../dom';
import { can, cannotTitle, me } from '../session';

export type ReviewDecision = 'approve' | 'reject';
export type ReviewOutcome = { kind: 'done'; summary: RolloutSummary } | { kind: 'refused'; notice: string } | { kind: 'cancelled' };

export class ReviewPanel {
  readonly el: HTMLElement;
  private readonly comment = h('textarea', {
    class: 'review-comment',
    rows: 2,
    maxlength: 2000,
    placeholder: 'Comment (optional): what you checked, or why not',
    'aria-label': 'Review comment',
    'data-testid': 'review-comment',
  });
  private readonly info = h('div', { class: 'review-info' });
  private readonly diff = h('div', { class: 'review-diff', 'data-testid': 'review-diff-panel' });
  private readonly buttons = h('div', { class: 'actions' });

  constructor(private readonly onDecide: (decision: ReviewDecision) => void) {
    this.el = h(
      'section',
      { class: 'card review-panel', 'data-testid': 'review-panel', hidden: true },
      h('div', { class: 'card-head' }, h('h2', {}, 'Review')),
      this.info,
      this.diff,
      this.comment,
      this.buttons,
    );
  }

  render(d: RolloutDetail, diff: ConfigDiff | null, busy: boolean): void {
    this.el.hidden = d.state !== 'pending_review';
    if (this.el.hidden) return;
    const required = d.requiredApprovals ?? 1;
    const approvers = new Set((d.reviews ?? []).filter((r) => r.decision === 'approve').map((r) => r.by));
    const own = me()?.name === d.submittedBy;
    const blocked = !can('review') ? cannotTitle('review') : own ? 'You submitted this rollout: another approver must review it' : '';
    replace(
      this.info,
      h(
        'p',
        {},
        `${d.submittedBy ?? 'Someone'} submitted this change; it starts once ${required} approver${required === 1 ? '' : 's'} other than them approve it `,
        `(${approvers.size} so far${approvers.size > 0 ? `: ${[...approvers].join(', ')}` : ''}). One rejection ends it without touching a target.`,
      ),
      blocked ? h('p', { class: 'muted small', 'data-testid': 'review-blocked' }, blocked) : null,
    );
    replace(
      this.diff,
      h('h3', {}, 'Change against the stable version ', diff ? diffHeader(diff) : null),
      diff ? diffView(diff, 'review-diff') : h('div', { class: 'muted small' }, 'Loading…'),
    );
    this.comment.disabled = busy || blocked !== '';
    const button = (decision: ReviewDecision, label: string, kind: string) =>
      h(
        'button',
        {
          type: 'button',
          class: `btn ${kind}`,
          'data-review': decision,
          disabled: busy || blocked !== '',
          title: blocked,
          onclick: () => this.onDecide(decision),
        },
        label,
      );
    replace(this.buttons, button('approve', 'Approve', 'btn-primary'), button('reject', 'Reject', 'btn-danger'));
  }

  /** Sends the decision with the comment (cleared once the server took it); a rejection is confirmed first. */
  async submit(d: RolloutDetail, decision: ReviewDecision): Promise<ReviewOutcome> {
    if (decision === 'reject' && !confirm(`Reject ${d.configKey} v${d.version}? The rollout ends; no target is touched.`))
      return { kind: 'cancelled' };
    try {
      const text = this.comment.value.trim();
      const summary = await review(d.id, { decision, ...(text ? { comment: text } : {}) });
      this.comment.value = '';
      return { kind: 'done', summary };
    } catch (err) {
      return { kind: 'refused', notice: `${decision === 'approve' ? 'Approval' : 'Rejection'} refused: ${refusal(err)}` };
    }
  }
}
