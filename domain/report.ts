/**
 * The incident report of a rollout that went wrong: a postmortem draft built from what Tollgate
 * recorded (the rollout's summary, its event log, per-target timestamps, health samples and the
 * config diff). Pure: the API, the CLI and the dashboard only render it.
 *
 * A rollout has an incident when it rolled back (or is rolling back), failed, or recorded a
 * regression (whether it then rolled back, was held for a human, or was resumed).
 *
 * The times (docs/reports.md says the same):
 * - first exposure: the earliest time Tollgate assigned the new version to a target (recorded just
 *   before delivering it);
 * - first failing evidence: the earliest failing check: an unhealthy health interval (judged by the
 *   rollout's own thresholds), a failing canary-analysis interval, or a failed apply;
 * - decision: the first `regression_detected` event; without one, the first human rollback request;
 *   without one, the `failed` event;
 * - time to detect = decision − first exposure; evidence to decision = decision − first failing
 *   evidence (what `failureThreshold` and the analysis' sample sizes cost);
 * - time to safety = last target restored − decision, when every exposed target was restored;
 * - exposure of a target = its restore − its assignment (until the report's time while it is not
 *   restored).
 * Event times come from the workflow's clock (Temporal's), per-target times from the worker that
 * assigned or restored: on one machine one clock, across machines within their NTP skew.
 */
import type { ConfigDiff } from './diff';
import { assessInterval } from './health';
import type { IncidentCheck, IncidentReport, TargetFailureEvidence } from './report-schemas';
import type { RolloutDetail, RolloutEvent, StageHealthSample } from './schemas';

/** Exposed targets listed one by one in a report; the figures always count every target. */
export const MAX_REPORT_TARGETS = 200;
/** Failing checks listed as evidence (earliest first); the count is always whole. */
export const MAX_REPORT_CHECKS = 20;
/** Timeline entries: beyond this, the first and last halves are kept. */
export const MAX_REPORT_EVENTS = 1_000;
/** Example failures listed per check. */
export const MAX_FAILURES_PER_CHECK = 5;

export const INCIDENT_STATUSES = ['safe', 'restoring', 'unsafe', 'held', 'resumed'] as const;

export interface ReportInput {
  rollout: RolloutDetail;
  samples: readonly StageHealthSample[];
  /** The diff from the stable version at the start to the rollout's version; null when not known. */
  diff: ConfigDiff | null;
  /** The report's time: the end of exposure still going on. */
  now: string;
}

/** Whether a rollout gets a report: it rolled back (or is), failed, or recorded a regression. */
export function hasIncident(r: Pick<RolloutDetail, 'state' | 'events'>): boolean {
  return (
    r.state === 'rolled_back' ||
    r.state === 'rolling_back' ||
    r.state === 'failed' ||
    r.events.some((e) => e.type === 'regression_detected')
  );
}

const ms = (iso: string | null | undefined): number | null => (iso ? Date.parse(iso) : null);
const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
const between = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : Math.round(b - a));

function actorOf(e: RolloutEvent): string | undefined {
  const a = e.detail.actor;
  return typeof a === 'string' ? a : undefined;
}

function failuresOf(v: unknown): TargetFailureEvidence[] {
  if (!Array.isArray(v)) return [];
  return v.slice(0, MAX_FAILURES_PER_CHECK).flatMap((f: unknown) => {
    const x = f as { targetId?: unknown; reason?: unknown; status?: unknown; message?: unknown };
    if (typeof x?.targetId !== 'string') return [];
    return [
      {
        targetId: x.targetId,
        reason: typeof x.reason === 'string' ? x.reason : 'unknown',
        ...(typeof x.status === 'number' ? { status: x.status } : {}),
        ...(typeof x.message === 'string' ? { message: x.message } : {}),
      },
    ];
  });
}

/** Every failing check, earliest first: unhealthy intervals, failing analysis intervals, failed applies. */
export function failingChecks(r: RolloutDetail, samples: readonly StageHealthSample[]): IncidentCheck[] {
  const checks: IncidentCheck[] = [];
  const t = r.health;
  for (const s of samples) {
    const a = assessInterval(s, t);
    if (a.verdict !== 'unhealthy') continue;
    checks.push({
      at: s.at,
      stage: s.stage,
      source: 'health',
      summary: a.reasons.join('; '),
      numbers: {
        failed: s.failed,
        total: s.total,
        errorRate: a.errorRate,
        maxErrorRate: t.maxErrorRate,
        p95LatencyMs: s.p95LatencyMs,
        maxLatencyMs: t.maxLatencyMs ?? null,
      },
      failures: failuresOf(s.failures),
    });
  }
  for (const e of r.events) {
    if (e.type === 'analysis' && e.detail.verdict === 'fail') {
      const metrics = Array.isArray(e.detail.metrics)
        ? (e.detail.metrics as { name: string; verdict: string; message: string; evidence?: Record<string, unknown> }[])
        : [];
      for (const m of metrics.filter((x) => x.verdict === 'fail')) {
        const ev = m.evidence ?? {};
        const num = (k: string): number | null => {
          const v = ev[k];
          return typeof v === 'number' ? v : null;
        };
        checks.push({
          at: e.at,
          ...(e.stage ? { stage: e.stage } : {}),
          source: 'analysis',
          summary: `${m.name}: ${m.message}`,
          numbers: {
            canaryMedian: num('canaryMedian'),
            baselineMedian: num('baselineMedian'),
            effect: num('effect'),
            pValue: num('pValue'),
            eValue: num('eValue'),
          },
          failures: [],
        });
      }
    }
    if (e.type === 'regression_detected' && e.detail.source === 'apply') {
      checks.push({
        at: e.at,
        ...(e.stage ? { stage: e.stage } : {}),
        source: 'apply',
        summary: e.message,
        numbers: { failed: Array.isArray(e.detail.failures) ? e.detail.failures.length : null },
        failures: failuresOf(e.detail.failures),
      });
    }
  }
  return checks.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

function decisionOf(
  r: RolloutDetail,
): { event: RolloutEvent; by: string; source: string; trigger: 'regression' | 'human' | 'failure' } | null {
  const regression = r.events.find((e) => e.type === 'regression_detected');
  if (regression) {
    const source = typeof regression.detail.source === 'string' ? regression.detail.source : 'health';
    return { event: regression, by: 'tollgate', source, trigger: 'regression' };
  }
  const human = r.events.find((e) => (e.type === 'rollback_requested' || e.type === 'rollback_started') && actorOf(e) !== undefined);
  if (human) return { event: human, by: actorOf(human)!, source: 'human', trigger: 'human' };
  const failed = r.events.find((e) => e.type === 'failed');
  if (failed) return { event: failed, by: 'tollgate', source: 'failure', trigger: 'failure' };
  const started = r.events.find((e) => e.type === 'rollback_started');
  if (started) return { event: started, by: 'tollgate', source: 'rollback', trigger: 'failure' };
  return null;
}

function statusOf(r: RolloutDetail, exposed: number, stillExposed: number): IncidentReport['status'] {
  if (r.state === 'rolling_back') return 'restoring';
  if (r.state === 'rolled_back') return 'safe';
  if (r.state === 'failed') return stillExposed > 0 ? 'unsafe' : 'safe';
  if (r.state === 'paused' && (r.reason ?? '').startsWith('regression')) return 'held';
  return exposed > 0 ? 'resumed' : 'safe';
}

function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
}

/** The report, or null when the rollout had no incident. */
export function buildIncidentReport(input: ReportInput): IncidentReport | null {
  const { rollout: r, samples, diff, now } = input;
  if (!hasIncident(r)) return null;
  const nowMs = Date.parse(now);
  const decision = decisionOf(r);
  const decisionAt = decision ? ms(decision.event.at) : null;

  /* impact */
  const rows = Object.entries(r.targets)
    .filter(([, t]) => t.version !== null || (t.appliedAt ?? null) !== null)
    .map(([targetId, t]) => {
      const applied = ms(t.appliedAt);
      const restored = ms(t.restoredAt);
      return { targetId, applied, restored, previousVersion: t.previousVersion };
    })
    .sort((a, b) => (a.applied ?? 0) - (b.applied ?? 0) || (a.targetId < b.targetId ? -1 : 1));
  const firstAppliedEvent = r.events.find((e) => e.type === 'applied');
  const appliedTimes = rows.flatMap((x) => (x.applied === null ? [] : [x.applied]));
  const firstExposure = appliedTimes.length > 0 ? Math.min(...appliedTimes) : rows.length > 0 ? ms(firstAppliedEvent?.at) : null;
  // A rollout that rolled back restored every exposed target; rows from before restore times were kept end at its event.
  const rolledBackAt = ms(r.events.find((e) => e.type === 'rolled_back')?.at);
  const restoredAt = (x: (typeof rows)[number]) => x.restored ?? (r.state === 'rolled_back' ? rolledBackAt : null);
  const stillExposed = rows.filter((x) => restoredAt(x) === null).length;
  const exposures = rows.flatMap((x) => {
    const start = x.applied ?? firstExposure;
    return start === null ? [] : [Math.max(0, Math.round((restoredAt(x) ?? nowMs) - start))];
  });
  const sortedExposures = [...exposures].sort((a, b) => a - b);
  const lastRestore = rows.length > 0 && stillExposed === 0 ? Math.max(...rows.map((x) => restoredAt(x)!)) : null;

  /* evidence and detection */
  const checks = failingChecks(r, samples);
  const firstFailing = checks.length > 0 ? ms(checks[0]!.at) : null;
  const safety = rows.length === 0 ? decisionAt : lastRestore;
  const failedEvent = r.events.find((e) => e.type === 'failed');
  const unrestoredEvidence = failuresOf(failedEvent?.detail.unrestored);
  const unrestored = rows
    .filter((x) => restoredAt(x) === null)
    .map((x) => unrestoredEvidence.find((f) => f.targetId === x.targetId) ?? { targetId: x.targetId, reason: stillExposedReason(r) });
  const attempts = [...r.events].reverse().find((e) => e.type === 'rolled_back' || e.type === 'failed' || e.type === 'rollback_attempt');
  const attemptCount = attempts
    ? typeof attempts.detail.attempts === 'number'
      ? attempts.detail.attempts
      : typeof attempts.detail.attempt === 'number'
        ? attempts.detail.attempt
        : null
    : null;

  const stagesReached = r.stages.filter((s) => s.startedAt !== null).map((s) => s.name);
  const fromVersion = r.previousStableVersion;
  const version = r.version;
  const change = `${r.configKey} ${fromVersion !== null ? `v${fromVersion} → ` : ''}v${version ?? '?'}`;
  const outcome =
    r.state === 'rolled_back'
      ? `rolled back; all ${rows.length} exposed targets restored`
      : r.state === 'failed'
        ? stillExposed > 0
          ? `failed; ${stillExposed} of ${rows.length} exposed targets could not be restored`
          : 'failed'
        : r.state === 'rolling_back'
          ? 'rolling back'
          : `${r.state.replace(/_/g, ' ')} after a regression`;
  const text =
    `${r.submittedBy ?? 'Someone'} changed ${change}${r.description ? ` (“${r.description}”)` : ''}. ` +
    `It reached ${rows.length} of ${r.totalTargets} targets (${formatPercent(r.totalTargets > 0 ? rows.length / r.totalTargets : 0)})` +
    `${decision ? `; ${decision.trigger === 'human' ? `${decision.by} rolled it back` : decision.trigger === 'regression' ? `Tollgate detected a regression (${decision.event.message})` : `it failed (${decision.event.message})`}` : ''}` +
    `; ${outcome}.`;

  const timelineAll = r.events.filter((e) => e.type !== 'health_sample' && !(e.type === 'analysis' && e.detail.decision === 'continue'));
  const timeline =
    timelineAll.length > MAX_REPORT_EVENTS
      ? [...timelineAll.slice(0, MAX_REPORT_EVENTS / 2), ...timelineAll.slice(-MAX_REPORT_EVENTS / 2)]
      : timelineAll;

  return {
    rolloutId: r.id,
    configKey: r.configKey,
    title: `Incident: ${change} ${r.state === 'rolled_back' ? 'rolled back' : r.state.replace(/_/g, ' ')}`,
    status: statusOf(r, rows.length, stillExposed),
    state: r.state,
    generatedAt: now,
    summary: {
      text,
      fromVersion,
      toVersion: version,
      description: r.description ?? null,
      submittedBy: r.submittedBy ?? null,
      reviews: r.reviews ?? [],
      gateApprovals: r.approvals ?? [],
      emergency: r.emergency ? (r.emergencyReason ?? 'no reason recorded') : null,
      override: r.override ? (r.overrideReason ?? 'no reason recorded') : null,
      trigger: decision?.trigger ?? 'failure',
      reason: r.reason,
    },
    impact: {
      fleetTargets: r.totalTargets,
      exposedTargets: rows.length,
      blastRadius: r.totalTargets > 0 ? rows.length / r.totalTargets : 0,
      stagesReached,
      exposureStart: iso(firstExposure),
      exposureEnd: iso(lastRestore),
      exposureWindowMs: between(firstExposure, lastRestore),
      targetExposureMs:
        sortedExposures.length > 0
          ? { total: sortedExposures.reduce((a, b) => a + b, 0), max: sortedExposures.at(-1)!, median: median(sortedExposures) }
          : null,
      stillExposed,
      targets: rows.slice(0, MAX_REPORT_TARGETS).map((x) => {
        const end = restoredAt(x);
        return {
          targetId: x.targetId,
          appliedAt: iso(x.applied),
          restoredAt: iso(end),
          exposureMs: x.applied === null ? null : Math.max(0, Math.round((end ?? nowMs) - x.applied)),
          previousVersion: x.previousVersion,
        };
      }),
      targetsTruncated: rows.length > MAX_REPORT_TARGETS,
    },
    timeline: timeline.map((e) => ({
      at: e.at,
      type: e.type,
      ...(e.stage ? { stage: e.stage } : {}),
      message: e.message,
      ...(actorOf(e) ? { actor: actorOf(e)! } : {}),
    })),
    evidence: {
      decision: decision ? { at: decision.event.at, by: decision.by, source: decision.source, message: decision.event.message } : null,
      checks: checks.slice(0, MAX_REPORT_CHECKS),
      checksTotal: checks.length,
      diff,
    },
    detection: {
      firstExposureAt: iso(firstExposure),
      firstFailingEvidenceAt: iso(firstFailing),
      decisionAt: iso(decisionAt),
      safetyAt: iso(safety),
      timeToDetectMs: between(firstExposure, decisionAt),
      evidenceToDecisionMs: between(firstFailing, decisionAt),
      timeToSafetyMs: between(decisionAt, safety),
      restored: rows
        .filter((x) => restoredAt(x) !== null)
        .slice(0, MAX_REPORT_TARGETS)
        .map((x) => ({ targetId: x.targetId, version: x.previousVersion, at: iso(restoredAt(x)) })),
      restoredCount: rows.length - stillExposed,
      unrestored: unrestored.slice(0, MAX_REPORT_TARGETS),
      rollbackAttempts: attemptCount,
    },
    correctiveMeasures: [],
  };
}

function stillExposedReason(r: RolloutDetail): string {
  if (r.state === 'rolling_back') return 'rollback in progress';
  if (r.state === 'failed') return 'rollback gave up';
  if (r.state === 'paused') return 'held for a human';
  return 'not rolled back';
}

export function formatPercent(ratio: number): string {
  return `${Math.round(ratio * 1000) / 10}%`;
}

/** `1.234 s`, `850 ms`, `2 min 5 s`; `—` for null. */
export function formatDuration(msValue: number | null): string {
  if (msValue === null) return '—';
  if (Math.abs(msValue) < 1000) return `${msValue} ms`;
  if (Math.abs(msValue) < 60_000) return `${(msValue / 1000).toFixed(3).replace(/\.?0+$/, '')} s`;
  const minutes = Math.floor(msValue / 60_000);
  return `${minutes} min ${Math.round((msValue - minutes * 60_000) / 1000)} s`;
}

/* ---------- Markdown ---------- */

/** A table cell: pipes escaped and lines joined, so user text cannot break the table. */
function cell(v: string | number | null | undefined): string {
  return String(v ?? '—')
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, ' ');
}

function table(head: string[], rows: (string | number | null | undefined)[][]): string[] {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}

function numberText(k: string, v: number | null): string {
  if (v === null) return `${k} —`;
  if (k === 'errorRate' || k === 'maxErrorRate') return `${k} ${formatPercent(v)}`;
  if (k.endsWith('Ms')) return `${k} ${Math.round(v)} ms`;
  return `${k} ${Number.isInteger(v) ? v : Number(v.toPrecision(4))}`;
}

/** The report as Markdown: what `GET /v1/rollouts/:id/report` answers by default and `tollgate report` prints. */
export function reportMarkdown(report: IncidentReport): string {
  const { summary, impact, evidence, detection } = report;
  const out: string[] = [];
  out.push(`# ${report.title}`, '');
  out.push(
    `Rollout \`${report.rolloutId}\` · state **${report.state}** · status **${report.status}** · generated ${report.generatedAt} by Tollgate (draft)`,
    '',
  );

  out.push('## Summary', '', summary.text, '');
  out.push(
    ...table(
      ['', ''],
      [
        [
          'Change',
          `${report.configKey}: ${summary.fromVersion !== null ? `v${summary.fromVersion} (stable)` : 'no stable version'} → v${summary.toVersion ?? '?'}`,
        ],
        ['Description', summary.description],
        ['Submitted by', summary.submittedBy],
        [
          'Reviewed by',
          summary.reviews.length > 0
            ? summary.reviews.map((r) => `${r.by} (${r.decision}${r.comment ? `: “${r.comment}”` : ''})`).join('; ')
            : summary.emergency
              ? 'nobody: emergency'
              : 'no review required',
        ],
        [
          'Stage gates approved by',
          summary.gateApprovals.length > 0 ? summary.gateApprovals.map((a) => `${a.by} (${a.stage})`).join('; ') : '—',
        ],
        ...(summary.emergency ? [['Emergency', summary.emergency]] : []),
        ...(summary.override ? [['Freeze override', summary.override]] : []),
        ['Trigger', summary.trigger],
        ['Reason', summary.reason],
      ],
    ),
    '',
  );

  out.push('## Impact', '');
  out.push(
    `- Targets exposed: **${impact.exposedTargets} of ${impact.fleetTargets}** (blast radius **${formatPercent(impact.blastRadius)}** of the rollout's fleet)`,
    `- Stages reached: ${impact.stagesReached.length > 0 ? impact.stagesReached.join(', ') : 'none'}`,
    `- Exposure window: ${impact.exposureStart ?? '—'} → ${impact.exposureEnd ?? (impact.stillExposed > 0 ? 'still exposed' : '—')} (${formatDuration(impact.exposureWindowMs)})`,
    impact.targetExposureMs
      ? `- Exposure per target: longest ${formatDuration(impact.targetExposureMs.max)}, median ${formatDuration(impact.targetExposureMs.median)}, total ${formatDuration(impact.targetExposureMs.total)} of target time`
      : '- Exposure per target: none',
    `- Still on the bad version: ${impact.stillExposed}`,
    '',
  );
  if (impact.targets.length > 0) {
    out.push(
      ...table(
        ['Target', 'Got the bad version', 'Restored', 'Exposed for', 'Restored to'],
        impact.targets.map((t) => [
          t.targetId,
          t.appliedAt,
          t.restoredAt ?? 'not restored',
          formatDuration(t.exposureMs),
          t.previousVersion === null ? '—' : t.previousVersion === 0 ? 'nothing (no previous version)' : `v${t.previousVersion}`,
        ]),
      ),
    );
    if (impact.targetsTruncated) out.push('', `(the first ${impact.targets.length} targets by exposure time)`);
    out.push('');
  }

  out.push(
    '## Timeline',
    '',
    ...table(
      ['Time (UTC)', 'Event', 'Stage', 'What happened', 'By'],
      report.timeline.map((e) => [e.at, e.type, e.stage, e.message, e.actor]),
    ),
    '',
  );

  out.push('## Root-cause evidence', '');
  if (evidence.decision) {
    out.push(
      `Decision at ${evidence.decision.at} by ${evidence.decision.by} (${evidence.decision.source}): ${evidence.decision.message}`,
      '',
    );
  }
  out.push(`### Failing checks (${evidence.checksTotal})`, '');
  if (evidence.checks.length === 0) out.push('No failing check was recorded.', '');
  else {
    out.push(
      ...table(
        ['Time (UTC)', 'Stage', 'Source', 'Why', 'Numbers', 'Example failures'],
        evidence.checks.map((c) => [
          c.at,
          c.stage,
          c.source,
          c.summary,
          Object.entries(c.numbers)
            .map(([k, v]) => numberText(k, v))
            .join(', '),
          c.failures.map((f) => `${f.targetId}: ${f.status ?? f.reason}${f.message ? ` ${f.message}` : ''}`).join('; ') || '—',
        ]),
      ),
    );
    if (evidence.checksTotal > evidence.checks.length) out.push('', `(the first ${evidence.checks.length} of ${evidence.checksTotal})`);
    out.push('');
  }
  out.push('### Config diff', '');
  const d = evidence.diff;
  if (!d) out.push('Not available.', '');
  else if (d.identical) out.push(`v${d.from} and v${d.to} are identical.`, '');
  else {
    out.push(
      `From ${d.from === 0 ? 'nothing' : `v${d.from}`} to v${d.to}: ${d.stats.operations} operations (RFC 6902), +${d.stats.added} −${d.stats.removed} lines.`,
      '',
    );
    out.push('```text', ...d.changes, '```', '');
    const lines = d.hunks.flatMap((h) => [
      `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`,
      ...h.lines.map((l) => `${l.op === 'add' ? '+' : l.op === 'del' ? '-' : ' '}${l.text}`),
    ]);
    out.push('```diff', `--- ${report.configKey} v${d.from}`, `+++ ${report.configKey} v${d.to}`, ...lines, '```', '');
    if (d.truncated) out.push('(the readable diff was cut; the full patch is in `?format=json` and `GET /v1/configs/…/diff`)', '');
  }

  out.push('## Detection and recovery', '');
  out.push(
    ...table(
      ['Measure', 'Value', 'From → to'],
      [
        [
          'Time to detect',
          formatDuration(detection.timeToDetectMs),
          `first exposure ${detection.firstExposureAt ?? '—'} → decision ${detection.decisionAt ?? '—'}`,
        ],
        [
          'Evidence to decision',
          formatDuration(detection.evidenceToDecisionMs),
          `first failing check ${detection.firstFailingEvidenceAt ?? '—'} → decision ${detection.decisionAt ?? '—'}`,
        ],
        [
          'Time to safety',
          detection.safetyAt === null ? 'not reached' : formatDuration(detection.timeToSafetyMs),
          `decision → last target restored ${detection.safetyAt ?? '—'}`,
        ],
        ['Rollback attempts', detection.rollbackAttempts ?? '—', ''],
      ],
    ),
    '',
  );
  out.push(
    `Restored: ${detection.restoredCount} target${detection.restoredCount === 1 ? '' : 's'}${detection.restored.length > 0 ? ` (${detection.restored.map((x) => `${x.targetId} → ${x.version ? `v${x.version}` : 'nothing'}`).join(', ')}${detection.restoredCount > detection.restored.length ? ', …' : ''})` : ''}.`,
    '',
  );
  out.push(
    detection.unrestored.length === 0
      ? 'Could not be restored: none.'
      : `Could not be restored: ${detection.unrestored.map((u) => `${u.targetId} (${u.reason}${u.message ? `: ${u.message}` : ''})`).join(', ')}.`,
    '',
  );

  out.push(
    '## Corrective measures',
    '',
    '_To be filled in by the people who own the change: what will stop this from happening again, who does it, by when._',
    '',
  );
  out.push('| Measure | Owner | Due |', '| --- | --- | --- |', '|  |  |  |', '');
  return out.join('\n');
}
