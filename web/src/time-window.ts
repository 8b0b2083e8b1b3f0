/**
 * The time window a health chart shows. uPlot widens a time axis with a single point by a day
 * of its own units (86 400 / ms: with times in seconds, a thousand days), so one sample drew an
 * axis over three years. The window is taken from the samples themselves instead, never narrower
 * than a few probe intervals, centred on what there is.
 */

/** Narrowest window, in probe intervals, and never under this many seconds. */
const MIN_INTERVALS = 6;
const MIN_SECONDS = 60;

/** `[from, to]` in seconds for sample times `xs` (seconds, ascending); nulls when there are none. */
export function timeWindow(xs: ArrayLike<number>, intervalSeconds: number): [number | null, number | null] {
  if (xs.length === 0) return [null, null];
  const first = xs[0]!;
  const last = xs[xs.length - 1]!;
  const narrowest = Math.max(MIN_SECONDS, intervalSeconds * MIN_INTERVALS);
  if (last - first >= narrowest) return [first, last];
  const middle = (first + last) / 2;
  return [middle - narrowest / 2, middle + narrowest / 2];
}
