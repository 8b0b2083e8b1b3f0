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
  // Governance codes are lower case: clients match them exactly, as the security contract says.
  /** No token, or an unknown, revoked or expired one: 401. */
  Unauthenticated: 'unauthenticated',
  /** A known caller whose role does not reach the route (or the field, or the target): 403. */
  Forbidden: 'forbidden',
  /** A submitter reviewing or approving their own rollout: 403. */
  FourEyes: 'four_eyes',
  /** Emergency requested without a usable reason, and other refusals of the emergency path. */
  EmergencyRefused: 'emergency_refused',
  /** A rollout that breaks rules of its key's policy: 422, every broken rule in `details`. */
  PolicyViolation: 'policy_violation',
  /** A freeze window or stop-the-line holds the key: 409 for a new rollout or a resume without override. */
  Frozen: 'frozen',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];
