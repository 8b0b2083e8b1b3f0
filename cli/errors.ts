/**
 * Exit codes and the two kinds of failure the CLI reports: a usage mistake (exit 2, before any
 * request) and an error from the server or the network (exit 1). Pipelines gate on these codes,
 * so they are part of the CLI's contract and listed in docs/cli.md.
 */
import type { RolloutState } from '../domain/lifecycle';

export const Exit = {
  Ok: 0,
  Error: 1,
  Usage: 2,
  RolledBack: 3,
  Failed: 4,
  Interrupted: 130,
} as const;
export type ExitCode = (typeof Exit)[keyof typeof Exit];

/** The exit code `watch` ends with for a rollout in a terminal state. */
export function exitCodeFor(state: RolloutState): ExitCode {
  if (state === 'rolled_back') return Exit.RolledBack;
  if (state === 'failed') return Exit.Failed;
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
  ) {
    super(message);
  }
}
