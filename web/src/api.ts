/** The dashboard's calls to the Tollgate API (same origin). */
import type { RolloutAction } from '../../domain/lifecycle';
import type { RolloutDetail, RolloutSummary } from '../../domain/schemas';

export type { RolloutDetail, RolloutSummary };

export interface StageSample {
  stage: string;
  at: string;
  total: number;
  failed: number;
  unobserved: number;
  p95LatencyMs: number | null;
  failures: { targetId: string; reason: string; status?: number; message: string }[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const json: unknown = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const msg = (json as { error?: { message?: string } } | undefined)?.error?.message ?? `HTTP ${res.status}`;
    throw new ApiError(res.status, msg);
  }
  return json as T;
}

export function listRollouts(q: { state?: string; configKey?: string; cursor?: string | null; limit?: number }) {
  const p = new URLSearchParams();
  if (q.state) p.set('state', q.state);
  if (q.configKey) p.set('configKey', q.configKey);
  if (q.cursor) p.set('cursor', q.cursor);
  p.set('limit', String(q.limit ?? 50));
  return call<{ items: RolloutSummary[]; nextCursor: string | null }>('GET', `/v1/rollouts?${p.toString()}`);
}

export const getRollout = (id: string) => call<RolloutDetail>('GET', `/v1/rollouts/${encodeURIComponent(id)}`);

export const getHealth = (id: string) => call<{ items: StageSample[] }>('GET', `/v1/rollouts/${encodeURIComponent(id)}/health`);

export async function configContent(configKey: string, version: number): Promise<unknown> {
  try {
    return (await call<{ content: unknown }>('GET', `/v1/configs/${encodeURIComponent(configKey)}/versions/${version}`)).content;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}

export const act = (id: string, action: RolloutAction) =>
  call<RolloutSummary>('POST', `/v1/rollouts/${encodeURIComponent(id)}/${action}`, { actor: 'dashboard' });
