/**
 * The zod schemas of every resource Tollgate handles. Each is the single source of its type
 * (`z.infer`), of request validation in the API, and of the OpenAPI document.
 * Workflow code imports these modules with `import type` only, so zod stays out of the bundle.
 */
import { z } from 'zod';
import { API_ERROR_CODES, API_ERRORS, type ApiErrorSpec } from './api-errors';
import { ROLLOUT_ACTIONS, ROLLOUT_STATES, STAGE_STATES } from './lifecycle';
import { AnalysisStageStatus, RolloutAnalysis } from './analysis-schemas';

/** Ids become parts of Redis keys and URLs: a closed alphabet, bounded, and no `..`. */
export const ID_PATTERN = /^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const Id = z
  .string()
  .regex(ID_PATTERN, 'must be 1-128 characters of letters, digits, ".", "_" or "-", starting with a letter or digit, without ".."');

const LabelKey = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/, 'label keys are 1-63 characters of letters, digits, ".", "_", "/" or "-"');
const LabelValue = z.string().regex(/^[A-Za-z0-9._-]{0,63}$/, 'label values are at most 63 characters of letters, digits, ".", "_" or "-"');
export const Labels = z.record(LabelKey, LabelValue).meta({ id: 'Labels', example: { region: 'eu-west', tier: 'web' } });
export type Labels = z.infer<typeof Labels>;

const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an http or https URL' });
const Timestamp = z.iso.datetime();

/* ---------- targets ---------- */

export const TargetInput = z
  .object({
    labels: Labels.default({}),
    healthUrl: HttpUrl.optional().describe('Probed with GET during bakes; a non-2xx, timeout or connection error fails the probe.'),
    applyUrl: HttpUrl.optional().describe(
      'Push delivery: receives POST {configKey, version, content, rolloutId}. Without it the target pulls its assignment.',
    ),
  })
  .strict()
  .meta({ id: 'TargetInput' });
export type TargetInput = z.infer<typeof TargetInput>;

export const Target = z
  .object({
    id: Id,
    labels: Labels,
    healthUrl: HttpUrl.optional(),
    applyUrl: HttpUrl.optional(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Target' });
export type Target = z.infer<typeof Target>;

/** `k=v,k2=v2`, as in `GET /v1/targets?selector=`. */
export const SelectorQuery = z
  .string()
  .max(2048)
  .transform((raw, ctx) => {
    const out: Record<string, string> = {};
    for (const part of raw.split(',').filter((p) => p.trim() !== '')) {
      const eq = part.indexOf('=');
      if (eq <= 0) {
        ctx.addIssue({ code: 'custom', message: `"${part}" is not of the form key=value` });
        return z.NEVER;
      }
      out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
    }
    return out;
  })
  .pipe(Labels);

/* ---------- configs ---------- */

export const ConfigVersion = z
  .object({
    version: z.number().int().positive(),
    sha256: z.string().length(64),
    createdAt: Timestamp,
    rolloutId: z.string(),
  })
  .meta({ id: 'ConfigVersion' });
export type ConfigVersion = z.infer<typeof ConfigVersion>;

export const ConfigSummary = z
  .object({
    configKey: Id,
    latestVersion: z.number().int().nullable(),
    stableVersion: z.number().int().nullable().describe('The version of the newest rollout that completed and was not rolled back.'),
    hasSchema: z.boolean(),
    versions: z.array(ConfigVersion),
  })
  .meta({ id: 'ConfigSummary' });
export type ConfigSummary = z.infer<typeof ConfigSummary>;

export const Assignment = z
  .object({ configKey: Id, version: z.number().int().positive(), content: z.unknown() })
  .meta({ id: 'Assignment' });
export type Assignment = z.infer<typeof Assignment>;

export const StatusReport = z
  .object({ version: z.number().int().nonnegative().describe('The version the target now runs (0: none).') })
  .strict()
  .meta({ id: 'StatusReport' });

/** A JSON Schema document (draft 2020-12) that later rollouts of the key must satisfy. */
export const ConfigSchemaDocument = z
  .record(z.string(), z.unknown())
  .meta({ id: 'ConfigSchemaDocument', description: 'A JSON Schema (draft 2020-12) object.' });
export type ConfigSchemaDocument = z.infer<typeof ConfigSchemaDocument>;

/* ---------- rollouts: the request ---------- */

/** A stage's or a policy wave's name: policies name them (approval gates, waves), so both share one form. */
export const StageName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, 'must be 1-64 letters, digits, spaces, ".", "_" or "-"');

export const Stage = z
  .object({
    name: StageName,
    wave: StageName.optional().describe(
      "The wave of the key's policy this stage covers. With waves, percent counts within the wave, and each wave's last stage is 100.",
    ),
    percent: z.number().gt(0).max(100),
    bakeSeconds: z
      .number()
      .min(0)
      .max(7 * 24 * 3600),
    approval: z.boolean().default(false).describe('Hold for a human approval before this stage applies.'),
  })
  .strict()
  .meta({ id: 'Stage' });
export type Stage = z.infer<typeof Stage>;

export const DEFAULT_STAGES: Stage[] = [
  { name: 'canary', percent: 5, bakeSeconds: 300, approval: false },
  { name: 'partial', percent: 25, bakeSeconds: 300, approval: false },
  { name: 'full', percent: 100, bakeSeconds: 300, approval: false },
];

export const MAX_STAGES = 20;
/** At least one stage here; how many more the key's policy asks (minStages, emergency rollouts excepted). */
export const Stages = z
  .array(Stage)
  .min(1)
  .max(MAX_STAGES)
  .superRefine((stages, ctx) => {
    stages.forEach((stage, i) => {
      if (stages.findIndex((other) => other.name === stage.name) !== i) {
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate stage name "${stage.name}"` });
      }
    });
    const withWave = stages.filter((stage) => stage.wave !== undefined).length;
    if (withWave === 0) {
      stages.forEach((stage, i) => {
        const prev = stages[i - 1];
        if (prev && stage.percent <= prev.percent) {
          ctx.addIssue({ code: 'custom', path: [i, 'percent'], message: 'stage percents must strictly increase' });
        }
      });
      const last = stages[stages.length - 1];
      if (last && last.percent !== 100) {
        ctx.addIssue({ code: 'custom', path: [stages.length - 1, 'percent'], message: 'the last stage must be 100' });
      }
      return;
    }
    if (withWave < stages.length) {
      const i = stages.findIndex((stage) => stage.wave === undefined);
      ctx.addIssue({ code: 'custom', path: [i, 'wave'], message: 'either every stage names a wave or none does' });
      return;
    }
    // Percents count within a wave, and a wave must be complete before the next one starts: each
    // wave's stages are consecutive, increase, and end at 100. Whether the waves come in the
    // policy's order is the policy check's to say (domain/waves.ts); the schema does not know it.
    stages.forEach((stage, i) => {
      const prev = stages[i - 1];
      const next = stages[i + 1];
      if (prev && prev.wave === stage.wave && stage.percent <= prev.percent) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'percent'],
          message: `stage percents must strictly increase within wave "${stage.wave}"`,
        });
      }
      if (prev && prev.wave !== stage.wave && stages.slice(0, i).some((earlier) => earlier.wave === stage.wave)) {
        ctx.addIssue({ code: 'custom', path: [i, 'wave'], message: `the stages of wave "${stage.wave}" must be consecutive` });
      }
      if ((!next || next.wave !== stage.wave) && stage.percent !== 100) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'percent'],
          message: `the last stage of wave "${stage.wave}" must be 100: a wave completes before the next one starts`,
        });
      }
    });
  });

export const HealthPolicy = z
  .object({
    intervalSeconds: z.number().min(0.05).max(3600).default(10),
    timeoutMs: z.number().int().min(10).max(60_000).default(2000),
    maxErrorRate: z.number().min(0).max(1).default(0),
    maxLatencyMs: z.number().positive().optional(),
    failureThreshold: z.number().int().min(1).max(100).default(2),
    compareToBaseline: z
      .boolean()
      .optional()
      .describe(
        'Also probe targets still on the previous version each interval, and count against the change only what it adds. When the rest of the fleet fails as much, the interval is inconclusive; failureThreshold such intervals in a row hold the rollout for a human instead of rolling back.',
      ),
  })
  .strict()
  .meta({ id: 'HealthPolicy' });
export type HealthPolicy = z.infer<typeof HealthPolicy>;

/**
 * How hard a rollback tries before it gives up and reports `failed`: passes over the targets not
 * yet restored, 1 s apart at first and doubling up to maxBackoffSeconds. The default bound is
 * about 1.5 min (10 passes, at most 15 s apart).
 */
export const RollbackPolicy = z
  .object({
    attempts: z.number().int().min(1).max(100).default(10),
    maxBackoffSeconds: z.number().min(0.1).max(3600).default(15),
  })
  .strict()
  .meta({ id: 'RollbackPolicy' });
export type RollbackPolicy = z.infer<typeof RollbackPolicy>;

export const OnRegression = z.enum(['rollback', 'pause']);
export type OnRegression = z.infer<typeof OnRegression>;

export const Emergency = z
  .object({ reason: z.string().trim().min(10, 'an emergency needs a reason of at least 10 characters').max(1000) })
  .strict()
  .meta({ id: 'Emergency' });
export type Emergency = z.infer<typeof Emergency>;

export const Override = z
  .object({ reason: z.string().trim().min(10, 'an override needs a reason of at least 10 characters').max(1000) })
  .strict()
  .meta({ id: 'Override' });
export type Override = z.infer<typeof Override>;

export const MAX_TARGETS_PER_ROLLOUT = 10_000;
export const TargetSelection = z.union([
  z
    .object({
      ids: z
        .array(Id)
        .min(1)
        .max(MAX_TARGETS_PER_ROLLOUT)
        .refine((ids) => new Set(ids).size === ids.length, 'target ids must be unique'),
    })
    .strict(),
  z.object({ selector: Labels.refine((l) => Object.keys(l).length > 0, 'a selector needs at least one label') }).strict(),
]);
export type TargetSelection = z.infer<typeof TargetSelection>;

export const CreateRolloutRequest = z
  .object({
    configKey: Id,
    content: z
      .unknown()
      .refine((v) => v !== undefined, 'content is required')
      .describe('Any JSON value.'),
    targets: TargetSelection,
    stages: Stages.default(DEFAULT_STAGES),
    health: HealthPolicy.default(HealthPolicy.parse({})),
    analysis: RolloutAnalysis.optional().describe(
      'Canary analysis: each interval the checks measure canary and baseline, and a statistical judge decides (docs/canary-analysis.md). Without it, `health` judges each interval by fixed thresholds, as in v1.',
    ),
    onRegression: OnRegression.default('rollback'),
    rollback: RollbackPolicy.default(RollbackPolicy.parse({})),
    description: z.string().max(1000).optional(),
    emergency: Emergency.optional().describe(
      'Admins only: skip review and the staging minimums (never schema validation, never health checks). Flagged everywhere.',
    ),
    override: Override.optional().describe(
      'Admins only: start through a freeze (a freeze window or stop-the-line) that holds the key now. Flagged and audited.',
    ),
  })
  .strict()
  // How many stages a rollout needs is the key's policy's to say (minStages): 422 policy_violation.
  .meta({ id: 'CreateRolloutRequest' });
export type CreateRolloutRequest = z.infer<typeof CreateRolloutRequest>;

/* ---------- rollouts: state ---------- */

export const RolloutStateSchema = z.enum(ROLLOUT_STATES);
export const StageStateSchema = z.enum(STAGE_STATES);
export const RolloutActionSchema = z.enum(ROLLOUT_ACTIONS);

export const StageStatus = z
  .object({
    name: z.string(),
    wave: z.string().optional().describe('The policy wave this stage covers.'),
    percent: z.number(),
    bakeSeconds: z.number(),
    approval: z.boolean(),
    targets: z.number().int().describe('Targets on the new version once this stage has applied (cumulative).'),
    state: StageStateSchema,
    startedAt: Timestamp.nullable(),
    finishedAt: Timestamp.nullable(),
  })
  .meta({ id: 'StageStatus' });
export type StageStatus = z.infer<typeof StageStatus>;

export const EVENT_TYPES = [
  'review_requested',
  'reviewed',
  'rejected',
  'rollout_started',
  'stage_started',
  'stage_skipped',
  'approval_requested',
  'approved',
  'applied',
  'apply_failed',
  'health_sample',
  'health_unmonitored',
  'stage_completed',
  'regression_detected',
  'health_inconclusive',
  'analysis',
  'paused',
  'resumed',
  'frozen',
  'unfrozen',
  'freeze_overridden',
  'rollback_requested',
  'rollback_started',
  'rollback_attempt',
  'rolled_back',
  'completed',
  'failed',
  'alert',
] as const;
export const RolloutEventType = z.enum(EVENT_TYPES);
export type RolloutEventType = z.infer<typeof RolloutEventType>;

export const RolloutEvent = z
  .object({
    seq: z.number().int().positive().describe('Per rollout, strictly increasing.'),
    at: Timestamp,
    type: RolloutEventType,
    stage: z.string().optional(),
    message: z.string(),
    detail: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'RolloutEvent' });
export type RolloutEvent = z.infer<typeof RolloutEvent>;

export const Review = z
  .object({
    by: z.string(),
    decision: z.enum(['approve', 'reject']),
    comment: z.string().optional(),
    at: Timestamp,
  })
  .meta({ id: 'Review' });
export type Review = z.infer<typeof Review>;

/** What the workflow knows of itself; kept in the read model and returned by the status query. */
export const RolloutSummary = z
  .object({
    id: z.string(),
    configKey: Id,
    version: z.number().int().positive().nullable(),
    previousStableVersion: z.number().int().nullable(),
    state: RolloutStateSchema,
    reason: z.string().nullable().describe('Why the rollout is in its state, when that is not the plain course.'),
    currentStage: z.string().nullable(),
    currentStageIndex: z.number().int().nullable(),
    stages: z.array(StageStatus),
    totalTargets: z.number().int().nonnegative(),
    updatedTargets: z.number().int().nonnegative().describe('Targets assigned the new version and not restored.'),
    confirmedTargets: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe(
        'Of the targets assigned the new version, those that confirmed running it (a push target on delivery, a pull target by its status report), at the last count: while a stage waits for confirmations, and at completion. Absent: not counted (rollouts from before the count).',
      ),
    unconfirmedTargets: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe(
        'Targets assigned the new version that have not confirmed running it (no report yet), at the same count as confirmedTargets.',
      ),
    restoredTargets: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe('Targets a rollback returned to the version they had before (reassigned, and pushed to push targets).'),
    restoredConfirmedTargets: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe(
        'Of restoredTargets, those that confirmed the previous version (push targets, on delivery); the rest are reassigned and not confirmed yet.',
      ),
    onRegression: OnRegression,
    health: HealthPolicy,
    analysis: RolloutAnalysis.optional().describe('The canary analysis asked for, with its defaults filled in.'),
    analysisStage: AnalysisStageStatus.optional().describe(
      "The current stage's analysis so far: intervals judged, failures, inconclusive intervals and the latest verdict.",
    ),
    rollback: RollbackPolicy.optional().describe('Absent on rollouts created before the policy existed: the defaults apply.'),
    description: z.string().optional(),
    submittedBy: z.string().optional().describe('The token (or single-sign-on subject) that submitted it.'),
    emergency: z.boolean().optional().describe('Started on the emergency path: no review, no staging minimums.'),
    emergencyReason: z.string().optional(),
    override: z.boolean().optional().describe('Started or resumed through a freeze by an admin (override).'),
    overrideReason: z.string().optional(),
    requiredApprovals: z
      .number()
      .int()
      .optional()
      .describe('Distinct approvals (never the submitter) needed before it starts and at each approval gate.'),
    reviews: z.array(Review).optional().describe('Review decisions, oldest first; a reviewer’s repeated approval counts once.'),
    approvals: z
      .array(z.object({ stage: z.string(), by: z.string(), at: Timestamp }))
      .optional()
      .describe('Who approved which stage gate.'),
    allowedActions: z.array(RolloutActionSchema),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    workflowId: z.string(),
  })
  .meta({ id: 'RolloutSummary' });
export type RolloutSummary = z.infer<typeof RolloutSummary>;

export const TargetRolloutStatus = z
  .object({
    version: z.number().int().nullable().describe('The version this rollout assigned the target (null: not yet).'),
    previousVersion: z.number().int().nullable().describe('What it had before (0: nothing).'),
    assignedVersion: z.number().int().nullable().describe('What the target is assigned now (0 or null: nothing).'),
    confirmedVersion: z.number().int().nullable().describe('What the target last reported running.'),
    appliedAt: Timestamp.nullable()
      .optional()
      .describe('When this rollout assigned the target its version (recorded just before delivery).'),
    restoredAt: Timestamp.nullable()
      .optional()
      .describe(
        'When a rollback restored the target (push: delivered; pull: reassigned). Absent on rollbacks from before it was recorded.',
      ),
  })
  .meta({ id: 'TargetRolloutStatus' });
export type TargetRolloutStatus = z.infer<typeof TargetRolloutStatus>;

export const RolloutDetail = RolloutSummary.extend({
  targets: z.record(z.string(), TargetRolloutStatus),
  events: z.array(RolloutEvent),
}).meta({ id: 'RolloutDetail' });
export type RolloutDetail = z.infer<typeof RolloutDetail>;

export const GetRolloutQuery = z
  .object({
    targets: z
      .enum(['all', 'none'])
      .default('all')
      .describe(
        '`none` leaves the per-target rows out (`targets` is then empty; the summary still counts them): a status poll of a large rollout then costs the same as a small one.',
      ),
  })
  .strict();
export type GetRolloutQuery = z.infer<typeof GetRolloutQuery>;

/** Where the next page of `GET /v1/rollouts` starts: the last item's index score and id. */
export interface RolloutCursor {
  score: number;
  id: string;
}

export function encodeRolloutCursor(c: RolloutCursor): string {
  return Buffer.from(JSON.stringify([c.score, c.id])).toString('base64url');
}

/** Opaque to clients; anything this API did not hand out is refused with a 400 naming `cursor`. */
export const RolloutCursorParam = z
  .string()
  .max(512)
  .transform((raw, ctx): RolloutCursor => {
    try {
      const v: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
      if (Array.isArray(v) && v.length === 2 && Number.isFinite(v[0]) && typeof v[1] === 'string' && ID_PATTERN.test(v[1])) {
        return { score: v[0] as number, id: v[1] };
      }
    } catch {
      // Falls through to the issue below.
    }
    ctx.addIssue({ code: 'custom', message: 'not a cursor returned by this API (use nextCursor as given)' });
    return z.NEVER;
  });

export const ListRolloutsQuery = z
  .object({
    configKey: Id.optional(),
    state: RolloutStateSchema.optional(),
    since: Timestamp.optional().describe('Only rollouts created at or after this time (ISO 8601, UTC).'),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: RolloutCursorParam.optional().describe('`nextCursor` of the previous page.'),
  })
  .strict();
export type ListRolloutsQuery = z.infer<typeof ListRolloutsQuery>;

export const RolloutPage = z
  .object({
    items: z.array(RolloutSummary),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page.'),
  })
  .meta({ id: 'RolloutPage' });
export type RolloutPage = z.infer<typeof RolloutPage>;

/* ---------- live events (Server-Sent Events) ---------- */

export const ProbeFailureReason = z.enum(['http_status', 'timeout', 'connection', 'version_mismatch', 'not_confirmed']);
export type ProbeFailureReason = z.infer<typeof ProbeFailureReason>;

/** A target an activity could not apply to, probe or restore: evidence in events and alerts. */
export const TargetFailure = z
  .object({ targetId: z.string(), reason: z.string(), status: z.number().int().optional(), message: z.string() })
  .meta({ id: 'TargetFailure' });
export type TargetFailure = z.infer<typeof TargetFailure>;

/** A failed health probe: a target failure whose reason is one of the probe's. */
export const ProbeFailure = TargetFailure.extend({ reason: ProbeFailureReason }).meta({ id: 'ProbeFailure' });
export type ProbeFailure = z.infer<typeof ProbeFailure>;

/** Targets not yet on the new version, probed alongside it: the fleet as it was. */
export const BaselineSample = z
  .object({ total: z.number().int(), failed: z.number().int(), p95LatencyMs: z.number().nullable() })
  .meta({ id: 'BaselineSample' });
export type BaselineSample = z.infer<typeof BaselineSample>;

/** One health interval, as the probe activity records it and domain/health.ts judges it. */
export const HealthSample = z
  .object({
    at: Timestamp,
    total: z.number().int().describe('Targets that could be observed (a health URL, or a reported version).'),
    failed: z.number().int(),
    unobserved: z.number().int().describe('Targets on the new version with no health URL and no reported version.'),
    pending: z
      .number()
      .int()
      .optional()
      .describe(
        "Targets that report their version and have not confirmed the new one yet: their health is still the old version's, so they are left out of this interval.",
      ),
    p95LatencyMs: z.number().nullable(),
    failuresByReason: z.partialRecord(ProbeFailureReason, z.number().int()),
    failures: z.array(ProbeFailure).describe('The first few failures, as evidence; never the whole fleet.'),
    baseline: BaselineSample.optional().describe('The same interval on targets still on the previous version (health.compareToBaseline).'),
  })
  .meta({ id: 'HealthSample' });
export type HealthSample = z.infer<typeof HealthSample>;

export const StageHealthSample = HealthSample.extend({ stage: z.string() }).meta({ id: 'StageHealthSample' });
export type StageHealthSample = z.infer<typeof StageHealthSample>;

/** `event: rollout`: a rollout event with the summary as it stood after it. */
export const RolloutStreamMessage = z
  .object({ rolloutId: z.string(), event: RolloutEvent, summary: RolloutSummary })
  .meta({ id: 'RolloutStreamMessage' });
export type RolloutStreamMessage = z.infer<typeof RolloutStreamMessage>;

/** `event: health`: one health interval of a stage. */
export const HealthStreamMessage = z
  .object({ rolloutId: z.string(), stage: z.string(), sample: HealthSample })
  .meta({ id: 'HealthStreamMessage' });
export type HealthStreamMessage = z.infer<typeof HealthStreamMessage>;

/** The API's error codes, each with its status and meaning in the OpenAPI description. */
export const ErrorCode = z
  .enum(API_ERROR_CODES)
  .describe(
    Object.entries(API_ERRORS)
      .map(([code, spec]: [string, ApiErrorSpec]) => `${code} (${[spec.status, ...(spec.also ?? [])].join(', ')}): ${spec.means}`)
      .join('\n'),
  )
  .meta({ id: 'ErrorCode' });
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorBody = z
  .object({
    error: z.object({
      code: ErrorCode,
      message: z.string(),
      field: z.string().optional(),
      details: z.unknown().optional(),
      requestId: z.string().optional().describe('The x-request-id of the request, as the server logs name it.'),
    }),
  })
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof ErrorBody>;
