/**
 * Freezes and policy on the dashboard: a banner on every page while any freeze holds (stop-the-line
 * or a policy's window), and the policy in force for a rollout's config key on its page.
 */
import './policy.css';
import type { FreezeState } from '../../domain/policy';
import { getEffectivePolicy, getFreeze } from './api';
import { dateTime, h, replace } from './dom';

/** How often the banner asks what holds: a freeze matters within seconds, and the call is cheap. */
export const FREEZE_POLL_MS = 10_000;

function freezeLines(state: FreezeState): string[] {
  return [
    ...state.stopTheLine.map(
      (stop) => `Stop-the-line ${stop.scope === '*' ? 'for every key' : `for ${stop.scope}`}: ${stop.reason} (by ${stop.by}, until lifted)`,
    ),
    ...state.windows.map(
      (window) =>
        `Freeze window ${window.scope === '*' ? 'of the default policy' : `of ${window.scope}`}: ${window.reason} (until ${dateTime(window.endsAt)})`,
    ),
  ];
}

/** Shows the banner under `after` while any freeze holds; returns a function that stops it. */
export function startFreezeBanner(after: Element): () => void {
  const banner = h('div', { class: 'freeze-banner', role: 'status', 'data-testid': 'freeze-banner', hidden: true });
  after.insertAdjacentElement('afterend', banner);
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  async function poll(): Promise<void> {
    try {
      const state = await getFreeze();
      banner.hidden = !state.active;
      replace(
        banner,
        h('strong', {}, 'Frozen. '),
        'New rollouts are refused and running ones hold before their next stage; health is still watched. ',
        ...freezeLines(state).map((line) => h('div', {}, line)),
      );
    } catch {
      // No answer (or no right to ask) is no news of a freeze: keep what was shown.
    }
    if (!stopped) timer = setTimeout(() => void poll(), FREEZE_POLL_MS);
  }
  void poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
    banner.remove();
  };
}

function rule(name: string, value: string): HTMLElement {
  return h('div', { class: 'policy-rule' }, h('span', { class: 'muted' }, name), h('span', {}, value));
}

/** Fills `card` with the policy in force for `configKey` now (a running rollout keeps the one it started under). */
export async function showKeyPolicy(card: HTMLElement, configKey: string): Promise<void> {
  const head = h('div', { class: 'card-head' }, h('h2', {}, `Policy of ${configKey}`));
  try {
    const { policy, versions, holds } = await getEffectivePolicy(configKey);
    replace(
      card,
      head,
      h(
        'div',
        { class: 'muted' },
        `in force now: default v${versions.default}, own ${versions.own === null ? 'none' : `v${versions.own}`}`,
      ),
      ...holds.map((hold) =>
        h('div', { class: 'notice' }, `Frozen: ${hold.reason}${hold.endsAt ? ` until ${dateTime(hold.endsAt)}` : ' until lifted'}`),
      ),
      h(
        'div',
        { class: 'policy-rules' },
        rule('Stages', `at least ${policy.minStages}, the first ≤ ${policy.maxFirstStagePercent}%`),
        rule('Bake', `≥ failureThreshold × interval${policy.minBakeSeconds !== undefined ? `, and ≥ ${policy.minBakeSeconds} s` : ''}`),
        rule('On regression', policy.onRegression.join(' or ')),
        rule('Approvals', policy.approvals === 0 ? 'none' : `${policy.approvals}, gates: ${policy.approvalGates.join(', ') || 'none'}`),
        rule('Waves', policy.waves.map((wave) => wave.name).join(' → ') || 'none'),
        rule(
          'Freeze windows',
          policy.freeze
            .map((window) => ('cron' in window ? `${window.reason} (${window.cron}, ${window.timezone})` : window.reason))
            .join('; ') || 'none',
        ),
      ),
    );
  } catch (err) {
    replace(card, head, h('div', { class: 'muted' }, `Could not load the policy: ${(err as Error).message}`));
  }
}
