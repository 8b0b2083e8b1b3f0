/**
 * One rollout: stage timeline, health charts, per-target map, event log with evidence, config
 * diff against the stable version, who reviewed and steered it, the review panel (with that diff)
 * while it waits for review, a link to its incident report when it has one, and the
 * control buttons (greyed out for a role that cannot use them; the server decides). Kept current
 * from the rollout's event stream; the detail is re-read (from the read model, not Temporal)
 * when targets may have moved.
 */
import type { RolloutAction } from '../../domain/lifecycle';
import type { RolloutEvent, RolloutEventType, RolloutSummary } from '../../domain/schemas';
import { hasIncident } from '../../domain/report';
import {
  act,
  ApiError,
  configDiff,
  getConfig,
  getHealth,
  getRollout,
  refusal,
  review,
  type ConfigDiff,
  type RolloutDetail,
  type StageHealthSample,
} from './api';
import { AnalysisPanel } from './analysis';
import { StageChart } from './chart';
import { diffHeader, diffView } from './diffview';
import { dateTime, duration, h, onFrame, replace, time } from './dom';
import { connect } from './live';
import { showKeyPolicy } from './policy';
import { ROLLOUT_ACTIONS } from '../../domain/lifecycle';
import { actionEnabled, stageProgress } from './progress';
import { can, cannotTitle, me } from './session';
import { emergencyFlag, progressBar, stagePill, stateBadge } from './widgets';

/** More tiles than this and the map shows a count instead: the page stays fast on large fleets. */
const MAX_TILES = 600;
/** Events whose evidence is shown open: the ones a human needs to judge a decision. */
const OPEN_EVIDENCE = new Set([
  'regression_detected',
  'health_inconclusive',
  'rollback_started',
  'apply_failed',
  'failed',
  'rollback_attempt',
]);

const ACTION_LABEL: Record<RolloutAction, string> = { pause: 'Pause', resume: 'Resume', approve: 'Approve', rollback: 'Roll back' };

function eventClass(type: string): string {
  if (/regression|failed|rolled_back|rollback/.test(type)) return 'ev-bad';
  if (/paused|approval/.test(type)) return 'ev-hold';
  if (/completed|approved|resumed/.test(type)) return 'ev-good';
  return 'ev-info';
}

function summaryNewer(a: RolloutSummary, b: RolloutSummary): boolean {
  return b.updatedAt >= a.updatedAt;
}

/**
 * Steering events a person caused (the timeline records who in `detail.actor`), as the people
 * panel words them. Reviews come from the summary's `reviews`, which also carry the comment.
 */
const STEERING: Partial<Record<RolloutEventType, (e: RolloutEvent) => string>> = {
  paused: () => 'paused',
  resumed: () => 'resumed',
  approved: (e) => `approved${e.stage ? ` stage ${e.stage}` : ''}`,
  rollback_requested: () => 'rolled back',
};

function actorOf(e: RolloutEvent): string | undefined {
  const a = e.detail.actor;
  return typeof a === 'string' ? a : undefined;
}

/** `1 of 2 approvals`, or why there is no review. */
function reviewText(d: RolloutSummary): string {
  const required = d.requiredApprovals ?? 0;
  if (d.emergency) return 'Skipped: emergency';
  if (required === 0) return 'None required';
  const approvers = new Set((d.reviews ?? []).filter((r) => r.decision === 'approve').map((r) => r.by)).size;
  return `${Math.min(approvers, required)} of ${required} approval${required === 1 ? '' : 's'}`;
}

export function rolloutPage(root: HTMLElement, id: string, navigate: (path: string) => void): () => void {
  let detail: RolloutDetail | null = null;
  let samples: StageHealthSample[] = [];
  let error = '';
  let busy = false;
  let notice = '';
  const events = new Map<number, RolloutEvent>();
  const charts = new Map<string, StageChart>();
  let diffFor: string | null = null;
  let diff: ConfigDiff | null = null;

  const header = h('section', { class: 'card rollout-head' });
  // The review panel keeps its comment box across re-renders: only its text and buttons change.
  const comment = h('textarea', {
    class: 'review-comment',
    rows: 2,
    maxlength: 2000,
    placeholder: 'Comment (optional): what you checked, or why not',
    'aria-label': 'Review comment',
    'data-testid': 'review-comment',
  });
  const reviewInfo = h('div', { class: 'review-info' });
  const reviewDiff = h('div', { class: 'review-diff', 'data-testid': 'review-diff-panel' });
  const reviewButtons = h('div', { class: 'actions' });
  const reviewEl = h(
    'section',
    { class: 'card review-panel', 'data-testid': 'review-panel', hidden: true },
    h('div', { class: 'card-head' }, h('h2', {}, 'Review')),
    reviewInfo,
    reviewDiff,
    comment,
    reviewButtons,
  );
  const peopleEl = h('section', { class: 'card', 'data-testid': 'people' });
  const stagesEl = h('section', { class: 'card' });
  const healthGrid = h('div', { class: 'charts' });
  const healthEl = h('section', { class: 'card' }, h('div', { class: 'card-head' }, h('h2', {}, 'Health per stage')), healthGrid);
  const analysisPanel = new AnalysisPanel();
  const targetsEl = h('section', { class: 'card' });
  const policyEl = h('section', { class: 'card', 'data-testid': 'key-policy' });
  const eventsEl = h('section', { class: 'card' });
  const diffEl = h(
    'section',
    { class: 'card' },
    h('div', { class: 'card-head' }, h('h2', {}, 'Config change')),
    h('div', { class: 'muted' }, 'Loading…'),
  );

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
    reviewEl,
    stagesEl,
    analysisPanel.el,
    healthEl,
    h('div', { class: 'two-col' }, h('div', {}, targetsEl), h('div', {}, peopleEl, eventsEl)),
    diffEl,
    policyEl,
  );

  /* ---------- header and actions ---------- */

  async function doAction(action: RolloutAction): Promise<void> {
    if (!detail) return;
    if (
      action === 'rollback' &&
      !confirm(`Roll back ${detail.configKey} v${detail.version}? Every touched target returns to its previous version.`)
    )
      return;
    busy = true;
    notice = '';
    render();
    try {
      const s = await act(id, action);
      if (detail && summaryNewer(detail, s)) detail = { ...detail, ...s };
    } catch (err) {
      notice =
        err instanceof ApiError ? `${ACTION_LABEL[action]} refused: ${refusal(err)}` : `${ACTION_LABEL[action]} failed: ${refusal(err)}`;
    }
    busy = false;
    render();
    refresh();
  }

  async function doReview(decision: 'approve' | 'reject'): Promise<void> {
    if (!detail) return;
    if (decision === 'reject' && !confirm(`Reject ${detail.configKey} v${detail.version}? The rollout ends; no target is touched.`)) return;
    busy = true;
    notice = '';
    render();
    try {
      const text = comment.value.trim();
      const s = await review(id, { decision, ...(text ? { comment: text } : {}) });
      if (detail && summaryNewer(detail, s)) detail = { ...detail, ...s };
      comment.value = '';
    } catch (err) {
      notice = `${decision === 'approve' ? 'Approval' : 'Rejection'} refused: ${refusal(err)}`;
    }
    busy = false;
    render();
    refresh();
  }

  /** Why a button is greyed out: the role first (it will not change by waiting), then the state. */
  function actionTitle(d: RolloutDetail, a: RolloutAction): string {
    if (!can(a)) return cannotTitle(a);
    if (!actionEnabled(d, a)) return `Not available while ${d.state.replace(/_/g, ' ')}`;
    // Four eyes: under a policy with approvals the submitter may not approve its gates.
    if (a === 'approve' && d.state === 'awaiting_approval' && (d.requiredApprovals ?? 0) > 0 && me()?.name === d.submittedBy)
      return 'You submitted this rollout: another approver must approve it';
    return '';
  }

  function renderHeader(d: RolloutDetail): void {
    const buttons = ROLLOUT_ACTIONS.map((a) =>
      h(
        'button',
        {
          type: 'button',
          class: `btn ${a === 'rollback' ? 'btn-danger' : a === 'pause' ? 'btn-warn' : 'btn-primary'}`,
          'data-action': a,
          disabled: busy || actionTitle(d, a) !== '',
          title: actionTitle(d, a),
          onclick: () => void doAction(a),
        },
        ACTION_LABEL[a],
      ),
    );
    replace(
      header,
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
        h('div', { class: 'actions' }, buttons),
      ),
      d.reason ? h('div', { class: `reason-line state-${d.state}` }, d.reason) : null,
      hasIncident({ state: d.state, events: [...events.values()] })
        ? h(
            'a',
            {
              class: 'report-link',
              'data-testid': 'report-link',
              href: `/rollouts/${encodeURIComponent(d.id)}/report`,
              onclick: (e: Event) => (e.preventDefault(), navigate(`/rollouts/${encodeURIComponent(d.id)}/report`)),
            },
            'Incident report →',
          )
        : null,
      notice ? h('div', { class: 'notice', role: 'alert' }, notice) : null,
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

  function fact(k: string, v: string, testid?: string): HTMLElement[] {
    return [h('dt', {}, k), h('dd', testid ? { 'data-testid': testid } : {}, v)];
  }

  /* ---------- review ---------- */

  function renderReview(d: RolloutDetail): void {
    reviewEl.hidden = d.state !== 'pending_review';
    if (reviewEl.hidden) return;
    const required = d.requiredApprovals ?? 1;
    const approvers = new Set((d.reviews ?? []).filter((r) => r.decision === 'approve').map((r) => r.by));
    const own = me()?.name === d.submittedBy;
    const blocked = !can('review') ? cannotTitle('review') : own ? 'You submitted this rollout: another approver must review it' : '';
    replace(
      reviewInfo,
      h(
        'p',
        {},
        `${d.submittedBy ?? 'Someone'} submitted this change; it starts once ${required} approver${required === 1 ? '' : 's'} other than them approve it `,
        `(${approvers.size} so far${approvers.size > 0 ? `: ${[...approvers].join(', ')}` : ''}). One rejection ends it without touching a target.`,
      ),
      blocked ? h('p', { class: 'muted small', 'data-testid': 'review-blocked' }, blocked) : null,
    );
    replace(
      reviewDiff,
      h('h3', {}, 'Change against the stable version ', diff ? diffHeader(diff) : null),
      diff ? diffView(diff, 'review-diff') : h('div', { class: 'muted small' }, 'Loading…'),
    );
    comment.disabled = busy || blocked !== '';
    replace(
      reviewButtons,
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn-primary',
          'data-review': 'approve',
          disabled: busy || blocked !== '',
          title: blocked,
          onclick: () => void doReview('approve'),
        },
        'Approve',
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn-danger',
          'data-review': 'reject',
          disabled: busy || blocked !== '',
          title: blocked,
          onclick: () => void doReview('reject'),
        },
        'Reject',
      ),
    );
  }

  /* ---------- who did what ---------- */

  function renderPeople(d: RolloutDetail): void {
    type Entry = { at: string; who: string; what: string; note?: string | undefined; kind: string };
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
    for (const e of events.values()) {
      const words = STEERING[e.type];
      const who = actorOf(e);
      if (!words || !who) continue;
      const reason = typeof e.detail.reason === 'string' ? e.detail.reason : undefined;
      entries.push({ at: e.at, who, what: words(e), note: reason, kind: e.type });
    }
    entries.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    replace(
      peopleEl,
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

  /* ---------- stages ---------- */

  function renderStages(d: RolloutDetail): void {
    const p = stageProgress(d);
    replace(
      stagesEl,
      h('div', { class: 'card-head' }, h('h2', {}, 'Stages')),
      h(
        'ol',
        { class: 'timeline' },
        d.stages.map((st, i) =>
          h(
            'li',
            {
              class: `step stage-${st.state}${d.currentStageIndex === i && !['completed', 'rolled_back', 'failed'].includes(d.state) ? ' current' : ''}`,
              'data-testid': `stage-${st.name}`,
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
              st.startedAt ? ` · ${time(st.startedAt)}` : '',
              st.startedAt ? ` · ${duration(st.startedAt, st.finishedAt)}` : '',
            ),
          ),
        ),
      ),
    );
  }

  /* ---------- health ---------- */

  function renderHealth(d: RolloutDetail): void {
    const byStage = new Map<string, StageHealthSample[]>();
    for (const s of samples) byStage.set(s.stage, [...(byStage.get(s.stage) ?? []), s]);
    if (byStage.size === 0) {
      if (!healthGrid.querySelector('.empty'))
        replace(healthGrid, h('div', { class: 'empty' }, 'No health samples yet: probing starts once a stage has applied.'));
      return;
    }
    healthGrid.querySelector('.empty')?.remove();
    for (const st of d.stages) {
      const data = byStage.get(st.name);
      if (!data) continue;
      let chart = charts.get(st.name);
      if (!chart) {
        chart = new StageChart(st.name, d.health);
        charts.set(st.name, chart);
        healthGrid.appendChild(chart.el);
      }
      chart.set(data);
    }
  }

  /* ---------- targets ---------- */

  function renderTargets(d: RolloutDetail): void {
    const latest = samples.at(-1);
    const failing = new Map((latest?.failures ?? []).map((f) => [f.targetId, f]));
    const complete = latest ? latest.failures.length >= latest.failed : false;
    const ids = Object.keys(d.targets);
    const counts = { confirmed: 0, assigned: 0, old: 0, restored: 0 };
    const tiles = ids.slice(0, MAX_TILES).map((tid) => {
      const t = d.targets[tid]!;
      const onNew = d.version !== null && t.assignedVersion === d.version;
      const kind = onNew ? (t.confirmedVersion === d.version ? 'confirmed' : 'assigned') : t.version !== null ? 'restored' : 'old';
      const fail = failing.get(tid);
      const probed = onNew && latest !== undefined;
      const probe = fail
        ? h('span', { class: 'probe bad' }, `✗ ${fail.status ?? fail.reason}`)
        : probed && complete
          ? h('span', { class: 'probe good' }, `✓ ${time(latest.at)}`)
          : h('span', { class: 'probe muted' }, onNew ? 'probing…' : 'not probed');
      return h(
        'div',
        {
          class: `tile tile-${kind}${fail ? ' tile-failing' : ''}`,
          'data-target': tid,
          title: fail ? `${fail.reason}: ${fail.message}` : tid,
        },
        h('div', { class: 'tile-id mono' }, tid),
        h(
          'div',
          { class: 'tile-versions' },
          h('span', {}, 'assigned ', h('b', {}, t.assignedVersion ? `v${t.assignedVersion}` : '—')),
          h('span', {}, 'running ', h('b', {}, t.confirmedVersion ? `v${t.confirmedVersion}` : '—')),
        ),
        probe,
      );
    });
    for (const tid of ids) {
      const t = d.targets[tid]!;
      const onNew = d.version !== null && t.assignedVersion === d.version;
      counts[onNew ? (t.confirmedVersion === d.version ? 'confirmed' : 'assigned') : t.version !== null ? 'restored' : 'old'] += 1;
    }
    replace(
      targetsEl,
      h(
        'div',
        { class: 'card-head' },
        h('h2', {}, 'Targets'),
        h(
          'div',
          { class: 'legend' },
          h('span', { class: 'key tile-confirmed' }, `running v${d.version ?? '?'} · ${counts.confirmed}`),
          h('span', { class: 'key tile-assigned' }, `assigned, not confirmed · ${counts.assigned}`),
          h('span', { class: 'key tile-restored' }, `restored · ${counts.restored}`),
          h('span', { class: 'key tile-old' }, `previous version · ${counts.old}`),
        ),
      ),
      h('div', { class: 'tiles' }, tiles),
      ids.length > MAX_TILES ? h('div', { class: 'muted small' }, `… and ${ids.length - MAX_TILES} more targets`) : null,
    );
  }

  /* ---------- events ---------- */

  function renderEvents(): void {
    const list = [...events.values()].sort((a, b) => b.seq - a.seq);
    replace(
      eventsEl,
      h(
        'div',
        { class: 'card-head' },
        h('h2', {}, 'Event log'),
        h('span', { class: 'muted small' }, `${list.length} events, newest first`),
      ),
      h(
        'ol',
        { class: 'events', 'data-testid': 'events' },
        list.map((e) =>
          h(
            'li',
            { class: `event ${eventClass(e.type)}`, 'data-event-type': e.type, 'data-seq': e.seq },
            h(
              'div',
              { class: 'event-row' },
              h('span', { class: 'event-time mono' }, time(e.at)),
              h('span', { class: 'event-type' }, e.type.replace(/_/g, ' ')),
              e.stage ? h('span', { class: 'event-stage' }, e.stage) : null,
              actorOf(e) ? h('span', { class: 'event-actor', 'data-testid': 'event-actor' }, `by ${actorOf(e)}`) : null,
            ),
            h('div', { class: 'event-msg' }, e.message),
            Object.keys(e.detail).length > 0
              ? h(
                  'details',
                  { class: 'evidence', open: OPEN_EVIDENCE.has(e.type) },
                  h('summary', {}, 'evidence'),
                  h('pre', {}, JSON.stringify(e.detail, null, 2)),
                )
              : null,
          ),
        ),
      ),
    );
  }

  /* ---------- config diff ---------- */

  /**
   * Against the stable version: the one the fleet ran when the rollout started, or, while it waits
   * for review, the key's stable version now (what the reviewers would replace).
   */
  async function loadDiff(d: RolloutDetail): Promise<void> {
    if (d.version === null) return;
    const key = `${d.version}:${d.state === 'pending_review' ? 'review' : 'started'}`;
    if (diffFor === key) return;
    diffFor = key;
    const v = d.version;
    try {
      const from = d.state === 'pending_review' ? ((await getConfig(d.configKey)).stableVersion ?? 0) : (d.previousStableVersion ?? 0);
      diff = await configDiff(d.configKey, from, v);
      replace(diffEl, h('div', { class: 'card-head' }, h('h2', {}, 'Config change'), diffHeader(diff)), diffView(diff));
      render();
    } catch (err) {
      diffFor = null;
      replace(
        diffEl,
        h('div', { class: 'card-head' }, h('h2', {}, 'Config change')),
        h('div', { class: 'notice' }, `Could not load the diff: ${(err as Error).message}`),
      );
    }
  }

  /* ---------- data ---------- */

  const render = onFrame(() => {
    if (!detail) {
      replace(header, h('div', { class: error ? 'notice' : 'muted' }, error || 'Loading…'));
      return;
    }
    renderHeader(detail);
    renderReview(detail);
    renderPeople(detail);
    renderStages(detail);
    analysisPanel.update(
      detail,
      [...events.values()].sort((a, b) => a.seq - b.seq),
    );
    renderHealth(detail);
    renderTargets(detail);
    renderEvents();
    void loadDiff(detail);
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
    for (const c of charts.values()) c.destroy();
    analysisPanel.destroy();
  };
}
