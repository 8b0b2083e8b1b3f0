/**
 * Exit codes and the two kinds of failure the CLI reports: a usage mistake (exit 2, before any
 * request) and an error from the server or the network (exit 1). Pipelines gate on these codes,
 * so they are part of the CLI's contract and listed in docs/cli.md.
 */
import type { RolloutState } from '../domain/lifecycle';
import { Reason } from '../domain/reasons';

export const Exit = {
  Ok: 0,
  Error: 1,
  Usage: 2,
  RolledBack: 3,
  Failed: 4,
  /** A reviewer rejected the rollout: no target was touched. */
  Rejected: 5,
  Interrupted: 130,
} as const;
export type ExitCode = (typeof Exit)[keyof typeof Exit];

/** The exit code `watch` ends with for a rollout in a terminal state. */
export function exitCodeFor(state: RolloutState): ExitCode {
  if (state === 'rolled_back') return Exit.RolledBack;
  if (state === 'failed') return Exit.Failed;
  if (state === 'rejected') return Exit.Rejected;
  return Exit.Ok;
}

/** A mistake in the command line: the message names the flag or argument. */
export class UsageError extends Error {
  readonly exitCode = Exit.Usage;
  /** Which command's help to point at. */
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

/** The server refused the request (`{error: {code, message, field?}}`), or could not be reached. */
export class ApiError extends Error {
  readonly exitCode = Exit.Error;
  constructor(
    message: string,
    readonly status: number | null,
    readonly code: string,
    readonly field?: string,
    /** What the user can do about it, printed under the error. */
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Refusals that no retry will change: the stream reader and the poller stop at once on them. */
export function isAuthError(err: unknown): err is ApiError {
  return err instanceof ApiError && (err.status === 401 || err.status === 403);
}

/**
 * What to do about a 401 or 403. The server's message says what was refused; this says how to
 * get past it, which depends on whether a token was sent at all.
 */
export function authHint(status: number, code: string, tokenSent: boolean): string | undefined {
  if (status === 401) {
    return tokenSent
      ? 'TOLLGATE_TOKEN was refused: it is unknown, revoked or expired. Ask an admin for a new one (tollgate token create) and set TOLLGATE_TOKEN to it.'
      : 'set TOLLGATE_TOKEN to an API token; an admin creates one with: tollgate token create --name NAME --role ROLE';
  }
  if (status !== 403) return undefined;
  if (code === Reason.FourEyes) return 'four eyes: someone other than the submitter, with the approver role, must do this.';
  return 'the role of TOLLGATE_TOKEN is too low for this (tollgate whoami shows it): use a token with the role named above.';
}
