/**
 * Outbound HTTP to targets: config delivery (push) and health probes. Every call has an explicit
 * timeout; delivery retries a few times with backoff before it reports the target as failed.
 */

export type HttpFailureReason = 'http_status' | 'timeout' | 'connection';

export interface HttpOutcome {
  ok: boolean;
  status?: number;
  latencyMs: number;
  reason?: HttpFailureReason;
  message?: string;
  body?: unknown;
}

function describeError(err: unknown): { reason: HttpFailureReason; message: string } {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return { reason: 'timeout', message: 'timed out' };
  const code = e?.cause?.code;
  return { reason: 'connection', message: code ? `${code}: ${e?.cause?.message ?? ''}`.trim() : (e?.message ?? String(err)) };
}

async function request(url: string, init: RequestInit, timeoutMs: number, parseBody: boolean): Promise<HttpOutcome> {
  const started = performance.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    let body: unknown;
    const text = await res.text();
    if (parseBody && text && (res.headers.get('content-type') ?? '').includes('json')) {
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
    }
    const latencyMs = performance.now() - started;
    return res.ok
      ? { ok: true, status: res.status, latencyMs, body }
      : { ok: false, status: res.status, latencyMs, reason: 'http_status', message: `HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, latencyMs: performance.now() - started, ...describeError(err) };
  }
}

export function probe(url: string, timeoutMs: number): Promise<HttpOutcome> {
  return request(url, { method: 'GET', headers: { accept: 'application/json' } }, timeoutMs, false);
}

export interface DeliveryPolicy {
  timeoutMs: number;
  attempts: number;
  backoffMs: number;
}

/** POSTs a JSON body, retrying on failure (backoff doubles each attempt). */
export async function deliver(
  url: string,
  payload: unknown,
  policy: DeliveryPolicy,
  headers: Record<string, string> = {},
): Promise<HttpOutcome> {
  let last: HttpOutcome = { ok: false, latencyMs: 0, reason: 'connection', message: 'not attempted' };
  for (let attempt = 0; attempt < policy.attempts; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, policy.backoffMs * 2 ** (attempt - 1)));
    last = await request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: JSON.stringify(payload),
      },
      policy.timeoutMs,
      true,
    );
    if (last.ok) return last;
  }
  return last;
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
