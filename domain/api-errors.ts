/**
 * Every error code the API answers with, the HTTP status it comes with, and what it means: one
 * closed table. `HttpError` takes its status from here, so a code outside the table, or a status
 * the table does not give a code, fails to compile; the contract's error body lists the same codes,
 * so the OpenAPI document does too. Clients match these codes exactly: a row is never renamed.
 */
import { Reason } from './reasons';

/** The statuses an error may carry: client errors and server errors, never a success. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 503;

export interface ApiErrorSpec {
  /** What an error with this code answers. */
  status: ErrorStatus;
  /** Other statuses the code is answered with, each where the meaning says. */
  also?: readonly ErrorStatus[];
  /** What the code tells a client, and what it can do about it (the message names the particulars). */
  means: string;
}

/** Reason codes that travel only between activities and their workflow, never to an API client. */
type WorkflowOnlyReason = typeof Reason.StagedInputMissing;

export type ApiErrorCode = Exclude<Reason, WorkflowOnlyReason>;

export const API_ERRORS = {
  [Reason.InvalidRequest]: {
    status: 400,
    also: [422],
    means: 'The request breaks the contract; `field` names where. 422 when a selector matches more targets than one rollout may take.',
  },
  [Reason.NotFound]: { status: 404, means: 'No such resource (or route); `field` names the id that was not found.' },
  [Reason.Conflict]: { status: 409, means: 'The name is taken, for good: token names are never reused.' },
  [Reason.InvalidState]: { status: 409, means: 'The rollout is not in a state that takes this action; `details.state` is its state now.' },
  [Reason.SchemaViolation]: { status: 422, means: "The content does not meet its config key's JSON Schema." },
  [Reason.PayloadTooLarge]: { status: 413, means: 'The body is larger than TOLLGATE_MAX_BODY.' },
  [Reason.NoTargets]: { status: 422, means: 'The selector matches no registered target.' },
  [Reason.UnknownTargets]: { status: 422, means: 'Target ids that are not registered; `details.unknown` lists them.' },
  [Reason.RolloutActive]: {
    status: 409,
    means: 'Another rollout (or rollback) of the key is active or closing; `details.activeRolloutId` names it when known.',
  },
  [Reason.TargetInUse]: { status: 409, means: 'The target is part of an active rollout and cannot be deleted now.' },
  [Reason.NotNewest]: { status: 409, means: "A fast rollback of a rollout whose version is no longer the key's newest." },
  [Reason.Unavailable]: { status: 503, means: 'Redis or Temporal cannot be reached, or the live event clients are at their limit; retry.' },
  [Reason.NoIncident]: { status: 409, means: 'An incident report asked of a rollout that did not regress, roll back or fail.' },
  [Reason.Unauthenticated]: { status: 401, means: 'No token, or an unknown, revoked or expired one.' },
  [Reason.Forbidden]: { status: 403, means: "The caller's role does not reach the route, the field or the target." },
  [Reason.FourEyes]: { status: 403, means: 'A submitter reviewing or approving their own rollout: another approver must.' },
  [Reason.UnsupportedMediaType]: { status: 415, means: 'A body that is not JSON, or not UTF-8, on a JSON route.' },
  [Reason.JsonTooDeep]: { status: 413, means: 'A body nested deeper than TOLLGATE_MAX_JSON_DEPTH.' },
  [Reason.JsonTooManyItems]: { status: 413, means: 'A body with more keys and elements than TOLLGATE_MAX_JSON_ITEMS.' },
  [Reason.SchemaTooLarge]: { status: 413, means: 'A config schema with more keys and elements than TOLLGATE_MAX_SCHEMA_ITEMS.' },
  [Reason.UnsupportedPattern]: { status: 422, means: 'A schema pattern RE2 cannot run in linear time (backreferences, lookaround).' },
  [Reason.RemoteRefRefused]: { status: 422, means: 'A schema `$ref` outside the document: schemas are never fetched.' },
  [Reason.TargetUrlRefused]: { status: 422, means: 'A target URL outside the outbound fence (TOLLGATE_TARGET_ALLOW).' },
  [Reason.SubscriptionUrlRefused]: { status: 422, means: 'A subscription URL outside the outbound fence (TOLLGATE_NOTIFY_ALLOW).' },
  [Reason.TooManySubscriptions]: { status: 409, means: 'MAX_SUBSCRIPTIONS exist already; delete one first.' },
  [Reason.RateLimited]: {
    status: 429,
    means: "More requests of a class than the client's limit in the window; retry after `Retry-After`.",
  },
  [Reason.TooManyStreams]: { status: 429, means: 'More open event streams than TOLLGATE_MAX_STREAMS_PER_CLIENT.' },
  [Reason.PolicyViolation]: { status: 422, means: "The rollout breaks rules of its key's policy; `details` lists every broken rule." },
  [Reason.Frozen]: { status: 409, means: 'A freeze window or stop-the-line holds the key; an admin may override it.' },
  [Reason.Internal]: { status: 500, means: 'An unexpected failure; the request id finds it in the logs.' },
} as const satisfies Record<ApiErrorCode, ApiErrorSpec>;

/** Every API error code, for the contract's enum. */
export const API_ERROR_CODES = Object.keys(API_ERRORS) as [ApiErrorCode, ...ApiErrorCode[]];

type Row<C extends ApiErrorCode> = (typeof API_ERRORS)[C];

/** The other statuses the table allows a code (never, for most). */
export type AlternateStatus<C extends ApiErrorCode> = Row<C> extends { also: readonly (infer S extends ErrorStatus)[] } ? S : never;

/** The status an error with this code answers with. */
export function statusOf(code: ApiErrorCode): ErrorStatus {
  return API_ERRORS[code].status;
}
