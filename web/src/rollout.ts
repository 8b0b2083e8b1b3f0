/**
 * One rollout's page: it holds the rollout as last read (detail, events, health samples) and
 * wires the parts that draw it (web/src/rollout/): header and controls, review panel, people,
 * stage timeline, canary analysis, health charts, target map, event log with evidence, config
 * diff and the key's policy. Kept current from the rollout's event stream; the detail is re-read
 * (from the read model, not Temporal) when targets may have moved.
 */
import type { RolloutAction } from '../../domain/lifecycle';
import type { RolloutEvent, RolloutSummary } from '../../domain/schemas';
import { hasIncident } from '../../domain/report';
import { ApiError, getHealth, getRollout, type RolloutDetail, type StageHealthSample } from './api';
import { AnalysisPanel } from './analysis';
import { h, onFrame, replace } from './dom';
import { connect } from './live';
import { showKeyPolicy } from './policy';
import { runAction } from './rollout/actions';
import { ConfigChange } from './rollout/config-change';
import { renderEvents } from './rollout/events';
import { renderHeader } from './rollout/header';
import { HealthCharts } from './rollout/health';
import { renderPeople } from './rollout/people';
import { ReviewPanel, type ReviewDecision } from './rollout/review';
import { renderStages } from './rollout/stages';
import { renderTargets } from './rollout/targets';

function summaryNewer(a: RolloutSummary, b: RolloutSummary): boolean {
  return b.updatedAt >= a.updatedAt;
}

export function rolloutPage(root: HTMLElement, id: string, navigate: (path: string) => void): () => void {
  let detail: RolloutDetail | null = null;
  let samples: StageHealthSample[] = [];
  let error = '';
  let busy = false;
  let notice = '';
  const events = new Map<number, RolloutEvent>();

  const header = h('section', { class: 'card rollout-head' });
  const reviewPanel = new ReviewPanel((decision) => void decide(decision));
  const peopleEl = h('section', { class: 'card', 'data-testid': 'people' });
  const stagesEl = h('section', { class: 'card', 'data-testid': 'stages' });
  const analysisPanel = new AnalysisPanel();
  const health = new HealthCharts();
  const targetsEl = h('section', { class: 'card' });
  const policyEl = h('section', { class: 'card', 'data-testid': 'key-policy' });
  const eventsEl = h('section', { class: 'card' });
  const change = new ConfigChange();

  replace(
    root,
    h(
      'nav',
      { class: 'crumbs' },
      h('a', { href: '/', onclick: (e: Event) => (e.preventDefault(), navigate('/')) }, 'Rollouts'),
      ' / ',
      h('span', { class: 'mono' }, id),
    ),
    header,
    reviewPanel.el,
    stagesEl,
    analysisPanel.el,
    health.el,
    h('div', { class: 'two-col' }, h('div', {}, targetsEl), h('div', {}, peopleEl, eventsEl)),
    change.el,
    policyEl,
  );

  /** Runs an action or review with the buttons greyed out, then keeps the newer summary and re-reads. */
  async function steer(send: () => Promise<{ kind: string; summary?: RolloutSummary; notice?: string }>): Promise<void> {
    busy = true;
    notice = '';
    render();
    const outcome = await send();
    if (outcome.summary && detail && summaryNewer(detail, outcome.summary)) detail = { ...detail, ...outcome.summary };
    if (outcome.notice) notice = outcome.notice;
    busy = false;
    render();
    if (outcome.kind !== 'cancelled') refresh();
  }

  const perform = (action: RolloutAction) => detail && void steer(() => runAction(detail!, action));
  const decide = async (decision: ReviewDecision) => detail && steer(() => reviewPanel.submit(detail!, decision));

  const inOrder = () => [...events.values()].sort((a, b) => a.seq - b.seq);

  const render = onFrame(() => {
    if (!detail) {
      replace(header, h('div', { class: error ? 'notice' : 'muted' }, error || 'Loading…'));
      return;
    }
    const timeline = inOrder();
    renderHeader(header, detail, {
      busy,
      notice,
      incident: hasIncident({ state: detail.state, events: timeline }),
      onAction: perform,
      navigate,
    });
    reviewPanel.render(detail, change.diff, busy);
    renderPeople(peopleEl, detail, timeline);
    renderStages(stagesEl, detail);
    analysisPanel.update(detail, timeline);
    health.update(detail, samples);
    renderTargets(targetsEl, detail, samples);
    renderEvents(eventsEl, timeline, detail.health);
    void change.load(detail, render);
  });

  async function load(): Promise<void> {
    try {
      const [d, hs] = await Promise.all([getRollout(id), getHealth(id)]);
      if (!detail) void showKeyPolicy(policyEl, d.configKey);
      if (!detail || summaryNewer(detail, d)) detail = d;
      else detail = { ...detail, targets: d.targets };
      for (const e of d.events) events.set(e.seq, e);
      samples = hs.items;
      error = '';
    } catch (err) {
      error = err instanceof ApiError && err.status === 404 ? `No rollout ${id}.` : `Could not load the rollout: ${(err as Error).message}`;
    }
    render();
  }

  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  /**
   * Targets move with applies and rollbacks; the stream carries counts, the detail the rows. At
   * most one re-read per 250 ms however busy the stream, and always one after the last event.
   */
  function refresh(): void {
    if (refreshTimer !== undefined) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = undefined;
      void load();
    }, 250);
  }

  void load();
  // Running stages' clocks and "ago" texts move without events.
  const ticker = setInterval(render, 5_000);
  const close = connect(`/v1/rollouts/${encodeURIComponent(id)}/events`, {
    rollout: (m) => {
      events.set(m.event.seq, m.event);
      if (detail && summaryNewer(detail, m.summary)) detail = { ...detail, ...m.summary };
      render();
      refresh();
    },
    health: (m) => {
      if (samples.some((s) => s.stage === m.stage && s.at === m.sample.at)) return;
      samples = [...samples, { stage: m.stage, ...m.sample }];
      render();
    },
    reopened: () => void load(),
  });
  return () => {
    close();
    clearInterval(ticker);
    clearTimeout(refreshTimer);
    health.destroy();
    analysisPanel.destroy();
  };
}
