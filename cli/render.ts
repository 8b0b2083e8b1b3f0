/**
 * Pure formatting: tables, progress bars, event lines and the live `watch` frame. No I/O and no
 * clock of its own (callers pass `now`), so every function is unit-tested by value.
 */
import type { AuditEntry, Principal, TargetScope, TokenInfo } from '../domain/access';
import type { ConfigDiff } from '../domain/diff';
import { isTerminal, type RolloutState } from '../domain/lifecycle';
import { type Delivery, NOTIFICATION_EVENTS, type Subscription } from '../domain/notifications';
import type {
  HealthSample,
  RolloutDetail,
  RolloutEvent,
  RolloutSummary,
  StageStatus,
  Target,
  TargetFailure,
  TargetRolloutStatus,
} from '../domain/schemas';

/* ---------- colour ---------- */

export interface Style {
  enabled: boolean;
  bold: (s: string) => string;
  dim: (s: string) => string;
  red: (s: string) => string;
  green: (s: string) => string;
  yellow: (s: string) => string;
  cyan: (s: string) => string;
}

export function makeStyle(enabled: boolean): Style {
  const wrap = (open: number, close: number) => (s: string) => (enabled && s ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  return { enabled, bold: wrap(1, 22), dim: wrap(2, 22), red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), cyan: wrap(36, 39) };
}

export const PLAIN = makeStyle(false);

export function stateColor(state: string, st: Style): (s: string) => string {
  switch (state) {
    case 'completed':
      return st.green;
    case 'rolled_back':
    case 'failed':
    case 'rejected':
      return st.red;
    case 'pending_review':
    case 'paused':
    case 'awaiting_approval':
    case 'rolling_back':
      return st.yellow;
    case 'running':
    case 'applying':
    case 'baking':
      return st.cyan;
    default:
      return (s) => s;
  }
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

export function visibleLength(s: string): number {
  return stripAnsi(s).length;
}

/** Cuts a line to `width` visible characters, keeping colour codes intact, so a redraw never wraps. */
export function truncate(s: string, width: number): string {
  if (visibleLength(s) <= width) return s;
  let out = '';
  let seen = 0;
  let i = 0;
  while (i < s.length && seen < width - 1) {
    ANSI.lastIndex = i;
    const m = s[i] === '\x1b' ? ANSI.exec(s) : null;
    if (m && m.index === i) {
      out += m[0];
      i += m[0].length;
      continue;
    }
    out += s[i];
    seen += 1;
    i += 1;
  }
  return `${out}…${s.includes('\x1b[') ? '\x1b[0m' : ''}`;
}

/* ---------- small values ---------- */

/** `2026-11-25T08:00:13Z`: second precision reads better in logs than milliseconds. */
export function isoSeconds(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

export function clockTime(iso: string): string {
  return isoSeconds(iso).slice(11, 19);
}

export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function percent(ratio: number): string {
  const p = ratio * 100;
  return `${Number.isInteger(p) ? p : p.toFixed(1)}%`;
}

/** `[#####-----] 5/10`. */
export function progressBar(done: number, total: number, width = 10): string {
  const ratio = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}`;
}

/** Targets of a stage (cumulative, as the summary counts them) that run the new version now. */
export function stageDone(summary: Pick<RolloutSummary, 'updatedTargets'>, stage: Pick<StageStatus, 'targets'>): number {
  return Math.min(summary.updatedTargets, stage.targets);
}

/* ---------- tables ---------- */

/** Columns padded to their widest cell; the last column is never padded. */
export function table(headers: string[], rows: string[][], st: Style = PLAIN): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(Math.max(0, (widths[i] ?? 0) - visibleLength(c)))))
      .join('  ')
      .trimEnd();
  return [st.bold(line(headers)), ...rows.map(line)];
}

/** The loud mark of a rollout started on the emergency path (no review, no staging minimums). */
export function emergencyMark(r: Pick<RolloutSummary, 'emergency' | 'emergencyReason'>, st: Style, maxReason = 60): string {
  if (!r.emergency) return '';
  const reason = r.emergencyReason ?? '';
  const cut = reason.length > maxReason ? `${reason.slice(0, maxReason - 1)}…` : reason;
  return st.red(st.bold(`EMERGENCY${cut ? `: ${cut}` : ''}`));
}

export function rolloutsTable(items: RolloutSummary[], st: Style = PLAIN): string[] {
  if (items.length === 0) return ['no rollouts'];
  // The column appears only when it has something to say, and then it cannot be missed.
  const anyEmergency = items.some((r) => r.emergency);
  return table(
    ['ID', 'CONFIG', 'VERSION', 'STATE', 'STAGE', 'PROGRESS', 'SUBMITTED BY', 'CREATED', ...(anyEmergency ? ['EMERGENCY'] : [])],
    items.map((r) => [
      r.id,
      r.configKey,
      r.version === null ? '-' : String(r.version),
      stateColor(r.state, st)(r.state),
      r.currentStage ?? '-',
      `${r.updatedTargets}/${r.totalTargets}`,
      r.submittedBy ?? '-',
      isoSeconds(r.createdAt),
      ...(anyEmergency ? [emergencyMark(r, st, 40)] : []),
    ]),
    st,
  );
}

export function labelsText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  return parts.length > 0 ? parts.join(',') : '-';
}

export function targetsTable(items: Target[], st: Style = PLAIN): string[] {
  if (items.length === 0) return ['no targets'];
  return table(
    ['ID', 'LABELS', 'DELIVERY', 'HEALTH URL'],
    items.map((t) => [t.id, labelsText(t.labels), t.applyUrl ? 'push' : 'pull', t.healthUrl ?? '-']),
    st,
  );
}

export function targetText(t: Target): string[] {
  return [
    `target ${t.id}`,
    `  labels      ${labelsText(t.labels)}`,
    `  delivery    ${t.applyUrl ? `push to ${t.applyUrl}` : 'pull'}`,
    `  health URL  ${t.healthUrl ?? '-'}`,
    `  updated     ${isoSeconds(t.updatedAt)}`,
  ];
}

/* ---------- events ---------- */

/** One append-only line per event, for logs and CI: `<at> rollout <id> <stage|-> <type> <message>`. */
export function eventLine(rolloutId: string, e: RolloutEvent, st: Style = PLAIN): string {
  const type = /regression|failed|rolled_back|rollback|rejected/.test(e.type)
    ? st.red(e.type)
    : e.type === 'completed' || e.type === 'stage_completed'
      ? st.green(e.type)
      : e.type;
  const failing = e.type === 'regression_detected' || e.type === 'health_inconclusive' ? evidence(e) : [];
  const proof = failing.length > 0 ? st.red(` [failing: ${failing.slice(0, 5).join(', ')}${failing.length > 5 ? ', …' : ''}]`) : '';
  return `${isoSeconds(e.at)} rollout ${rolloutId} ${e.stage ?? '-'} ${type} ${e.message}${proof}`;
}

/** An event's detail is free-form: each field of a failure is read as unknown. */
type Failure = { [K in keyof TargetFailure]?: unknown };

/** The failing targets a regression or failed apply names as evidence. */
export function evidence(e: Pick<RolloutEvent, 'detail'>): string[] {
  const d = e.detail as { failures?: unknown; sample?: { failures?: unknown }; unrestored?: unknown };
  const list = [d.failures, d.sample?.failures, d.unrestored].find(Array.isArray) as Failure[] | undefined;
  if (!list) return [];
  const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
  return list.map((f) => {
    const why = f.status !== undefined ? `HTTP ${text(f.status)}` : text(f.message) || text(f.reason);
    return `${text(f.targetId)}: ${why}`;
  });
}

/* ---------- rollout detail (`get`) ---------- */

export function rolloutDetail(r: RolloutDetail, st: Style = PLAIN, maxEvents = 10): string[] {
  const stageIdx = r.currentStageIndex !== null ? ` (${r.currentStageIndex + 1} of ${r.stages.length})` : '';
  const h = r.health;
  const out = [
    ...(r.emergency
      ? [
          emergencyMark(r, st, 1000),
          st.red('  started on the emergency path: no review, no staging minimums (never without health checks)'),
          '',
        ]
      : []),
    `${st.bold('rollout')}     ${r.id}`,
    `config      ${r.configKey} version ${r.version ?? '(not yet numbered)'}${r.previousStableVersion ? ` (previous stable ${r.previousStableVersion})` : ''}`,
    `state       ${stateColor(r.state, st)(r.state)}${r.reason ? ` - ${r.reason}` : ''}`,
    `stage       ${r.currentStage ?? '-'}${stageIdx}`,
    `targets     ${r.updatedTargets} of ${r.totalTargets} on the new version`,
    `health      probe every ${h.intervalSeconds}s, max error rate ${percent(h.maxErrorRate)}${h.maxLatencyMs !== undefined ? `, max p95 ${h.maxLatencyMs} ms` : ''}, ${h.failureThreshold} bad interval(s) in a row is a regression`,
    `regression  ${r.onRegression}`,
    `submitted   by ${r.submittedBy ?? '-'}`,
    `review      ${reviewStatus(r)}`,
    `actions     ${nextSteps(r)}`,
    `created     ${isoSeconds(r.createdAt)}   updated ${isoSeconds(r.updatedAt)}`,
  ];
  if (r.description) out.push(`description ${r.description}`);
  const decisions = [
    ...(r.reviews ?? []).map((v) => ({
      at: v.at,
      what: v.decision === 'approve' ? 'approved' : st.red('rejected'),
      by: v.by,
      note: v.comment ?? '',
    })),
    ...(r.approvals ?? []).map((a) => ({ at: a.at, what: `approved gate ${a.stage}`, by: a.by, note: '' })),
  ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  if (decisions.length > 0) {
    out.push('', st.bold('reviews and approvals'));
    out.push(
      ...table(
        ['AT', 'BY', 'DECISION', 'COMMENT'],
        decisions.map((d) => [isoSeconds(d.at), d.by, d.what, d.note || '-']),
        st,
      ).map((l) => `  ${l}`),
    );
  }
  out.push('', st.bold('stages'));
  out.push(
    ...table(
      ['NAME', 'PERCENT', 'BAKE', 'APPROVAL', 'PROGRESS', 'STATE'],
      r.stages.map((s) => [
        s.name,
        `${s.percent}%`,
        duration(s.bakeSeconds),
        s.approval ? 'yes' : 'no',
        progressBar(stageDone(r, s), s.targets),
        stateColor(s.state, st)(s.state),
      ]),
      st,
    ).map((l) => `  ${l}`),
  );
  const targets = Object.entries(r.targets).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  out.push('', st.bold('targets'));
  if (targets.length === 0) out.push('  none yet');
  else
    out.push(
      ...table(
        [...TARGET_COLUMNS],
        targets.map(([id, t]) => [id, ...targetCells(t, r.state)]),
        st,
      ).map((l) => `  ${l}`),
    );
  const shown = r.events.slice(-maxEvents);
  out.push('', st.bold(`events${r.events.length > shown.length ? ` (last ${shown.length} of ${r.events.length}; --json for all)` : ''}`));
  for (const e of shown) {
    out.push(`  ${clockTime(e.at)} ${e.stage ?? '-'} ${e.type} ${e.message}`);
    for (const line of e.type === 'regression_detected' || e.type === 'health_inconclusive' ? evidence(e).slice(0, 5) : [])
      out.push(`    ${st.red(line)}`);
  }
  return out;
}

/**
 * A rollout's targets, one row each: what the target runs (as it last reported, with what it is
 * assigned when that differs), what this rollout gave it and when, what it had before, and what a
 * rollback restored it to and when.
 */
export const TARGET_COLUMNS = ['ID', 'RUNNING', 'THIS ROLLOUT', 'BEFORE', 'RESTORED'] as const;

/** Version 0 (or null) means the target had or has nothing. */
const versionText = (n: number | null | undefined) => (n === null || n === undefined ? '-' : n === 0 ? 'none' : String(n));
const at = (iso: string | null | undefined) => (iso ? ` at ${clockTime(iso)}` : '');

export function targetCells(t: TargetRolloutStatus, state: RolloutState): [string, string, string, string] {
  const assigned = t.assignedVersion === 0 ? null : t.assignedVersion;
  const running =
    assigned !== null && assigned !== t.confirmedVersion
      ? `${versionText(t.confirmedVersion)} (assigned ${assigned})`
      : versionText(t.confirmedVersion);
  const given = t.version === null ? '-' : `${t.version}${at(t.appliedAt)}`;
  // Rollbacks from before `restoredAt` was recorded restored the target all the same: say to what.
  const restored = t.restoredAt
    ? `${versionText(t.previousVersion)}${at(t.restoredAt)}`
    : t.version !== null && state === 'rolled_back'
      ? versionText(t.previousVersion)
      : '-';
  return [running, given, versionText(t.previousVersion), restored];
}

/** `1 of 2 approvals (waiting for 1 more)`, `none required`, or `rejected by …`. */
export function reviewStatus(r: Pick<RolloutSummary, 'requiredApprovals' | 'reviews' | 'state' | 'emergency'>): string {
  const required = r.requiredApprovals ?? 0;
  const reviews = r.reviews ?? [];
  const rejected = reviews.find((v) => v.decision === 'reject');
  if (rejected) return `rejected by ${rejected.by}${rejected.comment ? `: ${rejected.comment}` : ''}`;
  if (required === 0) return r.emergency ? 'skipped (emergency)' : 'none required';
  const approvers = new Set(reviews.filter((v) => v.decision === 'approve').map((v) => v.by)).size;
  const waiting = r.state === 'pending_review' ? ` (waiting for ${Math.max(0, required - approvers)} more)` : '';
  return `${Math.min(approvers, required)} of ${required} approval${required === 1 ? '' : 's'}${waiting}`;
}

/** What can be done next, as the commands that do it. */
export function nextSteps(r: Pick<RolloutSummary, 'id' | 'state' | 'allowedActions'>): string {
  if (r.state === 'pending_review') return `review (tollgate rollout review ${r.id} --approve|--reject)`;
  return r.allowedActions.length > 0 ? r.allowedActions.join(', ') : '-';
}

/* ---------- live watch ---------- */

export interface WatchView {
  summary: RolloutSummary;
  /** Every event seen, oldest first. */
  events: RolloutEvent[];
  /** The newest health sample per stage (from the live stream only): the frame reads only these fields. */
  health: Record<string, Pick<HealthSample, 'at' | 'total' | 'failed' | 'p95LatencyMs'>>;
  /** How the view is fed: the live stream, polling, or reconnecting after a drop. */
  feed: 'live' | 'polling' | 'reconnecting';
}

/**
 * The stage's state as shown. A stage turns from applying to baking without an event of its own,
 * so a stream-fed view would show "applying" for the whole bake; the last batch applied says
 * the bake has begun.
 */
export function shownStageState(
  stage: Pick<StageStatus, 'name' | 'state' | 'targets'>,
  events: readonly Pick<RolloutEvent, 'type' | 'stage' | 'detail'>[],
): StageStatus['state'] {
  if (stage.state !== 'applying') return stage.state;
  const applied = events.filter((e) => e.stage === stage.name && e.type === 'applied').at(-1);
  return applied && applied.detail.to === stage.targets ? 'baking' : 'applying';
}

/**
 * Seconds of bake left for the stage, or null when it is not baking. The bake starts at the
 * stage's last `applied` event; time spent paused is not known here, so this is an estimate.
 */
export function bakeRemaining(
  stage: Pick<StageStatus, 'name' | 'state' | 'bakeSeconds' | 'startedAt' | 'targets'>,
  events: readonly Pick<RolloutEvent, 'type' | 'stage' | 'at' | 'detail'>[],
  now: number,
): number | null {
  if (shownStageState(stage, events) !== 'baking') return null;
  const applied = events.filter((e) => e.stage === stage.name && e.type === 'applied').at(-1);
  const from = applied?.at ?? stage.startedAt;
  if (!from) return null;
  return Math.max(0, stage.bakeSeconds - (now - Date.parse(from)) / 1000);
}

export interface FrameOptions {
  now: number;
  width: number;
  style: Style;
  /** How many recent events to show. */
  events?: number;
}

/** The whole live display, one string per screen line, each cut to the terminal width. */
export function watchFrame(v: WatchView, o: FrameOptions): string[] {
  const st = o.style;
  const s = v.summary;
  const out: string[] = [];
  const feed = v.feed === 'live' ? '' : st.dim(` (${v.feed})`);
  out.push(
    `${st.bold(`rollout ${s.id}`)}  ${s.configKey} v${s.version ?? '?'}  ${stateColor(s.state, st)(s.state)}  ${s.updatedTargets}/${s.totalTargets} targets${feed}`,
  );
  if (s.emergency) out.push(`  ${emergencyMark(s, st, 200)}`);
  if (s.reason) out.push(`  ${st.dim(s.reason)}`);
  if (s.state === 'pending_review') out.push(st.yellow(`  review: ${reviewStatus(s)}, submitted by ${s.submittedBy ?? '-'}`));
  const nameWidth = Math.max(...s.stages.map((x) => x.name.length));
  const barWidth = Math.max(...s.stages.map((x) => progressBar(x.targets, x.targets).length));
  for (const stage of s.stages) {
    const current = stage.name === s.currentStage && !isTerminal(s.state);
    const state = shownStageState(stage, v.events);
    const parts = [
      `${current ? '>' : ' '} ${stage.name.padEnd(nameWidth)}`,
      progressBar(stageDone(s, stage), stage.targets).padEnd(barWidth),
      stateColor(state, st)(state.padEnd(11)),
    ];
    const left = bakeRemaining(stage, v.events, o.now);
    if (left !== null) parts.push(`bake ${duration(left)} left`);
    if (stage.approval && stage.state === 'pending')
      parts.push(st.yellow(s.state === 'awaiting_approval' && current ? 'approval needed' : 'approval gate'));
    const h = v.health[stage.name];
    if (h && (state === 'baking' || state === 'applying' || current)) {
      const health = `health ${h.failed}/${h.total} failing${h.p95LatencyMs !== null ? `, p95 ${Math.round(h.p95LatencyMs)} ms` : ''}`;
      parts.push(h.failed > 0 ? st.red(health) : st.dim(health));
    }
    out.push(parts.join('  ').trimEnd());
  }
  const regression = [...v.events].reverse().find((e) => e.type === 'regression_detected');
  if (regression) {
    out.push(st.red(`regression at ${regression.stage ?? '-'}: ${regression.message}`));
    for (const line of evidence(regression).slice(0, 5)) out.push(st.red(`    ${line}`));
  }
  const recent = v.events.slice(-(o.events ?? 6));
  if (recent.length > 0) out.push(st.dim('recent events:'));
  for (const e of recent) out.push(`  ${st.dim(clockTime(e.at))} ${e.stage ?? '-'} ${e.type} ${e.message}`);
  if (s.state === 'pending_review') out.push(st.dim(`review: tollgate rollout review ${s.id} --approve|--reject`));
  else if (s.allowedActions.length > 0 && !isTerminal(s.state)) {
    out.push(st.dim(`actions: tollgate rollout ${s.allowedActions.join('|')} ${s.id}`));
  }
  return out.map((l) => truncate(l, o.width));
}

/** The last line `watch` prints: how the rollout ended. */
export function finalLine(s: Pick<RolloutSummary, 'id' | 'state' | 'reason' | 'version' | 'configKey'>, st: Style = PLAIN): string {
  return `rollout ${s.id} ${stateColor(s.state, st)(s.state)}${s.reason ? `: ${s.reason}` : ''}`;
}

/* ---------- governance ---------- */

export function scopeText(scope: TargetScope | undefined): string {
  if (!scope) return '-';
  return 'ids' in scope ? `ids ${scope.ids.join(',')}` : `selector ${labelsText(scope.selector)}`;
}

/** active, expired, or revoked (by whom, when): as of `now`, which the caller passes. */
export function tokenStatus(t: Pick<TokenInfo, 'revokedAt' | 'revokedBy' | 'expiresAt'>, now: number): string {
  if (t.revokedAt) return `revoked ${isoSeconds(t.revokedAt)}${t.revokedBy ? ` by ${t.revokedBy}` : ''}`;
  if (t.expiresAt && Date.parse(t.expiresAt) <= now) return 'expired';
  return 'active';
}

export function tokensTable(items: TokenInfo[], now: number, st: Style = PLAIN): string[] {
  if (items.length === 0) return ['no tokens'];
  return table(
    ['ID', 'NAME', 'ROLE', 'TARGETS', 'CREATED', 'BY', 'EXPIRES', 'STATUS'],
    items.map((t) => {
      const status = tokenStatus(t, now);
      return [
        t.id,
        t.name,
        t.role,
        scopeText(t.targets),
        isoSeconds(t.createdAt),
        t.createdBy,
        t.expiresAt ? isoSeconds(t.expiresAt) : 'never',
        status === 'active' ? st.green(status) : st.dim(status),
      ];
    }),
    st,
  );
}

export function principalText(p: Principal): string[] {
  return [
    `name     ${p.name}`,
    `role     ${p.role}`,
    `via      ${p.via === 'token' ? `token ${p.id}` : `single sign-on (${p.id})`}`,
    ...(p.targets ? [`targets  ${scopeText(p.targets)}`] : []),
    ...(p.expiresAt ? [`expires  ${isoSeconds(p.expiresAt)}`] : []),
  ];
}

function statusColor(status: number, st: Style): (s: string) => string {
  if (status >= 500) return st.red;
  if (status >= 400) return st.yellow;
  return st.green;
}

/** The audit log, newest first as the server gives it; emergencies get a column of their own. */
export function auditTable(items: AuditEntry[], st: Style = PLAIN): string[] {
  if (items.length === 0) return ['no audit entries'];
  const anyEmergency = items.some((e) => e.emergency);
  return table(
    ['AT', 'ACTOR', 'ROLE', 'ACTION', 'STATUS', 'CONFIG', 'ROLLOUT', ...(anyEmergency ? ['EMERGENCY'] : [])],
    items.map((e) => [
      isoSeconds(e.at),
      e.actor,
      e.role,
      e.action,
      statusColor(e.status, st)(String(e.status)),
      e.configKey ?? '-',
      e.rolloutId ?? '-',
      ...(anyEmergency ? [e.emergency ? st.red(st.bold('EMERGENCY')) : ''] : []),
    ]),
    st,
  );
}

export function subscriptionsTable(items: Subscription[], st: Style = PLAIN): string[] {
  if (items.length === 0) return ['no subscriptions'];
  return table(
    ['ID', 'FORMAT', 'EVENTS', 'CONFIG KEYS', 'SIGNED', 'URL'],
    items.map((s) => [
      s.id,
      s.format,
      s.events.length === NOTIFICATION_EVENTS.length ? 'all' : s.events.join(','),
      s.configKeys ? s.configKeys.join(',') : 'all',
      s.hasSecret ? 'yes' : 'no',
      truncate(s.url, 60),
    ]),
    st,
  );
}

export function deliveriesTable(items: Delivery[], st: Style = PLAIN): string[] {
  if (items.length === 0) return ['no deliveries yet'];
  return table(
    ['WHEN', 'EVENT', 'ROLLOUT', 'STATUS', 'ATTEMPTS', 'LATENCY', 'LAST ERROR'],
    items.map((d) => [
      isoSeconds(d.lastAttemptAt),
      d.event,
      d.rolloutId,
      d.status,
      String(d.attempts),
      d.latencyMs === null ? '-' : `${Math.round(d.latencyMs)} ms`,
      truncate(d.lastError ?? '', 50),
    ]),
    st,
  );
}

/* ---------- config diff ---------- */

/** `tollgate diff`: the readable operations, then the changed lines with context, as `diff -u`. */
export function configDiffLines(d: ConfigDiff, st: Style): string[] {
  const title = `${d.configKey} ${d.from === 0 ? '(no version)' : `v${d.from}`} → v${d.to}`;
  if (d.identical) return [`${title}: identical`];
  const color = (line: string) =>
    line.startsWith('+') ? st.green(line) : line.startsWith('-') ? st.red(line) : line.startsWith('~') ? st.yellow(line) : line;
  const out = [
    st.bold(`${title}: ${d.stats.operations} operation${d.stats.operations === 1 ? '' : 's'}, +${d.stats.added} −${d.stats.removed} lines`),
    '',
  ];
  out.push(...d.changes.map(color), '');
  out.push(st.dim(`--- ${d.configKey} v${d.from}`), st.dim(`+++ ${d.configKey} v${d.to}`));
  for (const h of d.hunks) {
    out.push(st.cyan(`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`));
    for (const l of h.lines) out.push(l.op === 'add' ? st.green(`+${l.text}`) : l.op === 'del' ? st.red(`-${l.text}`) : ` ${l.text}`);
  }
  if (d.truncated) out.push(st.dim('(cut here: --json gives the whole patch)'));
  return out;
}
