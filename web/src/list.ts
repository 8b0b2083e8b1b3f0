/** The rollout list: newest first, filterable, live from the global event stream. */
import { ROLLOUT_STATES } from '../../domain/lifecycle';
import { listRollouts, type RolloutSummary } from './api';
import { ago, h, onFrame, replace } from './dom';
import { connect } from './live';
import { STATE_LABEL } from './progress';
import { emergencyFlag, stageBars, stateBadge } from './widgets';

export function listPage(root: HTMLElement, navigate: (path: string) => void): () => void {
  const params = new URLSearchParams(location.search);
  let filter = { state: params.get('state') ?? '', configKey: params.get('configKey') ?? '' };
  let rows: RolloutSummary[] = [];
  let nextCursor: string | null = null;
  let error = '';

  const body = h('tbody');
  const more = h('button', { class: 'btn', type: 'button', onclick: () => void load(false) }, 'Load more');
  const status = h('div', { class: 'muted list-status' });
  const stateSelect = h(
    'select',
    { 'aria-label': 'State', onchange: () => applyFilter() },
    h('option', { value: '' }, 'All states'),
    ROLLOUT_STATES.map((s) => h('option', { value: s, selected: s === filter.state }, STATE_LABEL[s])),
  );
  const keyInput = h('input', {
    type: 'search',
    placeholder: 'Config key',
    value: filter.configKey,
    'aria-label': 'Config key',
    onchange: () => applyFilter(),
  });

  function applyFilter(): void {
    filter = { state: stateSelect.value, configKey: keyInput.value.trim() };
    const q = new URLSearchParams(Object.entries(filter).filter(([, v]) => v !== ''));
    history.replaceState(null, '', q.size > 0 ? `/?${q.toString()}` : '/');
    void load(true);
  }

  function matches(s: RolloutSummary): boolean {
    return (!filter.state || s.state === filter.state) && (!filter.configKey || s.configKey === filter.configKey);
  }

  function row(s: RolloutSummary): HTMLElement {
    const href = `/rollouts/${encodeURIComponent(s.id)}`;
    const open = (e: Event) => {
      e.preventDefault();
      navigate(href);
    };
    return h(
      'tr',
      { 'data-rollout': s.id, class: `clickable${s.emergency ? ' row-emergency' : ''}`, onclick: open },
      h(
        'td',
        {},
        h('a', { href, class: 'mono', onclick: open }, s.id),
        s.description ? h('div', { class: 'muted small' }, s.description) : null,
      ),
      h(
        'td',
        {},
        h('span', { class: 'config-key' }, s.configKey),
        s.version !== null ? h('span', { class: 'version' }, `v${s.version}`) : null,
      ),
      h(
        'td',
        {},
        stateBadge(s.state),
        s.emergency ? emergencyFlag(s) : null,
        s.reason ? h('div', { class: 'muted small reason' }, s.reason) : null,
      ),
      h('td', { class: 'stages-cell' }, stageBars(s)),
      h('td', { class: 'num' }, `${s.updatedTargets} / ${s.totalTargets}`),
      h(
        'td',
        { class: 'muted nowrap', title: s.createdAt },
        ago(s.createdAt),
        s.submittedBy ? h('div', { class: 'small', 'data-testid': 'submitted-by' }, `by ${s.submittedBy}`) : null,
      ),
    );
  }

  const render = onFrame(() => {
    replace(
      body,
      rows.length === 0
        ? h('tr', {}, h('td', { colspan: 6, class: 'empty' }, error || 'No rollouts yet. Start one with POST /v1/rollouts or the CLI.'))
        : rows.map(row),
    );
    more.hidden = nextCursor === null;
    status.textContent = error ? error : `${rows.length} rollout${rows.length === 1 ? '' : 's'}${nextCursor ? ' (more below)' : ''}`;
  });

  async function load(reset: boolean): Promise<void> {
    try {
      const page = await listRollouts({ ...filter, cursor: reset ? null : nextCursor });
      rows = reset ? page.items : [...rows, ...page.items.filter((s) => !rows.some((r) => r.id === s.id))];
      nextCursor = page.nextCursor;
      error = '';
    } catch (err) {
      error = `Could not load rollouts: ${(err as Error).message}`;
    }
    render();
  }

  replace(
    root,
    h(
      'section',
      { class: 'card' },
      h('div', { class: 'card-head' }, h('h1', {}, 'Rollouts'), h('div', { class: 'filters' }, stateSelect, keyInput)),
      h(
        'table',
        { class: 'table rollouts' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'Rollout'),
            h('th', {}, 'Config'),
            h('th', {}, 'State'),
            h('th', {}, 'Stages (targets on the new version)'),
            h('th', { class: 'num' }, 'Targets'),
            h('th', {}, 'Submitted'),
          ),
        ),
        body,
      ),
      h('div', { class: 'card-foot' }, status, more),
    ),
  );
  void load(true);

  const ticker = setInterval(render, 15_000);
  const close = connect('/v1/events', {
    rollout: (m) => {
      const i = rows.findIndex((r) => r.id === m.rolloutId);
      const s = m.summary;
      if (i >= 0) {
        // The stream may replay an older summary after a reconnect: keep the newest.
        if (rows[i]!.updatedAt <= s.updatedAt) rows[i] = s;
      } else if (matches(s)) {
        rows = [s, ...rows].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1));
      }
      render();
    },
    reopened: () => void load(true),
  });
  return () => {
    clearInterval(ticker);
    close();
  };
}
