/**
 * The HTTP client of the REST contract (api/contract.ts). Every request has a deadline, so a hung
 * server fails the command instead of hanging a pipeline. Error bodies become `ApiError`s that
 * carry the server's message, code and field.
 */
import type { RolloutAction } from '../domain/lifecycle';
import type { CreateRolloutRequest, RolloutDetail, RolloutSummary, Target, TargetInput } from '../domain/schemas';
import { ApiError } from './errors';

export const REQUEST_TIMEOUT_MS = 10_000;

export interface ClientOptions {
  baseUrl: string;
  /** Sent as a bearer token. The server does not check it yet; the header is reserved for when it does. */
  token?: string | undefined;
  /** Recorded by the server as who submitted a rollout. */
  actor?: string | undefined;
  timeoutMs?: number;
}

export interface ListRolloutsFilter {
  configKey?: string | undefined;
  state?: string | undefined;
  limit?: number | undefined;
}

export class TollgateClient {
  readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(private readonly o: ClientOptions) {
    this.baseUrl = o.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = o.timeoutMs ?? REQUEST_TIMEOUT_MS;
  }

  /** Headers every request carries; `watch` reuses them for the event stream. */
  headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      accept: 'application/json',
      ...(this.o.token ? { authorization: `Bearer ${this.o.token}` } : {}),
      ...(this.o.actor ? { 'x-tollgate-actor': this.o.actor } : {}),
      ...extra,
    };
  }

  url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.url(path), {
        method,
        headers: this.headers(body === undefined ? {} : { 'content-type': 'application/json' }),
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
    if (res.ok) return (text ? JSON.parse(text) : undefined) as T;
    throw errorFromBody(res.status, text);
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

  act(id: string, action: RolloutAction, body: { actor?: string | undefined; reason?: string | undefined }): Promise<RolloutSummary> {
    return this.request('POST', `/v1/rollouts/${encodeURIComponent(id)}/${action}`, {
      ...(body.actor ? { actor: body.actor } : {}),
      ...(body.reason ? { reason: body.reason } : {}),
    });
  }
}

export function errorFromBody(status: number, text: string): ApiError {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; field?: unknown } };
    const e = body.error;
    if (e && typeof e.message === 'string') {
      return new ApiError(
        e.message,
        status,
        typeof e.code === 'string' ? e.code : 'Unknown',
        typeof e.field === 'string' ? e.field : undefined,
      );
    }
  } catch {
    // Not the contract's error body (a proxy's HTML page, say): report the status instead.
  }
  return new ApiError(`HTTP ${status}${text ? `: ${text.slice(0, 200).trim()}` : ''}`, status, 'Http');
}

export function networkError(err: unknown, baseUrl: string, timeoutMs: number): ApiError {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError')
    return new ApiError(`no answer from Tollgate at ${baseUrl} within ${timeoutMs / 1000} s`, null, 'Timeout');
  const why = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  return new ApiError(`cannot reach Tollgate at ${baseUrl} (${why}); set TOLLGATE_URL or --url`, null, 'Unreachable');
}
