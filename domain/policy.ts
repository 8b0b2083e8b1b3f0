/**
 * Rollout policy: what a config key's rollouts must respect, set by admins per key
 * (`PUT /v1/configs/:configKey/policy`) or as the default for keys without their own
 * (`PUT /v1/policy`). The zod schema is the single source of the type and of validation.
 */
import { z } from 'zod';

export const RolloutPolicy = z
  .object({
    approvals: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(0)
      .describe('Distinct reviewers (not the submitter) who must approve a rollout before it starts, and each approval gate.'),
  })
  .strict()
  .meta({ id: 'RolloutPolicy' });
export type RolloutPolicy = z.infer<typeof RolloutPolicy>;

/** The policy of a key without its own policy, before an admin sets a default. */
export const SHIPPED_DEFAULT_POLICY: RolloutPolicy = RolloutPolicy.parse({});

/** A key's own policy wins over the default, field by field. */
export function effectivePolicy(defaults: Partial<RolloutPolicy> | null, own: Partial<RolloutPolicy> | null): RolloutPolicy {
  return RolloutPolicy.parse({ ...SHIPPED_DEFAULT_POLICY, ...(defaults ?? {}), ...(own ?? {}) });
}

/** A policy as stored: every change is a new version, with who made it. */
export const StoredPolicy = z
  .object({
    scope: z.string().describe('`*` for the default, else the config key.'),
    version: z.number().int().nonnegative().describe('Increases with every change; 0: never set (the shipped default).'),
    updatedAt: z.iso.datetime().nullable(),
    updatedBy: z.string().nullable(),
    policy: RolloutPolicy,
  })
  .meta({ id: 'StoredPolicy' });
export type StoredPolicy = z.infer<typeof StoredPolicy>;
