/**
 * Freeze windows: whether a key is frozen at an instant, until when, and when that next changes.
 * Pure: the clock is an argument. No Node built-ins, so workflow code can import it (the sandbox
 * has Intl); the cron patterns are matched by croner.
 *
 * A recurring window is wall-clock time in its zone: `0 16 * * 5` for 3840 minutes is Friday 16:00
 * to Monday 08:00 on the clocks of that zone, whatever daylight saving does in between. Cron is
 * matched on the wall clock as if it never changed, and each wall-clock time is then placed:
 * - a time that does not exist (spring forward, 02:30 on the night 02:00 becomes 03:00) is the
 *   instant the clocks jump (03:00), for the start and the end alike, so a window that lies wholly
 *   in the skipped hour is empty that night;
 * - a time that happens twice (fall back, 02:30 on the night 03:00 becomes 02:00) starts a window
 *   at its first occurrence and ends one at its second, so the window covers all of it.
 * Windows that overlap or touch are one freeze, which ends when the last of them ends.
 *
 * Zone rules come from the runtime's ICU data: replayed on a Node whose data changed a zone's rules,
 * workflow code calling this could decide differently. Asking through a local activity records the
 * answer in the history instead.
 */
import { Cron } from 'croner';
import type { AbsoluteFreezeWindow, FreezeWindow, RecurringFreezeWindow } from './policy';

export interface ActiveFreeze {
  /** The window that holds now, of those that do the one that ends last (the first listed on a tie). */
  window: FreezeWindow;
  reason: string;
  /** When the freeze ends: the end of the last window that overlaps or touches the one holding now. */
  endsAt: Date;
}

/** `null` when no window holds at `now`. */
export function activeFreeze(windows: readonly FreezeWindow[], now: Date): ActiveFreeze | null {
  const at = now.getTime();
  let holding: { window: FreezeWindow; end: number } | null = null;
  for (const window of windows) {
    const occurrence = latestStartingBy(window, at);
    if (occurrence && occurrence.end > at && (!holding || occurrence.end > holding.end)) holding = { window, end: occurrence.end };
  }
  if (!holding) return null;
  return { window: holding.window, reason: holding.window.reason, endsAt: new Date(mergedEnd(windows, holding.end)) };
}

/**
 * When `activeFreeze` next turns from null to a freeze or back: the end of the freeze holding now,
 * else the next instant a window starts. `null` when no window will ever start again. A workflow
 * sleeps until then and asks again.
 */
export function nextFreezeChange(windows: readonly FreezeWindow[], now: Date): Date | null {
  const active = activeFreeze(windows, now);
  if (active) return active.endsAt;
  const at = now.getTime();
  let soonest: number | null = null;
  for (const window of windows) {
    const start = nextStartAfter(window, at);
    if (start !== null && (soonest === null || start < soonest)) soonest = start;
  }
  return soonest === null ? null : new Date(soonest);
}

/**
 * A chain of windows that each start before the previous one ends (a cron every hour for two
 * hours) can go on for ever; the merge stops after this many steps and reports that end. Asking
 * again then gives the rest.
 */
export const MAX_MERGED_WINDOWS = 200;

function mergedEnd(windows: readonly FreezeWindow[], end: number): number {
  for (let step = 0; step < MAX_MERGED_WINDOWS; step++) {
    let extended = end;
    for (const window of windows) {
      // `<=`: a window that starts exactly when the freeze ends touches it and continues it.
      const occurrence = latestStartingBy(window, end);
      if (occurrence && occurrence.end > extended) extended = occurrence.end;
    }
    if (extended === end) return end;
    end = extended;
  }
  return end;
}

/* ---------- one window's occurrences ---------- */

interface Occurrence {
  /** Epoch milliseconds; start inclusive, end exclusive. */
  start: number;
  end: number;
}

function isRecurring(window: FreezeWindow): window is RecurringFreezeWindow {
  return 'cron' in window;
}

/**
 * The occurrence with the latest start at or before `at`, if any. Its end is the latest of all the
 * occurrences that start by then: ends grow with starts, both being the same wall-clock shift.
 */
function latestStartingBy(window: FreezeWindow, at: number): Occurrence | null {
  if (!isRecurring(window)) {
    const occurrence = absolute(window);
    return occurrence.start <= at ? occurrence : null;
  }
  const schedule = compiled(window.cron);
  const wallNow = wallClock(at, window.timezone);
  // Outside a repeated hour, a start is by `at` exactly when its wall-clock time is by `at`'s.
  const byNow = previousWallStart(schedule, wallNow + 1);
  let latest = byNow === null ? null : place(window, byNow);
  // Inside one, later wall-clock times may have started already, in the hour's first pass.
  let next = nextWallStart(schedule, byNow ?? wallNow);
  for (let steps = 0; next !== null && steps < MAX_SCAN_STEPS; steps++) {
    const occurrence = place(window, next);
    if (occurrence.start > at) break;
    latest = occurrence;
    next = nextWallStart(schedule, next);
  }
  return latest;
}

/** The start of the first non-empty occurrence after `at`, if any. */
function nextStartAfter(window: FreezeWindow, at: number): number | null {
  if (!isRecurring(window)) {
    const occurrence = absolute(window);
    return occurrence.start > at ? occurrence.start : null;
  }
  const schedule = compiled(window.cron);
  // Wall-clock times by `at`'s started by `at`; later ones may have too (a repeated hour's first
  // pass), and some are empty (wholly inside a skipped hour): both are passed over.
  let wall = nextWallStart(schedule, wallClock(at, window.timezone));
  for (let steps = 0; wall !== null && steps < MAX_SCAN_STEPS; steps++) {
    const occurrence = place(window, wall);
    if (occurrence.start > at && occurrence.end > occurrence.start) return occurrence.start;
    wall = nextWallStart(schedule, wall);
  }
  return null;
}

function absolute(window: AbsoluteFreezeWindow): Occurrence {
  return { start: Date.parse(window.from), end: Date.parse(window.to) };
}

/** The instants of the occurrence that starts at wall-clock time `wallStart` (see the module comment). */
function place(window: RecurringFreezeWindow, wallStart: number): Occurrence {
  const zone = window.timezone;
  const start = instantsOf(wallStart, zone);
  const end = instantsOf(wallStart + window.durationMinutes * MINUTE_MS, zone);
  return { start: start.earliest, end: Math.max(start.earliest, end.latest) };
}

/* ---------- cron on the wall clock ---------- */

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/**
 * Enough to walk a repeated or skipped hour minute by minute, with room: no daylight-saving shift
 * is longer than two hours (Antarctica/Troll).
 */
const MAX_SCAN_STEPS = (3 * HOUR_MS) / MINUTE_MS;

/*
 * Wall-clock times are kept as "wall milliseconds": the epoch milliseconds the same calendar
 * date and clock reading would have in UTC. Croner with a zero UTC offset then matches a pattern
 * against the wall clock, with no daylight saving in its way.
 */
const schedules = new Map<string, Cron>();

function compiled(pattern: string): Cron {
  let schedule = schedules.get(pattern);
  if (!schedule) {
    schedule = new Cron(pattern, { utcOffset: 0, mode: '5-part' });
    schedules.set(pattern, schedule);
  }
  return schedule;
}

/** The latest wall-clock start strictly before `wall`. Croner drops milliseconds; starts are whole minutes. */
function previousWallStart(schedule: Cron, wall: number): number | null {
  const [run] = schedule.previousRuns(1, new Date(Math.ceil(wall / 1000) * 1000));
  return run ? run.getTime() : null;
}

/** The earliest wall-clock start strictly after `wall`. */
function nextWallStart(schedule: Cron, wall: number): number | null {
  const run = schedule.nextRun(new Date(Math.floor(wall / 1000) * 1000));
  return run ? run.getTime() : null;
}

/** Why a cron pattern cannot be a freeze window's, or null when it can. */
export function cronProblem(pattern: string): string | null {
  let schedule: Cron;
  try {
    schedule = new Cron(pattern, { utcOffset: 0, mode: '5-part' });
  } catch (err) {
    return `not a five-field cron pattern (minute hour day-of-month month day-of-week): ${err instanceof Error ? err.message : String(err)}`;
  }
  // 30 February parses, and never comes.
  return schedule.nextRun(new Date(0)) === null ? 'the pattern never matches a date' : null;
}

/* ---------- time zones ---------- */

const formats = new Map<string, Intl.DateTimeFormat>();

function format(zone: string): Intl.DateTimeFormat {
  let fmt = formats.get(zone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(zone, fmt);
  }
  return fmt;
}

/** Why a string is not an IANA time zone this runtime knows, or null when it is one. */
export function timeZoneProblem(zone: string): string | null {
  // Intl also takes offsets ("+01:00") in some runtimes: a window follows a named zone's rules.
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(zone)) return 'must be an IANA time zone name, such as Europe/Amsterdam';
  try {
    format(zone);
    return null;
  } catch {
    return `unknown time zone "${zone}"`;
  }
}

/** The wall clock of `zone` at an instant, in wall milliseconds. */
function wallClock(at: number, zone: string): number {
  const parts: Record<string, number> = {};
  for (const part of format(zone).formatToParts(new Date(at))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const wholeSeconds = Date.UTC(
    parts.year ?? 0,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return wholeSeconds + (((at % 1000) + 1000) % 1000);
}

function offsetAt(at: number, zone: string): number {
  return wallClock(at, zone) - at;
}

/**
 * The instants at which `zone`'s clocks read `wall`: one; two (earliest and latest) in a repeated
 * hour; none in a skipped hour, where both are the instant the clocks jump over it.
 */
function instantsOf(wall: number, zone: string): { earliest: number; latest: number } {
  // Any offset the zone has near this time is its offset a day before or a day after; each
  // candidate instant is a true reading of `wall` when the zone has that offset then.
  const offsets = new Set([offsetAt(wall - DAY_MS, zone), offsetAt(wall + DAY_MS, zone)]);
  const readings = [...offsets].map((offset) => wall - offset).filter((at) => wallClock(at, zone) === wall);
  if (readings.length > 0) return { earliest: Math.min(...readings), latest: Math.max(...readings) };
  const jump = firstInstantReadingAfter(wall, zone, wall - Math.max(...offsets), wall - Math.min(...offsets));
  return { earliest: jump, latest: jump };
}

/** The first instant in [low, high] whose wall clock reads later than `wall`: the end of a skipped hour. */
function firstInstantReadingAfter(wall: number, zone: string, low: number, high: number): number {
  // Clocks change on whole seconds, so the search ends at one.
  let lo = Math.floor(low / 1000) * 1000;
  let hi = Math.ceil(high / 1000) * 1000;
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (wallClock(mid, zone) > wall) hi = mid;
    else lo = mid;
  }
  return hi;
}
