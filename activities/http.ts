/**
 * Outbound HTTP to targets: config delivery (push) and health probes. Every call has an explicit
 * timeout; delivery retries a few times with backoff before it reports the target as failed.
 *
 * Calls are fenced (domain/outbound.ts): a URL's scheme and host are checked before the call, and
 * the addresses its name resolves to are checked inside the connection's own DNS lookup, so a name
 * that re-points at a metadata address after registration is still refused. Redirects are never
 * followed (a 3xx is a failed call: following one would leave the fence), and no more than
 * `maxResponseBytes` of an answer is read.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction, Socket } from 'node:net';
import { measureJsonText } from '../domain/json-shape';
import { addressVerdict, allowedByName, normalizeHost, OPEN_POLICY, urlVerdict, type OutboundPolicy } from '../domain/outbound';

export type HttpFailureReason = 'http_status' | 'timeout' | 'connection';

export interface HttpOutcome {
  ok: boolean;
  status?: number;
  latencyMs: number;
  reason?: HttpFailureReason;
  message?: string;
  body?: unknown;
}

export interface DeliveryPolicy {
  timeoutMs: number;
  attempts: number;
  backoffMs: number;
}

export interface OutboundOptions {
  policy: OutboundPolicy;
  /** Bytes of an answer read at most; a longer one fails the call. */
  maxResponseBytes: number;
}

/** TOLLGATE_MAX_TARGET_RESPONSE: a health or apply answer is a status and a small JSON body. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
export const DEFAULT_OUTBOUND: OutboundOptions = { policy: OPEN_POLICY, maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES };

/** What of an answer is parsed: a confirmation like `{"version": 3}` needs little. */
const ANSWER_BOUNDS = { maxDepth: 32, maxItems: 1_000 };

/** Why a call was refused before it left, as the `connection` failure's message says. */
class RefusedError extends Error {
  readonly code = 'EREFUSED_BY_POLICY';
}
class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}
class TooLargeError extends Error {}

function describeError(err: unknown): { reason: HttpFailureReason; message: string } {
  if (err instanceof TimeoutError) return { reason: 'timeout', message: 'timed out' };
  if (err instanceof RefusedError || err instanceof TooLargeError) return { reason: 'connection', message: err.message };
  const e = err as { name?: string; message?: string; code?: string };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return { reason: 'timeout', message: 'timed out' };
  return { reason: 'connection', message: e?.code ? `${e.code}: ${e.message ?? ''}`.trim() : (e?.message ?? String(err)) };
}

/** A DNS lookup that refuses addresses outside the fence: runs inside every new connection. */
function fencedLookup(policy: OutboundPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const byName = allowedByName(hostname, policy);
      for (const a of addresses) {
        const v = addressVerdict(a.address, policy, byName);
        if (!v.ok) return callback(new RefusedError(`refused: ${normalizeHost(hostname)} resolves to ${v.reason}`), '', 0);
      }
      const first = addresses[0];
      if (!first) return callback(new RefusedError(`${hostname} resolves to no address`), '', 0);
      if (options.all) (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
}

/** The HTTP client of the activities: probes and deliveries through the fence. */
/** Sockets whose connected address passed the outbound policy: kept-alive, they are not checked per request. */
const checkedSockets = new WeakSet<Socket>();

export class TargetHttp {
  private readonly agents: { http: http.Agent; https: https.Agent };

  constructor(private readonly options: OutboundOptions = DEFAULT_OUTBOUND) {
    const lookup = fencedLookup(options.policy);
    // No cap on sockets per host: a probe queued behind the pool would time out on the client's own
    // limit and read as the target's regression. Concurrency is bounded per activity instead.
    const pool = { keepAlive: true, lookup };
    this.agents = { http: new http.Agent(pool), https: new https.Agent(pool) };
  }

  /** Closes pooled connections (tests and shutdown). */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  probe(url: string, timeoutMs: number): Promise<HttpOutcome> {
    return this.request(url, 'GET', { accept: 'application/json' }, undefined, timeoutMs, false);
  }

  /** GETs a JSON answer (a metrics query, say): parsed when it is JSON within the bounds, else `body` is undefined. */
  getJson(url: string, timeoutMs: number): Promise<HttpOutcome> {
    return this.request(url, 'GET', { accept: 'application/json' }, undefined, timeoutMs, true);
  }

  /** POSTs a JSON text once, as it is: what a signature was computed over is what is sent. */
  post(url: string, body: string, timeoutMs: number, headers: Record<string, string> = {}): Promise<HttpOutcome> {
    return this.request(
      url,
      'POST',
      { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body,
      timeoutMs,
      false,
    );
  }

  /** POSTs a JSON body, retrying on failure (backoff doubles each attempt). */
  deliver(url: string, payload: unknown, policy: DeliveryPolicy, headers: Record<string, string> = {}): Promise<HttpOutcome> {
    return this.deliverJson(url, JSON.stringify(payload), policy, headers);
  }

  /** `deliver` with the body already serialized: a batch sends one body to many targets. */
  async deliverJson(url: string, body: string, policy: DeliveryPolicy, headers: Record<string, string> = {}): Promise<HttpOutcome> {
    let last: HttpOutcome = { ok: false, latencyMs: 0, reason: 'connection', message: 'not attempted' };
    for (let attempt = 0; attempt < policy.attempts; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, policy.backoffMs * 2 ** (attempt - 1)));
      last = await this.request(
        url,
        'POST',
        { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body,
        policy.timeoutMs,
        true,
      );
      if (last.ok) return last;
      // A refused address stays refused: retrying would only repeat the lookup.
      if (last.message?.startsWith('refused:')) return last;
    }
    return last;
  }

  private request(
    url: string,
    method: 'GET' | 'POST',
    headers: Record<string, string>,
    body: string | undefined,
    timeoutMs: number,
    parseBody: boolean,
  ): Promise<HttpOutcome> {
    const started = performance.now();
    const failed = (err: unknown): HttpOutcome => ({ ok: false, latencyMs: performance.now() - started, ...describeError(err) });
    const verdict = urlVerdict(url, this.options.policy);
    if (!verdict.ok) return Promise.resolve(failed(new RefusedError(`refused: ${verdict.reason}`)));
    const target = new URL(url);
    const isHttps = target.protocol === 'https:';
    const maxBytes = this.options.maxResponseBytes;

    return new Promise<HttpOutcome>((resolve) => {
      let settled = false;
      const finish = (o: HttpOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(o);
      };
      const req = (isHttps ? https : http).request(target, {
        method,
        agent: isHttps ? this.agents.https : this.agents.http,
        headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      });
      // Covers connect, the answer and its body: a target that trickles its answer still times out.
      const timer = setTimeout(() => req.destroy(new TimeoutError('timed out')), timeoutMs);
      req.on('socket', (socket: Socket) => {
        // IP literals skip the lookup: check the address actually connected to as well.
        const check = () => {
          const v = socket.remoteAddress
            ? addressVerdict(socket.remoteAddress, this.options.policy, allowedByName(target.hostname, this.options.policy))
            : { ok: true as const };
          if (!v.ok) req.destroy(new RefusedError(`refused: connected to ${v.reason}`));
          else checkedSockets.add(socket);
        };
        // A kept-alive socket connected long ago was checked when it connected (its address does
        // not change), and a listener for a connect that never comes again would only pile up on it.
        if (socket.connecting) socket.once('connect', check);
        else if (!checkedSockets.has(socket)) check();
      });
      req.on('error', (err) => finish(failed(err)));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            res.destroy();
            req.destroy(new TooLargeError(`answer larger than ${maxBytes} bytes (TOLLGATE_MAX_TARGET_RESPONSE)`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (err) => finish(failed(err)));
        res.on('end', () => {
          const latencyMs = performance.now() - started;
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) {
            const message = status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`;
            return finish({ ok: false, status, latencyMs, reason: 'http_status', message });
          }
          let parsed: unknown;
          const raw = Buffer.concat(chunks);
          const text = raw.toString('utf8');
          // The parsed answer travels through Temporal's (recursive) JSON encoding: keep it shallow.
          if (parseBody && text && (res.headers['content-type'] ?? '').includes('json') && measureJsonText(raw, ANSWER_BOUNDS).ok) {
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = undefined;
            }
          }
          finish({ ok: true, status, latencyMs, body: parsed });
        });
      });
      req.end(body);
    });
  }
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
