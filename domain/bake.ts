/**
 * The bake clock and the watch around it: when a watch (bake, approval gate, hold) is over, when a
 * bake's verdict is settled, how long to wait before the next probe, and how much bake time one
 * turn of the loop counts. Pure and import-free: every clock reading is an argument, so the
 * workflow passes Temporal's clock and the tests pass numbers.
 */

/** What the rollout is watching while it probes: a stage's bake, an approval gate, or a hold (pause, freeze). */
export type WatchKind = 'bake' | 'gate' | 'hold';

/** The runs of evidence a bake's verdict is made of. */
export interface VerdictRuns {
  /** Consecutive unhealthy intervals. */
  streak: number;
  /** Consecutive inconclusive intervals (health.compareToBaseline only). */
  inconclusive?: number | undefined;
  /** Targets that had not confirmed the new version at the last probe. */
  pending?: number | undefined;
}

/**
 * No run of unhealthy or inconclusive intervals is under way, and every target that reports its
 * version has shown the new one: the last interval is a verdict, not the middle of one.
 */
export function verdictSettled(runs: VerdictRuns): boolean {
  return runs.streak === 0 && (runs.inconclusive ?? 0) === 0 && (runs.pending ?? 0) === 0;
}

/** Whether the bake time of a stage has run out (time is counted only while the rollout runs). */
export function bakeTimeUp(bakeRemainingMs: number): boolean {
  return bakeRemainingMs <= 0;
}

export interface WatchInput {
  kind: WatchKind;
  /** The rollout's state is `running` (not paused, not at a gate). */
  running: boolean;
  /** The approval gate has not been passed yet. */
  awaitingApproval: boolean;
  bakeRemainingMs: number;
  /** At least one probe ran in this watch: a bake never ends without a look at the health. */
  probed: boolean;
}

/**
 * `over`: the watch ends now. `judge`: the bake time has run out and the stage's verdict decides
 * (settled health, or canary analysis). `watch`: probe again.
 */
export type WatchStep = 'over' | 'judge' | 'watch';

export function watchStep(w: WatchInput): WatchStep {
  if (!w.running) return 'watch';
  switch (w.kind) {
    case 'bake':
      return bakeTimeUp(w.bakeRemainingMs) && w.probed ? 'judge' : 'watch';
    case 'gate':
      return w.awaitingApproval ? 'watch' : 'over';
    case 'hold':
      return 'over';
  }
}

export interface ProbeWaitInput {
  intervalMs: number;
  /** Time since this turn of the loop started (the probe included). */
  elapsedMs: number;
  /**
   * Bake time left when the bake clock runs this turn; null when it does not (a gate, a hold, or a
   * bake past its time waiting for a settled verdict), which probes at the plain interval.
   */
  bakeRemainingMs: number | null;
}

/**
 * How long to wait before the next probe: the rest of the interval, cut short at the end of the
 * bake so that the stage ends on time. Zero or less: probe at once.
 */
export function probeWaitMs(p: ProbeWaitInput): number {
  const turn = p.bakeRemainingMs === null ? p.intervalMs : Math.min(p.intervalMs, p.bakeRemainingMs);
  return turn - p.elapsedMs;
}

export interface BakedInput {
  /** Time since this turn of the loop started: the probe and the wait after it. */
  elapsedMs: number;
  /** How long the probe itself took. */
  probeMs: number;
  intervalMs: number;
  /** The probe's own budget per target (health.timeoutMs). */
  probeTimeoutMs: number;
}

/**
 * Bake time one turn counts: its elapsed time less the time a probe spent stuck beyond its own
 * budget (an interval, or the probe timeout if longer): behind an outage (Redis, say) nothing was
 * observed, and time without health data is not bake time.
 */
export function bakedMs(b: BakedInput): number {
  const stuck = Math.max(0, b.probeMs - Math.max(b.intervalMs, b.probeTimeoutMs));
  return b.elapsedMs - stuck;
}

/** The health interval in milliseconds: how often a watch probes. */
export function probeIntervalMs(health: { intervalSeconds: number }): number {
  return health.intervalSeconds * 1000;
}

/** A stage's bake time in milliseconds, as its clock starts. */
export function stageBakeMs(bakeSeconds: number): number {
  return bakeSeconds * 1000;
}

/** The bake clock runs this turn: the watch is a bake, and the rollout runs (a pause or a gate stops the clock). */
export function bakeClockRuns(kind: WatchKind, running: boolean): boolean {
  return kind === 'bake' && running;
}

/** Some target carries the new version: there is health to probe. */
export function newVersionLive(appliedUpTo: number): boolean {
  return appliedUpTo > 0;
}

/**
 * A bake judged by health thresholds, its time run out: it ends on a settled verdict. Runs from
 * before `bake-ends-settled` end whatever the verdict. `endsSettled` asks that patch, and is asked
 * only when the verdict is not settled: a patch check is recorded in history, so when it is asked
 * must not change.
 */
export function bakeEndsNow(runs: VerdictRuns, endsSettled: () => boolean): boolean {
  return verdictSettled(runs) || !endsSettled();
}

export interface OvertimeInput {
  /** The bake clock ran this turn (bakeClockRuns). */
  baking: boolean;
  bakeRemainingMs: number;
  /** Canary analysis judges the stage. */
  analyzed: boolean;
  runs: VerdictRuns;
}

/**
 * A bake past its time: under analysis it waits for a verdict that allows promotion; by health
 * thresholds it waits for a settled verdict (runs since `bake-ends-settled`; `endsSettled` is asked
 * only then, as in bakeEndsNow). Overtime probes at the plain interval.
 */
export function bakeOvertime(o: OvertimeInput, endsSettled: () => boolean): boolean {
  return o.baking && bakeTimeUp(o.bakeRemainingMs) && (o.analyzed || (!verdictSettled(o.runs) && endsSettled()));
}

export interface WatchWaitInput {
  /** The new version is live (newVersionLive): the watch probed this turn. */
  live: boolean;
  /** The bake clock ran this turn. */
  baking: boolean;
  /** The bake is past its time (bakeOvertime). */
  overtime: boolean;
  intervalMs: number;
  /** Time since this turn started (the probe included). */
  elapsedMs: number;
  bakeRemainingMs: number;
}

/**
 * What a watch waits for after its probe: with nothing live and no bake clock there is nothing to
 * probe, so only a human's nudge; otherwise the rest of the interval (cut at the end of a bake that
 * is not in overtime), or nothing when the turn already took that long. A human's nudge always
 * ends a wait early.
 */
export type WatchWait = { kind: 'until_nudged' } | { kind: 'timer'; ms: number } | { kind: 'none' };

export function watchWait(w: WatchWaitInput): WatchWait {
  if (!w.live && !w.baking) return { kind: 'until_nudged' };
  const ms = probeWaitMs({
    intervalMs: w.intervalMs,
    elapsedMs: w.elapsedMs,
    bakeRemainingMs: w.baking && !w.overtime ? w.bakeRemainingMs : null,
  });
  return ms > 0 ? { kind: 'timer', ms } : { kind: 'none' };
}

export interface BakeTurnInput extends BakedInput {
  bakeRemainingMs: number;
  /** The bake clock ran when the turn started (bakeClockRuns). */
  baking: boolean;
  /** The rollout still runs at the end of the turn: a turn that ends paused counts nothing. */
  runningNow: boolean;
}

/**
 * The bake time left after one turn of the watch. Runs since `bake-counts-observed-time` count only
 * observed time (bakedMs); runs from before count the whole turn. `countsObservedTime` asks that
 * patch, and is asked only when the turn counts at all, as it always was.
 */
export function bakeLeftAfterTurn(t: BakeTurnInput, countsObservedTime: () => boolean): number {
  if (!t.baking || !t.runningNow) return t.bakeRemainingMs;
  return t.bakeRemainingMs - (countsObservedTime() ? bakedMs(t) : t.elapsedMs);
}
