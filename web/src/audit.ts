/**
 * The audit log (approver and admin): who did what, when, with what answer, newest first.
 * Filters go to the server (GET /v1/audit); "Load more" follows nextCursor.
 */
import type { AuditEntry } from '../../domain/access';
import { ApiError, listAudit, refusal } from './api';
import { dateTime, h, replace } from './dom';
import { can, cannotTitle } from './session';

/** Entries per page, unless the address asks for another (`/audit?limit=20`, as the API bounds it). */
const PAGE = 50;

/** `datetime-local` gives local wall time without a zone; the API wants UTC. */
function localToIso(v: string): string | undefined {
  if (!v) return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

function statusClass(status: number): string {
  return status >= 500 ? 'status-bad' : status >= 400 ? 'status-refused' : 'status-ok';
}

export function auditPage(root: HTMLElement, navigate: (path: string) => void): () => void {
  if (!can('audit')) {
    replace(
      root,
      h(
        'section',
        { class: 'card' },
        h('div', { class: 'card-head' }, h('h1', {}, 'Audit log')),
        h('div', { class: 'notice' }, `${cannotTitle('audit')}: the audit log is for approvers and admins.`),
      ),
    );
    return () => undefined;
  }
  const params = new URLSearchParams(location.search);
  const asked = Number(params.get('limit'));
  const pageSize = Number.isInteger(asked) && asked >= 1 && asked <= 500 ? asked : PAGE;
  let rows: AuditEntry[] = [];
  let nextCursor: string | null = null;
  let error = '';
  let loading = false;
  /** Only the newest request's answer is shown: filters may change while one is in flight. */
  let generation = 0;

  const field = (name: string, label: string, title: string) =>
    h('input', {
      type: 'search',
      name,
      placeholder: label,
      title,
      value: params.get(name) ?? '',
      'aria-label': label,
      'data-filter': name,
    });
  const actor = field('actor', 'Actor', 'A token name or single-sign-on subject, exactly');
  const action = field('action', 'Action', 'An operation, exactly: createRollout, pauseRollout, reviewRollout, createToken, …');
  const configKey = field('configKey', 'Config key', 'Entries about this config key');
  const since = h('input', {
    type: 'datetime-local',
    name: 'since',
    'aria-label': 'Since',
    title: 'Only entries at or after (your local time)',
  });
  const body = h('tbody');
  const status = h('div', { class: 'muted list-status' });
  const more = h('button', { class: 'btn', type: 'button', 'data-testid': 'audit-more', onclick: () => void load(false) }, 'Load more');

  function row(e: AuditEntry): HTMLElement {
    const rollout = e.rolloutId
      ? h(
          'a',
          {
            href: `/rollouts/${encodeURIComponent(e.rolloutId)}`,
            class: 'mono',
            onclick: (ev: Event) => (ev.preventDefault(), navigate(`/rollouts/${encodeURIComponent(e.rolloutId!)}`)),
          },
          e.rolloutId,
        )
      : h('span', { class: 'muted' }, '—');
    return h(
      'tr',
      { 'data-audit': e.id, class: e.emergency ? 'row-emergency' : null },
      h('td', { class: 'nowrap', title: e.at }, dateTime(e.at)),
      h('td', { class: 'audit-actor' }, h('strong', {}, e.actor)),
      h('td', {}, h('span', { class: `role role-${e.role}` }, e.role)),
      h(
        'td',
        {},
        h('span', { class: 'audit-action' }, e.action),
        e.emergency ? h('span', { class: 'emergency-flag small', title: 'Emergency path' }, 'EMERGENCY') : null,
        h('div', { class: 'muted small mono' }, `${e.method} ${e.path}`),
      ),
      h('td', { class: 'num' }, h('span', { class: `http-status ${statusClass(e.status)}` }, e.status)),
      h('td', {}, e.configKey ? h('span', { class: 'config-key' }, e.configKey) : h('span', { class: 'muted' }, '—')),
      h('td', {}, rollout),
      h('td', { class: 'muted small mono', title: `request ${e.requestId}` }, e.ip),
    );
  }

  function render(): void {
    replace(
      body,
      rows.length === 0
        ? h('tr', {}, h('td', { colspan: 8, class: 'empty' }, error || (loading ? 'Loading…' : 'No entries match.')))
        : rows.map(row),
    );
    more.hidden = nextCursor === null;
    more.disabled = loading;
    status.textContent = error || `${rows.length} entr${rows.length === 1 ? 'y' : 'ies'}${nextCursor ? ', more below' : ''}`;
  }

  function filters() {
    return {
      actor: actor.value.trim() || undefined,
      action: action.value.trim() || undefined,
      configKey: configKey.value.trim() || undefined,
      since: localToIso(since.value),
    };
  }

  async function load(reset: boolean): Promise<void> {
    const mine = ++generation;
    loading = true;
    render();
    try {
      const page = await listAudit({ ...filters(), limit: pageSize, cursor: reset ? undefined : (nextCursor ?? undefined) });
      if (mine !== generation) return;
      rows = reset ? page.items : [...rows, ...page.items];
      nextCursor = page.nextCursor;
      error = '';
    } catch (err) {
      if (mine !== generation) return;
      if (reset) rows = [];
      error =
        err instanceof ApiError && err.status === 400 ? `Filter refused: ${err.message}` : `Could not load the audit log: ${refusal(err)}`;
    }
    loading = false;
    render();
  }

  function apply(e?: Event): void {
    e?.preventDefault();
    const q = new URLSearchParams(
      Object.entries({ actor: actor.value.trim(), action: action.value.trim(), configKey: configKey.value.trim() }).filter(
        ([, v]) => v !== '',
      ),
    );
    history.replaceState(null, '', q.size > 0 ? `/audit?${q.toString()}` : '/audit');
    void load(true);
  }

  replace(
    root,
    h(
      'section',
      { class: 'card' },
      h(
        'div',
        { class: 'card-head' },
        h('div', {}, h('h1', {}, 'Audit log'), h('div', { class: 'muted small' }, 'Every change and every refused request, newest first.')),
        h(
          'form',
          { class: 'filters', onsubmit: apply, 'data-testid': 'audit-filters' },
          actor,
          action,
          configKey,
          h('label', { class: 'since' }, h('span', { class: 'muted small' }, 'since'), since),
          h('button', { class: 'btn', type: 'submit' }, 'Filter'),
        ),
      ),
      h(
        'table',
        { class: 'table audit', 'data-testid': 'audit' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'When'),
            h('th', {}, 'Actor'),
            h('th', {}, 'Role'),
            h('th', {}, 'Action'),
            h('th', { class: 'num' }, 'Status'),
            h('th', {}, 'Config'),
            h('th', {}, 'Rollout'),
            h('th', {}, 'From'),
          ),
        ),
        body,
      ),
      h('div', { class: 'card-foot' }, status, more),
    ),
  );
  void load(true);
  return () => undefined;
}
