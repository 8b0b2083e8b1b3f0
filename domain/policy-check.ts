/**
 * The policy check: every rule of the key's policy a rollout request breaks, each with a message
 * that names the stage and the numbers. The API answers a non-empty list as 422 `policy_violation`
 * with the list as `details`, and starts nothing. Pure and import-free at run time, tested by table.
 */
import type { PolicyViolation, RolloutPolicy } from './policy';
import type { CreateRolloutRequest, HealthPolicy } from './schemas';
import { planRollout, stageWaveViolations, type WaveTarget } from './waves';

export type PolicyCheckRequest = Pick<CreateRolloutRequest, 'stages' | 'health' | 'onRegression'>;

export interface PolicyCheckOptions {
  /**
   * An emergency rollout skips the staging minimums (minStages, maxFirstStagePercent, minBake);
   * who may start one is the caller's to decide. The allowed onRegression values, approval gates
   * and the order of waves still hold.
   */
  emergency?: boolean;
  /**
   * The rollout's targets, in the order it would update them: adds the rules that need them
   * (targets outside every wave, waves with targets and no stage). Without them only the request
   * is checked.
   */
  targets?: readonly WaveTarget[];
}

/** Violations in the order of POLICY_RULES; a rule broken by several stages is listed once for each. */
export function checkRolloutAgainstPolicy(
  request: PolicyCheckRequest,
  policy: RolloutPolicy,
  options: PolicyCheckOptions = {},
): PolicyViolation[] {
  const violations: PolicyViolation[] = [];
  const { stages } = request;
  if (!options.emergency) {
    if (stages.length < policy.minStages) {
      violations.push({
        rule: 'minStages',
        message: `the rollout has ${stages.length} stage${stages.length === 1 ? '' : 's'}; the policy requires at least ${policy.minStages}`,
      });
    }
    stages.forEach((stage, i) => {
      const previous = stages[i - 1];
      const firstOfWave = stage.wave !== undefined && previous?.wave !== stage.wave;
      if ((i === 0 || firstOfWave) && stage.percent > policy.maxFirstStagePercent) {
        const of = stage.wave === undefined ? 'the targets' : `wave "${stage.wave}"`;
        violations.push({
          rule: 'maxFirstStagePercent',
          message: `the first stage of ${of}, "${stage.name}", covers ${stage.percent}% of it; the policy allows at most ${policy.maxFirstStagePercent}%`,
        });
      }
    });
    const bake = minimumBake(request.health, policy);
    stages.slice(0, -1).forEach((stage) => {
      if (stage.bakeSeconds <= 0 || stage.bakeSeconds < bake.seconds - EPSILON) {
        violations.push({
          rule: 'minBake',
          message: `stage "${stage.name}" bakes ${seconds(stage.bakeSeconds)}; every stage before the last must bake at least ${seconds(bake.seconds)} (${bake.why})`,
        });
      }
    });
  }
  if (!policy.onRegression.includes(request.onRegression)) {
    violations.push({
      rule: 'onRegression',
      message: `onRegression "${request.onRegression}" is not allowed by the policy (allowed: ${policy.onRegression.map((value) => `"${value}"`).join(', ')})`,
    });
  }
  for (const gate of policy.approvalGates) {
    const stage = stages.find((candidate) => candidate.name === gate) ?? stages.find((candidate) => candidate.wave === gate);
    if (stage) {
      if (!stage.approval) {
        const which = stage.name === gate ? `stage "${gate}"` : `stage "${stage.name}", the first of wave "${gate}",`;
        violations.push({ rule: 'approvalGates', message: `${which} must hold for approval (approval: true)` });
      }
    } else if (!policy.waves.some((wave) => wave.name === gate)) {
      // A wave the rollout has no stage for has no target in it either (rule waves says so if it
      // does), so there is nothing to hold for. A stage that is not there may have been renamed.
      violations.push({
        rule: 'approvalGates',
        message: `the policy requires stage "${gate}" to hold for approval, and the rollout has no stage of that name`,
      });
    }
  }
  const waves = options.targets ? planRollout(options.targets, policy.waves, stages) : null;
  if (waves && !waves.ok) violations.push(...waves.violations);
  else if (!waves) violations.push(...stageWaveViolations(stages, policy.waves));
  return violations;
}

/**
 * The shortest bake of a stage that is not the last: long enough for failureThreshold bad intervals
 * in a row, so that a regression is detected before the next stage starts, and never shorter than
 * the policy's minBakeSeconds.
 */
export function minimumBake(
  health: Pick<HealthPolicy, 'failureThreshold' | 'intervalSeconds'>,
  policy: Pick<RolloutPolicy, 'minBakeSeconds'>,
) {
  const detection = health.failureThreshold * health.intervalSeconds;
  if (policy.minBakeSeconds !== undefined && policy.minBakeSeconds > detection) {
    return { seconds: policy.minBakeSeconds, why: "the policy's minBakeSeconds" };
  }
  return {
    seconds: detection,
    why: `health.failureThreshold ${health.failureThreshold} × health.intervalSeconds ${seconds(health.intervalSeconds)}, so that a regression is detected before the next stage starts`,
  };
}

/** Float noise (3 × 0.1 = 0.30000000000000004) must not refuse a bake of 0.3 s. */
const EPSILON = 1e-9;

function seconds(value: number): string {
  return `${Number(value.toFixed(3))} s`;
}
