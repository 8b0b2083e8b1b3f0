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
  /** 409: a report asked of a rollout that did not roll back, fail or regress. */
  NoIncident: 'NoIncident',
  // Governance codes are lower case: clients match them exactly, as the security contract says.
  /** No token, or an unknown, revoked or expired one: 401. */
  Unauthenticated: 'unauthenticated',
  /** A known caller whose role does not reach the route (or the field, or the target): 403. */
  Forbidden: 'forbidden',
  /** A submitter reviewing or approving their own rollout: 403. */
  FourEyes: 'four_eyes',
  /** 415: a body that is not JSON (or not UTF-8) on a JSON route. */
  UnsupportedMediaType: 'UnsupportedMediaType',
  /** 413: a body nested deeper than TOLLGATE_MAX_JSON_DEPTH. */
  JsonTooDeep: 'JsonTooDeep',
  /** 413: a body with more keys and elements than TOLLGATE_MAX_JSON_ITEMS. */
  JsonTooManyItems: 'JsonTooManyItems',
  /** 413: a config schema with more keys and elements than TOLLGATE_MAX_SCHEMA_ITEMS. */
  SchemaTooLarge: 'SchemaTooLarge',
  /** 422: a schema pattern that RE2 (linear time) cannot run: backreferences, lookaround. */
  UnsupportedPattern: 'UnsupportedPattern',
  /** 422: a schema `$ref` to a document outside itself; schemas are never fetched. */
  RemoteRefRefused: 'RemoteRefRefused',
  /** 422: a target URL outside the outbound fence (domain/outbound.ts, TOLLGATE_TARGET_ALLOW). */
  TargetUrlRefused: 'TargetUrlRefused',
  /** 422: a subscription URL outside the outbound fence (TOLLGATE_NOTIFY_ALLOW, the ranges always refused). */
  SubscriptionUrlRefused: 'SubscriptionUrlRefused',
  /** 409: MAX_SUBSCRIPTIONS exist already. */
  TooManySubscriptions: 'TooManySubscriptions',
  /** 429: more requests of a class than its per-client limit allows in the window. */
  RateLimited: 'RateLimited',
  /** 429: more concurrent event streams than TOLLGATE_MAX_STREAMS_PER_CLIENT. */
  TooManyStreams: 'TooManyStreams',
  /** A rollout that breaks rules of its key's policy: 422, every broken rule in `details`. */
  PolicyViolation: 'policy_violation',
  /** A freeze window or stop-the-line holds the key: 409 for a new rollout or a resume without override. */
  Frozen: 'frozen',
  /** 500: a failure nothing above explains (domain/api-errors.ts holds every API code's status). */
  Internal: 'Internal',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];
