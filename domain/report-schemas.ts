/** The incident report's schema (the API's JSON and OpenAPI); built by domain/report.ts. */
import { z } from 'zod';
import { ConfigDiff } from './diff';
import { INCIDENT_STATUSES, MAX_FAILURES_PER_CHECK } from './report';
import { Review } from './schemas';

const Timestamp = z.iso.datetime();
const Ms = z.number().int().nullable();

export const TargetFailureEvidence = z.object({
  targetId: z.string(),
  reason: z.string(),
  status: z.number().int().optional(),
  message: z.string().optional(),
});
export type TargetFailureEvidence = z.infer<typeof TargetFailureEvidence>;

export const IncidentCheck = z
  .object({
    at: Timestamp,
    stage: z.string().optional(),
    source: z.enum(['health', 'apply', 'analysis']),
    summary: z.string().describe('Why the check failed, with its numbers.'),
    numbers: z.record(z.string(), z.number().nullable()),
    failures: z.array(TargetFailureEvidence).describe(`Up to ${MAX_FAILURES_PER_CHECK} example failures.`),
  })
  .meta({ id: 'IncidentCheck' });
export type IncidentCheck = z.infer<typeof IncidentCheck>;

export const IncidentReport = z
  .object({
    rolloutId: z.string(),
    configKey: z.string(),
    title: z.string(),
    status: z
      .enum(INCIDENT_STATUSES)
      .describe(
        'safe: no target runs the bad version any more; restoring: a rollback is under way; unsafe: some targets could not be restored; held: paused for a human with the bad version live; resumed: a human let the rollout go on after the regression.',
      ),
    state: z.string(),
    generatedAt: Timestamp,
    summary: z.object({
      text: z.string(),
      fromVersion: z.number().int().nullable().describe('The stable version when the rollout started (null: none).'),
      toVersion: z.number().int().nullable(),
      description: z.string().nullable(),
      submittedBy: z.string().nullable(),
      reviews: z.array(Review),
      gateApprovals: z.array(z.object({ stage: z.string(), by: z.string(), at: Timestamp })),
      emergency: z.string().nullable().describe('The emergency reason, when it skipped review.'),
      override: z.string().nullable().describe('The override reason, when it went through a freeze.'),
      trigger: z.enum(['regression', 'human', 'failure']),
      reason: z.string().nullable(),
    }),
    impact: z.object({
      fleetTargets: z.number().int().describe("The rollout's targets."),
      exposedTargets: z.number().int().describe('Targets assigned the bad version.'),
      blastRadius: z.number().describe('exposedTargets / fleetTargets (0 to 1).'),
      stagesReached: z.array(z.string()),
      exposureStart: Timestamp.nullable(),
      exposureEnd: Timestamp.nullable().describe('The last restore; null while some exposed target is not restored.'),
      exposureWindowMs: Ms,
      targetExposureMs: z
        .object({ total: z.number().int(), max: z.number().int(), median: z.number().int() })
        .nullable()
        .describe('Per-target exposure: sum (target-milliseconds), longest and median.'),
      stillExposed: z.number().int(),
      targets: z.array(
        z.object({
          targetId: z.string(),
          appliedAt: Timestamp.nullable(),
          restoredAt: Timestamp.nullable(),
          exposureMs: Ms,
          previousVersion: z.number().int().nullable(),
        }),
      ),
      targetsTruncated: z.boolean(),
    }),
    timeline: z.array(
      z.object({ at: Timestamp, type: z.string(), stage: z.string().optional(), message: z.string(), actor: z.string().optional() }),
    ),
    evidence: z.object({
      decision: z
        .object({ at: Timestamp, by: z.string(), source: z.string(), message: z.string() })
        .nullable()
        .describe('What ended the rollout’s course: the regression, the human rollback or the failure.'),
      checks: z.array(IncidentCheck),
      checksTotal: z.number().int(),
      diff: ConfigDiff.nullable(),
    }),
    detection: z.object({
      firstExposureAt: Timestamp.nullable(),
      firstFailingEvidenceAt: Timestamp.nullable(),
      decisionAt: Timestamp.nullable(),
      safetyAt: Timestamp.nullable(),
      timeToDetectMs: Ms,
      evidenceToDecisionMs: Ms,
      timeToSafetyMs: Ms,
      restored: z.array(z.object({ targetId: z.string(), version: z.number().int().nullable(), at: Timestamp.nullable() })),
      restoredCount: z.number().int(),
      unrestored: z.array(TargetFailureEvidence),
      rollbackAttempts: z.number().int().nullable(),
    }),
    correctiveMeasures: z.array(z.string()).describe('Empty: for people to fill in.'),
  })
  .meta({ id: 'IncidentReport' });
export type IncidentReport = z.infer<typeof IncidentReport>;
