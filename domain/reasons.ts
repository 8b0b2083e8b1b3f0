/**
 * Stable reason codes. Errors carry one as their `type` (Temporal ApplicationFailure) or `code`
 * (API error body); callers compare codes, never classes, because `instanceof` breaks across the
 * workflow sandbox and test runners.
 */
export const Reason = {
  InvalidRequest: 'InvalidRequest',
  NotFound: 'NotFound',
  Conflict: 'Conflict',
  InvalidState: 'InvalidState',
  SchemaViolation: 'SchemaViolation',
  PayloadTooLarge: 'PayloadTooLarge',
  NoTargets: 'NoTargets',
  UnknownTargets: 'UnknownTargets',
  RolloutActive: 'RolloutActive',
  TargetInUse: 'TargetInUse',
  NotNewest: 'NotNewest',
  StagedInputMissing: 'StagedInputMissing',
  Unavailable: 'Unavailable',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];
