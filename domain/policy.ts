/**
 * Rollout policy: what a config key's rollouts must respect, set by admins per key
 * (`PUT /v1/configs/:configKey/policy`) or as the default for keys without their own
 * (`PUT /v1/policy`). The zod schemas are the single source of the types and of validation; the
 * decisions that read a policy are pure functions beside it (policy-check.ts, waves.ts, freeze.ts).
 */
import { z } from 'zod';
import { cronProblem, timeZoneProblem } from './freeze';
import { Id, Labels, MAX_STAGES, OnRegression, StageName } from './schemas';

/* ---------- limits on what an admin sends ---------- */

export const MAX_WAVES = 20;
export const MAX_SELECTOR_LABELS = 16;
export const MAX_FREEZE_WINDOWS = 50;
export const MAX_FREEZE_REASON_LENGTH = 200;
export const MAX_CRON_LENGTH = 100;
export const MAX_TIMEZONE_LENGTH = 64;
/** A recurring window lasts at most 31 days: longer is a standing freeze, better said with dates. */
export const MAX_FREEZE_DURATION_MINUTES = 31 * 24 * 60;
export const MAX_BAKE_SECONDS = 7 * 24 * 3600;
/** Config keys one stop-the-line names at most; more is a stop for every key. */
export const MAX_STOP_KEYS = 100;

/* ---------- waves ---------- */

const WaveSelector = Labels.refine(
  (labels) => Object.keys(labels).length <= MAX_SELECTOR_LABELS,
  `a wave selector has at most ${MAX_SELECTOR_LABELS} labels`,
).describe('Targets with all these labels. An empty selector selects every target: a catch-all last wave.');

export const Wave = z
  .object({ name: StageName, selector: WaveSelector })
  .strict()
  .meta({ id: 'Wave', example: { name: 'prod-eu', selector: { env: 'prod', region: 'eu' } } });
export type Wave = z.infer<typeof Wave>;

/** True when every label of `narrow` is in `wide`: each target `wide` selects, `narrow` selects too. */
function selectsAllOf(narrow: Labels, wide: Labels): boolean {
  return Object.entries(narrow).every(([key, value]) => wide[key] === value);
}

const Waves = z
  .array(Wave)
  .max(MAX_WAVES)
  .superRefine((waves, ctx) => {
    waves.forEach((wave, i) => {
      if (waves.findIndex((other) => other.name === wave.name) !== i) {
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate wave name "${wave.name}"` });
      }
      // A target belongs to the first wave that selects it, so a wave whose every target an earlier
      // wave already selects stays empty for ever: the order is almost surely the wrong way round.
      const shadowing = waves.slice(0, i).find((earlier) => selectsAllOf(earlier.selector, wave.selector));
      if (shadowing) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'selector'],
          message: `wave "${wave.name}" can never select a target: the earlier wave "${shadowing.name}" selects every target it would`,
        });
      }
    });
  });

/* ---------- freeze windows ---------- */

const FreezeReason = z.string().min(1).max(MAX_FREEZE_REASON_LENGTH);

export const AbsoluteFreezeWindow = z
  .object({
    from: z.iso.datetime({ offset: true }).describe('Inclusive.'),
    to: z.iso.datetime({ offset: true }).describe('Exclusive.'),
    reason: FreezeReason,
  })
  .strict()
  .refine((window) => Date.parse(window.to) > Date.parse(window.from), { path: ['to'], message: 'must be after from' })
  .meta({
    id: 'AbsoluteFreezeWindow',
    example: { from: '2026-12-23T00:00:00Z', to: '2027-01-04T08:00:00+01:00', reason: 'year-end freeze' },
  });
export type AbsoluteFreezeWindow = z.infer<typeof AbsoluteFreezeWindow>;

export const RecurringFreezeWindow = z
  .object({
    cron: z
      .string()
      .max(MAX_CRON_LENGTH)
      .superRefine((pattern, ctx) => {
        const problem = cronProblem(pattern);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .describe('When each window starts: five-field cron (minute hour day-of-month month day-of-week), on the wall clock of timezone.'),
    durationMinutes: z
      .number()
      .int()
      .min(1)
      .max(MAX_FREEZE_DURATION_MINUTES)
      .describe('Wall-clock length: 16:00 plus 3840 minutes ends at 08:00 three days later, even across a daylight-saving change.'),
    timezone: z
      .string()
      .max(MAX_TIMEZONE_LENGTH)
      .superRefine((zone, ctx) => {
        const problem = timeZoneProblem(zone);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .describe('IANA time zone, such as Europe/Amsterdam.'),
    reason: FreezeReason,
  })
  .strict()
  .meta({
    id: 'RecurringFreezeWindow',
    example: { cron: '0 16 * * 5', durationMinutes: 3840, timezone: 'Europe/Amsterdam', reason: 'weekend: Friday 16:00 to Monday 08:00' },
  });
export type RecurringFreezeWindow = z.infer<typeof RecurringFreezeWindow>;

export const FreezeWindow = z.union([AbsoluteFreezeWindow, RecurringFreezeWindow]).meta({ id: 'FreezeWindow' });
export type FreezeWindow = z.infer<typeof FreezeWindow>;

/** The longest a stage may wait for its targets to confirm (policy `confirmWithinSeconds`): one hour. */
export const MAX_CONFIRM_WITHIN_SECONDS = 3600;

/* ---------- the policy document ---------- */

function unique<T extends z.ZodType>(item: T, what: string) {
  return z.array(item).refine((items) => new Set(items).size === items.length, `${what} must be unique`);
}

/**
 * Each field once, without its default: the document an admin sends (`RolloutPolicyDocument`) has
 * every field optional so that a key's policy overrides only what it names, while the policy in
 * force (`RolloutPolicy`) has every field, the defaults filled in.
 */
const fields = {
  approvals: z
    .number()
    .int()
    .min(0)
    .max(10)
    .describe('Distinct reviewers (not the submitter) who must approve a rollout before it starts, and each approval gate.'),
  minStages: z.number().int().min(1).max(MAX_STAGES).describe('Fewest stages a rollout may have (emergency rollouts excepted).'),
  maxFirstStagePercent: z
    .number()
    .gt(0)
    .max(100)
    .describe("Largest percent of the first stage, and of each wave's first stage (emergency rollouts excepted)."),
  minBakeSeconds: z
    .number()
    .min(0)
    .max(MAX_BAKE_SECONDS)
    .describe(
      "Every stage before the last bakes at least this long, and never less than the rollout's health.failureThreshold × health.intervalSeconds, so that a regression can be detected before the next stage starts.",
    ),
  onRegression: unique(OnRegression, 'onRegression values')
    .min(1)
    .max(OnRegression.options.length)
    .describe('The onRegression values a rollout may ask for (production keys may leave out pause).'),
  approvalGates: unique(StageName, 'approval gates')
    .max(MAX_STAGES)
    .describe(
      "Stages that must hold for approval, by stage name or by wave name (the wave's first stage). A rollout with no stage or wave of that name is refused.",
    ),
  waves: Waves.describe(
    'Ordered label selectors. A target belongs to the first wave that selects it; no target of a wave is touched before every target of the earlier waves runs the new version and has baked. With waves, every stage names its wave and targets outside every wave are refused.',
  ),
  freeze: z
    .array(FreezeWindow)
    .max(MAX_FREEZE_WINDOWS)
    .describe('While a window is on, new rollouts are refused and running ones hold before their next stage.'),
  confirmWithinSeconds: z
    .number()
    .int()
    .min(1)
    .max(MAX_CONFIRM_WITHIN_SECONDS)
    .describe(
      "Require confirmation: a stage counts as applied only once every target it assigned confirms running the new version (a push target on delivery, a pull target by its status report), and it bakes after that. Health is probed while it waits. Targets still unconfirmed this many seconds after the stage's last batch are a regression, handled by the rollout's onRegression (rollback, or pause for a human), as a progress deadline is in Argo Rollouts (progressDeadlineAbort) and Flagger. Absent: a stage counts as applied once assigned.",
    ),
};

/** What an admin sends and what is stored: only the fields it sets; the rest come from the default. */
export const RolloutPolicyDocument = z.object(fields).partial().strict().meta({ id: 'RolloutPolicyDocument' });
export type RolloutPolicyDocument = z.infer<typeof RolloutPolicyDocument>;

export const RolloutPolicy = z
  .object({
    approvals: fields.approvals.default(0),
    minStages: fields.minStages.default(2),
    maxFirstStagePercent: fields.maxFirstStagePercent.default(50),
    minBakeSeconds: fields.minBakeSeconds.optional(),
    onRegression: fields.onRegression.default(['rollback', 'pause']),
    approvalGates: fields.approvalGates.default([]),
    waves: fields.waves.default([]),
    freeze: fields.freeze.default([]),
    confirmWithinSeconds: fields.confirmWithinSeconds.optional(),
  })
  .strict()
  .meta({ id: 'RolloutPolicy' });
export type RolloutPolicy = z.infer<typeof RolloutPolicy>;

/** The policy of a key without its own policy, before an admin sets a default. */
export const SHIPPED_DEFAULT_POLICY: RolloutPolicy = RolloutPolicy.parse({});

/**
 * The policy in force for a key: its own policy over the default, over the shipped default, field
 * by field. A list is one field: a key's own `waves`, `freeze`, `approvalGates` or `onRegression`
 * replaces the default's whole (an empty list clears it); a field the key leaves out, or sets to
 * undefined, keeps the default's. Replacing, not concatenating, keeps the result readable as one
 * document (`GET …/policy/effective`) and lets a key narrow a list, which a union could not.
 */
export function effectivePolicy(defaults: Partial<RolloutPolicy> | null, own: Partial<RolloutPolicy> | null): RolloutPolicy {
  return RolloutPolicy.parse({ ...SHIPPED_DEFAULT_POLICY, ...definedFields(defaults), ...definedFields(own) });
}

function definedFields(document: Partial<RolloutPolicy> | null): Partial<RolloutPolicy> {
  return Object.fromEntries(Object.entries(document ?? {}).filter(([, value]) => value !== undefined));
}

/* ---------- violations ---------- */

/** The rules a rollout can break; a closed set, so that clients can key on them. */
export const POLICY_RULES = ['minStages', 'maxFirstStagePercent', 'minBake', 'onRegression', 'approvalGates', 'waves'] as const;
export const PolicyRule = z.enum(POLICY_RULES);
export type PolicyRule = z.infer<typeof PolicyRule>;

/** One broken rule, in `details` of a 422 `policy_violation`. */
export const PolicyViolation = z
  .object({ rule: PolicyRule, message: z.string() })
  .meta({ id: 'PolicyViolation', example: { rule: 'minBake', message: 'stage "canary" bakes 0 s; …' } });
export type PolicyViolation = z.infer<typeof PolicyViolation>;

/** A policy as stored: every change is a new version, with who made it. */
export const StoredPolicy = z
  .object({
    scope: z.string().describe('`*` for the default, else the config key.'),
    version: z.number().int().nonnegative().describe('Increases with every change; 0: never set (the shipped default).'),
    updatedAt: z.iso.datetime().nullable(),
    updatedBy: z.string().nullable(),
    policy: RolloutPolicyDocument.describe(
      'The fields this scope sets; the rest come from the default (GET …/policy/effective merges them).',
    ),
  })
  .meta({ id: 'StoredPolicy' });
export type StoredPolicy = z.infer<typeof StoredPolicy>;

/* ---------- freezes in force: stop-the-line and windows ---------- */

/** Stop-the-line, as stored: for every key (scope `*`) or one key, until an admin lifts it. */
export const StopTheLine = z
  .object({
    scope: z.string().describe('`*` for every key, else the config key.'),
    reason: z.string(),
    by: z.string(),
    at: z.iso.datetime(),
  })
  .meta({ id: 'StopTheLine' });
export type StopTheLine = z.infer<typeof StopTheLine>;

export const StopTheLineRequest = z
  .object({
    reason: FreezeReason,
    configKeys: unique(Id, 'config keys').min(1).max(MAX_STOP_KEYS).optional().describe('Only these keys; without it, every key.'),
  })
  .strict()
  .meta({ id: 'StopTheLineRequest', example: { reason: 'incident 4711: payments degraded' } });
export type StopTheLineRequest = z.infer<typeof StopTheLineRequest>;

/** One freeze that holds a key now (domain/freeze-holds.ts). */
export const FreezeHold = z
  .object({
    source: z.enum(['stop_the_line', 'window']),
    id: z.string().describe('Stable while this freeze lasts: an override covers the freezes it was given for.'),
    reason: z.string(),
    endsAt: z.iso.datetime().nullable().describe('null: until an admin lifts it (stop-the-line).'),
    by: z.string().optional(),
    scope: z.string().optional().describe('Stop-the-line: `*` or the key.'),
    window: FreezeWindow.optional(),
  })
  .meta({ id: 'FreezeHold' });
export type FreezeHold = z.infer<typeof FreezeHold>;

/** `GET /v1/freeze`: stop-the-line in force, and every policy's windows that hold now (for the dashboard's banner). */
export const FreezeState = z
  .object({
    active: z.boolean().describe('Any freeze holds any key.'),
    stopTheLine: z.array(StopTheLine),
    windows: z.array(
      z.object({
        scope: z.string().describe('`*`: the default policy (keys without their own freeze list); else the key.'),
        reason: z.string(),
        endsAt: z.iso.datetime(),
      }),
    ),
  })
  .meta({ id: 'FreezeState' });
export type FreezeState = z.infer<typeof FreezeState>;

/** `GET /v1/configs/:configKey/policy/effective`: what a rollout of the key must respect now. */
export const EffectivePolicy = z
  .object({
    configKey: z.string(),
    policy: RolloutPolicy,
    versions: z.object({
      default: z.number().int().describe('0: the shipped default.'),
      own: z.number().int().nullable().describe('null: the key has no policy of its own.'),
    }),
    holds: z.array(FreezeHold).describe('Freezes that hold the key now: new rollouts are refused, running ones hold.'),
  })
  .meta({ id: 'EffectivePolicy' });
export type EffectivePolicy = z.infer<typeof EffectivePolicy>;

/** `POST /v1/rollouts?dryRun=true`: what the rollout would do, and nothing started. */
export const DryRunResult = z
  .object({
    dryRun: z.literal(true),
    configKey: z.string(),
    totalTargets: z.number().int(),
    policy: RolloutPolicy.describe('The effective policy the rollout was checked against.'),
    stages: z.array(
      z.object({
        name: z.string(),
        wave: z.string().nullable(),
        percent: z.number(),
        bakeSeconds: z.number(),
        targets: z.array(z.string()).describe('The targets this stage adds, in the order they would be applied.'),
        cumulative: z.number().int().describe('Targets on the new version once this stage has applied.'),
      }),
    ),
    holds: z.array(FreezeHold).describe('Freezes that would refuse it now (409 frozen) unless an admin overrides them.'),
  })
  .meta({ id: 'DryRunResult' });
export type DryRunResult = z.infer<typeof DryRunResult>;
