/**
 * Signing of notifications, Stripe-style: `Tollgate-Signature: t=<unix seconds>,v1=<hex>`, where
 * the hex is HMAC-SHA256 of `<t>.<body>` under the subscription's secret. The timestamp is signed
 * with the body, so a receiver that refuses old timestamps refuses replays; docs/notifications.md
 * shows how to verify.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'tollgate-signature';
/** How old a signed timestamp `verifySignature` accepts by default. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function signatureOf(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export function signatureHeader(secret: string, body: string, now = new Date()): string {
  const t = Math.floor(now.getTime() / 1000);
  return `t=${t},v1=${signatureOf(secret, t, body)}`;
}

export type SignatureVerdict = { ok: true; timestamp: number } | { ok: false; reason: string };

/** What a receiver does: parse the header, recompute the HMAC over the raw body, compare in constant time, check the age. */
export function verifySignature(
  header: string | undefined,
  body: string,
  secret: string,
  now = new Date(),
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): SignatureVerdict {
  if (!header) return { ok: false, reason: 'no signature header' };
  const parts = new Map(
    header.split(',').map((p) => {
      const eq = p.indexOf('=');
      return [p.slice(0, eq).trim(), p.slice(eq + 1).trim()] as const;
    }),
  );
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(v1)) return { ok: false, reason: 'malformed signature header' };
  const expected = Buffer.from(signatureOf(secret, t, body), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(v1, 'hex'))) return { ok: false, reason: 'signature does not match' };
  if (Math.abs(now.getTime() / 1000 - t) > toleranceSeconds) return { ok: false, reason: `timestamp outside ${toleranceSeconds} s` };
  return { ok: true, timestamp: t };
}
