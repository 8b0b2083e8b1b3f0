/**
 * The soak's invariants that read one rollout (tests/soak/soak.test.ts states them all), shared by
 * the drills that run rollouts on other engines (Redis Cluster, the full Temporal server).
 */
import type { RolloutDetail, RolloutEvent } from '../../domain/schemas';

/** Does the event log tell the story the final state tells? Returns what it contradicts. */
export function storyProblems(r: RolloutDetail): string[] {
  const p: string[] = [];
  const ev: RolloutEvent[] = r.events;
  const types = ev.map((e) => e.type);
  ev.forEach((e, i) => e.seq !== i + 1 && p.push(`event #${i} has seq ${e.seq}`));
  if (types[0] !== 'rollout_started') p.push(`starts with ${types[0]}`);
  if (types.at(-1) !== r.state) p.push(`ends with ${types.at(-1)} but the rollout is ${r.state}`);
  const count = (t: string) => types.filter((x) => x === t).length;
  if (r.state === 'completed') {
    if (types.some((t) => t.startsWith('rollback') || t === 'rolled_back')) p.push('completed, yet its log has a rollback');
    const ran = r.stages.filter((s) => s.state === 'completed').length;
    if (count('stage_completed') !== ran || ran + r.stages.filter((s) => s.state === 'skipped').length !== r.stages.length)
      p.push(`completed with ${count('stage_completed')} stage_completed events for ${ran} completed stages`);
    const appliedTo = Math.max(0, ...ev.filter((e) => e.type === 'applied').map((e) => Number(e.detail.to)));
    if (appliedTo !== r.totalTargets) p.push(`completed, but applied events reach ${appliedTo} of ${r.totalTargets}`);
    if (r.updatedTargets !== r.totalTargets) p.push(`completed with updatedTargets ${r.updatedTargets}`);
  } else if (r.state === 'rolled_back') {
    const started = types.indexOf('rollback_started');
    const cause = types.findIndex((t) => t === 'regression_detected' || t === 'rollback_requested');
    if (started < 0 || cause < 0 || cause > started) p.push('rolled back without a recorded cause before rollback_started');
    if (count('rolled_back') !== 1 || count('completed') !== 0) p.push(`rolled back, but its log says ${types.join(' ')}`);
    if (r.updatedTargets !== 0) p.push(`rolled back with updatedTargets ${r.updatedTargets}`);
  } else {
    p.push(`ended ${r.state}: ${r.reason}`);
  }
  return p;
}

/**
 * Events recorded twice under different sequence numbers (a retried write that was not deduplicated):
 * the same type, stage, message and detail more than once.
 */
export function duplicateEvents(r: RolloutDetail): string[] {
  const seen = new Map<string, number>();
  const dups: string[] = [];
  for (const e of r.events) {
    const key = JSON.stringify([e.type, e.stage, e.message, e.detail]);
    const first = seen.get(key);
    if (first !== undefined) dups.push(`event #${e.seq} repeats #${first} (${e.type})`);
    else seen.set(key, e.seq);
  }
  return dups;
}
