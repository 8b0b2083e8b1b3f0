/**
 * A rollout's incident report (`/rollouts/<id>/report`): the postmortem draft the server builds
 * (domain/report.ts), rendered section by section, with a download of the same report in Markdown.
 * Read once: an incident's record does not change after the rollback, and Reload reads it again.
 */
import { formatDuration, formatPercent } from '../../domain/report';
import { ApiError, getReport, reportMarkdown, type IncidentReport } from './api';
import { diffHeader, diffView } from './diffview';
import { dateTime, h, replace } from './dom';

type Cell = string | number | null | undefined | HTMLElement;

function table(testid: string, head: string[], rows: Cell[][]): HTMLElement {
  return h(
    'table',
    { class: 'report-table', 'data-testid': testid },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        head.map((x) => h('th', {}, x)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          {},
          r.map((c) => h('td', {}, c ?? '—')),
        ),
      ),
    ),
  );
}

function figure(label: string, value: string, testid: string): HTMLElement {
  return h(
    'div',
    { class: 'figure', 'data-testid': testid },
    h('div', { class: 'figure-value' }, value),
    h('div', { class: 'muted small' }, label),
  );
}

function section(title: string, testid: string, ...children: (HTMLElement | null)[]): HTMLElement {
  return h(
    'section',
    { class: 'card report-section', 'data-testid': testid },
    h('div', { class: 'card-head' }, h('h2', {}, title)),
    ...children,
  );
}

function render(r: IncidentReport, download: () => void): HTMLElement[] {
  const { summary, impact, evidence, detection } = r;
  return [
    h(
      'section',
      { class: 'card rollout-head' },
      h(
        'div',
        { class: 'head-row' },
        h(
          'div',
          {},
          h('h1', { 'data-testid': 'report-title' }, r.title),
          h('div', { class: 'muted small' }, `Draft written by Tollgate at ${dateTime(r.generatedAt)}`),
        ),
        h(
          'div',
          { class: 'actions' },
          h('span', { class: `badge status-${r.status}`, 'data-testid': 'report-status' }, r.status),
          h('button', { type: 'button', class: 'btn', 'data-testid': 'report-download', onclick: download }, 'Download Markdown'),
        ),
      ),
      h('p', { 'data-testid': 'report-summary-text' }, summary.text),
      h(
        'div',
        { class: 'figures' },
        figure('targets exposed', `${impact.exposedTargets} of ${impact.fleetTargets}`, 'report-exposed'),
        figure('blast radius', formatPercent(impact.blastRadius), 'report-blast-radius'),
        figure('time to detect', formatDuration(detection.timeToDetectMs), 'report-ttd'),
        figure('time to safety', detection.safetyAt === null ? 'not reached' : formatDuration(detection.timeToSafetyMs), 'report-tts'),
      ),
    ),
    section(
      'Summary',
      'report-summary',
      table(
        'report-summary-table',
        ['', ''],
        [
          [
            'Change',
            `${r.configKey}: ${summary.fromVersion !== null ? `v${summary.fromVersion} (stable)` : 'no stable version'} → v${summary.toVersion ?? '?'}`,
          ],
          ['Description', summary.description],
          ['Submitted by', summary.submittedBy],
          [
            'Reviewed by',
            summary.reviews.length > 0
              ? summary.reviews.map((x) => `${x.by} (${x.decision}${x.comment ? `: “${x.comment}”` : ''})`).join('; ')
              : summary.emergency
                ? 'nobody: emergency'
                : 'no review required',
          ],
          ['Stage gates approved by', summary.gateApprovals.map((a) => `${a.by} (${a.stage})`).join('; ') || null],
          ['Trigger', summary.trigger],
          ['Reason', summary.reason],
        ],
      ),
    ),
    section(
      'Impact',
      'report-impact',
      h(
        'ul',
        {},
        h('li', {}, `Stages reached: ${impact.stagesReached.join(', ') || 'none'}`),
        h(
          'li',
          {},
          `Exposure window: ${formatDuration(impact.exposureWindowMs)}${impact.stillExposed > 0 ? ` (${impact.stillExposed} still exposed)` : ''}`,
        ),
        impact.targetExposureMs
          ? h(
              'li',
              {},
              `Exposure per target: longest ${formatDuration(impact.targetExposureMs.max)}, median ${formatDuration(impact.targetExposureMs.median)}, total ${formatDuration(impact.targetExposureMs.total)}`,
            )
          : null,
      ),
      table(
        'report-targets',
        ['Target', 'Got the bad version', 'Restored', 'Exposed for', 'Restored to'],
        impact.targets.map((t) => [
          t.targetId,
          dateTime(t.appliedAt),
          t.restoredAt ? dateTime(t.restoredAt) : 'not restored',
          formatDuration(t.exposureMs),
          t.previousVersion ? `v${t.previousVersion}` : 'nothing',
        ]),
      ),
    ),
    section(
      'Timeline',
      'report-timeline',
      table(
        'report-timeline-table',
        ['Time', 'Event', 'Stage', 'What happened', 'By'],
        r.timeline.map((e) => [new Date(e.at).toISOString().slice(11, 23), e.type.replace(/_/g, ' '), e.stage, e.message, e.actor]),
      ),
    ),
    section(
      'Root-cause evidence',
      'report-evidence',
      evidence.decision
        ? h('p', {}, `Decision by ${evidence.decision.by} (${evidence.decision.source}): ${evidence.decision.message}`)
        : null,
      h('h3', {}, `Failing checks (${evidence.checksTotal})`),
      evidence.checks.length === 0
        ? h('p', { class: 'muted' }, 'No failing check was recorded.')
        : table(
            'report-checks',
            ['Time', 'Stage', 'Source', 'Why', 'Numbers', 'Example failures'],
            evidence.checks.map((c) => [
              new Date(c.at).toISOString().slice(11, 23),
              c.stage,
              c.source,
              c.summary,
              Object.entries(c.numbers)
                .map(([k, v]) => `${k} ${v === null ? '—' : Number.isInteger(v) ? v : Number(v.toPrecision(4))}`)
                .join(', '),
              c.failures.map((f) => `${f.targetId}: ${f.status ?? f.reason}`).join('; '),
            ]),
          ),
      h('h3', {}, 'Config diff ', evidence.diff ? diffHeader(evidence.diff) : null),
      evidence.diff ? diffView(evidence.diff, 'report-diff') : h('p', { class: 'muted' }, 'Not available.'),
    ),
    section(
      'Detection and recovery',
      'report-detection',
      table(
        'report-detection-table',
        ['Measure', 'Value', 'From → to'],
        [
          [
            'Time to detect',
            formatDuration(detection.timeToDetectMs),
            `first exposure ${dateTime(detection.firstExposureAt)} → decision ${dateTime(detection.decisionAt)}`,
          ],
          [
            'Evidence to decision',
            formatDuration(detection.evidenceToDecisionMs),
            `first failing check ${dateTime(detection.firstFailingEvidenceAt)} → decision`,
          ],
          [
            'Time to safety',
            detection.safetyAt === null ? 'not reached' : formatDuration(detection.timeToSafetyMs),
            `decision → last target restored ${dateTime(detection.safetyAt)}`,
          ],
          ['Rollback attempts', detection.rollbackAttempts, ''],
        ],
      ),
      h(
        'p',
        { 'data-testid': 'report-restored' },
        `Restored: ${detection.restoredCount} target${detection.restoredCount === 1 ? '' : 's'}.`,
      ),
      h(
        'p',
        { 'data-testid': 'report-unrestored' },
        detection.unrestored.length === 0
          ? 'Could not be restored: none.'
          : `Could not be restored: ${detection.unrestored.map((u) => `${u.targetId} (${u.reason})`).join(', ')}.`,
      ),
    ),
    section(
      'Corrective measures',
      'report-corrective',
      h(
        'p',
        { class: 'muted' },
        'For the people who own the change to fill in (download the Markdown): what will stop this from happening again, who does it, by when.',
      ),
    ),
  ];
}

export function reportPage(root: HTMLElement, id: string, navigate: (path: string) => void): () => void {
  const rolloutPath = `/rollouts/${encodeURIComponent(id)}`;
  const crumbs = h(
    'nav',
    { class: 'crumbs' },
    h('a', { href: '/', onclick: (e: Event) => (e.preventDefault(), navigate('/')) }, 'Rollouts'),
    ' / ',
    h('a', { href: rolloutPath, class: 'mono', onclick: (e: Event) => (e.preventDefault(), navigate(rolloutPath)) }, id),
    ' / incident report',
  );
  const body = h('div', { 'data-testid': 'report' }, h('div', { class: 'muted' }, 'Loading…'));
  replace(root, crumbs, body);
  let closed = false;

  async function download(): Promise<void> {
    const text = await reportMarkdown(id);
    const url = URL.createObjectURL(new Blob([text], { type: 'text/markdown' }));
    const a = h('a', { href: url, download: `incident-${id}.md` });
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  void getReport(id).then(
    (r) => {
      if (!closed)
        replace(
          body,
          render(r, () => void download()),
        );
    },
    (err: unknown) => {
      if (closed) return;
      const message =
        err instanceof ApiError && err.status === 409
          ? `No incident: ${err.message}`
          : err instanceof ApiError && err.status === 404
            ? `No rollout ${id}.`
            : `Could not load the report: ${(err as Error).message}`;
      replace(body, h('div', { class: 'notice', 'data-testid': 'report-error' }, message));
    },
  );
  return () => {
    closed = true;
  };
}
