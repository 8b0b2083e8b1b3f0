import { statusOf, type AlternateStatus, type ApiErrorCode, type ErrorStatus } from '../domain/api-errors';

/**
 * An error the API answers with a 4xx/5xx body: a code from domain/api-errors.ts, which gives its
 * status, and a message naming the field.
 */
export class HttpError extends Error {
  readonly status: ErrorStatus;

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly field?: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.status = statusOf(code);
  }

  /** An error with one of its code's other statuses (`also` in the table), where its meaning calls for it. */
  static withStatus<C extends ApiErrorCode>(
    code: C,
    status: AlternateStatus<C>,
    message: string,
    field?: string,
    details?: unknown,
  ): HttpError {
    return Object.assign(new HttpError(code, message, field, details), { status });
  }
}
