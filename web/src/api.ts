/**
 * The dashboard's calls to the Tollgate API (same origin), through the typed client of the
 * contract (api/client.ts), each with the session's bearer token. A 401 ends the session (the
 * sign-in form comes back); other errors carry the server's code and message.
 */
import { ApiClientError, ROLLOUT_ACTION_ROUTES, createClient, type ApiClient, type ReplyBody } from '../../api/client';
import type { ReviewBody } from '../../api/contract';
import type { AuditQuery } from '../../domain/access';
import type { ConfigDiff } from '../../domain/diff';
import type { IncidentReport } from '../../domain/report-schemas';
import type { RolloutAction, RolloutState } from '../../domain/lifecycle';
import type { RolloutDetail, RolloutSummary, StageHealthSample } from '../../domain/schemas';
import { Reason } from '../../domain/reasons';
import { end, token } from './session';

export type { ConfigDiff, IncidentReport, RolloutDetail, RolloutSummary, StageHealthSample };
export type AuditEntries = ReplyBody<'listAudit'>;

/** A refused call: `status`, the API's error `code` and message (and `field`, `details`). */
export { ApiClientError as ApiError };

/** `Authorization` for a request, from the session or the token being tried at sign-in. */
export function authHeaders(secret = token()): Record<string, string> {
  return secret ? { authorization: `Bearer ${secret}` } : {};
}

function sessionEnds(err: unknown): unknown {
  // The token was revoked or expired mid-session (a sign-in attempt has a client of its own).
  if (err instanceof ApiClientError && err.status === 401)
    end('Your session ended: the token is unknown, revoked or expired. Sign in again.');
  return err;
}

/** The session's client: the token is read on each call, as sign-in and sign-out change it. */
export const api: ApiClient = createClient({ baseUrl: '', token: () => token() ?? undefined, mapError: sessionEnds });

/** Who a token belongs to; used to check a token at sign-in before it is kept. */
export const whoami = (secret?: string) => (secret === undefined ? api.whoami() : createClient({ baseUrl: '', token: secret }).whoami());

export function listRollouts(q: { state?: string; configKey?: string; cursor?: string | null; limit?: number }) {
  return api.listRollouts({
    query: { state: q.state as RolloutState | undefined, configKey: q.configKey, cursor: q.cursor ?? undefined, limit: q.limit ?? 50 },
  });
}

export const getRollout = (id: string): Promise<RolloutDetail> => api.getRollout({ params: { rolloutId: id } });

export const getHealth = (id: string): Promise<{ items: StageHealthSample[] }> => api.rolloutHealth({ params: { rolloutId: id } });

/** The config diff the server computes (domain/diff.ts); `from` 0 stands for no version. */
export const configDiff = (configKey: string, from: number, to: number): Promise<ConfigDiff> =>
  api.getConfigDiff({ params: { configKey }, query: { from: String(from), to: String(to) } });

export const getConfig = (configKey: string): Promise<{ stableVersion: number | null }> => api.getConfig({ params: { configKey } });

export const getReport = (id: string): Promise<IncidentReport> => api.getRolloutReport({ params: { rolloutId: id } });

/** The report as the server writes it in Markdown (a download carries the token, which a link cannot). */
export const reportMarkdown = (id: string): Promise<string> => api.text('getRolloutReport', { params: { rolloutId: id } });

/** The actor is the token's name, recorded by the server. */
export const act = (id: string, action: RolloutAction): Promise<RolloutSummary> =>
  api[ROLLOUT_ACTION_ROUTES[action]]({ params: { rolloutId: id }, body: {} });

export const review = (id: string, body: ReviewBody): Promise<RolloutSummary> => api.reviewRollout({ params: { rolloutId: id }, body });

export function listAudit(q: { [K in keyof AuditQuery]?: AuditQuery[K] | undefined }): Promise<AuditEntries> {
  return api.listAudit({ query: q });
}

export const getFreeze = () => api.getFreeze();

export const getEffectivePolicy = (configKey: string) => api.getEffectivePolicy({ params: { configKey } });

/** A refusal as a sentence for the page: four eyes and roles get words of their own. */
export function refusal(err: unknown): string {
  if (!(err instanceof ApiClientError)) return (err as Error).message;
  if (err.code === Reason.FourEyes) return `${err.message} (four eyes: another approver must do it)`;
  if (err.code === Reason.Forbidden) return `${err.message} (your role does not allow it)`;
  return err.message;
}
