/**
 * What a batch of newly recorded rollout events means for the metrics: counts, stage durations,
 * time to detect and time to safety. Pure: the recordProgress activity feeds it the events Redis
 * did not have yet and the summary as it stands after them, and turns the answer into observations.
 *
 * Definitions (docs/observability.md):
 * - time to detect: from the first stage starting to apply (the change's first exposure) to a
 *   `regression_detected` event;
 * - time to safety: from the last `regression_detected` or `rollback_requested` before a
 *   `rolled_back` event (or its `rollback_started`, when neither exists) to that `rolled_back`.
 */
import type { RolloutEvent, RolloutSummary } from './schemas';

export type RegressionSource = 'apply' | 'health' | 'analysis' | 'other';
export type SafetyTrigger = 'regression' | 'human';
export type FinishedOutcome = 'completed' | 'rolled_back' | 'failed' | 'rejected';

export interface RolloutObservations {
  eventTypes: RolloutEvent['type'][];
  started: number;
  finished: FinishedOutcome[];
  regressions: { source: RegressionSource; detectSeconds: number | null }[];
  stageSeconds: number[];
  safety: { trigger: SafetyTrigger; seconds: number }[];
}

const FINISHED: ReadonlySet<string> = new Set<FinishedOutcome>(['completed', 'rolled_back', 'failed', 'rejected']);
const SOURCES: ReadonlySet<string> = new Set<RegressionSource>(['apply', 'health', 'analysis']);

function seconds(from: string | null | undefined, to: string): number | null {
  if (!from) return null;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : null;
}

/** When the change first reached a target: the earliest stage start. */
export function firstExposure(summary: Pick<RolloutSummary, 'stages'>): string | null {
  const starts = summary.stages.flatMap((stage) => (stage.startedAt ? [stage.startedAt] : []));
  return starts.length === 0 ? null : starts.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b));
}

/** Whether measuring this batch needs the rollout's earlier events (a rollback finished in it). */
export function needsHistory(fresh: readonly RolloutEvent[]): boolean {
  return fresh.some((event) => event.type === 'rolled_back');
}

/**
 * @param fresh the events recorded for the first time, in order
 * @param summary the summary after them
 * @param history the rollout's events up to the fresh ones (may include them); needed only when
 *   `needsHistory(fresh)`, to find what a rollback that finished now was started by
 */
export function observeRollout(
  fresh: readonly RolloutEvent[],
  summary: Pick<RolloutSummary, 'stages'>,
  history: readonly RolloutEvent[] = [],
): RolloutObservations {
  const out: RolloutObservations = { eventTypes: [], started: 0, finished: [], regressions: [], stageSeconds: [], safety: [] };
  const all = new Map<number, RolloutEvent>();
  for (const event of [...history, ...fresh]) all.set(event.seq, event);
  const ordered = [...all.values()].sort((a, b) => a.seq - b.seq);
  for (const event of fresh) {
    out.eventTypes.push(event.type);
    if (event.type === 'rollout_started') out.started += 1;
    if (FINISHED.has(event.type)) out.finished.push(event.type as FinishedOutcome);
    if (event.type === 'regression_detected') {
      const source = typeof event.detail.source === 'string' ? event.detail.source : '';
      out.regressions.push({
        source: SOURCES.has(source) ? (source as RegressionSource) : 'other',
        detectSeconds: seconds(firstExposure(summary), event.at),
      });
    }
    if (event.type === 'stage_completed') {
      const stage = summary.stages.find((st) => st.name === event.stage);
      const s = seconds(stage?.startedAt, stage?.finishedAt ?? event.at);
      if (s !== null) out.stageSeconds.push(s);
    }
    if (event.type === 'rolled_back') {
      const before = ordered.filter((e) => e.seq < event.seq).reverse();
      const trigger = before.find((e) => e.type === 'regression_detected' || e.type === 'rollback_requested');
      const start = trigger ?? before.find((e) => e.type === 'rollback_started');
      const s = seconds(start?.at, event.at);
      if (s !== null) out.safety.push({ trigger: trigger?.type === 'rollback_requested' ? 'human' : 'regression', seconds: s });
    }
  }
  return out;
}
