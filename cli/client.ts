/**
 * The HTTP client of the REST contract (api/contract.ts). Every request has a deadline, so a hung
 * server fails the command instead of hanging a pipeline. Every request carries the bearer token
 * ($TOLLGATE_TOKEN); error bodies become `ApiError`s that carry the server's message, code and
 * field, and for a 401 or 403 what to do about it.
 */
import type { z } from 'zod';
import type { ReviewBody } from '../api/contract';
import type { AuditPage, AuditQuery, CreatedToken, CreateTokenRequest, Principal, TokenInfo } from '../domain/access';
import type { RolloutAction } from '../domain/lifecycle';
import type { CreateSubscriptionRequest, Delivery, Subscription } from '../domain/notifications';
import type { ConfigDiff } from '../domain/diff';
import type { IncidentReport } from '../domain/report-schemas';
import type { CreateRolloutRequest, RolloutDetail, RolloutSummary, Target, TargetInput } from '../domain/schemas';
import { ApiError, authHint } from './errors';

export const REQUEST_TIMEOUT_MS = 10_000;

export interface ClientOptions {
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>` on every request, the event stream included. */
  token?: string | undefined;
  timeoutMs?: number;
}

export interface ListRolloutsFilter {
  configKey?: string | undefined;
  state?: string | undefined;
  limit?: number | undefined;
}

/** The audit query as the CLI sends it: every filter optional, the limit the server's default when absent. */
export type AuditFilter = { [K in keyof AuditQuery]?: AuditQuery[K] | undefined };

export type AuditPageBody = z.infer<typeof AuditPage>;

export class TollgateClient {
  readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(private readonly o: ClientOptions) {
    this.baseUrl = o.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = o.timeoutMs ?? REQUEST_TIMEOUT_MS;
  }

  get hasToken(): boolean {
    return Boolean(this.o.token);
  }

  /** Headers every request carries; `watch` reuses them for the event stream. */
  headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      accept: 'application/json',
      ...(this.o.token ? { authorization: `Bearer ${this.o.token}` } : {}),
      ...extra,
    };
  }

  url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const text = await this.requestText(method, path, body);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** The body as text, for routes that answer other than JSON (the Markdown report). */
  async requestText(method: string, path: string, body?: unknown, accept = 'application/json'): Promise<string> {
    let res: Response;
    try {
      res = await fetch(this.url(path), {
        method,
        headers: this.headers({ accept, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw networkError(err, this.baseUrl, this.timeoutMs);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw networkError(err, this.baseUrl, this.timeoutMs);
    }
    if (res.ok) return text;
    throw errorFromBody(res.status, text, this.hasToken);
  }

  whoami(): Promise<Principal> {
    return this.request('GET', '/v1/me');
  }

  listTargets(selector?: string): Promise<{ items: Target[] }> {
    return this.request('GET', `/v1/targets${selector ? `?selector=${encodeURIComponent(selector)}` : ''}`);
  }

  putTarget(id: string, input: TargetInput): Promise<Target> {
    return this.request('PUT', `/v1/targets/${encodeURIComponent(id)}`, input);
  }

  deleteTarget(id: string): Promise<void> {
    return this.request('DELETE', `/v1/targets/${encodeURIComponent(id)}`);
  }

  createRollout(req: CreateRolloutRequest): Promise<RolloutSummary> {
    return this.request('POST', '/v1/rollouts', req);
  }

  listRollouts(f: ListRolloutsFilter = {}): Promise<{ items: RolloutSummary[] }> {
    const q = new URLSearchParams();
    if (f.configKey) q.set('configKey', f.configKey);
    if (f.state) q.set('state', f.state);
    if (f.limit !== undefined) q.set('limit', String(f.limit));
    const qs = q.toString();
    return this.request('GET', `/v1/rollouts${qs ? `?${qs}` : ''}`);
  }

  getRollout(id: string): Promise<RolloutDetail> {
    return this.request('GET', `/v1/rollouts/${encodeURIComponent(id)}`);
  }

  /** The actor is the token's name: the server records it, nothing here can claim another. */
  act(id: string, action: RolloutAction, reason?: string): Promise<RolloutSummary> {
    return this.request('POST', `/v1/rollouts/${encodeURIComponent(id)}/${action}`, reason ? { reason } : {});
  }

  review(id: string, body: ReviewBody): Promise<RolloutSummary> {
    return this.request('POST', `/v1/rollouts/${encodeURIComponent(id)}/review`, body);
  }

  /** The incident report as JSON. */
  report(id: string): Promise<IncidentReport> {
    return this.request('GET', `/v1/rollouts/${encodeURIComponent(id)}/report?format=json`);
  }

  /** The incident report as the server writes it in Markdown. */
  reportMarkdown(id: string): Promise<string> {
    return this.requestText('GET', `/v1/rollouts/${encodeURIComponent(id)}/report`, undefined, 'text/markdown');
  }

  configDiff(configKey: string, from: number, to: number): Promise<ConfigDiff> {
    return this.request('GET', `/v1/configs/${encodeURIComponent(configKey)}/diff?from=${from}&to=${to}`);
  }

  createToken(req: CreateTokenRequest): Promise<CreatedToken> {
    return this.request('POST', '/v1/tokens', req);
  }

  listTokens(): Promise<{ items: TokenInfo[] }> {
    return this.request('GET', '/v1/tokens');
  }

  revokeToken(id: string): Promise<TokenInfo> {
    return this.request('DELETE', `/v1/tokens/${encodeURIComponent(id)}`);
  }

  createSubscription(req: CreateSubscriptionRequest): Promise<Subscription> {
    return this.request('POST', '/v1/subscriptions', req);
  }

  listSubscriptions(): Promise<{ items: Subscription[] }> {
    return this.request('GET', '/v1/subscriptions');
  }

  deleteSubscription(id: string): Promise<void> {
    return this.request('DELETE', `/v1/subscriptions/${encodeURIComponent(id)}`);
  }

  listDeliveries(id: string, limit?: number): Promise<{ items: Delivery[] }> {
    return this.request('GET', `/v1/subscriptions/${encodeURIComponent(id)}/deliveries${limit !== undefined ? `?limit=${limit}` : ''}`);
  }

  listAudit(f: AuditFilter = {}): Promise<AuditPageBody> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(f)) if (v !== undefined && v !== '') q.set(k, String(v));
    const qs = q.toString();
    return this.request('GET', `/v1/audit${qs ? `?${qs}` : ''}`);
  }
}

export function errorFromBody(status: number, text: string, tokenSent = false): ApiError {
  const hint = authHint(status, '', tokenSent);
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; field?: unknown } };
    const e = body.error;
    if (e && typeof e.message === 'string') {
      const code = typeof e.code === 'string' ? e.code : 'Unknown';
      const field = typeof e.field === 'string' ? e.field : undefined;
      // A refusal of who is asking is named by its code: it is what a user searches the docs for.
      const auth = status === 401 || status === 403;
      return new ApiError(auth ? `${code}: ${e.message}` : e.message, status, code, field, authHint(status, code, tokenSent));
    }
  } catch {
    // Not the contract's error body (a proxy's HTML page, say): report the status instead.
  }
  return new ApiError(`HTTP ${status}${text ? `: ${text.slice(0, 200).trim()}` : ''}`, status, 'Http', undefined, hint);
}

export function networkError(err: unknown, baseUrl: string, timeoutMs: number): ApiError {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError')
    return new ApiError(`no answer from Tollgate at ${baseUrl} within ${timeoutMs / 1000} s`, null, 'Timeout');
  const why = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  return new ApiError(`cannot reach Tollgate at ${baseUrl} (${why}); set TOLLGATE_URL or --url`, null, 'Unreachable');
}
