/**
 * Workflow changes that would alter the commands of a rollout already in flight, by id: each is
 * asked with `patched()` where the change is. Kept until no run started before the change can
 * still be open (then `deprecatePatch`). tests/replay replays histories recorded before each.
 */
export const Patch = {
  /** A failed rollout sends an alert (an activity) and records an `alert` event. */
  alertOnFailure: 'alert-on-failure',
  /** A bake does not count the time a probe was stuck (an outage): time without health data is not bake time. */
  bakeCountsObservedTime: 'bake-counts-observed-time',
  /** A regression found at the very end of a bake stops the run there, before the stage completes. */
  stopAtRegression: 'stop-at-regression',
  /**
   * A bake ends only on a settled verdict: while its latest interval is unhealthy (or
   * inconclusive) it keeps probing until the run of bad intervals breaks or reaches the threshold.
   * Without it a short bake with one bad interval under a threshold of two passed the stage, and
   * the next stage started a fresh count.
   */
  bakeEndsSettled: 'bake-ends-settled',
  /**
   * Before each stage, a freeze-check activity: while a freeze window of the rollout's policy or
   * stop-the-line holds the key, the rollout holds there (paused, reason `frozen…`), still probing.
   */
  freezeGate: 'freeze-gate',
  /**
   * Before the first stage of a wave, every target of the earlier waves must have confirmed the
   * new version (an activity reads their reports), not only have baked.
   */
  waveGate: 'wave-gate',
  /** Apply batches of APPLY_BATCH_SIZE (2,000) targets instead of 250: fewer activities per stage. */
  largerApplyBatches: 'larger-apply-batches',
  /** A health sample taken before a human resumed is dropped when it arrives after the resume. */
  sampleAcrossResume: 'sample-across-resume',
} as const;
