/**
 * Waves: which targets each stage of a rollout covers when the key's policy orders its fleet in
 * waves (`[{env: staging}, {env: prod, region: eu}, {env: prod}]`), and the rules a rollout's
 * stages and targets must meet for that. Pure and import-free at run time (the workflow bundle
 * runs it), tested by table.
 *
 * The plan keeps the model of planning.ts: one ordered list of target ids, and cumulative counts,
 * stage i covering plan indexes [0, stageTargets[i]). Every target of a wave comes before every
 * target of a later wave, and each wave's stages end at 100% of the wave, so no stage touches a
 * target of a later wave before the earlier waves are whole and have baked.
 *
 * A target belongs to the first wave whose selector it matches. A target no wave selects is
 * refused (rule `waves`), not put in some wave: the policy says in which order the fleet may
 * change, and a target it does not place has no safe place. A catch-all last wave (selector {})
 * takes "everything else" when that is what the policy means.
 */
import type { PolicyViolation, Wave } from './policy';
import { stageTargetCounts } from './planning';
import type { Labels, Stage, Target } from './schemas';

export type WaveTarget = Pick<Target, 'id' | 'labels'>;
export type WaveStage = Pick<Stage, 'name' | 'percent'> & { wave?: string | undefined };

export interface PlannedStage {
  name: string;
  /** The wave this stage covers; null under a policy without waves. */
  wave: string | null;
  /** The targets this stage adds, in the order they are applied (empty: the stage is skipped). */
  targets: string[];
}

export interface RolloutPlan {
  /** Every target, in the order the rollout updates them. */
  order: string[];
  /** Cumulative: stage i covers order[0 .. stageTargets[i]). */
  stageTargets: number[];
  stages: PlannedStage[];
}

export type PlanResult = { ok: true; plan: RolloutPlan } | { ok: false; violations: PolicyViolation[] };

/** A selector selects a target that has every one of its labels; the empty selector selects all. */
export function selects(selector: Labels, labels: Labels): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

export interface WaveAssignment {
  /** Per policy wave, its targets' ids in the order given. */
  byWave: string[][];
  /** Ids of targets no wave selects, in the order given. */
  outside: string[];
}

/** Puts each target in the first wave that selects it, keeping the given order within each wave. */
export function assignWaves(targets: readonly WaveTarget[], waves: readonly Wave[]): WaveAssignment {
  const byWave = waves.map((): string[] => []);
  const outside: string[] = [];
  for (const target of targets) {
    const index = waves.findIndex((wave) => selects(wave.selector, target.labels));
    if (index < 0) outside.push(target.id);
    else byWave[index]!.push(target.id);
  }
  return { byWave, outside };
}

/**
 * What is wrong with a rollout's stages under the policy's waves, before any target is known:
 * every stage names a wave of the policy (or none does, under a policy without waves), the waves
 * come in the policy's order, and each wave's last stage is 100. The request schema holds the last
 * already (domain/schemas.ts `Stages`); it is checked again because the order of waves rests on it.
 */
export function stageWaveViolations(stages: readonly WaveStage[], waves: readonly Wave[]): PolicyViolation[] {
  const violations: PolicyViolation[] = [];
  const waved = stages.filter((stage) => stage.wave !== undefined);
  if (waves.length === 0) {
    for (const stage of waved) {
      violations.push(violation(`stage "${stage.name}" names wave "${stage.wave}", but the policy defines no waves`));
    }
    return violations;
  }
  const names = waves.map((wave) => wave.name);
  if (waved.length < stages.length) {
    violations.push(
      violation(`the policy rolls out in waves (${names.map((name) => `"${name}"`).join(', ')}): every stage must name the wave it covers`),
    );
  }
  let previous = -1;
  for (const stage of waved) {
    const index = names.indexOf(stage.wave!);
    if (index < 0) {
      violations.push(violation(`stage "${stage.name}" names wave "${stage.wave}", which the policy does not define`));
    } else if (index < previous) {
      violations.push(
        violation(`stage "${stage.name}" covers wave "${stage.wave}" after wave "${names[previous]}": the policy orders it before`),
      );
    } else {
      previous = index;
    }
  }
  stages.forEach((stage, i) => {
    if (stage.wave !== undefined && stages[i + 1]?.wave !== stage.wave && stage.percent !== 100) {
      violations.push(
        violation(
          `stage "${stage.name}" is the last of wave "${stage.wave}" and covers ${stage.percent}% of it: a wave must be whole before the next starts`,
        ),
      );
    }
  });
  return violations;
}

/** At most this many target ids are named in one message; the count says the rest. */
export const MAX_IDS_IN_MESSAGE = 5;

/** What is wrong once the targets are known: targets outside every wave, waves with targets and no stage. */
export function targetWaveViolations(assignment: WaveAssignment, stages: readonly WaveStage[], waves: readonly Wave[]): PolicyViolation[] {
  const violations: PolicyViolation[] = [];
  if (waves.length === 0) return violations;
  if (assignment.outside.length > 0) {
    violations.push(
      violation(
        `${describeIds(assignment.outside)} ${assignment.outside.length === 1 ? 'is' : 'are'} in no wave of the policy: no wave's selector matches`,
      ),
    );
  }
  // Stages that name no wave at all are one violation already (stageWaveViolations), not one per wave.
  if (!stages.some((stage) => stage.wave !== undefined)) return violations;
  waves.forEach((wave, i) => {
    const count = assignment.byWave[i]!.length;
    if (count > 0 && !stages.some((stage) => stage.wave === wave.name)) {
      violations.push(violation(`wave "${wave.name}" has ${count} of the rollout's targets, but no stage covers it`));
    }
  });
  return violations;
}

/**
 * The resolved plan: which targets each stage adds. `targets` come in the order the rollout would
 * update them without waves (stableOrder), and keep it within each wave. Any violation of the
 * waves rules means no plan.
 */
export function planRollout(targets: readonly WaveTarget[], waves: readonly Wave[], stages: readonly WaveStage[]): PlanResult {
  if (waves.length === 0) {
    const violations = stageWaveViolations(stages, waves);
    if (violations.length > 0) return { ok: false, violations };
    const order = targets.map((target) => target.id);
    return {
      ok: true,
      plan: toPlan(
        order,
        stageTargetCounts(
          order.length,
          stages.map((stage) => stage.percent),
        ),
        stages,
      ),
    };
  }
  const assignment = assignWaves(targets, waves);
  const violations = [...stageWaveViolations(stages, waves), ...targetWaveViolations(assignment, stages, waves)];
  if (violations.length > 0) return { ok: false, violations };

  const order = assignment.byWave.flat();
  const stageTargets: number[] = [];
  let offset = 0;
  waves.forEach((wave, i) => {
    const size = assignment.byWave[i]!.length;
    const own = stages.filter((stage) => stage.wave === wave.name);
    // Percents count within the wave, on top of every earlier wave's targets.
    for (const count of stageTargetCounts(
      size,
      own.map((stage) => stage.percent),
    ))
      stageTargets.push(offset + count);
    offset += size;
  });
  return { ok: true, plan: toPlan(order, stageTargets, stages) };
}

function toPlan(order: string[], stageTargets: number[], stages: readonly WaveStage[]): RolloutPlan {
  return {
    order,
    stageTargets,
    stages: stages.map((stage, i) => ({
      name: stage.name,
      wave: stage.wave ?? null,
      targets: order.slice(i === 0 ? 0 : stageTargets[i - 1], stageTargets[i]),
    })),
  };
}

function violation(message: string): PolicyViolation {
  return { rule: 'waves', message };
}

function describeIds(ids: readonly string[]): string {
  const named = ids.slice(0, MAX_IDS_IN_MESSAGE).map((id) => `"${id}"`);
  if (ids.length === 1) return `target ${named[0]}`;
  const rest = ids.length - named.length;
  return `${ids.length} targets (${named.join(', ')}${rest > 0 ? ` and ${rest} more` : ''})`;
}
