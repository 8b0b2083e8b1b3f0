/**
 * What each contract route answers, as types derived from its response schemas: the handlers are
 * checked against `ReplyOf` (api/http.ts) and the client's methods answer `SuccessBody`
 * (api/client.ts), so both sides of the wire read one definition. Types only: nothing here runs.
 */
import type { z } from 'zod';
import type { Route } from './contract';

/** A response schema's body: `null` in the contract means the status has no body. */
export type BodyOf<S> = S extends z.ZodType ? z.output<S> : undefined;

type Statuses<R extends Route> = Extract<keyof R['responses'], number>;

/** One reply a route may send: a status its contract declares, with that status's body. */
export type ReplyOf<R extends Route> = {
  [S in Statuses<R>]: R['responses'][S] extends z.ZodType
    ? { status: S; body: z.output<R['responses'][S]> }
    : { status: S; body?: undefined };
}[Statuses<R>];

export type SuccessStatus = 200 | 201 | 202 | 203 | 204 | 206;

/** The body of any 2xx the route declares (a union where it has several, as createRollout does). */
export type SuccessBody<R extends Route> = {
  [S in Extract<Statuses<R>, SuccessStatus>]: BodyOf<R['responses'][S]>;
}[Extract<Statuses<R>, SuccessStatus>];
