/**
 * The dashboard's calls to the Tollgate API (same origin), each with the session's bearer token.
 * A 401 ends the session (the sign-in form comes back); other errors carry the server's code and
 * message.
 */
import type { z } from 'zod';
import type { ReviewBody } from '../../api/contract';
import type { AuditPage, AuditQuery, Principal } from '../../domain/access';
import type { ConfigDiff } from '../../domain/diff';
import type { IncidentReport } from '../../domain/report-schemas';
import type { RolloutAction } from '../../domain/lifecycle';
import type { RolloutDetail, RolloutPage, RolloutSummary, StageHealthSample } from '../../domain/schemas';
import { Reason } from '../../domain/reasons';
import { end, token } from './session';

export type { ConfigDiff, IncidentReport, RolloutDetail, RolloutSummary, StageHealthSample };
export type AuditEntries = z.infer<typeof AuditPage>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** `Authorization` for a request, from the session or the token being tried at sign-in. */
export function authHeaders(secret = token()): Record<string, string> {
  return secret ? { authorization: `Bearer ${secret}` } : {};
}

export async function call<T>(method: string, path: string, body?: unknown, secret?: string): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: {
      accept: 'application/json',
      ...authHeaders(secret),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    const err = new ApiError(res.status, e?.code ?? 'Http', e?.message ?? `HTTP ${res.status}`);
    // The token was revoked or expired mid-session (a sign-in attempt handles its own 401).
    if (res.status === 401 && secret === undefined) end('Your session ended: the token is unknown, revoked or expired. Sign in again.');
    throw err;
  }
  return json as T;
}

/** Who a token belongs to; used to check a token at sign-in before it is kept. */
export const whoami = (secret?: string) => call<Principal>('GET', '/v1/me', undefined, secret);

export function listRollouts(q: { state?: string; configKey?: string; cursor?: string | null; limit?: number }) {
  const p = new URLSearchParams();
  if (q.state) p.set('state', q.state);
  if (q.configKey) p.set('configKey', q.configKey);
  if (q.cursor) p.set('cursor', q.cursor);
  p.set('limit', String(q.limit ?? 50));
  return call<z.infer<typeof RolloutPage>>('GET', `/v1/rollouts?${p.toString()}`);
}

export const getRollout = (id: string) => call<RolloutDetail>('GET', `/v1/rollouts/${encodeURIComponent(id)}`);

export const getHealth = (id: string) => call<{ items: StageHealthSample[] }>('GET', `/v1/rollouts/${encodeURIComponent(id)}/health`);

/** The config diff the server computes (domain/diff.ts); `from` 0 stands for no version. */
export const configDiff = (configKey: string, from: number, to: number) =>
  call<ConfigDiff>('GET', `/v1/configs/${encodeURIComponent(configKey)}/diff?from=${from}&to=${to}`);

export const getConfig = (configKey: string) =>
  call<{ stableVersion: number | null }>('GET', `/v1/configs/${encodeURIComponent(configKey)}`);

export const getReport = (id: string) => call<IncidentReport>('GET', `/v1/rollouts/${encodeURIComponent(id)}/report?format=json`);

/** The report as the server writes it in Markdown (a download carries the token, which a link cannot). */
export async function reportMarkdown(id: string): Promise<string> {
  const res = await fetch(`/v1/rollouts/${encodeURIComponent(id)}/report`, { headers: { accept: 'text/markdown', ...authHeaders() } });
  if (!res.ok) throw new ApiError(res.status, 'Http', `HTTP ${res.status}`);
  return res.text();
}

/** The actor is the token's name, recorded by the server. */
export const act = (id: string, action: RolloutAction) =>
  call<RolloutSummary>('POST', `/v1/rollouts/${encodeURIComponent(id)}/${action}`, {});

export const review = (id: string, body: ReviewBody) => call<RolloutSummary>('POST', `/v1/rollouts/${encodeURIComponent(id)}/review`, body);

export function listAudit(q: { [K in keyof AuditQuery]?: AuditQuery[K] | undefined }) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
  return call<AuditEntries>('GET', `/v1/audit?${p.toString()}`);
}

/** A refusal as a sentence for the page: four eyes and roles get words of their own. */
export function refusal(err: unknown): string {
  if (!(err instanceof ApiError)) return (err as Error).message;
  if (err.code === Reason.FourEyes) return `${err.message} (four eyes: another approver must do it)`;
  if (err.code === Reason.Forbidden) return `${err.message} (your role does not allow it)`;
  return err.message;
}
