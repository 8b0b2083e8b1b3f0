/**
 * Single sign-on: JWTs from one OpenID Connect issuer, verified against its JWKS (jose), the
 * subject becoming the actor and one claim carrying the Tollgate role.
 */
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { HUMAN_ROLES, type HumanRole, type Principal } from '../domain/access';

/** One JWKS or discovery request; jose also waits this long at most. */
export const OIDC_FETCH_TIMEOUT_MS = 5_000;
/** A key set is fetched again at most this often when a token names an unknown key. */
export const OIDC_JWKS_COOLDOWN_MS = 30_000;
/** Tolerated clock difference with the issuer. */
export const OIDC_CLOCK_TOLERANCE_S = 30;

export interface OidcOptions {
  issuer: string;
  audience: string;
  /** The claim that carries the role: a string, or an array whose highest role counts. */
  roleClaim: string;
  /** Where the issuer publishes its keys; discovered from the issuer when not given. */
  jwksUrl?: string | undefined;
}

export type OidcResult = { ok: true; principal: Principal } | { ok: false; message: string };
export type OidcVerifier = (jwt: string) => Promise<OidcResult>;

/** Three base64url parts: worth handing to the JWT verifier rather than the token store. */
export function looksLikeJwt(bearer: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(bearer);
}

async function discoverJwks(issuer: string): Promise<URL> {
  const res = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, {
    signal: AbortSignal.timeout(OIDC_FETCH_TIMEOUT_MS),
    redirect: 'error',
  });
  if (!res.ok) throw new Error(`OIDC discovery at ${issuer} answered ${res.status}`);
  const doc = (await res.json()) as { jwks_uri?: unknown };
  if (typeof doc.jwks_uri !== 'string') throw new Error(`OIDC discovery at ${issuer} has no jwks_uri`);
  return new URL(doc.jwks_uri);
}

/** The highest Tollgate role named by the claim, if any. */
export function roleFromClaim(payload: JWTPayload, claim: string): HumanRole | null {
  const value = payload[claim];
  const named = (Array.isArray(value) ? value : [value]).filter((v): v is HumanRole => HUMAN_ROLES.includes(v as HumanRole));
  if (named.length === 0) return null;
  return named.reduce((a, b) => (HUMAN_ROLES.indexOf(b) > HUMAN_ROLES.indexOf(a) ? b : a));
}

export function createOidcVerifier(o: OidcOptions): OidcVerifier {
  let jwks: ReturnType<typeof createRemoteJWKSet> | null = null;
  const keySet = async () => {
    jwks ??= createRemoteJWKSet(o.jwksUrl ? new URL(o.jwksUrl) : await discoverJwks(o.issuer), {
      timeoutDuration: OIDC_FETCH_TIMEOUT_MS,
      cooldownDuration: OIDC_JWKS_COOLDOWN_MS,
    });
    return jwks;
  };
  return async (jwt) => {
    try {
      const { payload } = await jwtVerify(jwt, await keySet(), {
        issuer: o.issuer,
        audience: o.audience,
        clockTolerance: OIDC_CLOCK_TOLERANCE_S,
        requiredClaims: ['sub', 'exp'],
      });
      const role = roleFromClaim(payload, o.roleClaim);
      if (!role) return { ok: false, message: `token: the ${o.roleClaim} claim names no Tollgate role` };
      const sub = payload.sub!;
      return {
        ok: true,
        principal: {
          id: `oidc:${sub}`,
          name: sub,
          role,
          via: 'oidc',
          ...(payload.exp ? { expiresAt: new Date(payload.exp * 1000).toISOString() } : {}),
        },
      };
    } catch (err) {
      // jose's errors carry a stable code (ERR_JWT_EXPIRED, ERR_JWS_SIGNATURE_VERIFICATION_FAILED, …).
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('ERR_J') && code !== 'ERR_JWKS_TIMEOUT') {
        return { ok: false, message: `token: ${code}: ${(err as Error).message}` };
      }
      // The issuer could not be reached: the caller cannot be told apart from an impostor.
      return { ok: false, message: `token: the identity provider could not be reached (${(err as Error).message})` };
    }
  };
}
