/**
 * The outbound fence at registration: a target's health and apply URLs (and a subscription's URL) are checked (scheme, host,
 * and every address the host resolves to) before the target is stored, so a refused URL is a 422
 * naming the field rather than a rollout that fails later. The worker checks again at connect time
 * (activities/http.ts): DNS may answer differently by then.
 */
import dns from 'node:dns/promises';
import { Reason } from '../domain/reasons';
import { addressVerdict, allowedByName, isIpLiteral, normalizeHost, urlVerdict, type OutboundPolicy } from '../domain/outbound';
import type { TargetInput } from '../domain/schemas';
import { HttpError } from './http';

/** How long registration waits for DNS before it refuses a URL it could not check. */
export const RESOLVE_TIMEOUT_MS = 2_000;

export type Resolve = (host: string) => Promise<string[]>;

/** The codes a refused URL is answered with: one for targets, one for subscriptions. */
type UrlRefusal = typeof Reason.TargetUrlRefused | typeof Reason.SubscriptionUrlRefused;

export const systemResolve: Resolve = async (host) => (await dns.lookup(host, { all: true })).map((a) => a.address);

function refuse(code: UrlRefusal, field: string, url: string, reason: string): HttpError {
  return new HttpError(code, `${field}: ${url.slice(0, 200)} is refused: ${reason}`, field, { reason });
}

async function resolveWithin(resolve: Resolve, host: string): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      resolve(host),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no DNS answer within ${RESOLVE_TIMEOUT_MS} ms`)), RESOLVE_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** One outbound URL: its scheme and host, then every address its host resolves to. A refusal is a 422 with `code`, naming `field`. */
export async function checkOutboundUrl(
  field: string,
  url: string,
  policy: OutboundPolicy,
  code: UrlRefusal,
  resolve: Resolve = systemResolve,
): Promise<void> {
  const verdict = urlVerdict(url, policy);
  if (!verdict.ok) throw refuse(code, field, url, verdict.reason);
  const host = normalizeHost(new URL(url).hostname);
  if (isIpLiteral(host)) return;
  let addresses: string[];
  try {
    addresses = await resolveWithin(resolve, host);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    throw refuse(
      code,
      field,
      url,
      `${host} could not be resolved (${e.code ?? e.message ?? 'no answer'}), so its addresses cannot be checked`,
    );
  }
  const byName = allowedByName(host, policy);
  for (const a of addresses) {
    const v = addressVerdict(a, policy, byName);
    if (!v.ok) throw refuse(code, field, url, `${host} resolves to ${v.reason}`);
  }
}

export async function checkTargetUrls(input: TargetInput, policy: OutboundPolicy, resolve: Resolve = systemResolve): Promise<void> {
  for (const field of ['healthUrl', 'applyUrl'] as const) {
    const url = input[field];
    if (url !== undefined) await checkOutboundUrl(field, url, policy, Reason.TargetUrlRefused, resolve);
  }
}
