/**
 * The target map: one tile per target (up to MAX_TILES) saying what it is assigned and what it
 * last reported running, and how its latest probe went.
 */
import type { RolloutDetail, StageHealthSample } from '../api';
import { h, replace, time } from '../dom';

/** More tiles than this and the map shows a count instead: the page stays fast on large fleets. */
const MAX_TILES = 600;

type TileKind = 'confirmed' | 'assigned' | 'restored' | 'old';

function tileKind(d: RolloutDetail, t: RolloutDetail['targets'][string]): TileKind {
  const onNew = d.version !== null && t.assignedVersion === d.version;
  if (onNew) return t.confirmedVersion === d.version ? 'confirmed' : 'assigned';
  return t.version !== null ? 'restored' : 'old';
}

export function renderTargets(el: HTMLElement, d: RolloutDetail, samples: readonly StageHealthSample[]): void {
  const latest = samples.at(-1);
  const failing = new Map((latest?.failures ?? []).map((f) => [f.targetId, f]));
  const complete = latest ? latest.failures.length >= latest.failed : false;
  const ids = Object.keys(d.targets);
  const counts: Record<TileKind, number> = { confirmed: 0, assigned: 0, old: 0, restored: 0 };
  for (const tid of ids) counts[tileKind(d, d.targets[tid]!)] += 1;
  const tiles = ids.slice(0, MAX_TILES).map((tid) => {
    const t = d.targets[tid]!;
    const kind = tileKind(d, t);
    const onNew = kind === 'confirmed' || kind === 'assigned';
    const fail = failing.get(tid);
    const probe = fail
      ? h('span', { class: 'probe bad' }, `✗ ${fail.status ?? fail.reason}`)
      : onNew && latest !== undefined && complete
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
  replace(
    el,
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
