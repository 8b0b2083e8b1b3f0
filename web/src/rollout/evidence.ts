/**
 * A decision's evidence as the event log shows it: the reading (evidence-reading.ts) as tables
 * and facts, and the raw record behind a closed <details> for whoever needs the exact JSON.
 */
import type { HealthPolicy, RolloutEvent } from '../../../domain/schemas';
import { h } from '../dom';
import { readEvidence } from './evidence-reading';

/** Events whose evidence is shown open: the ones a human needs to judge a decision. */
const OPEN_EVIDENCE = new Set<RolloutEvent['type']>([
  'regression_detected',
  'health_inconclusive',
  'rollback_started',
  'apply_failed',
  'failed',
  'rollback_attempt',
]);

/** How many failing targets are listed before the rest are counted. */
const MAX_LISTED = 10;

export function evidenceView(e: RolloutEvent, health: HealthPolicy): HTMLElement | null {
  if (Object.keys(e.detail).length === 0) return null;
  const r = readEvidence(e.detail, health);
  return h(
    'details',
    { class: 'evidence', open: OPEN_EVIDENCE.has(e.type), 'data-testid': 'evidence' },
    h('summary', {}, 'evidence'),
    r.checks.length > 0
      ? h(
          'table',
          { class: 'checks' },
          h('thead', {}, h('tr', {}, h('th', {}, 'check'), h('th', {}, 'observed'), h('th', {}, 'allowed'))),
          h(
            'tbody',
            {},
            r.checks.map((c) =>
              h(
                'tr',
                { 'data-check': c.id, 'data-verdict': c.verdict, class: `check-${c.verdict}` },
                h('td', {}, c.label),
                h('td', { class: 'check-observed' }, c.observed),
                h('td', { class: 'check-limit' }, c.limit),
              ),
            ),
          ),
        )
      : null,
    r.metrics.length > 0
      ? h(
          'table',
          { class: 'checks', 'data-testid': 'evidence-metrics' },
          h('thead', {}, h('tr', {}, h('th', {}, 'metric'), h('th', {}, 'verdict'), h('th', {}, 'why'))),
          h(
            'tbody',
            {},
            r.metrics.map((m) =>
              h(
                'tr',
                { 'data-metric': m.name, class: m.verdict === 'fail' ? 'check-over' : '' },
                h('td', {}, m.name),
                h('td', {}, m.verdict),
                h('td', {}, m.message),
              ),
            ),
          ),
        )
      : null,
    r.failures.length > 0
      ? h(
          'table',
          { class: 'checks failing', 'data-testid': 'failing-targets' },
          h(
            'thead',
            {},
            h('tr', {}, h('th', {}, `failing target${r.failures.length === 1 ? '' : 's'}`), h('th', {}, 'why'), h('th', {}, '')),
          ),
          h(
            'tbody',
            {},
            r.failures
              .slice(0, MAX_LISTED)
              .map((f) =>
                h(
                  'tr',
                  { 'data-target': f.targetId },
                  h('td', { class: 'mono' }, f.targetId),
                  h('td', {}, f.why),
                  h('td', { class: 'muted' }, f.message),
                ),
              ),
            r.failures.length > MAX_LISTED
              ? h('tr', {}, h('td', { colspan: 3, class: 'muted' }, `… and ${r.failures.length - MAX_LISTED} more`))
              : null,
          ),
        )
      : null,
    r.facts.length > 0
      ? h(
          'dl',
          { class: 'evidence-facts' },
          r.facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
        )
      : null,
    h('details', { class: 'raw' }, h('summary', {}, 'raw JSON'), h('pre', {}, JSON.stringify(e.detail, null, 2))),
  );
}
