/**
 * Authentication and authorisation: the one place that decides who may call what. Every `/v1`
 * request must carry a valid bearer token (or an OIDC JWT when single sign-on is configured);
 * each contract route declares its `Access`, and `authorize` checks it for `bind`.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { elevatedFieldsDenied, roleAllows, scopeIncludes, type Principal } from '../domain/access';
import { Reason } from '../domain/reasons';
import type { Labels } from '../domain/schemas';
import type { TokenStore } from '../store/tokens';
import type { Route } from './contract';
import { HttpError } from './errors';
import { looksLikeJwt, type OidcVerifier } from './oidc';

/** Longest Authorization header value looked at; anything longer is refused unread. */
export const MAX_BEARER_LENGTH = 8_192;

export interface AuthDeps {
  tokens: TokenStore;
  oidc?: OidcVerifier | undefined;
  /** A target's labels, for agent tokens scoped by selector (null: no such target). */
  targetLabels(targetId: string): Promise<Labels | null>;
}

export function principalOf(res: Response): Principal | undefined {
  return res.locals.principal as Principal | undefined;
}

function unauthenticated(message: string): HttpError {
  return new HttpError(Reason.Unauthenticated, message, 'authorization');
}

async function callerOf(deps: AuthDeps, header: string | undefined): Promise<Principal> {
  if (!header) throw unauthenticated('authorization: send Authorization: Bearer <token>');
  if (header.length > MAX_BEARER_LENGTH) throw unauthenticated('authorization: header too long');
  const match = /^Bearer +(\S+)\s*$/i.exec(header);
  if (!match) throw unauthenticated('authorization: must be "Bearer <token>"');
  const bearer = match[1]!;
  if (deps.oidc && looksLikeJwt(bearer)) {
    const r = await deps.oidc(bearer);
    if (!r.ok) throw unauthenticated(r.message);
    return r.principal;
  }
  const principal = await deps.tokens.verify(bearer);
  if (!principal) throw unauthenticated('authorization: unknown, revoked or expired token');
  return principal;
}

/**
 * Mounted on `/v1`: finds the caller (`res.locals.principal`), or keeps why there is none for
 * `requireIdentity`. The rate limits run between the two, so callers without a valid token are
 * limited by address before they are refused.
 */
export function identify(deps: AuthDeps): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    // Already identified by a narrower credential (the metrics scrape token, api/observe.ts).
    if (principalOf(res)) return next();
    callerOf(deps, req.get('authorization')).then(
      (principal) => {
        res.locals.principal = principal;
        next();
      },
      (err: unknown) => {
        if (!(err instanceof HttpError)) return next(err);
        res.locals.unauthenticated = err;
        next();
      },
    );
  };
}

/**
 * Whether a caller admitted earlier is still admitted: a live event stream asks at every
 * heartbeat, so a revoked or expired token's streams end within one heartbeat.
 */
export async function stillAdmitted(deps: AuthDeps, principal: Principal, now = new Date()): Promise<boolean> {
  if (principal.expiresAt && Date.parse(principal.expiresAt) <= now.getTime()) return false;
  return principal.via === 'oidc' || deps.tokens.isActive(principal.id, now);
}

/** Mounted on `/v1` after the limits: no caller, no answer but 401. */
export function requireIdentity(_req: Request, res: Response, next: NextFunction): void {
  next(principalOf(res) ? undefined : ((res.locals.unauthenticated as HttpError | undefined) ?? unauthenticated('authorization: missing')));
}

/** Role check, before the request is even parsed: a caller without the role learns nothing more. */
export function authorizeRole(route: Route, res: Response): void {
  if (route.access.role === 'public') return;
  const principal = principalOf(res);
  if (!principal) throw unauthenticated('authorization: send Authorization: Bearer <token>');
  if (!roleAllows(principal.role, route.access)) {
    const needed = principal.role === 'agent' ? 'a human role' : `role ${route.access.role} or higher`;
    throw new HttpError(Reason.Forbidden, `${principal.name} (${principal.role}) may not do this: it needs ${needed}`, 'authorization', {
      role: principal.role,
      required: route.access.role,
    });
  }
}

/** Fields of the body that need a higher role than the route's (e.g. `emergency`). */
export function authorizeFields(route: Route, res: Response, body: unknown): void {
  const principal = principalOf(res);
  if (!principal) return;
  const field = elevatedFieldsDenied(principal.role, route.access, body)[0];
  if (field === undefined) return;
  const needed = route.access.elevated?.[field];
  throw new HttpError(Reason.Forbidden, `${field}: ${principal.name} (${principal.role}) may not set it: it needs role ${needed}`, field, {
    role: principal.role,
    required: needed,
  });
}

/** An agent reaches only the targets in its token's scope; the target id comes from the validated path. */
export async function authorizeTarget(deps: AuthDeps, route: Route, res: Response, params: unknown): Promise<void> {
  const principal = principalOf(res);
  if (principal?.role !== 'agent' || route.access.agent !== 'targetId') return;
  const targetId = (params as { targetId?: string } | undefined)?.targetId ?? '';
  const scope = principal.targets;
  const labels = scope && 'selector' in scope ? await deps.targetLabels(targetId) : null;
  if (!scope || !scopeIncludes(scope, targetId, labels)) {
    throw new HttpError(Reason.Forbidden, `targetId: ${targetId} is outside this agent token's scope`, 'targetId');
  }
}
