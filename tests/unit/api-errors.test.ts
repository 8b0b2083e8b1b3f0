import type { Request, Response } from 'express';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { MaxRetriesPerRequestError } from 'ioredis/built/errors';
import { API_ERROR_CODES, API_ERRORS, statusOf, type ApiErrorCode } from '../../domain/api-errors';
import { Reason } from '../../domain/reasons';
import { ErrorBody } from '../../domain/schemas';
import { errorHandler, HttpError } from '../../api/http';
import { workflowCallRefusal } from '../../runtime/temporal-errors';

/**
 * The wire: what clients match on. A row changes here only together with every client that reads it.
 */
const WIRE: Record<ApiErrorCode, number> = {
  InvalidRequest: 400,
  NotFound: 404,
  Conflict: 409,
  InvalidState: 409,
  SchemaViolation: 422,
  PayloadTooLarge: 413,
  NoTargets: 422,
  UnknownTargets: 422,
  RolloutActive: 409,
  TargetInUse: 409,
  NotNewest: 409,
  Unavailable: 503,
  NoIncident: 409,
  unauthenticated: 401,
  forbidden: 403,
  four_eyes: 403,
  UnsupportedMediaType: 415,
  JsonTooDeep: 413,
  JsonTooManyItems: 413,
  SchemaTooLarge: 413,
  UnsupportedPattern: 422,
  RemoteRefRefused: 422,
  TargetUrlRefused: 422,
  SubscriptionUrlRefused: 422,
  TooManySubscriptions: 409,
  RateLimited: 429,
  TooManyStreams: 429,
  policy_violation: 422,
  frozen: 409,
  Internal: 500,
};

const isErrorStatus = (status: number) => Number.isInteger(status) && status >= 400 && status < 600;

describe('the API error table', () => {
  describe.each(API_ERROR_CODES)('%s', (code) => {
    const spec = API_ERRORS[code];
    const also: readonly number[] = 'also' in spec ? spec.also : [];

    it('answers with a 4xx or 5xx status, the one clients expect', () => {
      expect(isErrorStatus(spec.status)).toBe(true);
      expect(spec.status).toBe(WIRE[code]);
    });

    it('allows other statuses only if they are errors too, and not the usual one again', () => {
      for (const status of also) {
        expect(isErrorStatus(status)).toBe(true);
        expect(status).not.toBe(spec.status);
      }
    });

    it('says what it means, as a sentence', () => {
      expect(spec.means).toMatch(/^[A-Z].{10,}\.$/);
    });

    it('is a code the error body schema accepts', () => {
      expect(ErrorBody.safeParse({ error: { code, message: 'm' } }).success).toBe(true);
    });

    it('gives an HttpError its status', () => {
      expect(new HttpError(code, 'm').status).toBe(spec.status);
    });
  });

  it('holds every reason code the API may answer with, and nothing else', () => {
    const workflowOnly: string[] = [Reason.StagedInputMissing];
    expect([...API_ERROR_CODES].sort()).toEqual(
      Object.values(Reason)
        .filter((r) => !workflowOnly.includes(r))
        .sort(),
    );
    expect(Object.keys(WIRE).sort()).toEqual([...API_ERROR_CODES].sort());
  });

  it('refuses a code outside the table, in the compiler and in the body schema', () => {
    // @ts-expect-error a code that is not in the table does not compile
    expect(() => new HttpError('typo_code', 'm')).toThrow();
    expect(ErrorBody.safeParse({ error: { code: 'typo_code', message: 'm' } }).success).toBe(false);
  });

  it("takes one of a code's other statuses only where the table lists it", () => {
    expect(HttpError.withStatus(Reason.InvalidRequest, 422, 'm', 'targets.selector').status).toBe(422);
    // Checked by the compiler only (tsc runs over the tests): NotFound has no other status.
    // @ts-expect-error 410 is not a status the table gives NotFound
    const gone = () => HttpError.withStatus(Reason.NotFound, 410, 'm', 'id');
    expect(gone).toBeInstanceOf(Function);
  });
});

describe('errorHandler', () => {
  function answer(err: unknown): { status: number; body: ErrorBody } {
    const out = { status: 0, body: undefined as unknown as ErrorBody };
    const res = {
      headersSent: false,
      locals: {},
      status(status: number) {
        out.status = status;
        return this;
      },
      json(body: ErrorBody) {
        out.body = body;
        return this;
      },
    } as unknown as Response;
    errorHandler(() => undefined)(err, { method: 'GET', path: '/v1/x' } as Request, res, () => undefined);
    return out;
  }

  const cases: [string, unknown, number, ApiErrorCode][] = [
    ['an HttpError keeps its code and the status the table gives it', new HttpError(Reason.Frozen, 'frozen'), 409, Reason.Frozen],
    ['an oversized body', { type: 'entity.too.large', limit: 10 }, 413, Reason.PayloadTooLarge],
    ['a body that is not JSON', { type: 'entity.parse.failed', message: 'x' }, 400, Reason.InvalidRequest],
    ['a client error from express keeps its status', Object.assign(new Error('bad uri'), { status: 400 }), 400, Reason.InvalidRequest],
    ['ioredis out of retries', new MaxRetriesPerRequestError(1), 503, Reason.Unavailable],
    ['a bug', new TypeError('x is undefined'), 500, Reason.Internal],
  ];
  it.each(cases)('%s', (_name, err, status, code) => {
    const { status: answered, body } = answer(err);
    expect([answered, body.error.code]).toEqual([status, code]);
    expect(statusOf(code)).toBe(status);
    expect(ErrorBody.safeParse(body).success).toBe(true);
  });
});

describe('workflowCallRefusal', () => {
  const cases: [string, unknown, ReturnType<typeof workflowCallRefusal>][] = [
    ['a start under a taken id', new WorkflowExecutionAlreadyStartedError('taken', 'wf', 'rolloutWorkflow'), 'id_taken'],
    ['a workflow that is gone', new WorkflowNotFoundError('gone', 'wf', undefined), 'not_found'],
    ['an error that only bears the name', Object.assign(new Error('gone'), { name: 'WorkflowNotFoundError' }), null],
    ['anything else', new Error('boom'), null],
    ['nothing', undefined, null],
  ];
  it.each(cases)('%s → %s', (_name, err, expected) => expect(workflowCallRefusal(err)).toBe(expected));
});
