/**
 * The rollout's controls: pause, resume, approve, roll back. Each button says why it is greyed
 * out (the role first, then the state); the server decides either way. Running an action asks
 * for confirmation where it cannot be undone and turns a refusal into a sentence.
 */
import type { RolloutAction } from '../../../domain/lifecycle';
import { ROLLOUT_ACTIONS } from '../../../domain/lifecycle';
import { act, ApiError, refusal, type RolloutDetail, type RolloutSummary } from '../api';
import { h } from '../dom';
import { actionEnabled } from '../progress';
import { can, cannotTitle, me } from '../session';

export const ACTION_LABEL: Record<RolloutAction, string> = { pause: 'Pause', resume: 'Resume', approve: 'Approve', rollback: 'Roll back' };

/** Why a button is greyed out: the role first (it will not change by waiting), then the state. */
export function actionTitle(d: RolloutDetail, a: RolloutAction): string {
  if (!can(a)) return cannotTitle(a);
  if (!actionEnabled(d, a)) return `Not available while ${d.state.replace(/_/g, ' ')}`;
  // Four eyes: under a policy with approvals the submitter may not approve its gates.
  if (a === 'approve' && d.state === 'awaiting_approval' && (d.requiredApprovals ?? 0) > 0 && me()?.name === d.submittedBy)
    return 'You submitted this rollout: another approver must approve it';
  return '';
}

export function actionButtons(d: RolloutDetail, busy: boolean, run: (a: RolloutAction) => void): HTMLElement[] {
  return ROLLOUT_ACTIONS.map((a) =>
    h(
      'button',
      {
        type: 'button',
        class: `btn ${a === 'rollback' ? 'btn-danger' : a === 'pause' ? 'btn-warn' : 'btn-primary'}`,
        'data-action': a,
        disabled: busy || actionTitle(d, a) !== '',
        title: actionTitle(d, a),
        onclick: () => run(a),
      },
      ACTION_LABEL[a],
    ),
  );
}

export type ActionOutcome = { kind: 'done'; summary: RolloutSummary } | { kind: 'refused'; notice: string } | { kind: 'cancelled' };

/** Sends one action; a rollback is confirmed first (every touched target goes back). */
export async function runAction(d: RolloutDetail, action: RolloutAction): Promise<ActionOutcome> {
  if (action === 'rollback' && !confirm(`Roll back ${d.configKey} v${d.version}? Every touched target returns to its previous version.`))
    return { kind: 'cancelled' };
  try {
    return { kind: 'done', summary: await act(d.id, action) };
  } catch (err) {
    const verb = err instanceof ApiError ? 'refused' : 'failed';
    return { kind: 'refused', notice: `${ACTION_LABEL[action]} ${verb}: ${refusal(err)}` };
  }
}
