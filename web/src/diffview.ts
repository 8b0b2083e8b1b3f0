/**
 * A config diff as the server computes it (GET /v1/configs/:key/diff): the readable operations,
 * then the changed lines of both versions pretty-printed, with context. Shown on the rollout page,
 * in its review panel and in the incident report.
 */
import type { ConfigDiff } from './api';
import { h } from './dom';

export function diffHeader(d: ConfigDiff): HTMLElement {
  return h(
    'span',
    { class: 'muted small' },
    d.from > 0 ? `v${d.from} → v${d.to} · ` : `v${d.to}, no version before · `,
    h('span', { class: 'add-count' }, `+${d.stats.added}`),
    ' ',
    h('span', { class: 'del-count' }, `−${d.stats.removed}`),
    ` · ${d.stats.operations} operation${d.stats.operations === 1 ? '' : 's'}`,
  );
}

export function diffView(d: ConfigDiff, testid = 'diff'): HTMLElement {
  if (d.identical) return h('div', { class: 'muted', 'data-testid': testid }, `v${d.from} and v${d.to} are identical.`);
  return h(
    'div',
    { class: 'diff-view' },
    h(
      'ul',
      { class: 'diff-changes mono small', 'data-testid': `${testid}-changes` },
      d.changes.map((c) => h('li', {}, c)),
    ),
    h(
      'table',
      { class: 'diff', 'data-testid': testid },
      h(
        'tbody',
        {},
        d.hunks.flatMap((hunk) => [
          h(
            'tr',
            { class: 'diff-hunk' },
            h('td', { class: 'ln', colspan: 4 }, `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`),
          ),
          ...hunk.lines.map((l) =>
            h(
              'tr',
              { class: `diff-${l.op}` },
              h('td', { class: 'ln' }, l.oldNo ?? ''),
              h('td', { class: 'ln' }, l.newNo ?? ''),
              h('td', { class: 'sign' }, l.op === 'add' ? '+' : l.op === 'del' ? '−' : ' '),
              h('td', { class: 'code' }, l.text),
            ),
          ),
        ]),
      ),
    ),
    d.truncated ? h('div', { class: 'muted small' }, 'The diff is cut here; the full patch is in the API.') : null,
  );
}
