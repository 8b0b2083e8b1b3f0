/**
 * What holds a config key now: stop-the-line (live state a human sets with `POST /v1/freeze`) and
 * the freeze windows of a policy (evaluated by domain/freeze.ts). Pure: the clock and the
 * stop-the-line records are arguments, so the API and the freeze-check activity decide alike.
 */
import { activeFreeze, nextFreezeChange } from './freeze';
import { isFrozenHold, type RolloutState } from './lifecycle';
import type { FreezeHold, FreezeWindow, StopTheLine } from './policy';

/** The scope of a stop-the-line for every key; `*` cannot be a config key. */
export const ALL_KEYS = '*';

export interface FreezeCheck {
  /** Every freeze that holds now, stop-the-line first. */
  holds: FreezeHold[];
  /** When the windows' answer next changes (a window ends or starts); null: never. Stop-the-line has no end. */
  nextChangeAt: string | null;
}

/**
 * The freezes that hold `configKey` at `now`. Each has an id that stays the same while that freeze
 * lasts, so that an override given for it covers it and nothing that comes later.
 */
export function freezeHolds(configKey: string, stops: readonly StopTheLine[], windows: readonly FreezeWindow[], now: Date): FreezeCheck {
  const holds: FreezeHold[] = stops
    .filter((stop) => stop.scope === ALL_KEYS || stop.scope === configKey)
    .map((stop) => ({
      source: 'stop_the_line' as const,
      id: `stop:${stop.scope}:${stop.at}`,
      reason: stop.reason,
      endsAt: null,
      by: stop.by,
      scope: stop.scope,
    }));
  const active = activeFreeze(windows, now);
  if (active) {
    const endsAt = active.endsAt.toISOString();
    holds.push({ source: 'window', id: `window:${endsAt}`, reason: active.reason, endsAt, window: active.window });
  }
  const next = nextFreezeChange(windows, now);
  return { holds, nextChangeAt: next ? next.toISOString() : null };
}

/** The holds an override does not cover: those that were not holding when it was given. */
export function uncoveredHolds(holds: readonly FreezeHold[], overridden: readonly string[]): FreezeHold[] {
  return holds.filter((hold) => !overridden.includes(hold.id));
}

/** `stop-the-line by alice: incident 4711 (until lifted)`, `freeze window "year-end" until 2027-01-04T07:00:00.000Z`. */
export function describeHold(hold: FreezeHold): string {
  if (hold.source === 'stop_the_line') {
    const which = hold.scope === ALL_KEYS ? 'stop-the-line for every key' : 'stop-the-line';
    return `${which} by ${hold.by ?? 'unknown'}: ${hold.reason} (until lifted)`;
  }
  return `freeze window "${hold.reason}" until ${hold.endsAt}`;
}

/** One line for a refusal or a hold: every freeze that holds, `; `-separated. */
export function describeHolds(holds: readonly FreezeHold[]): string {
  return holds.map(describeHold).join('; ');
}

/**
 * A freeze is checked again at least this often while it holds (and at the interval, and when a
 * window ends), so that a clock between worker and server a little apart does not spin the check.
 */
export const FREEZE_RECHECK_MIN_MS = 100;

/** The same freezes (by id, in order): a change of holds is announced, the same holds are not again. */
export function sameHolds(a: readonly { id: string }[], b: readonly { id: string }[]): boolean {
  return a.map((hold) => hold.id).join(',') === b.map((hold) => hold.id).join(',');
}

export interface FreezeRecheckInput {
  nowMs: number;
  /** When this turn of the freeze gate started (before its check). */
  turnStartedMs: number;
  /** The health interval: the gate probes, and looks again, this often. */
  intervalMs: number;
  /** When the windows' answer next changes (FreezeCheck.nextChangeAt). */
  nextChangeAt: string | null;
}

/**
 * How long a frozen rollout waits before it checks again: the rest of the health interval, or
 * less when a window ends (or starts) sooner, never less than FREEZE_RECHECK_MIN_MS.
 */
export function freezeRecheckMs(f: FreezeRecheckInput): number {
  const untilChange = f.nextChangeAt === null ? Infinity : Date.parse(f.nextChangeAt) - f.nowMs;
  return Math.max(FREEZE_RECHECK_MIN_MS, Math.min(f.intervalMs - (f.nowMs - f.turnStartedMs), untilChange));
}

/** What holds the rollout before its stage as it stands: the freezes last announced, who paused it and why. */
export interface FreezeStanding {
  /** Ids of the freezes an admin's override let the rollout through. */
  overridden: readonly string[];
  /** The holds last announced (the judgement's freezeHolds). */
  announced: readonly FreezeHold[];
  state: RolloutState;
  reason: string | null;
}

/**
 * One check of the freeze gate. `clear`: nothing holds and nothing did, go on. `lifted`: the holds
 * announced are gone; `announce` when the freezes themselves lifted (gone through by an override,
 * a freeze still holds: that is no "unfrozen"), `resumes` when the rollout was paused by the freeze
 * alone. `held`: the rollout waits; `announce` when the holds changed, and then `pauses` unless a
 * human (or a regression held for one) paused it already.
 */
export type FreezeGateStep =
  | { kind: 'clear' }
  | { kind: 'lifted'; announce: boolean; resumes: boolean }
  | { kind: 'held'; holds: FreezeHold[]; announce: boolean; pauses: boolean };

export function freezeGateStep(checked: readonly FreezeHold[], standing: FreezeStanding): FreezeGateStep {
  const holds = uncoveredHolds(checked, standing.overridden);
  if (holds.length === 0) {
    if (standing.announced.length === 0) return { kind: 'clear' };
    return { kind: 'lifted', announce: checked.length === 0, resumes: isFrozenHold(standing.state, standing.reason) };
  }
  const announce = !sameHolds(holds, standing.announced);
  return {
    kind: 'held',
    holds,
    announce,
    pauses: announce && (standing.state === 'running' || isFrozenHold(standing.state, standing.reason)),
  };
}

/** An admin's override covers the freezes that hold now, added to those it covered before (later ones still hold). */
export function overriddenAfter(overridden: readonly string[], holds: readonly FreezeHold[]): string[] {
  return [...overridden, ...holds.map((hold) => hold.id)];
}
